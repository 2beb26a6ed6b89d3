// SSCard — ReaderDriver
//
// The HSM (加密机) step chains of reader-api.md §3.3, for callers whose
// reader has no PSAM (the driver answers −2201 to the plain functions then):
// Step1 talks to the card and hands the caller the randoms an HSM needs;
// the caller's HSM (VirtualHSM here) answers a `pKey`; Step2 (and Step3)
// finish on the card. Between the steps the card stays powered and held —
// its challenge is what the HSM computed over — and any other call, or an
// error, closes it.

import CardAPDU
import CardCommands
import CardStandards
import CardTransport
import Terminal

/// A chain between its steps.
struct HSMChain {
    var terminal: SocialTerminal
    var card: any CardTransport
    var step: Step

    enum Step {
        /// iReadCardBas: EF05 read, the card's IA answer kept for the HSM's.
        case readCardBas(issuer: SocialCardInfo, internalAuthentication: [UInt8], externalAuthentication: Bool)
        /// iReadCard / iWriteCard: the files, in one DF selected now.
        case readCard(groups: [FileGroup])
        case writeCard(groups: [FileGroup])
        /// iReloadPIN / iUnblockPIN: awaiting the external authentication (Step2), then the `8424` data (Step3).
        case pinAuthentication(reload: Bool)
        case pinCommand(header: [UInt8])
        /// iDoDebit: INITIALIZE FOR PURCHASE done.
        case debit(PurseInitialization, amount: UInt32, billTotal: UInt32, terminal: [UInt8], dateTime: [UInt8])
    }

    func close() {
        card.endTransaction()
        card.disconnect()
    }
}

extension ReaderDriver {
    /// A Step1: the card opened and held, `body` run; on success the chain
    /// waits with the step `body` gives, on failure the card is closed.
    func beginChain(
        _ s: inout DriverState, iType: Int, _ body: (SocialTerminal) throws(DriverFailure) -> (HSMChain.Step, String)
    ) throws(DriverFailure) -> String {
        try checkType(iType)
        let (terminal, card) = try openTerminal(&s)
        do throws(TransportError) {
            try card.beginTransaction()
        } catch {
            card.disconnect()
            throw Self.failure(.transport(error, step: "open the reader"))
        }
        do {
            let (step, out) = try body(terminal)
            s.chain = HSMChain(terminal: terminal, card: card, step: step)
            return out
        } catch {
            card.endTransaction()
            card.disconnect()
            throw error
        }
    }

    /// A later step: the waiting chain, `body` run; the chain goes on with
    /// the step `body` gives, or ends (the card closed) with `nil` or an error.
    func continueChain(
        _ s: inout DriverState, _ function: String, _ body: (SocialTerminal, HSMChain.Step) throws(DriverFailure) -> (HSMChain.Step?, String)
    ) throws(DriverFailure) -> String {
        guard let chain = s.chain else { throw Self.noChain(function) }
        s.chain = nil
        do {
            let (next, out) = try body(chain.terminal, chain.step)
            if let next {
                s.chain = HSMChain(terminal: chain.terminal, card: chain.card, step: next)
            } else {
                chain.close()
            }
            return out
        } catch {
            chain.close()
            throw error
        }
    }

    static func noChain(_ function: String) -> DriverFailure {
        DriverFailure(-12, "未建立连接 (\(function): call its Step1 first)")
    }

    static func wrongStep(_ function: String) -> DriverFailure {
        DriverFailure(-12, "未建立连接 (\(function) does not follow the Step1 that is waiting)")
    }

    /// `pKey`'s external authentication: 32 hex digits (cryptogram ‖ original).
    static func authenticationData(_ pKey: String?, _ function: String) throws(DriverFailure) -> [UInt8] {
        let text = (pKey ?? "").trimmingBars
        guard text.count == 32, let data = try? Hex.decode(text) else {
            throw DriverFailure(-23, "传入数据不合法 (\(function): pKey is the HSM's 32 hex digits)")
        }
        return data
    }

    /// A key's HSM address as the step strings write it: 4 hex digits, and
    /// with `identifier` the 2 of its identifier (`004C0A`).
    static func keyAddress(_ keyID: UInt8, identifier: Bool = true) -> String {
        let address = PSAM.KeyID.address(keyID) ?? 0
        return Hex.encode([UInt8(address >> 8), UInt8(address & 0xFF)] + (identifier ? [keyID] : []))
    }

    /// `算法|密钥地址|过程因子|原始信息|`: two challenges, the second the session random.
    static func authenticationRequest(_ t: SocialTerminal, keyID: UInt8) throws(TerminalError) -> String {
        let original = try t.challenge()
        let factor = try t.challenge()
        return [Hex.encode([t.algorithm.rawValue]), keyAddress(keyID), Hex.encode(factor), Hex.encode(original)].joined(separator: "|") + "|"
    }

    // MARK: iReadCardBas

    /// `iReadCardBas_HSM_Step1`: EF05, the internal authentication with the
    /// card's own randoms, and on a 3.00 card two challenges for the
    /// external one: `地区码|ATR历史字节|算法标识|卡识别码|IA过程因子|IA原始信息|EA过程因子|EA原始信息|终端编码|`.
    public func readCardBasStep1(iType: Int) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            try beginChain(&s, iType: iType) { t throws(DriverFailure) in
                try Self.onCard { () throws(TerminalError) in
                    let issuer = try t.readIssuerData()
                    try t.selectSSSE()
                    let factor = try t.challenge(), original = try t.challenge()
                    let ia = try t.internalAuthenticate(factor: factor, original: original)
                    let v3 = issuer.specVersion.hasPrefix("3")
                    var ea = ["", ""]
                    if v3 {
                        let eaOriginal = try t.challenge()
                        ea = [Hex.encode(try t.challenge()), Hex.encode(eaOriginal)]
                    }
                    let out = [issuer.region, Hex.encode(issuer.atrHistoricalBytes), Hex.encode([issuer.algorithm.rawValue]), Hex.encode(issuer.cardID),
                               Hex.encode(factor), Hex.encode(original), ea[0], ea[1], configuration.terminal].joined(separator: "|") + "|"
                    return (.readCardBas(issuer: issuer, internalAuthentication: ia, externalAuthentication: v3), out)
                }
            }
        }
    }

    /// `iReadCardBas_HSM_Step2`: the HSM's IA result must equal the card's
    /// (−25), its EA data authenticates the terminal; the iReadCardBas output.
    public func readCardBasStep2(pKey: String?) -> Result<String, DriverFailure> {
        call(continuing: true) { (s: inout DriverState) throws(DriverFailure) -> String in
            try continueChain(&s, "iReadCardBas_HSM_Step2") { t, step throws(DriverFailure) in
                guard case .readCardBas(let issuer, let ia, let needsEA) = step else { throw Self.wrongStep("iReadCardBas_HSM_Step2") }
                let f = VirtualHSM.fields(pKey ?? "")
                guard (1...2).contains(f.count), f[0].count == 32, let iaKey = try? Hex.decode(f[0]) else {
                    throw DriverFailure(-23, "传入数据不合法 (pKey is <IA 32 hex>|<EA 32 hex>|)")
                }
                guard constantTimeEquals(Array(iaKey.prefix(8)), ia) else { throw DriverFailure(-25) }
                let info = try Self.onCard { () throws(TerminalError) -> SocialCardInfo in
                    if needsEA {
                        guard f.count == 2, let ea = try? Hex.decode(f[1]), ea.count == 16 else {
                            throw TerminalError(.invalidCommand, step: "EXTERNAL AUTHENTICATE", detail: "no EA data in pKey")
                        }
                        try t.externalAuthenticate(number: SocialSecurity.readKey, data: ea)
                    }
                    return try t.readHolderData(issuer, genuine: true)
                }
                return (nil, info.iReadCardBas(terminalNumber: configuration.terminal, deviceNumber: configuration.device))
            }
        }
    }

    // MARK: iReadCard and iWriteCard

    /// The DF the chain authenticates in: all files in one (the SSSE or one
    /// DFxx), as one external authentication holds only there; whether any needs a key.
    static func chainDF(_ groups: [FileGroup], _ function: String) throws(DriverFailure) -> UInt16? {
        let dfs = Set(groups.map { $0.df ?? 0 })
        guard dfs.count == 1 else {
            throw DriverFailure(-23, "传入数据不合法 (\(function): one external authentication holds in one DF; the files are in \(dfs.count))")
        }
        return groups[0].df
    }

    /// Step1 of iReadCard and iWriteCard: the card checked against
    /// `pCardInfo`, the DF selected, two challenges for the key `keyID`.
    func fileStep1(
        _ s: inout DriverState, iType: Int, cardInfo: String?, fileAddress: String?, write: Bool
    ) throws(DriverFailure) -> String {
        let function = write ? "iWriteCard_HSM_Step1" : "iReadCard_HSM_Step1"
        let expected = try Self.cardInfo(cardInfo)
        let groups = try FileGroup.parse(fileAddress)
        let df = try Self.chainDF(groups, function)
        return try beginChain(&s, iType: iType) { t throws(DriverFailure) in
            let issuer = try Self.onCard { () throws(TerminalError) in try t.readIssuerData() }
            guard Self.matches(cardID: issuer.cardID, cardNumber: issuer.cardNumber, expected) else { throw DriverFailure(-22) }
            // Free files need no HSM: EF05, and EF06 on a card before 3.00.
            if !write, df == nil, groups.allSatisfy({ $0.ef == 0xEF05 || ($0.ef == 0xEF06 && !issuer.specVersion.hasPrefix("3")) }) {
                throw DriverFailure(-2204)
            }
            return try Self.onCard { () throws(TerminalError) in
                try t.selectSSSE()
                if let df { try t.selectDF(df) }
                let out = try Self.authenticationRequest(t, keyID: write ? PSAM.KeyID.ukSSSE : PSAM.KeyID.rkSSSE)
                return (write ? .writeCard(groups: groups) : .readCard(groups: groups), out)
            }
        }
    }

    /// `iReadCard_HSM_Step1`: `算法|密钥地址|过程因子|原始信息|` (RKSSSE `004C0A`);
    /// −2204 when the files need no key.
    public func readCardStep1(iType: Int, cardInfo: String?, fileAddress: String?) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            try fileStep1(&s, iType: iType, cardInfo: cardInfo, fileAddress: fileAddress, write: false)
        }
    }

    /// `iReadCard_HSM_Step2`: the external authentication, then the files as iReadCard writes them.
    public func readCardStep2(pKey: String?) -> Result<String, DriverFailure> {
        call(continuing: true) { (s: inout DriverState) throws(DriverFailure) -> String in
            try continueChain(&s, "iReadCard_HSM_Step2") { t, step throws(DriverFailure) in
                guard case .readCard(let groups) = step else { throw Self.wrongStep("iReadCard_HSM_Step2") }
                let data = try Self.authenticationData(pKey, "iReadCard_HSM_Step2")
                let values = try Self.onCard { () throws(TerminalError) -> [[[UInt8]]] in
                    try t.externalAuthenticate(number: SocialSecurity.readKey, data: data)
                    var out: [[[UInt8]]] = []
                    for g in groups { out.append(try t.readFileHere(ef: g.ef, label: g.label, tags: g.tags)) }
                    return out
                }
                return (nil, Self.readOutput(groups, values))
            }
        }
    }

    /// `iWriteCard_HSM_Step1`: `算法|密钥地址|过程因子|原始信息|` (UKSSSE `009412`).
    public func writeCardStep1(iType: Int, cardInfo: String?, fileAddress: String?) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            try fileStep1(&s, iType: iType, cardInfo: cardInfo, fileAddress: fileAddress, write: true)
        }
    }

    /// `iWriteCard_HSM_Step2`: the external authentication, then `pWriteData` written.
    public func writeCardStep2(pKey: String?, writeData: String?) -> Result<String, DriverFailure> {
        call(continuing: true) { (s: inout DriverState) throws(DriverFailure) -> String in
            try continueChain(&s, "iWriteCard_HSM_Step2") { t, step throws(DriverFailure) in
                guard case .writeCard(let groups) = step else { throw Self.wrongStep("iWriteCard_HSM_Step2") }
                let data = try Self.authenticationData(pKey, "iWriteCard_HSM_Step2")
                let writes = try FileWrite.parse(writeData, matching: groups)
                try Self.onCard { () throws(TerminalError) in
                    try t.externalAuthenticate(number: SocialSecurity.updateKey, data: data)
                    for w in writes { try t.writeFileHere(ef: w.group.ef, label: w.group.label, records: w.records, content: w.content) }
                }
                return (nil, "")
            }
        }
    }

    // MARK: iReloadPIN and iUnblockPIN

    func pinStep1(_ s: inout DriverState, iType: Int, cardInfo: String?, reload: Bool) throws(DriverFailure) -> String {
        let expected = try Self.cardInfo(cardInfo)
        return try beginChain(&s, iType: iType) { t throws(DriverFailure) in
            guard try Self.onCard({ () throws(TerminalError) in try Self.checkCard(t, expected) }) else { throw DriverFailure(-22) }
            return try Self.onCard { () throws(TerminalError) in
                try t.loadCardID()
                return (.pinAuthentication(reload: reload), try Self.authenticationRequest(t, keyID: PSAM.KeyID.puk))
            }
        }
    }

    /// Step2 of both: the external authentication with key 06; for a reload
    /// the new PIN from the keypad (twice; never the initial PIN); a
    /// challenge for the MAC: `算法|STK地址|随机数|APDU头|新PIN|`.
    func pinStep2(_ s: inout DriverState, pKey: String?, function: String) throws(DriverFailure) -> String {
        let data = try Self.authenticationData(pKey, function)
        guard case .pinAuthentication(let reload)? = s.chain?.step else {
            throw s.chain == nil ? Self.noChain(function) : Self.wrongStep(function)
        }
        let pin = reload ? try newPIN(&s) : ""
        return try continueChain(&s, function) { t, _ throws(DriverFailure) in
            if reload, Self.isInitialPIN(pin, t, forced: true) { throw DriverFailure(-36) }
            return try Self.onCard { () throws(TerminalError) in
                try t.externalAuthenticate(number: SocialSecurity.reloadKey, data: data)
                let random = try t.challenge()
                let lc = UInt8(reload ? t.algorithm.blockSize + 4 : 4)
                let header: [UInt8] = [0x84, 0x24, 0x00, reload ? 0x01 : 0x00, lc]
                let out = [Hex.encode([t.algorithm.rawValue]), Self.keyAddress(PSAM.KeyID.stk, identifier: false), Hex.encode(random), Hex.encode(header), pin]
                    .joined(separator: "|") + "|"
                return (.pinCommand(header: header), out)
            }
        }
    }

    /// Step3 of both: the HSM's data (with or without the APDU header) sent as `8424`.
    func pinStep3(_ s: inout DriverState, pKey: String?, function: String) throws(DriverFailure) -> String {
        try continueChain(&s, function) { t, step throws(DriverFailure) in
            guard case .pinCommand(let header) = step else { throw Self.wrongStep(function) }
            guard var data = try? Hex.decode((pKey ?? "").trimmingBars) else {
                throw DriverFailure(-23, "传入数据不合法 (\(function): pKey is the HSM's hex data)")
            }
            if data.starts(with: header) { data.removeFirst(header.count) }
            guard data.count == Int(header[4]) else {
                throw DriverFailure(-42, "运算数据长度错 (\(function): \(header[4]) bytes after \(Hex.encode(header)), not \(data.count))")
            }
            try Self.onCard { () throws(TerminalError) in
                try t.send("PIN CHANGE/UNBLOCK") { try CommandAPDU(cla: header[0], ins: header[1], p1: header[2], p2: header[3], data: data) }
            }
            return (nil, "")
        }
    }

    public func reloadPINStep1(iType: Int, cardInfo: String?) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in try pinStep1(&s, iType: iType, cardInfo: cardInfo, reload: true) }
    }

    public func reloadPINStep2(pKey: String?) -> Result<String, DriverFailure> {
        call(continuing: true) { (s: inout DriverState) throws(DriverFailure) -> String in try pinStep2(&s, pKey: pKey, function: "iReloadPIN_HSM_Step2") }
    }

    public func reloadPINStep3(pKey: String?) -> Result<String, DriverFailure> {
        call(continuing: true) { (s: inout DriverState) throws(DriverFailure) -> String in try pinStep3(&s, pKey: pKey, function: "iReloadPIN_HSM_Step3") }
    }

    public func unblockPINStep1(iType: Int, cardInfo: String?) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in try pinStep1(&s, iType: iType, cardInfo: cardInfo, reload: false) }
    }

    public func unblockPINStep2(pKey: String?) -> Result<String, DriverFailure> {
        call(continuing: true) { (s: inout DriverState) throws(DriverFailure) -> String in try pinStep2(&s, pKey: pKey, function: "iUnblockPIN_HSM_Step2") }
    }

    public func unblockPINStep3(pKey: String?) -> Result<String, DriverFailure> {
        call(continuing: true) { (s: inout DriverState) throws(DriverFailure) -> String in try pinStep3(&s, pKey: pKey, function: "iUnblockPIN_HSM_Step3") }
    }

    // MARK: iDoDebit

    /// `iDoDebit_HSM_Step1`: INITIALIZE FOR PURCHASE on the card:
    /// `算法|密钥地址|随机数|脱机交易序号|交易金额|交易类型|终端机编号|交易时间|` [UNSURE fields].
    public func doDebitStep1(iType: Int, cardInfo: String?, payInfo: String?) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            let expected = try Self.cardInfo(cardInfo)
            let pay = try PayInfo.parse(payInfo)
            let terminal = BCD.encode(configuration.terminal, odd: .padWithF) ?? []
            return try beginChain(&s, iType: iType) { t throws(DriverFailure) in
                guard try Self.onCard({ () throws(TerminalError) in try Self.checkCard(t, expected) }) else { throw DriverFailure(-22) }
                return try Self.onCard { () throws(TerminalError) in
                    try t.selectPurse()
                    let i = try t.initializePurchase(amount: pay.amount, billTotal: pay.billTotal, terminal: terminal)
                    let out = [
                        Hex.encode([i.algorithm]), Self.keyAddress(PSAM.KeyID.dpk), Hex.encode(i.random),
                        Hex.encode(MedicalPurse.bigEndian(UInt32(i.offlineATC), 2)), Hex.encode(MedicalPurse.bigEndian(pay.amount, 4)),
                        Hex.encode([MedicalPurse.purchaseType]), configuration.terminal, Hex.encode(pay.dateTime),
                    ].joined(separator: "|") + "|"
                    return (.debit(i, amount: pay.amount, billTotal: pay.billTotal, terminal: terminal, dateTime: pay.dateTime), out)
                }
            }
        }
    }

    /// `iDoDebit_HSM_Step2`: `pKey` = `<terminal serial 8 hex>|<交易时间>|<MAC1>|`; DEBIT FOR PURCHASE; the iDoDebit output.
    public func doDebitStep2(pKey: String?) -> Result<String, DriverFailure> {
        call(continuing: true) { (s: inout DriverState) throws(DriverFailure) -> String in
            try continueChain(&s, "iDoDebit_HSM_Step2") { t, step throws(DriverFailure) in
                guard case .debit(let i, let amount, let billTotal, let terminal, let dateTime) = step else { throw Self.wrongStep("iDoDebit_HSM_Step2") }
                let f = VirtualHSM.fields(pKey ?? "")
                guard f.count == 3, let serial = try? Hex.decode(f[0]), serial.count == 4, let when = try? Hex.decode(f[1]), when == dateTime,
                    let mac1 = try? Hex.decode(f[2]), mac1.count == 4
                else { throw DriverFailure(-23, "传入数据不合法 (pKey is <终端交易序号 8 hex>|<交易时间 as in Step1>|<MAC1 8 hex>|)") }
                let (tac, mac2) = try Self.onCard { () throws(TerminalError) in
                    try t.debitPurchase(terminalSerial: serial, dateTime: dateTime, mac1: mac1)
                }
                let debit = PurseDebit(
                    amount: amount, billTotal: billTotal, balance: i.balance &- amount, offlineATC: i.offlineATC, terminal: terminal,
                    terminalSerial: serial, dateTime: dateTime, tac: tac, mac2: mac2, recovered: false)
                return (nil, Self.debitOutput(debit))
            }
        }
    }
}

extension String {
    /// Without a final `|` (callers write `pKey` both ways).
    var trimmingBars: String {
        var s = self.trimmingWhitespace
        while s.hasSuffix("|") { s.removeLast() }
        return s
    }
}
