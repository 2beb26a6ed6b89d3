// SSCard — CardCrypto
//
// The social-security card's computations (MOHRSS part 4 §8–9, part 9 §7.3;
// spec/ssc.md §3.2 and §3.4). Two families, chosen by the algorithm
// identifier in the SSSE FCI (`9F0C { 86 xx }`): 8-byte block algorithms
// (DES/3DES, `01`) and 16-byte block algorithms (SM4, `03`; SSF33, `02`, is
// not available in OpenSSL).

public import CardStandards

extension SocialSecurityAlgorithm {
    /// The cipher for 16-byte (double-length) keys.
    var keyCipher: CipherAlgorithm? {
        switch self {
        case .des: .tripleDES
        case .sm4: .sm4
        case .ssf33: nil
        }
    }

    /// The cipher for session keys (8 bytes for DES, 16 for SM4).
    var sessionCipher: CipherAlgorithm? {
        switch self {
        case .des: .des
        case .sm4: .sm4
        case .ssf33: nil
        }
    }
}

/// Computations of the social-security card and its PSAM.
public enum SocialSecurityCrypto {
    /// SSF33 has no implementation here.
    public static let unsupported = CryptoError(.unsupportedAlgorithm, function: "SSF33")

    static func keyCipher(_ algorithm: SocialSecurityAlgorithm, _ key: [UInt8]) throws(CryptoError) -> BlockCipher {
        guard let c = algorithm.keyCipher else { throw unsupported }
        return try BlockCipher(c, key: key)
    }

    static func sessionCipher(_ algorithm: SocialSecurityAlgorithm, _ key: [UInt8]) throws(CryptoError) -> BlockCipher {
        guard let c = algorithm.sessionCipher else { throw unsupported }
        return try BlockCipher(c, key: key)
    }

    /// Session key from a random (part 4 §8.4): for 8-byte algorithms
    /// `3DES_K(input8)`, a single-length key; for 16-byte algorithms
    /// `E_K(input16)`, where the random is followed by zeros (`rand8 ‖ 00×8`,
    /// `rand4 ‖ 00×12`).
    public static func sessionKey(
        _ algorithm: SocialSecurityAlgorithm, key: [UInt8], random: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        var input = Array(random.prefix(algorithm.blockSize))
        while input.count < algorithm.blockSize { input.append(0) }
        return try keyCipher(algorithm, key).encrypt(input)
    }

    /// Authentication data (part 4 §9.3): `E_SK(data8)`; for 16-byte
    /// algorithms `E_SK(data8 ‖ 00×8)` with its two halves XORed.
    public static func authenticationData(
        _ algorithm: SocialSecurityAlgorithm, sessionKey: [UInt8], data: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        precondition(data.count == 8, "authentication data is computed over 8 bytes")
        let cipher = try sessionCipher(algorithm, sessionKey)
        if algorithm.blockSize == 8 { return cipher.encrypt(data) }
        let e = cipher.encrypt(data + [UInt8](repeating: 0, count: 8))
        return (0..<8).map { e[$0] ^ e[$0 + 8] }
    }

    /// The 4-byte MAC of part 4 §8.2: `80 00…` padding always, CBC with a
    /// zero IV under the session key; 8-byte algorithms take the left 4
    /// bytes, 16-byte algorithms XOR the result's four 4-byte pieces.
    public static func mac(
        _ algorithm: SocialSecurityAlgorithm, sessionKey: [UInt8], data: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        let cipher = try sessionCipher(algorithm, sessionKey)
        let chain = cipher.encryptCBC(padISO9797Method2(data, blockSize: algorithm.blockSize))
        let last = Array(chain.suffix(algorithm.blockSize))
        if algorithm.blockSize == 8 { return Array(last.prefix(4)) }
        return (0..<4).map { last[$0] ^ last[$0 + 4] ^ last[$0 + 8] ^ last[$0 + 12] }
    }

    /// Encryption of part 4 §8.3: `LD ‖ plaintext ‖ 80 00…`, ECB under the session key.
    public static func encrypt(
        _ algorithm: SocialSecurityAlgorithm, sessionKey: [UInt8], plaintext: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        let block = padISO9797Method2([UInt8(plaintext.count)] + plaintext, blockSize: algorithm.blockSize)
        return try sessionCipher(algorithm, sessionKey).encrypt(block)
    }

    /// The inverse of ``encrypt(_:sessionKey:plaintext:)``; `nil` when the
    /// length byte or the padding is wrong.
    public static func decrypt(
        _ algorithm: SocialSecurityAlgorithm, sessionKey: [UInt8], ciphertext: [UInt8]
    ) throws(CryptoError) -> [UInt8]? {
        guard !ciphertext.isEmpty, ciphertext.count % algorithm.blockSize == 0 else { return nil }
        let plain = try sessionCipher(algorithm, sessionKey).decrypt(ciphertext)
        let ld = Int(plain[0])
        guard ld + 1 <= plain.count, let unpadded = unpadISO9797Method2(plain), unpadded.count == ld + 1 else {
            return nil
        }
        return Array(unpadded.dropFirst())
    }

    /// One level of key diversification (part 9 §7.3): for DES,
    /// `3DES_K(f) ‖ 3DES_K(NOT f)`; for SM4, `SM4_K(f ‖ NOT f)` [INFERRED:
    /// the same factor layout in one 16-byte block].
    public static func diversify(
        _ algorithm: SocialSecurityAlgorithm, key: [UInt8], factor: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        precondition(factor.count == 8, "a diversification factor has 8 bytes")
        let cipher = try keyCipher(algorithm, key)
        let not = factor.map { ~$0 }
        if algorithm.blockSize == 8 { return cipher.encrypt(factor) + cipher.encrypt(not) }
        return cipher.encrypt(factor + not)
    }

    /// Diversification through several levels, the first factor applied first.
    public static func diversify(
        _ algorithm: SocialSecurityAlgorithm, key: [UInt8], factors: [[UInt8]]
    ) throws(CryptoError) -> [UInt8] {
        var k = key
        for f in factors { k = try diversify(algorithm, key: k, factor: f) }
        return k
    }

    /// The diversification factors of part 9 §7.3 for a region code and the
    /// ATR historical bytes: level 1 (province: first 2 region digits ‖
    /// `30303030 7368`), level 2 (city: 6 region digits ‖ `7378`), level 3
    /// (card: historical bytes 6–13).
    public static func factors(region: String, historicalBytes: [UInt8]) -> (province: [UInt8], city: [UInt8], card: [UInt8]) {
        let digits = Array(region.utf8.prefix(6))
        let province = Array(digits.prefix(2)) + [0x30, 0x30, 0x30, 0x30, 0x73, 0x68]
        let city = digits + [0x73, 0x78]
        let card = historicalBytes.count >= 13 ? Array(historicalBytes[5..<13]) : Array(historicalBytes.suffix(8))
        return (province, city, card)
    }
}
