// Nothing here: the header declares what libFuzzer (linked by
// -sanitize=fuzzer) defines. SwiftPM needs one source file in a C target.
#include "CLibFuzzer.h"
