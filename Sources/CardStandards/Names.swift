// SSCard — CardStandards
//
// The names and numbers both sides of the card use: the social-security
// environment and its applications (spec/ssc.md §1), the PSAM (§3.4), the
// PBOC payment system environment and AIDs (spec/pboc.md §2). The card side
// personalizes with them, the terminal side selects with them.

/// The algorithm identifier of the SSSE FCI (`9F0C { 86 xx }`).
public enum SocialSecurityAlgorithm: UInt8, Hashable, Sendable, CaseIterable {
    case des = 0x01
    case ssf33 = 0x02
    case sm4 = 0x03

    /// The block size of the session computations.
    public var blockSize: Int { self == .des ? 8 : 16 }

    /// `DES`, `SSF33`, `SM4`.
    public var name: String {
        switch self {
        case .des: "DES"
        case .ssf33: "SSF33"
        case .sm4: "SM4"
        }
    }
}

/// Fixed names and numbers of the social-security application.
public enum SocialSecurity {
    /// `sx1.sh.社会保障`: ASCII `sx1.sh.` and GBK `社会保障`.
    public static let ssseName: [UInt8] = environmentName(.des)
    /// The RID of the SSSE applications, `D1 56 00 00 05`.
    public static let rid: [UInt8] = [0xD1, 0x56, 0x00, 0x00, 0x05]
    /// DF01–DF04 and DF07: `D15600000500` … `D15600000504`.
    public static func aid(_ n: UInt8) -> [UInt8] { rid + [n] }

    /// The environment name of an algorithm: `sx1.sh.社会保障` (DES, the card's
    /// SSSE), `sx2…` (SSF33), `sx3…` (SM4); a PSAM has one environment per algorithm.
    public static func environmentName(_ algorithm: SocialSecurityAlgorithm) -> [UInt8] {
        [0x73, 0x78, 0x30 + algorithm.rawValue, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF]
    }

    /// External-authentication key numbers (EXTERNAL AUTHENTICATE P2) [INFERRED mapping, ssc.md §3.1].
    public static let updateKey: UInt8 = 0x04  // UKSSSE
    public static let reloadKey: UInt8 = 0x06  // PUK: PIN reload and unblock
    public static let readKey: UInt8 = 0x0A  // RKSSSE
    /// The medical purse's purchase key index (INITIALIZE FOR PURCHASE's first byte) [INFERRED].
    public static let purchaseKeyIndex: UInt8 = 0x01
    /// The social PIN's reference (VERIFY P2).
    public static let socialPIN: UInt8 = 0x00
    /// The query PIN's reference, where a profile has one.
    public static let queryPIN: UInt8 = 0x01
}

/// The medical offline purse of DF04 (spec/ssc.md §2.1): its numbers as
/// card, PSAM, terminal and HSM write them.
public enum MedicalPurse {
    /// The transaction type of a purchase in the log and the MACs [INFERRED: PBOC's 06].
    public static let purchaseType: UInt8 = 0x06

    /// Big-endian bytes as a number (at most 4 of them).
    public static func integer(_ bytes: some Collection<UInt8>) -> UInt32 { bytes.reduce(0) { $0 << 8 | UInt32($1) } }

    /// `v` as `n` big-endian bytes (amounts are 4 bytes in fen, ATCs 2).
    public static func bigEndian(_ v: UInt32, _ n: Int) -> [UInt8] {
        (0..<n).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
    }
}

/// The terminal's security module for the social-security card.
public enum PSAM {
    /// The PSAM application's AID.
    public static let aid: [UInt8] = SocialSecurity.rid + [0x90]

    /// Key identifiers (标识) of the HSM/PSAM key table (SC-RW appendix B).
    public enum KeyID {
        public static let irk: UInt8 = 0x08
        public static let stk: UInt8 = 0x09
        public static let rkSSSE: UInt8 = 0x0A
        public static let puk: UInt8 = 0x10
        public static let ukSSSE: UInt8 = 0x12
        /// The medical purse's purchase and TAC keys [INFERRED: SC-RW
        /// appendix B as quoted has no purse keys; these identifiers are SSCard's].
        public static let dpk: UInt8 = 0x3A
        public static let dtk: UInt8 = 0x3B

        /// The HSM's key address of an identifier (SC-RW appendix B, the
        /// first version): `0170` IRK … `0094` UKSSSE; the purse keys' [INFERRED].
        public static func address(_ id: UInt8) -> UInt16? {
            switch id {
            case irk: 0x0170
            case stk: 0x0173
            case rkSSSE: 0x004C
            case puk: 0x0090
            case ukSSSE: 0x0094
            case dpk: 0x01A0
            case dtk: 0x01A3
            default: nil
            }
        }
    }
}

/// The PBOC payment system environment and applications.
public enum PBOC {
    /// The payment system environment's DF name, `1PAY.SYS.DDF01`.
    public static let pseName: [UInt8] = Array("1PAY.SYS.DDF01".utf8)
    /// The debit application, `A000000333010101`.
    public static let debitAID: [UInt8] = [0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01]
    /// Credit (`…02`) and quasi-credit (`…03`).
    public static let creditAID: [UInt8] = [0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02]
    public static let quasiCreditAID: [UInt8] = [0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x03]
    /// The AIDs a terminal tries when there is no PSE, in order.
    public static let knownAIDs: [[UInt8]] = [debitAID, creditAID, quasiCreditAID]
    /// The offline PIN's reference (VERIFY P2 `80`: plaintext PIN).
    public static let plaintextPIN: UInt8 = 0x80
}

/// The type of an application cryptogram (EMV's CID b8–b7; GENERATE AC P1).
public enum CryptogramType: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Application authentication cryptogram: declined.
    case aac = 0x00
    /// Transaction certificate: approved.
    case tc = 0x40
    /// Authorization request cryptogram: go online.
    case arqc = 0x80

    /// The type a cryptogram information data byte (`9F27`) names; `nil` for `C0` (reserved).
    public init?(cid: UInt8) { self.init(rawValue: cid & 0xC0) }

    public var description: String {
        switch self {
        case .aac: "AAC"
        case .tc: "TC"
        case .arqc: "ARQC"
        }
    }
}
