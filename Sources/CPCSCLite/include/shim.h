// pcsc-lite's WinSCard API for CardTransportPCSC, its only importer.
//
// winscard.h, pcsclite.h and wintypes.h here are links to Debian's
// /usr/include/PCSC (libpcsclite-dev): pcsc-lite's headers include each
// other as <pcsclite.h>, which needs their folder on the include path. A C
// target's include folder is on it for free; pkg-config's flags for a
// system library would bring -pthread with them, which SwiftPM refuses with
// a warning at every build.
#ifndef SSCARD_CPCSCLITE_SHIM_H
#define SSCARD_CPCSCLITE_SHIM_H
#include <winscard.h>
#endif
