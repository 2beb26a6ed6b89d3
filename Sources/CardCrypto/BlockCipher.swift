// SSCard — CardCrypto
//
// Block ciphers over OpenSSL's libcrypto (EVP): two-key triple DES, single
// DES as DES-EDE with K1 = K2 (single DES sits in OpenSSL 3's legacy
// provider, which is not loaded by default), and SM4 (GB/T 32907).
//
// Every call into libcrypto goes through this file. A key owns one
// EVP_CIPHER_CTX per direction, created once: setting up a context costs
// about 1.7 µs, far more than a block (STYLE.md §4).

internal import COpenSSL

/// A libcrypto failure.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    public var function: String
    /// `ERR_get_error()`.
    public var code: UInt
    public var description: String { "\(function) failed (OpenSSL error \(String(code, radix: 16)))" }
}

/// Which block cipher.
public enum CipherAlgorithm: String, Hashable, Sendable, CaseIterable {
    /// Single DES (8-byte key), run as DES-EDE with K1 = K2.
    case des
    /// Two-key triple DES, EDE (16-byte key).
    case tripleDES
    /// SM4 (16-byte key, 16-byte block).
    case sm4

    public var blockSize: Int { self == .sm4 ? 16 : 8 }
    public var keySize: Int { self == .des ? 8 : 16 }
}

/// A block cipher key with its contexts, ready for ECB and CBC.
public final class BlockCipher: @unchecked Sendable {
    public let algorithm: CipherAlgorithm
    private let encryptContext: OpaquePointer
    private let decryptContext: OpaquePointer

    /// - Precondition: `key.count == algorithm.keySize`.
    public init(_ algorithm: CipherAlgorithm, key: [UInt8]) throws(CryptoError) {
        precondition(key.count == algorithm.keySize, "\(algorithm) takes a \(algorithm.keySize)-byte key, got \(key.count)")
        self.algorithm = algorithm
        let material = algorithm == .des ? key + key : key
        let cipher: OpaquePointer? = algorithm == .sm4 ? EVP_sm4_ecb() : EVP_des_ede_ecb()
        guard let cipher, let enc = EVP_CIPHER_CTX_new(), let dec = EVP_CIPHER_CTX_new() else {
            throw CryptoError(function: "EVP_CIPHER_CTX_new", code: ERR_get_error())
        }
        encryptContext = enc
        decryptContext = dec
        for (ctx, mode) in [(enc, Int32(1)), (dec, Int32(0))] {
            guard EVP_CipherInit_ex(ctx, cipher, nil, material, nil, mode) == 1,
                EVP_CIPHER_CTX_set_padding(ctx, 0) == 1
            else {
                throw CryptoError(function: "EVP_CipherInit_ex", code: ERR_get_error())
            }
        }
    }

    deinit {
        EVP_CIPHER_CTX_free(encryptContext)
        EVP_CIPHER_CTX_free(decryptContext)
    }

    /// ECB over whole blocks (the caller pads).
    /// - Precondition: `data.count` is a multiple of the block size.
    public func encrypt(_ data: [UInt8]) -> [UInt8] { run(encryptContext, data) }

    /// ECB decryption over whole blocks.
    public func decrypt(_ data: [UInt8]) -> [UInt8] { run(decryptContext, data) }

    private func run(_ ctx: OpaquePointer, _ data: [UInt8]) -> [UInt8] {
        precondition(data.count % algorithm.blockSize == 0, "ECB input must be whole \(algorithm.blockSize)-byte blocks")
        if data.isEmpty { return [] }
        var out = [UInt8](repeating: 0, count: data.count)
        var written: Int32 = 0
        // The context was initialised with a key and no padding; an update
        // of whole blocks cannot fail.
        let ok = out.withUnsafeMutableBufferPointer { o in
            EVP_CipherUpdate(ctx, o.baseAddress, &written, data, Int32(data.count))
        }
        precondition(ok == 1 && Int(written) == data.count, "EVP_CipherUpdate failed on whole blocks")
        return out
    }

    /// CBC encryption with an IV (zero by default) over whole blocks.
    public func encryptCBC(_ data: [UInt8], iv: [UInt8]? = nil) -> [UInt8] {
        let n = algorithm.blockSize
        precondition(data.count % n == 0, "CBC input must be whole \(n)-byte blocks")
        var chain = iv ?? [UInt8](repeating: 0, count: n)
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        var i = 0
        while i < data.count {
            var block = Array(data[i..<i + n])
            for j in 0..<n { block[j] ^= chain[j] }
            chain = encrypt(block)
            out += chain
            i += n
        }
        return out
    }
}
