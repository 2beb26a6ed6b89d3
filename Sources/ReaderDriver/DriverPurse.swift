// SSCard — ReaderDriver
//
// iDoDebit and iReadDebitRecord (reader-api.md §3.4) over DF04's medical
// purse, and iWriteCard. The outputs' fields are [UNSURE] — no source
// gives them — and chosen here:
//
//   iDoDebit          扣款金额|扣款后余额|脱机交易序号|终端机编号|终端交易序号|交易时间|TAC|MAC2|
//   iReadDebitRecord  脱机交易序号|交易金额|交易类型|终端机编号|交易时间|账单总额|   (the newest record)
//
// Amounts in yuan (`12.34`), the ATC 4 and the serial 8 hex digits, times
// `YYYYMMDDhhmmss`, the terminal number its 12 digits.

import BackOffice
import CardAPDU
import CardStandards
import Terminal

/// `pPayInfo` (§2.7): `扣款金额|总金额|YYYYMMDDhhmmss|` [UNSURE: the two
/// amounts' meaning; SSCard debits the first and logs the second].
struct PayInfo {
    var amount: UInt32
    var billTotal: UInt32
    var dateTime: [UInt8]

    static func parse(_ text: String?) throws(DriverFailure) -> PayInfo {
        func bad(_ why: String) -> DriverFailure { DriverFailure(-23, "传入数据不合法 (pPayInfo 扣款金额|总金额|YYYYMMDDhhmmss|: \(why))") }
        guard let text, text.utf8.count <= 200 else { throw bad("missing or too long") }
        let f = VirtualHSM.fields(text)
        guard f.count == 3, text.hasSuffix("|") else { throw bad("three fields, each ending in |") }
        guard let amount = yuan(f[0]), amount > 0 else { throw bad("\"\(f[0])\" is not an amount above 0 with at most 2 decimals") }
        guard let total = yuan(f[1]) else { throw bad("\"\(f[1])\" is not an amount with at most 2 decimals") }
        let d = Array(f[2].utf8).map { Int($0) - 48 }
        guard d.count == 14, d.allSatisfy({ (0...9).contains($0) }) else { throw bad("\"\(f[2])\" is not 14 digits") }
        func n(_ i: Int) -> Int { d[i] * 10 + d[i + 1] }
        guard (1...12).contains(n(4)), (1...31).contains(n(6)), n(8) < 24, n(10) < 60, n(12) < 60 else { throw bad("\"\(f[2])\" is not a date and time") }
        return PayInfo(amount: amount, billTotal: total, dateTime: BCD.encode(f[2], odd: .padWithF) ?? [])
    }

    /// `12.34` → 1234 fen (the platform's amounts, as Money reads them, without a sign); `nil` for anything else.
    static func yuan(_ s: String) -> UInt32? {
        guard !s.hasPrefix("-"), let m = Money(yuan: s), m.fen <= Int(UInt32.max) else { return nil }
        return UInt32(m.fen)
    }
}

extension ReaderDriver {
    static func yuanText(_ fen: UInt32) -> String { Money(fen: Int(fen)).description }

    static func debitOutput(_ d: PurseDebit) -> String {
        [yuanText(d.amount), yuanText(d.balance), Hex.encode(MedicalPurse.bigEndian(UInt32(d.offlineATC), 2)), Hex.encode(d.terminal),
         Hex.encode(d.terminalSerial), Hex.encode(d.dateTime), Hex.encode(d.tac), Hex.encode(d.mac2)].joined(separator: "|") + "|"
    }

    /// `iDoDebit`: the purse debited through the PSAM (MAC1, MAC2 checked);
    /// a lost answer is settled by the card's proof, never by a second debit.
    public func doDebit(iType: Int, cardInfo: String?, payInfo: String?) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            let expected = try Self.cardInfo(cardInfo)
            let pay = try PayInfo.parse(payInfo)
            var refusal: DriverFailure?
            let debit = try withTerminal(&s, iType: iType) { t throws(TerminalError) -> PurseDebit? in
                guard try Self.checkCard(t, expected) else { refusal = DriverFailure(-22); return nil }
                return try t.purchase(amount: pay.amount, billTotal: pay.billTotal, dateTime: pay.dateTime)
            }
            guard let debit else { throw refusal ?? DriverFailure(-22) }
            return Self.debitOutput(debit)
        }
    }

    /// `iReadDebitRecord`: the purse log's newest record, read after the
    /// external authentication (RKSSSE through the PSAM) in DF04.
    public func readDebitRecord(iType: Int) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            let record = try withTerminal(&s, iType: iType) { t throws(TerminalError) in try t.lastPurseRecord() }
            guard let r = record else { throw DriverFailure(-27267, "记录未找到 (the purse has no debit yet)") }
            return [Hex.encode(MedicalPurse.bigEndian(UInt32(r.offlineATC), 2)), Self.yuanText(r.amount), Hex.encode([r.type]), Hex.encode(r.terminal),
                    Hex.encode(r.dateTime), Self.yuanText(r.billTotal)].joined(separator: "|") + "|"
        }
    }

    /// `iWriteCard`: `pWriteData` written after the external authentication
    /// with UKSSSE (key 04, through the PSAM) in each DF written; the card
    /// must be the one `pCardInfo` names.
    public func writeCard(iType: Int, cardInfo: String?, fileAddress: String?, writeData: String?) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            let expected = try Self.cardInfo(cardInfo)
            let groups = try FileGroup.parse(fileAddress)
            let writes = try FileWrite.parse(writeData, matching: groups)
            var mismatch = false
            try withTerminal(&s, iType: iType) { t throws(TerminalError) in
                guard try Self.checkCard(t, expected) else { mismatch = true; return }
                var authenticatedIn: UInt16?? = .none
                for w in writes {
                    if authenticatedIn != .some(w.group.df) {
                        try t.selectSSSE()
                        if let df = w.group.df { try t.selectDF(df) }
                        try t.externalAuthenticate(number: SocialSecurity.updateKey, keyID: PSAM.KeyID.ukSSSE)
                        authenticatedIn = .some(w.group.df)
                    }
                    try t.writeFileHere(ef: w.group.ef, label: w.group.label, records: w.records, content: w.content)
                }
            }
            if mismatch { throw DriverFailure(-22) }
            return ""
        }
    }
}
