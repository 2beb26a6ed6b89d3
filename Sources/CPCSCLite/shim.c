// CPCSCLite is its headers (include/); a C target needs one source file.
#include "shim.h"
