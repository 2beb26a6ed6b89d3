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

/// The ciphers, fetched from the default provider once: an implicit fetch
/// (`EVP_des_ede_ecb()` at every init) looks the name up each time.
final class FetchedCiphers: @unchecked Sendable {
    static let shared = FetchedCiphers()
    let tripleDES: OpaquePointer?
    let tripleDESCBC: OpaquePointer?
    let sm4: OpaquePointer?
    let sm4CBC: OpaquePointer?
    private init() {
        tripleDES = EVP_CIPHER_fetch(nil, "DES-EDE-ECB", nil) ?? EVP_des_ede_ecb()
        tripleDESCBC = EVP_CIPHER_fetch(nil, "DES-EDE-CBC", nil) ?? EVP_des_ede_cbc()
        sm4 = EVP_CIPHER_fetch(nil, "SM4-ECB", nil) ?? EVP_sm4_ecb()
        sm4CBC = EVP_CIPHER_fetch(nil, "SM4-CBC", nil) ?? EVP_sm4_cbc()
    }
}

/// A block cipher key, ready for ECB and CBC. Each direction's context is
/// set up the first time it is used (a MAC key never decrypts), then reused.
public final class BlockCipher: @unchecked Sendable {
    public let algorithm: CipherAlgorithm
    private let material: [UInt8]
    private var encryptContext: OpaquePointer?
    private var decryptContext: OpaquePointer?
    private var cbcContext: OpaquePointer?

    /// - Precondition: `key.count == algorithm.keySize`.
    public init(_ algorithm: CipherAlgorithm, key: [UInt8]) throws(CryptoError) {
        precondition(key.count == algorithm.keySize, "\(algorithm) takes a \(algorithm.keySize)-byte key, got \(key.count)")
        self.algorithm = algorithm
        self.material = algorithm == .des ? key + key : key
    }

    deinit {
        for ctx in [encryptContext, decryptContext, cbcContext] { if let ctx { EVP_CIPHER_CTX_free(ctx) } }
    }

    private func context(_ cipher: OpaquePointer?, encrypt: Bool, iv: [UInt8]? = nil) -> OpaquePointer {
        // A context that cannot be made means libcrypto itself is broken.
        guard let cipher, let ctx = EVP_CIPHER_CTX_new(),
            EVP_CipherInit_ex(ctx, cipher, nil, material, iv, encrypt ? 1 : 0) == 1,
            EVP_CIPHER_CTX_set_padding(ctx, 0) == 1
        else { fatalError("libcrypto: cannot set up \(algorithm) (OpenSSL error \(String(ERR_get_error(), radix: 16)))") }
        return ctx
    }

    private var ecbCipher: OpaquePointer? { algorithm == .sm4 ? FetchedCiphers.shared.sm4 : FetchedCiphers.shared.tripleDES }
    private var cbcCipher: OpaquePointer? { algorithm == .sm4 ? FetchedCiphers.shared.sm4CBC : FetchedCiphers.shared.tripleDESCBC }

    /// ECB over whole blocks (the caller pads).
    /// - Precondition: `data.count` is a multiple of the block size.
    public func encrypt(_ data: [UInt8]) -> [UInt8] {
        if encryptContext == nil { encryptContext = context(ecbCipher, encrypt: true) }
        return run(encryptContext!, data)
    }

    /// ECB decryption over whole blocks.
    public func decrypt(_ data: [UInt8]) -> [UInt8] {
        if decryptContext == nil { decryptContext = context(ecbCipher, encrypt: false) }
        return run(decryptContext!, data)
    }

    private func run(_ ctx: OpaquePointer, _ data: [UInt8]) -> [UInt8] {
        precondition(data.count % algorithm.blockSize == 0, "input must be whole \(algorithm.blockSize)-byte blocks")
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

    /// CBC encryption with an IV (zero by default) over whole blocks, in one call.
    public func encryptCBC(_ data: [UInt8], iv: [UInt8]? = nil) -> [UInt8] {
        let n = algorithm.blockSize
        precondition(data.count % n == 0, "CBC input must be whole \(n)-byte blocks")
        let chain = iv ?? [UInt8](repeating: 0, count: n)
        if cbcContext == nil {
            cbcContext = context(cbcCipher, encrypt: true, iv: chain)
        } else {
            // Same key, new IV: no key schedule again.
            guard EVP_CipherInit_ex(cbcContext!, nil, nil, nil, chain, 1) == 1 else {
                fatalError("libcrypto: cannot reset the CBC IV")
            }
        }
        return run(cbcContext!, data)
    }
}
