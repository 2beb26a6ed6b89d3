// SSCard — CardPersonalization
//
// The issuer master keys of every built-in profile: test keys, published
// here, never used on a real card. Card keys are diversified from them with
// the card's own factors (region, ATR historical bytes), and the virtual
// PSAM holds them, so terminal and card agree without sharing card keys.

public import CardCrypto
import PSAMApplet

public enum TestIssuer {
    /// A master key by PSAM key identifier: deterministic test material.
    public static func masterKey(_ id: UInt8, _ algorithm: SocialSecurityAlgorithm) -> [UInt8] {
        let salt: UInt8 = algorithm == .sm4 ? 0x5A : 0xA5
        return (0..<16).map { i in UInt8(truncatingIfNeeded: Int(id) &* 29 &+ i &* 17) ^ salt }
    }

    /// The key identifiers the PSAM holds.
    public static let keyIDs: [UInt8] = [
        PSAM.KeyID.irk, PSAM.KeyID.stk, PSAM.KeyID.rkSSSE, PSAM.KeyID.puk, PSAM.KeyID.ukSSSE,
    ]
}
