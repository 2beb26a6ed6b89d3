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
//   │   ├── DF02 … DF04, DF07    DF04/EF05 医保, EF08 medical log (cyclic)
//   │   ├── PINs                 social (00), query (01, some regions)
//   │   └── keys                 IRK, STK, UKSSSE (04), PUK (06), RKSSSE (0A)
//   └── DDF "1PAY.SYS.DDF01"
//       ├── EF SFI 1             directory record 70{61{4F, 50, 87}}
//       └── ADF A000000333010101 "PBOC DEBIT", bank PIN (80, ISO format 2)

import CardAPDU
public import CardImage
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
        let alg = algorithm
        let v3 = alg == .sm4

        // ATR: 3B 6D 00 00, then chip 00 81, COS "SSC", maker 86 60, the
        // first four digits of the region, the serial (ssc.md §1.7).
        let hist: [UInt8] = [0x00, 0x81, 0x53, 0x53, 0x43, 0x86, 0x60] + Self.bcd(String(region.prefix(4))) + holder.serial
        let atr = ATR(protocols: [.t0], historicalBytes: hist)

        // Card keys: the test issuer's masters diversified by city, then card.
        let f = SocialSecurityCrypto.factors(region: region, historicalBytes: hist)
        func cardKey(_ id: UInt8) -> [UInt8] {
            try! SocialSecurityCrypto.diversify(alg, key: TestIssuer.masterKey(id, alg), factors: [f.city, f.card])
        }
        // 卡识别码: region ‖ D156000005 ‖ serial ‖ an authentication code
        // "from an encryption of the other fields" [INFERRED: the first four
        // bytes of the IRK master's encryption of region ‖ serial].
        let regionBCD = Self.bcd(region)
        let authInput = Self.padded(regionBCD + holder.serial, alg.blockSize)
        let authCode = Array(
            try! BlockCipher(alg == .sm4 ? .sm4 : .tripleDES, key: TestIssuer.masterKey(PSAM.KeyID.irk, alg)).encrypt(authInput)
                .prefix(4))
        let cardID = regionBCD + SocialSecurity.rid + holder.serial + authCode

        var fs = FileSystem()
        let mf = FileSystem.mf
        var fci = TLVBuilder()
        fci.append(0x88, [0x1E])
        fci.append(0x9F0C, [0x86, 0x01, alg.rawValue])
        let ssse = fs.add(.df(DedicatedFile(fid: nil, name: SocialSecurity.ssseName, fciProprietary: fci.bytes)), label: "ssse", under: mf)

        let labels: [(UInt8, UInt16, String)] = [
            (0, 0xDF01, "公共应用信息区"), (1, 0xDF02, "就业与失业信息区"), (2, 0xDF03, "社会保险信息区1"),
            (3, 0xDF04, "社会保险信息区2"), (4, 0xDF07, "人事人才信息区"),
        ]
        let dir = labels.map { n, _, label -> [UInt8] in
            var b = TLVBuilder()
            b.appendConstructed(0x61) { t in
                t.append(0x4F, SocialSecurity.aid(n))
                t.append(0x50, Self.gbk(label))
            }
            return b.bytes
        }
        func recordEF(_ fid: UInt16, sfi: UInt8, _ records: [[UInt8]], read: AccessRule, update: AccessRule, tags: Bool = true, max: Int = 20) -> FileKind {
            .ef(ElementaryFile(
                fid: FileID(rawValue: fid), sfi: SFI(rawValue: sfi),
                content: .records(RecordFile(structure: .linearVariable, maxRecords: max, records: records, identifiedByTag: tags)),
                access: AccessRules(read: read, update: update), strictLe: tags))
        }
        let rk = AccessRule.key(SocialSecurity.readKey)
        let uk = AccessRule.key(SocialSecurity.updateKey)
        fs.add(recordEF(0x0001, sfi: 30, dir, read: .always, update: uk, tags: false), label: "ssse-dir", under: ssse)
        let expiry = String(Int(holder.issueDate.prefix(4))! + 10) + holder.issueDate.dropFirst(4)
        let ef05 = [
            Self.tlv(0x01, cardID),
            Self.tlv(0x02, [0x33]),
            Self.tlv(0x03, Array(specVersion.utf8)),
            Self.tlv(0x04, [0x91, 0x56, 0x00, 0x00, 0x02] + regionBCD + regionBCD + [0x01]),
            Self.tlv(0x05, Self.bcd(holder.issueDate)),
            Self.tlv(0x06, Self.bcd(expiry)),
            Self.tlv(0x07, Array(holder.cardNumber.utf8)),
        ]
        fs.add(recordEF(0xEF05, sfi: 5, ef05, read: .always, update: uk), label: "ef05", under: ssse)
        let ef06 = [
            Self.tlv(0x08, Array(holder.citizenID.utf8)),
            Self.tlv(0x09, Self.padded(Self.gbk(holder.name), 30)),
            Self.tlv(0x4E, [UInt8](repeating: 0, count: 20)),
            Self.tlv(0x0A, [UInt8(holder.sex.asciiValue!)]),
            Self.tlv(0x0B, [holder.nation]),
            Self.tlv(0x0C, Self.bcd(holder.birthplace)),
            Self.tlv(0x0D, Self.bcd(holder.birthDate)),
        ]
        fs.add(recordEF(0xEF06, sfi: 6, ef06, read: v3 ? rk : .always, update: uk), label: "ef06", under: ssse)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0xEF07), sfi: SFI(rawValue: 7), content: .transparent(TransparentFile(data: [UInt8](repeating: 0, count: 0x300))),
                access: AccessRules(read: rk, update: uk))), label: "ef07", under: ssse)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0xEF08), sfi: SFI(rawValue: 8), content: .transparent(TransparentFile(data: [UInt8](repeating: 0, count: 0x1000))),
                access: AccessRules(read: rk, update: uk))), label: "ef08", under: ssse)
        let pinOrRK = AccessRule.pinOrKey(pin: SocialSecurity.socialPIN, key: SocialSecurity.readKey)
        for (n, fid, _) in labels {
            let df = fs.add(.df(DedicatedFile(fid: FileID(rawValue: fid), name: SocialSecurity.aid(n))), label: "df\(String(fid, radix: 16).suffix(2))", under: ssse)
            switch fid {
            case 0xDF01:
                fs.add(recordEF(0xEF05, sfi: 5, [
                    Self.tlv(0x20, Array("10".utf8)),
                    Self.tlv(0x21, Self.padded(Self.gbk("人民路\(Int(holder.serial[0]) % 200 + 1)号"), 0x50)),
                    Self.tlv(0x0E, Self.bcd(region)),
                ], read: pinOrRK, update: uk), label: "df01-ef05", under: df)
            case 0xDF04:
                fs.add(recordEF(0xEF05, sfi: 5, [
                    Self.tlv(0x84, Self.bcd(region)),
                    Self.tlv(0x8B, Self.padded(Array(holder.citizenID.utf8), 0x1D)),
                ], read: pinOrRK, update: uk), label: "df04-ef05", under: df)
                fs.add(
                    .ef(ElementaryFile(
                        fid: FileID(rawValue: 0xEF08), sfi: SFI(rawValue: 8),
                        content: .records(RecordFile(structure: .cyclic, recordSize: 0x1C, maxRecords: 30)),
                        access: AccessRules(read: pinOrRK, update: .never, append: uk))), label: "df04-ef08", under: df)
            default:
                break
            }
        }

        // The bank environment: PSE, directory, debit ADF.
        var pseFCI = TLVBuilder()
        pseFCI.append(0x88, [0x01])
        pseFCI.append(0x5F2D, Array("zh".utf8))
        pseFCI.append(0x9F11, [0x01])
        let pse = fs.add(.df(DedicatedFile(fid: nil, name: Array("1PAY.SYS.DDF01".utf8), fciProprietary: pseFCI.bytes)), label: "pse", under: mf)
        var dirRecord = TLVBuilder()
        dirRecord.appendConstructed(0x70) { r in
            r.appendConstructed(0x61) { a in
                a.append(0x4F, PBOC.debitAID)
                a.append(0x50, Array("PBOC DEBIT".utf8))
                a.append(0x87, [0x01])
            }
        }
        fs.add(recordEF(0x0001, sfi: 1, [dirRecord.bytes], read: .always, update: .never, tags: false, max: 1), label: "pse-dir", under: pse)
        var adfFCI = TLVBuilder()
        adfFCI.append(0x50, Array("PBOC DEBIT".utf8))
        adfFCI.append(0x87, [0x01])
        adfFCI.append(0x9F38, [0x9F, 0x7A, 0x01, 0x9F, 0x02, 0x06, 0x5F, 0x2A, 0x02])
        adfFCI.append(0x5F2D, Array("zh".utf8))
        adfFCI.append(0x9F11, [0x01])
        adfFCI.append(0x9F12, Array("PBOC DEBIT".utf8))
        adfFCI.appendConstructed(0xBF0C) { $0.append(0x9F4D, [0x0B, 0x0A]) }
        let bank = fs.add(
            .df(DedicatedFile(fid: nil, name: PBOC.debitAID, fciProprietary: adfFCI.bytes, blockedAnswer: .fciWithWarning)),
            label: "pboc", under: pse)
        let bankData = BankData(holder: holder, sample: pbocSample)
        fs.add(recordEF(0x0101, sfi: 1, bankData.records, read: .always, update: .never, tags: false, max: 3), label: "pboc-sfi1", under: bank)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0x010B), sfi: SFI(rawValue: 11),
                content: .records(RecordFile(structure: .cyclic, recordSize: 45, maxRecords: 10)),
                access: AccessRules(read: .always, update: .never))), label: "pboc-log", under: bank)
        var objects = TLVBuilder()
        let dataObjects: [BERTag: [UInt8]] = [
            0x9F77: [0, 0, 0, 0x10, 0, 0],
            0x9F78: [0, 0, 0, 0, 0x10, 0], 0x9F6D: [0, 0, 0, 0, 0, 0], 0x9F5D: [0, 0, 0, 0, 0, 0], 0x9F68: [0x99, 0x00, 0xF0, 0x00],
            0x9F6B: [0, 0, 0, 0, 0, 0], 0x9F14: [0x00], 0x9F23: [0x00],
            0x9F4F: [0x9A, 0x03, 0x9F, 0x21, 0x03, 0x9F, 0x02, 0x06, 0x9F, 0x03, 0x06, 0x9F, 0x1A, 0x02, 0x5F, 0x2A, 0x02, 0x9F, 0x4E, 0x14, 0x9C, 0x01, 0x9F, 0x36, 0x02],
        ]
        for t in dataObjects.keys.sorted() { objects.append(t, dataObjects[t]!) }
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0x0AFE),
                content: .transparent(TransparentFile(data: PBOCCounters(activated: bankActivated, options: pbocOptions).bytes)),
                access: AccessRules(read: .never, update: .never))), label: PBOCDebit.countersLabel, under: bank)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0x0AFF), content: .transparent(TransparentFile(data: objects.bytes)),
                access: AccessRules(read: .never, update: .never))), label: PBOCDebit.dataLabel, under: bank)

        func digits(_ s: String) -> [UInt8] { s.compactMap(\.wholeNumberValue).map(UInt8.init) }
        var pins = [
            PINObject(
                label: "social", df: ssse, reference: SocialSecurity.socialPIN, digits: digits(socialPIN),
                counter: PINCounter(limit: socialPINLimit), policy: socialPINPolicy, mustChange: mustChange,
                changeAllowed: changeAllowed, minLength: 4, maxLength: 16),
        ]
        if queryPIN {
            pins.append(
                PINObject(
                    label: "query", df: ssse, reference: SocialSecurity.queryPIN, digits: digits(String(holder.cardNumber.suffix(6))),
                    counter: PINCounter(limit: socialPINLimit), policy: socialPINPolicy, minLength: 4, maxLength: 16))
        }
        let bankDigits: [UInt8]
        switch bankPIN {
        case .citizenIDDigits: bankDigits = digits(holder.citizenIDBankPIN)
        case .fixed(let p): bankDigits = digits(p)
        case .atActivation: bankDigits = []
        }
        let bankAlg = pbocOptions.algorithm
        let udkAC = try! PBOCCrypto.udk(imk: TestIssuer.imkAC, pan: bankData.pan, psn: 0x01, algorithm: bankAlg)
        let udkMAC = try! PBOCCrypto.udk(imk: TestIssuer.imkMAC, pan: bankData.pan, psn: 0x01, algorithm: bankAlg)
        let udkENC = try! PBOCCrypto.udk(imk: TestIssuer.imkENC, pan: bankData.pan, psn: 0x01, algorithm: bankAlg)
        pins.append(
            PINObject(
                label: "bank", df: bank, reference: 0x80, digits: bankDigits, format: .isoFormat2,
                counter: PINCounter(limit: bankPINLimit), policy: .consecutive, minLength: 4, maxLength: 12))

        let keys = [
            CardKey(label: "IRK", df: ssse, number: PSAM.KeyID.irk, usage: .internalAuthentication, algorithm: alg, value: cardKey(PSAM.KeyID.irk)),
            CardKey(label: "STK", df: ssse, number: PSAM.KeyID.stk, usage: .maintenance, algorithm: alg, value: cardKey(PSAM.KeyID.stk)),
            CardKey(label: "UKSSSE", df: ssse, number: SocialSecurity.updateKey, usage: .externalAuthentication, algorithm: alg, value: cardKey(PSAM.KeyID.ukSSSE)),
            CardKey(label: "PUK", df: ssse, number: SocialSecurity.reloadKey, usage: .externalAuthentication, algorithm: alg, value: cardKey(PSAM.KeyID.puk)),
            CardKey(label: "RKSSSE", df: ssse, number: SocialSecurity.readKey, usage: .externalAuthentication, algorithm: alg, value: cardKey(PSAM.KeyID.rkSSSE)),
            CardKey(label: "UDK-AC", df: bank, number: 0x01, usage: .applicationCryptogram, algorithm: bankAlg == .sm4 ? .sm4 : .des, value: udkAC),
            CardKey(label: "UDK-MAC", df: bank, number: 0x02, usage: .scriptMAC, algorithm: bankAlg == .sm4 ? .sm4 : .des, value: udkMAC),
            CardKey(label: "UDK-ENC", df: bank, number: 0x03, usage: .dataEncryption, algorithm: bankAlg == .sm4 ? .sm4 : .des, value: udkENC),
        ]
        return CardState(
            profile: name, atr: atr, answerMode: answerMode, files: fs, pins: pins.sorted { $0.label < $1.label },
            keys: keys.sorted { $0.label < $1.label })
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

/// A virtual PSAM holding the test issuer's master keys in a DES and an SM4 environment.
public enum VirtualPSAM {
    public static func state(terminalNumber: String = "510100000001") -> CardState {
        var fs = FileSystem(mf: DedicatedFile(fid: .mf, name: SocialSecurity.environmentName(.des)))
        var keys: [CardKey] = []
        for alg in [SocialSecurityAlgorithm.des, .sm4] {
            let env = alg == .des ? FileSystem.mf : fs.add(
                .df(DedicatedFile(fid: FileID(rawValue: 0xDDF3), name: SocialSecurity.environmentName(alg))), label: "env-sm4", under: FileSystem.mf)
            let suffix = alg == .des ? "des" : "sm4"
            fs.add(
                .ef(ElementaryFile(
                    fid: FileID(rawValue: 0x0015),
                    content: .transparent(TransparentFile(data: [0x01] + SocialSecurityProfile.bcd("5101000000000001") + [0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00])),
                    access: AccessRules(read: .always, update: .never))), label: "public-\(suffix)", under: env)
            fs.add(
                .ef(ElementaryFile(
                    fid: FileID(rawValue: 0x0016), sfi: SFI(rawValue: 0x16),
                    content: .transparent(TransparentFile(data: SocialSecurityProfile.bcd(terminalNumber))),
                    access: AccessRules(read: .always, update: .never))), label: "terminal-\(suffix)", under: env)
            let adf = fs.add(.df(DedicatedFile(fid: FileID(rawValue: 0xDF01), name: PSAM.aid)), label: "psam-\(suffix)", under: env)
            for id in TestIssuer.keyIDs {
                keys.append(
                    CardKey(
                        label: "master-\(suffix)-\(String(id, radix: 16, uppercase: true))", df: adf, number: id,
                        usage: .master, algorithm: alg, value: TestIssuer.masterKey(id, alg)))
            }
        }
        let atr = ATR(protocols: [.t0], historicalBytes: Array("SSCARD PSAM".utf8))
        return CardState(profile: "psam", atr: atr, answerMode: .direct, files: fs, pins: [], keys: keys.sorted { $0.label < $1.label })
    }
}

/// The bank counter: activating the bank account of a card (the back office
/// writes the card's activation flag, and the bank PIN where none was set).
public enum BankCounter {
    /// Whether the bank PIN is still unset, to be given at activation.
    public static func needsPIN(_ state: CardState) -> Bool {
        state.pins.first { $0.label == "bank" }?.digits.isEmpty == true
    }

    /// Activates the account; where the bank PIN is set at activation, sets
    /// it with its try counter at the limit. Nothing changes when it throws.
    /// - Throws: ``CardImageError`` when the card has no PBOC application,
    ///   or the PIN is missing or outside the PIN object's length range.
    public static func activate(_ state: inout CardState, pin: String?) throws(CardImageError) {
        guard let counters = state.files.index(ofLabel: PBOCDebit.countersLabel),
            case .transparent(let f)? = state.files[counters].ef?.content, var c = PBOCCounters(bytes: f.data),
            let bankPIN = state.pins.firstIndex(where: { $0.label == "bank" })
        else { throw CardImageError(.noBankApplication, field: "", "the card has no PBOC debit application") }
        var next = state
        if next.pins[bankPIN].digits.isEmpty {
            let object = next.pins[bankPIN]
            guard let pin else {
                throw CardImageError(.missingValue, field: "pins.bank", "the bank PIN is set at activation: give one")
            }
            let digits = pin.utf8.map { $0 &- 0x30 }
            guard digits.allSatisfy({ $0 <= 9 }), (object.minLength...object.maxLength).contains(digits.count) else {
                throw CardImageError(
                    .invalidValue, field: "pins.bank", "the bank PIN must have \(object.minLength)…\(object.maxLength) digits")
            }
            next.pins[bankPIN].digits = digits
            next.pins[bankPIN].counter.remaining = object.counter.limit
        }
        c.activated = true
        let bytes = c.bytes
        do {
            try next.files.updateEF(counters) { (ef: inout ElementaryFile) throws(CardStatusError) in
                ef.content = .transparent(TransparentFile(data: bytes))
            }
        } catch {
            throw CardImageError(.invalidValue, field: "pboc-counters", "cannot be written: \(error)")
        }
        state = next
    }
}
