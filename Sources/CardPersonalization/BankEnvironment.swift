// SSCard — CardPersonalization
//
// The bank environment of a financial social security card (spec/pboc.md):
// the payment system environment `1PAY.SYS.DDF01` with its directory, the
// PBOC debit ADF with its records, log, counters and data objects, the bank
// PIN, and the card's unique keys derived from the test issuer's masters.

import CardAPDU
import CardCrypto
import CardFileSystem
import CardRuntime
import CardStandards
import CardTLV
import PBOCApplet

/// What the bank environment adds to a card.
struct BankEnvironment {
    var pin: PINObject
    var keys: [CardKey]
}

extension SocialSecurityProfile {
    /// Adds the PSE and the debit ADF to `fs` under the MF for `holder`.
    func bankEnvironment(_ fs: inout FileSystem, holder: Cardholder) -> BankEnvironment {
        let mf = FileSystem.mf
        // The bank environment: PSE, directory, debit ADF.
        var pseFCI = TLVBuilder()
        pseFCI.append(0x88, [0x01])
        pseFCI.append(0x5F2D, Array("zh".utf8))
        pseFCI.append(0x9F11, [0x01])
        let pse = fs.add(.df(DedicatedFile(fid: nil, name: PBOC.pseName, fciProprietary: pseFCI.bytes)), label: "pse", under: mf)
        var dirRecord = TLVBuilder()
        dirRecord.appendConstructed(0x70) { r in
            r.appendConstructed(0x61) { a in
                a.append(0x4F, PBOC.debitAID)
                a.append(0x50, Array("PBOC DEBIT".utf8))
                a.append(0x87, [0x01])
            }
        }
        fs.add(Self.recordEF(0x0001, sfi: 1, [dirRecord.bytes], read: .always, update: .never, tags: false, max: 1), label: "pse-dir", under: pse)
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
        fs.add(Self.recordEF(0x0101, sfi: 1, bankData.records, read: .always, update: .never, tags: false, max: 3), label: "pboc-sfi1", under: bank)
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
        let pin = (
            PINObject(
                label: "bank", df: bank, reference: PBOC.plaintextPIN, digits: bankDigits, format: .isoFormat2,
                counter: PINCounter(limit: bankPINLimit), policy: .consecutive, minLength: 4, maxLength: 12))

        let keys = [
            CardKey(label: "UDK-AC", df: bank, number: 0x01, usage: .applicationCryptogram, algorithm: bankAlg == .sm4 ? .sm4 : .des, value: udkAC),
            CardKey(label: "UDK-MAC", df: bank, number: 0x02, usage: .scriptMAC, algorithm: bankAlg == .sm4 ? .sm4 : .des, value: udkMAC),
            CardKey(label: "UDK-ENC", df: bank, number: 0x03, usage: .dataEncryption, algorithm: bankAlg == .sm4 ? .sm4 : .des, value: udkENC),
        ]
        return BankEnvironment(pin: pin, keys: keys)
    }
}
