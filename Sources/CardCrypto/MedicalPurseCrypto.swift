// SSCard — CardCrypto
//
// The medical purse's computations (DF04, spec/ssc.md §2.1), shared by the
// card, the PSAM and the virtual HSM [INFERRED: the PBOC electronic purse's,
// JR/T 0025]: the purchase session key is the purchase key's (DPK) session
// key of random ‖ offline ATC ‖ the terminal serial's last two bytes; MAC1
// covers amount ‖ type ‖ terminal number ‖ date ‖ time, MAC2 the amount; the
// TAC is the MAC under the TAC key (DTK; for DES its halves XORed) over
// amount ‖ type ‖ terminal number ‖ terminal serial ‖ date ‖ time.

public import CardStandards

/// The computations card, PSAM and HSM share.
public enum MedicalPurseCrypto {
    /// The purchase session key: DPK's session key of random ‖ ATC ‖ serial[2..<4].
    public static func sessionKey(
        _ algorithm: SocialSecurityAlgorithm, purchaseKey: [UInt8], random: [UInt8], atc: UInt16, terminalSerial: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        try SocialSecurityCrypto.sessionKey(
            algorithm, key: purchaseKey, random: random + MedicalPurse.bigEndian(UInt32(atc), 2) + terminalSerial.suffix(2))
    }

    /// MAC1: amount ‖ type ‖ terminal number ‖ date ‖ time.
    public static func mac1(
        _ algorithm: SocialSecurityAlgorithm, sessionKey: [UInt8], amount: UInt32, terminal: [UInt8], dateTime: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        try SocialSecurityCrypto.mac(
            algorithm, sessionKey: sessionKey,
            data: MedicalPurse.bigEndian(amount, 4) + [MedicalPurse.purchaseType] + terminal + dateTime)
    }

    /// MAC2: the amount.
    public static func mac2(_ algorithm: SocialSecurityAlgorithm, sessionKey: [UInt8], amount: UInt32) throws(CryptoError) -> [UInt8] {
        try SocialSecurityCrypto.mac(algorithm, sessionKey: sessionKey, data: MedicalPurse.bigEndian(amount, 4))
    }

    /// The TAC under DTK (for DES, its two halves XORed into one key).
    public static func tac(
        _ algorithm: SocialSecurityAlgorithm, tacKey: [UInt8], amount: UInt32, terminal: [UInt8], terminalSerial: [UInt8], dateTime: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        let key = algorithm.blockSize == 8 ? (0..<8).map { tacKey[$0] ^ tacKey[$0 + 8] } : tacKey
        return try SocialSecurityCrypto.mac(
            algorithm, sessionKey: key,
            data: MedicalPurse.bigEndian(amount, 4) + [MedicalPurse.purchaseType] + terminal + terminalSerial + dateTime)
    }
}
