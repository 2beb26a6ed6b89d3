// pcsc-lite's WinSCard API for CardTransportPCSC, its only importer.
// pkg-config (libpcsclite) supplies -I/usr/include/PCSC.
#ifndef SSCARD_CPCSCLITE_SHIM_H
#define SSCARD_CPCSCLITE_SHIM_H
#include <winscard.h>
#endif
