// SSCard — CardCrypto
//
// Block ciphers over OpenSSL's libcrypto: single DES and two-key triple DES
// through its DES block functions (single DES is not in OpenSSL 3's default
// EVP provider), SM4 (GB/T 32907) through EVP.
//
// Every call into libcrypto goes through this file. A DES key's schedules
// are set up once per key; an SM4 key owns one EVP_CIPHER_CTX per
// direction, created once: setting up a context costs about 1.7 µs, far
// more than a block (STYLE.md §4).

internal import COpenSSL

/// Which block cipher.
public enum CipherAlgorithm: String, Hashable, Sendable, CaseIterable {
    /// Single DES (8-byte key).
    case des
    /// Two-key triple DES, EDE (16-byte key).
    case tripleDES
    /// SM4 (16-byte key, 16-byte block).
    case sm4

    public var blockSize: Int { self == .sm4 ? 16 : 8 }
    public var keySize: Int { self == .des ? 8 : 16 }
}

/// SM4, fetched from the default provider once: an implicit fetch
/// (`EVP_sm4_ecb()` at every init) looks the name up each time. A fetched
/// EVP_CIPHER is immutable and may be used from any thread (OpenSSL's
/// threads(7)); the addresses are kept as integers, set once by Swift's
/// thread-safe lazy initialization of a static.
enum FetchedCiphers {
    private static let addresses: (sm4: UInt, sm4CBC: UInt) = (
        UInt(bitPattern: EVP_CIPHER_fetch(nil, "SM4-ECB", nil) ?? EVP_sm4_ecb()),
        UInt(bitPattern: EVP_CIPHER_fetch(nil, "SM4-CBC", nil) ?? EVP_sm4_cbc())
    )
    static var sm4: OpaquePointer? { OpaquePointer(bitPattern: addresses.sm4) }
    static var sm4CBC: OpaquePointer? { OpaquePointer(bitPattern: addresses.sm4CBC) }
}

/// A block cipher key, ready for ECB and CBC.
///
/// DES keys hold their two key schedules (set up once, in `init`) and run
/// through libcrypto's DES block functions. SM4 keys hold an EVP context
/// per direction, each set up the first time it is used (a MAC key never
/// decrypts), then reused. Not for sharing between threads: the SM4
/// contexts are set up and used without a lock.
public final class BlockCipher {
    /// A zero IV, for any block size here (made once).
    static let zeros = [UInt8](repeating: 0, count: 16)

    public let algorithm: CipherAlgorithm
    private let material: [UInt8]
    private let des: UnsafeMutablePointer<sscard_des_key>?
    private var encryptContext: OpaquePointer?
    private var decryptContext: OpaquePointer?
    private var cbcContext: OpaquePointer?

    /// - Precondition: `key.count == algorithm.keySize`.
    public init(_ algorithm: CipherAlgorithm, key: [UInt8]) throws(CryptoError) {
        precondition(key.count == algorithm.keySize, "\(algorithm) takes a \(algorithm.keySize)-byte key, got \(key.count)")
        self.algorithm = algorithm
        if algorithm == .sm4 {
            self.material = key
            self.des = nil
        } else {
            self.material = []
            let schedules = UnsafeMutablePointer<sscard_des_key>.allocate(capacity: 1)
            sscard_des_set_key(schedules, key, algorithm == .tripleDES ? 1 : 0)
            self.des = schedules
        }
    }

    deinit {
        for ctx in [encryptContext, decryptContext, cbcContext] { if let ctx { EVP_CIPHER_CTX_free(ctx) } }
        if let des {
            // Key schedules are key material: wiped before the memory goes back.
            OPENSSL_cleanse(des, MemoryLayout<sscard_des_key>.size)
            des.deallocate()
        }
    }

    private var twoKey: Int32 { algorithm == .tripleDES ? 1 : 0 }

    private func context(_ cipher: OpaquePointer?, encrypt: Bool, iv: [UInt8]? = nil) -> OpaquePointer {
        // A context that cannot be made means libcrypto itself is broken.
        guard let cipher, let ctx = EVP_CIPHER_CTX_new(),
            EVP_CipherInit_ex(ctx, cipher, nil, material, iv, encrypt ? 1 : 0) == 1,
            EVP_CIPHER_CTX_set_padding(ctx, 0) == 1
        else { fatalError("libcrypto: cannot set up \(algorithm) (OpenSSL error \(String(ERR_get_error(), radix: 16)))") }
        return ctx
    }

    /// ECB over whole blocks (the caller pads).
    /// - Precondition: `data.count` is a multiple of the block size.
    public func encrypt(_ data: [UInt8]) -> [UInt8] { ecb(data, encrypt: true) }

    /// ECB decryption over whole blocks.
    public func decrypt(_ data: [UInt8]) -> [UInt8] { ecb(data, encrypt: false) }

    private func ecb(_ data: [UInt8], encrypt: Bool) -> [UInt8] {
        precondition(data.count % algorithm.blockSize == 0, "input must be whole \(algorithm.blockSize)-byte blocks")
        if data.isEmpty { return [] }
        if let des {
            return [UInt8](unsafeUninitializedCapacity: data.count) { out, count in
                sscard_des_ecb(des, twoKey, data, out.baseAddress, data.count, encrypt ? DES_ENCRYPT : DES_DECRYPT)
                count = data.count
            }
        }
        if encrypt {
            if encryptContext == nil { encryptContext = context(FetchedCiphers.sm4, encrypt: true) }
            return run(encryptContext!, data)
        }
        if decryptContext == nil { decryptContext = context(FetchedCiphers.sm4, encrypt: false) }
        return run(decryptContext!, data)
    }

    private func run(_ ctx: OpaquePointer, _ data: [UInt8]) -> [UInt8] {
        var written: Int32 = 0
        // The context was initialised with a key and no padding; an update
        // of whole blocks cannot fail.
        let out = [UInt8](unsafeUninitializedCapacity: data.count) { o, count in
            count = EVP_CipherUpdate(ctx, o.baseAddress, &written, data, Int32(data.count)) == 1 ? Int(written) : 0
        }
        precondition(out.count == data.count, "EVP_CipherUpdate failed on whole blocks")
        return out
    }

    /// The ISO 9797-1 algorithm 3 MAC (retail MAC) of whole, padded blocks
    /// under this two-key triple-DES key: single-DES CBC under the left
    /// half, then decrypt under the right half and encrypt under the left.
    /// - Precondition: `algorithm == .tripleDES`; whole 8-byte blocks.
    public func retailMAC(_ padded: [UInt8], iv: [UInt8]? = nil) -> [UInt8] {
        precondition(algorithm == .tripleDES, "the retail MAC takes a two-key triple-DES key")
        precondition(padded.count % 8 == 0 && !padded.isEmpty, "retail MAC input must be whole 8-byte blocks")
        precondition(iv == nil || iv!.count == 8, "the IV is one 8-byte block")
        let chain = iv ?? BlockCipher.zeros
        return [UInt8](unsafeUninitializedCapacity: 8) { out, count in
            sscard_des_retail_mac(des!, padded, padded.count, chain, out.baseAddress)
            count = 8
        }
    }

    /// CBC encryption with an IV (zero by default) over whole blocks, in one call.
    public func encryptCBC(_ data: [UInt8], iv: [UInt8]? = nil) -> [UInt8] {
        let n = algorithm.blockSize
        precondition(data.count % n == 0, "CBC input must be whole \(n)-byte blocks")
        precondition(iv == nil || iv!.count == n, "the IV is one \(n)-byte block")
        let chain = iv ?? Array(BlockCipher.zeros.prefix(n))
        if data.isEmpty { return [] }
        if let des {
            return [UInt8](unsafeUninitializedCapacity: data.count) { out, count in
                sscard_des_cbc_encrypt(des, twoKey, data, out.baseAddress, data.count, chain)
                count = data.count
            }
        }
        if cbcContext == nil {
            cbcContext = context(FetchedCiphers.sm4CBC, encrypt: true, iv: chain)
        } else {
            // Same key, new IV: no key schedule again.
            guard EVP_CipherInit_ex(cbcContext!, nil, nil, nil, chain, 1) == 1 else {
                fatalError("libcrypto: cannot reset the CBC IV")
            }
        }
        return run(cbcContext!, data)
    }
}
