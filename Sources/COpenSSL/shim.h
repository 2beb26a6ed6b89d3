// OpenSSL libcrypto for CardCrypto: the EVP cipher interface only.
// Nothing else is declared here; CardCrypto is this module's only importer.
#ifndef SSCARD_COPENSSL_SHIM_H
#define SSCARD_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#endif
