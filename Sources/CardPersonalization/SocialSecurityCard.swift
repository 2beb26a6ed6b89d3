// SSCard — CardPersonalization
//
// Personalizes a financial social security card: the MF with the SSSE DDF
// (spec/ssc.md §1) and, alongside it, the PBOC environment `1PAY.SYS.DDF01`
// with the debit ADF and its own PIN.
//
//   MF 3F00
//   ├── DDF "sx1.sh.社会保障" (FCI 6F{84, A5{88 1E, 9F0C{86 alg}}})
//   │   ├── EF DIR (SFI 30)      61{4F AID, 50 label} per application
//   │   ├── EF05 (SFI 5)         issuer data, free read, UK update, strict Le
//   │   ├── EF06 (SFI 6)         holder data, free (2.00) or RK (3.00) read
//   │   ├── EF07 (SFI 7), EF08   fingerprint, photo: RK read
//   │   ├── DF01 D15600000500    公共应用: EF05 户籍 (PIN or RK)
//   │   ├── DF02 … DF04, DF07    DF04/EF05 医保, EF08 medical log (cyclic), the purse (EF 0002, DPK, DTK)
//   │   ├── PINs                 social (00), query (01, some regions)
//   │   └── keys                 IRK, STK, UKSSSE (04), PUK (06), RKSSSE (0A)
//   └── DDF "1PAY.SYS.DDF01"
//       ├── EF SFI 1             directory record 70{61{4F, 50, 87}}
//       └── ADF A000000333010101 "PBOC DEBIT", bank PIN (80, ISO format 2)

import CardAPDU
import CardImage
import CardCrypto
import CardFileSystem
public import CardRuntime
import CardTLV
public import CardStandards
import PSAMApplet
import SocialSecurityApplet
public import PBOCApplet

/// How the bank PIN is set at issuance (DESIGN.md profile table).
public enum BankPINRule: Hashable, Sendable {
    /// The last seven digits of the ID number without the final one.
    case citizenIDDigits
    case fixed(String)
    /// Not set until the bank activates the account.
    case atActivation
}

/// A regional profile of the financial social security card.
public struct SocialSecurityProfile: Sendable {
    public var name: String
    public var summary: String
    /// `"2.00"` (DES) or `"3.00"` (SM4).
    public var specVersion: String
    public var region: String
    public var answerMode: AnswerMode = .direct
    public var socialPIN = "123456"
    public var socialPINLimit: UInt8 = 6
    public var socialPINPolicy: PINPolicy = .consecutive
    public var mustChange = true
    public var changeAllowed = true
    /// A query PIN (reference 01) equal to the last six characters of the card number.
    public var queryPIN = false
    public var bankPIN: BankPINRule = .citizenIDDigits
    public var bankPINLimit: UInt8 = 3
    /// Whether the bank has activated the account ("at the bank counter").
    public var bankActivated = true
    /// The bank data of pboc.md §12 (16-digit PAN, ZHANG/SAN) instead of the
    /// cardholder's: what python-emv's emvtool can display.
    public var pbocSample = false
    public var pbocOptions = PBOCOptions()
    /// The medical purse's balance at issuance, in fen (DF04; generated test money).
    public var medicalPurseBalance: UInt32 = 50_000
    public var defaultSeed: UInt64 = 1

    public var algorithm: SocialSecurityAlgorithm { specVersion.hasPrefix("3") ? .sm4 : .des }
}

extension SocialSecurityProfile {
    /// BCD of a digit string (`"510100"` → `51 01 00`); the generated
    /// fields are digits, an odd count padded with `F`.
    static func bcd(_ digits: String) -> [UInt8] { BCD.encode(digits, odd: .padWithF) ?? [] }

    /// GBK of generated text (names and labels, all of them GBK characters).
    static func gbk(_ text: String) -> [UInt8] { GBK.encode(text) ?? [] }

    static func tlv(_ tag: UInt8, _ value: [UInt8]) -> [UInt8] { [tag, UInt8(value.count)] + value }

    static func hex(_ s: String) -> [UInt8] { try! Hex.decode(s) }

    static func padded(_ bytes: [UInt8], _ count: Int) -> [UInt8] {
        Array((bytes + [UInt8](repeating: 0, count: count)).prefix(count))
    }

    /// Builds the card.
    public func personalize(seed: UInt64) -> CardState {
        let holder = Cardholder.generate(seed: seed, region: region, digitsOnlyCardNumberTail: queryPIN)

        // ATR: 3B 6D 00 00, then chip 00 81, COS "SSC", maker 86 60, the
        // first four digits of the region, the serial (ssc.md §1.7).
        let hist: [UInt8] = [0x00, 0x81, 0x53, 0x53, 0x43, 0x86, 0x60] + Self.bcd(String(region.prefix(4))) + holder.serial
        let atr = ATR(protocols: [.t0], historicalBytes: hist)

        var fs = FileSystem()
        let social = socialSecurityEnvironment(&fs, holder: holder, historicalBytes: hist)
        let bank = bankEnvironment(&fs, holder: holder)
        return CardState(
            profile: name, atr: atr, answerMode: answerMode, files: fs,
            pins: (social.pins + [bank.pin]).sorted { $0.label < $1.label },
            keys: (social.keys + bank.keys).sorted { $0.label < $1.label })
    }

    /// Which PSAM key identifier a card key number is diversified from.
    public static let psamKeyID: [UInt8: UInt8] = [
        SocialSecurity.updateKey: PSAM.KeyID.ukSSSE,
        SocialSecurity.reloadKey: PSAM.KeyID.puk,
        SocialSecurity.readKey: PSAM.KeyID.rkSSSE,
    ]
}

/// The AFL records of the debit application (SFI 1, records 1–3; pboc.md §5 and §12).
struct BankData {
    var pan: String
    var records: [[UInt8]]

    init(holder: Cardholder, sample: Bool) {
        let pan = sample ? "6212340000000007" : holder.bankPAN
        let name = sample ? "ZHANG/SAN" : holder.latinName
        let id = sample ? "110101199001011234" : holder.citizenID
        let issueYear = Int(holder.issueDate.prefix(4))!
        let expiry = sample ? "301231" : String(format2: (issueYear + 10) % 100) + String(Array(holder.issueDate)[4..<8])
        let effective = sample ? "200101" : String(holder.issueDate.dropFirst(2))
        self.pan = pan
        func bcd(_ digits: String) -> [UInt8] { SocialSecurityProfile.bcd(digits) }
        func record(_ body: (inout TLVBuilder) -> Void) -> [UInt8] {
            var b = TLVBuilder()
            b.appendConstructed(0x70, body)
            return b.bytes
        }
        let cdol1 = SocialSecurityProfile.hex("9F02069F03069F1A0295055F2A029A039C019F37049F21039F4E14")
        records = [
            record { r in
                r.append(0x57, bcd(pan + "D" + expiry.prefix(4) + "220" + "0000000000"))
                r.append(0x5F20, Array(name.utf8))
                r.append(0x9F61, Array(id.utf8))
                r.append(0x9F62, [0x00])
            },
            record { r in
                r.append(0x5A, bcd(pan))
                r.append(0x5F24, bcd(expiry))
                r.append(0x5F25, bcd(effective))
                r.append(0x5F28, [0x01, 0x56])
                r.append(0x5F34, [0x01])
                r.append(0x9F07, [0xAB, 0x00])
                r.append(0x8E, SocialSecurityProfile.hex("0000000000000000420341031E031F00"))
                r.append(0x9F0D, SocialSecurityProfile.hex("D86004A800"))
                r.append(0x9F0E, SocialSecurityProfile.hex("0010980000"))
                r.append(0x9F0F, SocialSecurityProfile.hex("D86804F800"))
            },
            record { r in
                r.append(0x8C, cdol1)
                r.append(0x8D, [0x8A, 0x02] + cdol1)
                r.append(0x9F08, [0x00, 0x30])
                r.append(0x5F30, [0x02, 0x20])
                r.append(0x9F42, [0x01, 0x56])
                r.append(0x9F44, [0x02])
                r.append(0x9F14, [0x00])
                r.append(0x9F23, [0x00])
            },
        ]
    }
}

extension String {
    init(format2 n: Int) { self = pad2(n) }
}
