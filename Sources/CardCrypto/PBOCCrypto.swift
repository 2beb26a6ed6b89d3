// SSCard — CardCrypto
//
// PBOC (JR/T 0025) card keys and cryptograms, 3DES (CVN 01), verified
// against the public vector of spec/pboc.md §8.1 and §9.

import CardStandards

/// The cryptogram algorithm, as IAD byte 8 names it.
public enum PBOCAlgorithm: UInt8, Hashable, Sendable {
    /// CVN 01, two-key 3DES (verified against pboc.md §8.1).
    case tripleDES = 0x01
    /// The national-cryptography variant, SM4 [INFERRED: pboc.md §8.1 gives
    /// only its shape; no public vector].
    case sm4 = 0x04
}

/// PBOC key derivation and cryptograms.
public enum PBOCCrypto {
    /// `Y`: the rightmost 16 digits of PAN ‖ PSN, left-padded with 0, as 8 BCD bytes.
    public static func derivationData(pan: String, psn: UInt8) -> [UInt8] {
        var nibbles = pan.utf8.filter { (0x30...0x39).contains($0) }.map { $0 - 0x30 } + [psn >> 4, psn & 0xF]
        nibbles = Array(nibbles.suffix(16))
        while nibbles.count < 16 { nibbles.insert(0, at: 0) }
        return BCD.pack(nibbles: nibbles, odd: .leadingZero)
    }

    /// The card's unique key (EMV Book 2 A1.4.1 option A):
    /// `3DES(IMK)[Y] ‖ 3DES(IMK)[Y ⊕ FF…FF]`.
    public static func udk(imk: [UInt8], pan: String, psn: UInt8, algorithm: PBOCAlgorithm = .tripleDES) throws(CryptoError) -> [UInt8] {
        let y = derivationData(pan: pan, psn: psn)
        if algorithm == .sm4 { return try BlockCipher(.sm4, key: imk).encrypt(y + y.map { ~$0 }) }
        let c = try BlockCipher(.tripleDES, key: imk)
        return c.encrypt(y) + c.encrypt(y.map { ~$0 })
    }

    /// The PBOC session key (not the EMV common session key):
    /// `3DES(UDK)[000000000000 ‖ ATC] ‖ 3DES(UDK)[000000000000 ‖ ATC ⊕ FFFF]`.
    public static func sessionKey(udk: [UInt8], atc: UInt16, algorithm: PBOCAlgorithm = .tripleDES) throws(CryptoError) -> [UInt8] {
        sessionKey(udk: try udkCipher(udk, algorithm: algorithm), atc: atc)
    }

    /// The cipher of a card's unique key, to derive many session keys from.
    public static func udkCipher(_ udk: [UInt8], algorithm: PBOCAlgorithm = .tripleDES) throws(CryptoError) -> BlockCipher {
        try BlockCipher(algorithm == .sm4 ? .sm4 : .tripleDES, key: udk)
    }

    /// The session key of an ATC under a UDK's cipher: the ECB of
    /// `000000000000 ‖ ATC ‖ 000000000000 ‖ ATC ⊕ FFFF`, two 3DES blocks or
    /// one SM4 block, as the cipher is.
    public static func sessionKey(udk: BlockCipher, atc: UInt16) -> [UInt8] {
        let hi = UInt8(atc >> 8), lo = UInt8(atc & 0xFF)
        return udk.encrypt([0, 0, 0, 0, 0, 0, hi, lo, 0, 0, 0, 0, 0, 0, ~hi, ~lo])
    }

    /// An application cryptogram: the retail MAC of the input under the session key.
    public static func cryptogram(sessionKey: [UInt8], data: [UInt8], algorithm: PBOCAlgorithm = .tripleDES) throws(CryptoError) -> [UInt8] {
        guard algorithm == .sm4 else { return try retailMAC(key: sessionKey, data: data) }
        // SM4-CBC with padding method 2; the first 8 bytes of the last block.
        let chain = try BlockCipher(.sm4, key: sessionKey).encryptCBC(padISO9797Method2(data, blockSize: 16))
        return Array(chain.suffix(16).prefix(8))
    }

    /// The enciphered PIN of a PIN CHANGE script (8424 P2 02) [INFERRED from
    /// EMV Book 2 §9.3 and pboc.md §9]: `08 ‖ (PIN block ⊕ (00000000 ‖ ARQC
    /// bytes 5–8)) ‖ 80 00…`, ECB under the session key of UDK-ENC.
    public static func encipherPIN(
        _ pinBlock: [UInt8], arqc: [UInt8], sessionKey: [UInt8], algorithm: PBOCAlgorithm = .tripleDES
    ) throws(CryptoError) -> [UInt8] {
        precondition(pinBlock.count == 8 && arqc.count == 8, "a PIN block and an ARQC are 8 bytes")
        let mask = [0, 0, 0, 0] + Array(arqc[4..<8])
        let plain = [0x08] + zip(pinBlock, mask).map { $0 ^ $1 } + [0x80] + [UInt8](repeating: 0, count: 6)
        let cipher = try BlockCipher(algorithm == .sm4 ? .sm4 : .tripleDES, key: sessionKey)
        return cipher.encrypt(plain)
    }

    /// The inverse of ``encipherPIN(_:arqc:sessionKey:algorithm:)``; `nil` when malformed.
    public static func decipherPIN(
        _ data: [UInt8], arqc: [UInt8], sessionKey: [UInt8], algorithm: PBOCAlgorithm = .tripleDES
    ) throws(CryptoError) -> [UInt8]? {
        guard data.count == 16, arqc.count == 8 else { return nil }
        let plain = try BlockCipher(algorithm == .sm4 ? .sm4 : .tripleDES, key: sessionKey).decrypt(data)
        guard plain[0] == 0x08, plain[9] == 0x80, plain[10...].allSatisfy({ $0 == 0 }) else { return nil }
        let mask = [0, 0, 0, 0] + Array(arqc[4..<8])
        return zip(plain[1..<9], mask).map { $0 ^ $1 }
    }

    /// ARPC method 1: `3DES(SK)[ARQC ⊕ (ARC ‖ 000000000000)]`.
    public static func arpc(sessionKey: [UInt8], arqc: [UInt8], arc: [UInt8], algorithm: PBOCAlgorithm = .tripleDES) throws(CryptoError) -> [UInt8] {
        precondition(arqc.count == 8 && arc.count == 2, "ARQC is 8 bytes and ARC 2")
        var block = arqc
        block[0] ^= arc[0]
        block[1] ^= arc[1]
        // SM4: ALG(SK)[Y ‖ 00×8] (pboc.md §8.1), its first 8 bytes [INFERRED].
        if algorithm == .sm4 { return Array(try BlockCipher(.sm4, key: sessionKey).encrypt(block + [UInt8](repeating: 0, count: 8)).prefix(8)) }
        return try BlockCipher(.tripleDES, key: sessionKey).encrypt(block)
    }
}

/// One transaction's session key with its ciphers, set up once and used for
/// every cryptogram, ARPC and MAC of the transaction. Not for sharing
/// between threads (its cipher is not).
public final class PBOCSession {
    public let algorithm: PBOCAlgorithm
    public let key: [UInt8]
    private let whole: BlockCipher?

    /// The session key of a card key and an ATC.
    public convenience init(udk: [UInt8], atc: UInt16, algorithm: PBOCAlgorithm = .tripleDES) throws(CryptoError) {
        try self.init(udk: try PBOCCrypto.udkCipher(udk, algorithm: algorithm), atc: atc)
    }

    /// The session key of an ATC under a card key's cipher (kept by an
    /// issuer that sees the card again: no key schedule to set up for it).
    public init(udk: BlockCipher, atc: UInt16) throws(CryptoError) {
        self.algorithm = udk.algorithm == .sm4 ? .sm4 : .tripleDES
        self.key = PBOCCrypto.sessionKey(udk: udk, atc: atc)
        self.whole = try BlockCipher(udk.algorithm, key: key)
    }

    /// An application cryptogram or MAC (8 bytes) over `data`.
    public func cryptogram(_ data: [UInt8]) throws(CryptoError) -> [UInt8] {
        if algorithm == .sm4 {
            guard let whole else { throw CryptoError(.libcrypto, function: "SM4 key setup") }
            return Array(whole.encryptCBC(padISO9797Method2(data, blockSize: 16)).suffix(16).prefix(8))
        }
        guard let whole else { throw CryptoError(.libcrypto, function: "DES key setup") }
        return whole.retailMAC(padISO9797Method2(data, blockSize: 8))
    }

    /// ARPC method 1.
    public func arpc(arqc: [UInt8], arc: [UInt8]) throws(CryptoError) -> [UInt8] {
        precondition(arqc.count == 8 && arc.count == 2, "ARQC is 8 bytes and ARC 2")
        guard let whole else { throw CryptoError(.libcrypto, function: "ARPC key setup") }
        var block = arqc
        block[0] ^= arc[0]
        block[1] ^= arc[1]
        if algorithm == .sm4 { return Array(whole.encrypt(block + [UInt8](repeating: 0, count: 8)).prefix(8)) }
        return whole.encrypt(block)
    }
}
