// SSCard — CardPersonalization
//
// The issuer master keys of every built-in profile: test keys, published
// here, never used on a real card. Card keys are diversified from them with
// the card's own factors (region, ATR historical bytes), and the virtual
// PSAM holds them, so terminal and card agree without sharing card keys.

public import CardStandards
import CardCrypto
import PSAMApplet

public enum TestIssuer {
    /// A master key by PSAM key identifier: deterministic test material.
    public static func masterKey(_ id: UInt8, _ algorithm: SocialSecurityAlgorithm) -> [UInt8] {
        let salt: UInt8 = algorithm == .sm4 ? 0x5A : 0xA5
        return (0..<16).map { i in UInt8(truncatingIfNeeded: Int(id) &* 29 &+ i &* 17) ^ salt }
    }

    /// The bank's issuer master keys (the public ones of pboc.md §8.1 and §12).
    public static let imkAC: [UInt8] = [0xF0, 0xC3, 0x4A, 0x81, 0x24, 0xCE, 0xE0, 0xA9, 0x1A, 0x0B, 0x03, 0x4A, 0xA9, 0x7D, 0x6E, 0xAC]
    public static let imkMAC: [UInt8] = [0x12, 0xB1, 0xAC, 0x4A, 0xF0, 0x70, 0xCC, 0x35, 0x61, 0x2B, 0xFE, 0x2D, 0x30, 0xAB, 0x60, 0x0D]
    public static let imkENC: [UInt8] = [0xD3, 0x0F, 0x45, 0xEA, 0xBC, 0x12, 0xAC, 0x3E, 0xF5, 0x6B, 0x0C, 0x0D, 0x7F, 0x86, 0x54, 0xDE]

    /// The key identifiers the PSAM holds.
    public static let keyIDs: [UInt8] = [
        PSAM.KeyID.irk, PSAM.KeyID.stk, PSAM.KeyID.rkSSSE, PSAM.KeyID.puk, PSAM.KeyID.ukSSSE, PSAM.KeyID.dpk, PSAM.KeyID.dtk,
    ]
}
