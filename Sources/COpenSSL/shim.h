// OpenSSL libcrypto for CardCrypto: the EVP cipher interface (SM4) and the
// DES block functions. CardCrypto is this module's only importer.
//
// DES goes through libcrypto's DES_* functions, not EVP: single DES sits in
// OpenSSL 3's legacy provider (not loaded by default), and an EVP context
// costs an allocation and a provider lookup per key, more than the blocks
// of a whole EMV cryptogram. The DES_* functions are deprecated in 3.0 but
// remain part of libcrypto's ABI; this header is the one place that says so.
#ifndef SSCARD_COPENSSL_SHIM_H
#define SSCARD_COPENSSL_SHIM_H
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/des.h>

/// A single-DES or two-key triple-DES key: two schedules (for single DES,
/// k2 is a copy of k1 so that the struct is always whole; it is not used).
typedef struct {
    DES_key_schedule k1;
    DES_key_schedule k2;
} sscard_des_key;

/// Sets up `key` from 8 (single) or 16 (two-key) bytes.
static inline void sscard_des_set_key(sscard_des_key *key, const unsigned char *bytes, int two_key) {
    DES_set_key_unchecked((const_DES_cblock *)bytes, &key->k1);
    if (two_key)
        DES_set_key_unchecked((const_DES_cblock *)(bytes + 8), &key->k2);
    else
        key->k2 = key->k1;
}

/// ECB over `n` bytes (whole blocks).
static inline void sscard_des_ecb(const sscard_des_key *key, int two_key, const unsigned char *in,
                                  unsigned char *out, size_t n, int enc) {
    DES_key_schedule *k1 = (DES_key_schedule *)&key->k1, *k2 = (DES_key_schedule *)&key->k2;
    for (size_t i = 0; i < n; i += 8) {
        if (two_key)
            DES_ecb3_encrypt((const_DES_cblock *)(in + i), (DES_cblock *)(out + i), k1, k2, k1, enc);
        else
            DES_ecb_encrypt((const_DES_cblock *)(in + i), (DES_cblock *)(out + i), k1, enc);
    }
}

/// CBC encryption over `n` bytes (whole blocks); `iv` is 8 bytes and is
/// left unchanged.
static inline void sscard_des_cbc_encrypt(const sscard_des_key *key, int two_key, const unsigned char *in,
                                          unsigned char *out, size_t n, const unsigned char *iv) {
    DES_cblock chain;
    for (int i = 0; i < 8; i++) chain[i] = iv[i];
    DES_key_schedule *k1 = (DES_key_schedule *)&key->k1, *k2 = (DES_key_schedule *)&key->k2;
    if (two_key)
        DES_ede3_cbc_encrypt(in, out, (long)n, k1, k2, k1, &chain, DES_ENCRYPT);
    else
        DES_ncbc_encrypt(in, out, (long)n, k1, &chain, DES_ENCRYPT);
}

/// ISO 9797-1 MAC algorithm 3 (the retail MAC) of a two-key triple-DES key
/// over `n` bytes (whole blocks, already padded): single-DES CBC under K1
/// from `iv`, then decrypt under K2 and encrypt under K1. `out` is 8 bytes.
static inline void sscard_des_retail_mac(const sscard_des_key *key, const unsigned char *in, size_t n,
                                         const unsigned char *iv, unsigned char *out) {
    DES_cblock chain;
    for (int i = 0; i < 8; i++) chain[i] = iv[i];
    DES_key_schedule *k1 = (DES_key_schedule *)&key->k1, *k2 = (DES_key_schedule *)&key->k2;
    for (size_t i = 0; i < n; i += 8) {
        for (int j = 0; j < 8; j++) chain[j] ^= in[i + j];
        DES_ecb_encrypt((const_DES_cblock *)&chain, &chain, k1, DES_ENCRYPT);
    }
    DES_ecb_encrypt((const_DES_cblock *)&chain, &chain, k2, DES_DECRYPT);
    DES_ecb_encrypt((const_DES_cblock *)&chain, (DES_cblock *)out, k1, DES_ENCRYPT);
}
#endif
