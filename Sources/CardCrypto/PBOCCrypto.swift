// SSCard — CardCrypto
//
// PBOC (JR/T 0025) card keys and cryptograms, 3DES (CVN 01), verified
// against the public vector of spec/pboc.md §8.1 and §9.

/// PBOC key derivation and cryptograms.
public enum PBOCCrypto {
    /// `Y`: the rightmost 16 digits of PAN ‖ PSN, left-padded with 0, as 8 BCD bytes.
    public static func derivationData(pan: String, psn: UInt8) -> [UInt8] {
        let psnText = String(psn >> 4) + String(psn & 0xF)
        var digits = Array((pan.filter(\.isNumber) + psnText).suffix(16))
        while digits.count < 16 { digits.insert("0", at: 0) }
        return stride(from: 0, to: 16, by: 2).map {
            UInt8(digits[$0].wholeNumberValue!) << 4 | UInt8(digits[$0 + 1].wholeNumberValue!)
        }
    }

    /// The card's unique key (EMV Book 2 A1.4.1 option A):
    /// `3DES(IMK)[Y] ‖ 3DES(IMK)[Y ⊕ FF…FF]`.
    public static func udk(imk: [UInt8], pan: String, psn: UInt8) throws(CryptoError) -> [UInt8] {
        let y = derivationData(pan: pan, psn: psn)
        let c = try BlockCipher(.tripleDES, key: imk)
        return c.encrypt(y) + c.encrypt(y.map { ~$0 })
    }

    /// The PBOC session key (not the EMV common session key):
    /// `3DES(UDK)[000000000000 ‖ ATC] ‖ 3DES(UDK)[000000000000 ‖ ATC ⊕ FFFF]`.
    public static func sessionKey(udk: [UInt8], atc: UInt16) throws(CryptoError) -> [UInt8] {
        let c = try BlockCipher(.tripleDES, key: udk)
        let a: [UInt8] = [UInt8(atc >> 8), UInt8(atc & 0xFF)]
        let zeros = [UInt8](repeating: 0, count: 6)
        return c.encrypt(zeros + a) + c.encrypt(zeros + a.map { ~$0 })
    }

    /// An application cryptogram: the retail MAC of the input under the session key.
    public static func cryptogram(sessionKey: [UInt8], data: [UInt8]) throws(CryptoError) -> [UInt8] {
        try retailMAC(key: sessionKey, data: data)
    }

    /// ARPC method 1: `3DES(SK)[ARQC ⊕ (ARC ‖ 000000000000)]`.
    public static func arpc(sessionKey: [UInt8], arqc: [UInt8], arc: [UInt8]) throws(CryptoError) -> [UInt8] {
        precondition(arqc.count == 8 && arc.count == 2, "ARQC is 8 bytes and ARC 2")
        var block = arqc
        block[0] ^= arc[0]
        block[1] ^= arc[1]
        return try BlockCipher(.tripleDES, key: sessionKey).encrypt(block)
    }
}
