// SSCard — CardPersonalization
//
// The social-security environment of a financial social security card
// (spec/ssc.md §1): the SSSE DDF `sx1.sh.社会保障` with EF DIR, EF05–EF08,
// DF01–DF04 and DF07, the social and query PINs, and the card keys
// diversified from the test issuer's masters.

import CardAPDU
import CardCrypto
import CardFileSystem
import CardRuntime
import CardStandards
import CardTLV
import SocialSecurityApplet

/// What the social-security environment adds to a card.
struct SocialSecurityEnvironment {
    var ssse: NodeIndex
    var pins: [PINObject]
    var keys: [CardKey]
}

extension SocialSecurityProfile {
    static func recordEF(_ fid: UInt16, sfi: UInt8, _ records: [[UInt8]], read: AccessRule, update: AccessRule, tags: Bool = true, max: Int = 20) -> FileKind {
        .ef(ElementaryFile(
            fid: FileID(rawValue: fid), sfi: SFI(rawValue: sfi),
            content: .records(RecordFile(structure: .linearVariable, maxRecords: max, records: records, identifiedByTag: tags)),
            access: AccessRules(read: read, update: update), strictLe: tags))
    }

    /// Adds the SSSE to `fs` under the MF for `holder`, whose card carries `hist` as ATR historical bytes.
    func socialSecurityEnvironment(_ fs: inout FileSystem, holder: Cardholder, historicalBytes hist: [UInt8]) -> SocialSecurityEnvironment {
        let alg = algorithm
        let v3 = alg == .sm4
        let mf = FileSystem.mf
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
        let rk = AccessRule.key(SocialSecurity.readKey)
        let uk = AccessRule.key(SocialSecurity.updateKey)
        fs.add(Self.recordEF(0x0001, sfi: 30, dir, read: .always, update: uk, tags: false), label: "ssse-dir", under: ssse)
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
        fs.add(Self.recordEF(0xEF05, sfi: 5, ef05, read: .always, update: uk), label: "ef05", under: ssse)
        let ef06 = [
            Self.tlv(0x08, Array(holder.citizenID.utf8)),
            Self.tlv(0x09, Self.padded(Self.gbk(holder.name), 30)),
            Self.tlv(0x4E, [UInt8](repeating: 0, count: 20)),
            Self.tlv(0x0A, [UInt8(holder.sex.asciiValue!)]),
            Self.tlv(0x0B, [holder.nation]),
            Self.tlv(0x0C, Self.bcd(holder.birthplace)),
            Self.tlv(0x0D, Self.bcd(holder.birthDate)),
        ]
        fs.add(Self.recordEF(0xEF06, sfi: 6, ef06, read: v3 ? rk : .always, update: uk), label: "ef06", under: ssse)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0xEF07), sfi: SFI(rawValue: 7), content: .transparent(TransparentFile(data: [UInt8](repeating: 0, count: 0x300))),
                access: AccessRules(read: rk, update: uk))), label: "ef07", under: ssse)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0xEF08), sfi: SFI(rawValue: 8), content: .transparent(TransparentFile(data: [UInt8](repeating: 0, count: 0x1000))),
                access: AccessRules(read: rk, update: uk))), label: "ef08", under: ssse)
        let pinOrRK = AccessRule.pinOrKey(pin: SocialSecurity.socialPIN, key: SocialSecurity.readKey)
        var purseKeys: [CardKey] = []
        for (n, fid, _) in labels {
            let df = fs.add(.df(DedicatedFile(fid: FileID(rawValue: fid), name: SocialSecurity.aid(n))), label: "df\(String(fid, radix: 16).suffix(2))", under: ssse)
            switch fid {
            case 0xDF01:
                fs.add(Self.recordEF(0xEF05, sfi: 5, [
                    Self.tlv(0x20, Array("10".utf8)),
                    Self.tlv(0x21, Self.padded(Self.gbk("人民路\(Int(holder.serial[0]) % 200 + 1)号"), 0x50)),
                    Self.tlv(0x0E, Self.bcd(region)),
                ], read: pinOrRK, update: uk), label: "df01-ef05", under: df)
            case 0xDF04:
                fs.add(Self.recordEF(0xEF05, sfi: 5, [
                    Self.tlv(0x84, Self.bcd(region)),
                    Self.tlv(0x8B, Self.padded(Array(holder.citizenID.utf8), 0x1D)),
                ], read: pinOrRK, update: uk), label: "df04-ef05", under: df)
                fs.add(
                    .ef(ElementaryFile(
                        fid: FileID(rawValue: 0xEF08), sfi: SFI(rawValue: 8),
                        content: .records(RecordFile(structure: .cyclic, recordSize: 0x1C, maxRecords: 30)),
                        access: AccessRules(read: pinOrRK, update: .never, append: uk))), label: "df04-ef08", under: df)
                // The medical purse (MedicalPurse.swift): internal, never read.
                fs.add(
                    .ef(ElementaryFile(
                        fid: MedicalPurseRecord.fid,
                        content: .transparent(TransparentFile(data: MedicalPurseRecord(balance: medicalPurseBalance).bytes)),
                        access: AccessRules(read: .never, update: .never))), label: "df04-purse", under: df)
                purseKeys = [
                    CardKey(label: "DPK", df: df, number: SocialSecurity.purchaseKeyIndex, usage: .purchase, algorithm: alg, value: cardKey(PSAM.KeyID.dpk)),
                    CardKey(label: "DTK", df: df, number: 0x02, usage: .transactionAuthentication, algorithm: alg, value: cardKey(PSAM.KeyID.dtk)),
                ]
            default:
                break
            }
        }

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
        let keys = [
            CardKey(label: "IRK", df: ssse, number: PSAM.KeyID.irk, usage: .internalAuthentication, algorithm: alg, value: cardKey(PSAM.KeyID.irk)),
            CardKey(label: "STK", df: ssse, number: PSAM.KeyID.stk, usage: .maintenance, algorithm: alg, value: cardKey(PSAM.KeyID.stk)),
            CardKey(label: "UKSSSE", df: ssse, number: SocialSecurity.updateKey, usage: .externalAuthentication, algorithm: alg, value: cardKey(PSAM.KeyID.ukSSSE)),
            CardKey(label: "PUK", df: ssse, number: SocialSecurity.reloadKey, usage: .externalAuthentication, algorithm: alg, value: cardKey(PSAM.KeyID.puk)),
            CardKey(label: "RKSSSE", df: ssse, number: SocialSecurity.readKey, usage: .externalAuthentication, algorithm: alg, value: cardKey(PSAM.KeyID.rkSSSE)),
        ] + purseKeys
        return SocialSecurityEnvironment(ssse: ssse, pins: pins, keys: keys)
    }
}
