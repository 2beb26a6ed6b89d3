// SSCard — ReaderDriver
//
// The Ministry-standard reader driver's functions over SSCard's terminal
// side (reader-api.md §3): the card from the configuration (a virtual card
// kept for the life of the process, a card image whose changes persist, or
// a card in a PC/SC reader), the virtual PSAM or none (then −2201, so that
// callers take the HSM path), PINs from the configured keypad source. Calls
// are serialized; every call powers the card and leaves it closed, on every
// path. Results are values (a code and a text); the C entry points write
// them into the caller's buffers.

import CardAPDU
import CardImage
import CardPersonalization
import CardRuntime
import CardSimulator
import CardStandards
import CardTransport
import CardTransportPCSC
import FoundationEssentials
import Synchronization
import Terminal

public final class ReaderDriver: Sendable {
    public let configuration: DriverConfiguration
    let state: Mutex<DriverState>

    struct DriverState: @unchecked Sendable {
        /// The virtual card, kept between calls as a card stays in a reader.
        var card: (any CardTransport)?
        /// The virtual PSAM, kept: its terminal transaction serial counts on.
        var psam: VirtualCardTransport?
        /// Lines of a `file:` PIN source already used.
        var pinLinesUsed = 0
        /// An HSM chain between its steps: the card stays powered and held.
        var chain: HSMChain?
    }

    public init(configuration: DriverConfiguration) {
        self.configuration = configuration
        state = Mutex(DriverState())
    }

    /// Runs one driver function with the lock held. A function that does not
    /// continue an HSM chain ends any chain left waiting (its card closed).
    func call<T>(continuing: Bool = false, _ body: (inout DriverState) throws(DriverFailure) -> T) -> Result<T, DriverFailure> {
        state.withLock { s in
            if !continuing, let chain = s.chain {
                s.chain = nil
                chain.close()
            }
            do throws(DriverFailure) {
                return .success(try body(&s))
            } catch {
                return .failure(error)
            }
        }
    }

    /// A terminal step's failure as the driver reports it.
    @discardableResult
    static func onCard<T>(_ body: () throws(TerminalError) -> T) throws(DriverFailure) -> T {
        do {
            return try body()
        } catch {
            throw failure(error)
        }
    }

    // MARK: the card

    func transport(_ s: inout DriverState) throws(DriverFailure) -> any CardTransport {
        if let card = s.card { return card }
        let card: any CardTransport
        switch configuration.card {
        case .reader(let name):
            do {
                card = PCSCTransport(reader: try PCSCReaders.resolve(name))
            } catch {
                throw DriverFailure(-11, "读卡器连接错: \(error)")
            }
            return card  // a real reader is found again at each call
        case .image(let path):
            let file = CardImageFile(path: path)
            do {
                card = VirtualCardTransport(card: CardFactory.virtualCard(try file.load(), persistence: file))
            } catch {
                throw DriverFailure(-11, "读卡器连接错: \(error)")
            }
        case .profile(let name):
            do {
                card = VirtualCardTransport(card: CardFactory.virtualCard(try CardProfiles.resolve(name).personalize()))
            } catch {
                throw DriverFailure(-11, "读卡器连接错: \(error)")
            }
        }
        s.card = card
        return card
    }

    /// `iType`: 1 contact, 2 contactless, 3/4 automatic; the card is contact only.
    func checkType(_ iType: Int) throws(DriverFailure) {
        guard (1...4).contains(iType) else { throw DriverFailure(-1, "卡类型不对 (iType \(iType): 1 接触, 2 非接触, 3/4 自动)") }
        guard iType != 2 else { throw DriverFailure(-1, "卡类型不对 (the card is a contact card; it has no contactless interface)") }
    }

    /// The social-security terminal over the configured card and the virtual PSAM.
    func openTerminal(_ s: inout DriverState) throws(DriverFailure) -> (SocialTerminal, any CardTransport) {
        let card = try transport(&s)
        let psam = s.psam ?? VirtualCardTransport(card: CardFactory.virtualCard(VirtualPSAM.state(terminalNumber: configuration.terminal)))
        s.psam = psam
        return (SocialTerminal(card: TerminalSession(transport: card), psam: TerminalSession(transport: psam)), card)
    }

    /// A social-security terminal on the card and the PSAM, run with the card held, and closed after.
    func withTerminal<T>(
        _ s: inout DriverState, iType: Int, needsPSAM: Bool = true, _ body: (SocialTerminal) throws(TerminalError) -> T
    ) throws(DriverFailure) -> T {
        try checkType(iType)
        guard configuration.psam || !needsPSAM else { throw DriverFailure(-2201) }
        let (terminal, card) = try openTerminal(&s)
        defer { card.disconnect() }
        do {
            return try card.transaction({ () throws(TerminalError) in try body(terminal) }) { .transport($0, step: "open the reader") }
        } catch {
            throw Self.failure(error)
        }
    }

    /// A terminal failure as the driver reports it (Appendix A).
    static func failure(_ e: TerminalError) -> DriverFailure {
        switch e.code {
        case .transport:
            switch e.transportError?.code {
            case .noCard?, .cardRemoved?: return DriverFailure(-2)
            case .serviceUnavailable?, .readerNotFound?, .ambiguousReader?: return DriverFailure(-11, "读卡器连接错: \(e)")
            default: return DriverFailure(-4, "卡无应答: \(e)")
            }
        case .cardStatus where e.step == "SELECT SSSE": return DriverFailure(-1, "卡类型不对 (not a social-security card: SELECT SSSE answered \(e.status.map(String.init(describing:)) ?? "?"))")
        case .cardStatus: return e.status.map { DriverFailure(status: $0) } ?? DriverFailure(-4)
        case .psamStatus: return DriverFailure(-24, "PSAM卡密钥级别不够: \(e)")
        case .notGenuine: return DriverFailure(-21)
        default: return DriverFailure(-4, "卡无应答: \(e)")
        }
    }

    // MARK: functions

    /// `iReadCardBas`: the 11 fields.
    public func readCardBas(iType: Int) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            let info = try withTerminal(&s, iType: iType) { t throws(TerminalError) in try t.readBasics() }
            return info.iReadCardBas(terminalNumber: configuration.terminal, deviceNumber: configuration.device)
        }
    }

    /// The initial PIN of the card's region (its card ID read); with
    /// `forced`, only where the region makes a terminal refuse it until changed.
    static func initialPIN(_ t: SocialTerminal, forced: Bool) -> String? {
        guard let rule = CardProfiles.initialSocialPIN(region: Hex.encode(t.cardID.prefix(3))), rule.mustChange || !forced else { return nil }
        return rule.pin
    }

    /// Whether `pin` is the card region's initial PIN (see ``initialPIN(_:forced:)``), compared in constant time.
    static func isInitialPIN(_ pin: String, _ t: SocialTerminal, forced: Bool) -> Bool {
        guard let initial = initialPIN(t, forced: forced) else { return false }
        return constantTimeEquals(Array(pin.utf8), Array(initial.utf8))
    }

    /// `iVerifyPIN`: the PIN from the keypad; an initial PIN that must be changed may not transact (−35).
    public func verifyPIN(iType: Int) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            let pin = try keypad(&s, "请输入密码")
            let result = try withTerminal(&s, iType: iType, needsPSAM: false) { t throws(TerminalError) -> PINResult? in
                try t.start()
                try t.loadCardID()
                if Self.isInitialPIN(pin, t, forced: true) { return nil }
                return try t.verifyHere(pin)
            }
            guard let result else { throw DriverFailure(-35) }
            try Self.check(result)
            return ""
        }
    }

    /// `iChangePIN`: the old PIN, then the new one twice; never to an initial PIN (−36).
    public func changePIN(iType: Int) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            let old = try keypad(&s, "请输入原密码", role: .old)
            let new = try newPIN(&s)
            let result = try withTerminal(&s, iType: iType, needsPSAM: false) { t throws(TerminalError) -> PINResult? in
                try t.start()
                try t.loadCardID()
                if Self.isInitialPIN(new, t, forced: false) { return nil }
                return try t.changePIN(old: old, new: new)
            }
            guard let result else { throw DriverFailure(-36) }
            try Self.check(result)
            return ""
        }
    }

    /// `pCardInfo`, `卡识别码|卡号|`: −20 when malformed.
    package static func cardInfo(_ text: String?) throws(DriverFailure) -> (cardID: String, cardNumber: String) {
        guard let text, text.count <= 200 else { throw DriverFailure(-20, "卡识别码格式错 (pCardInfo is missing or too long)") }
        let fields = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 3, fields[2].isEmpty, fields[0].count == 32, fields[0].allSatisfy(\.isHexDigit), (1...20).contains(fields[1].count)
        else { throw DriverFailure(-20, "卡识别码格式错 (pCardInfo is 卡识别码|卡号|: 32 hex digits, the card number)") }
        return (fields[0].uppercased(), fields[1])
    }

    /// The card is the one `pCardInfo` names (−22 otherwise).
    static func checkCard(_ t: SocialTerminal, _ expected: (cardID: String, cardNumber: String)) throws(TerminalError) -> Bool {
        let id = try t.cardIdentity()
        return matches(cardID: id.cardID, cardNumber: id.cardNumber, expected)
    }

    /// Whether a card's 卡识别码 and 卡号 (its first 9 characters) are those `pCardInfo` names.
    static func matches(cardID: [UInt8], cardNumber: String, _ expected: (cardID: String, cardNumber: String)) -> Bool {
        Hex.encode(cardID) == expected.cardID && String(cardNumber.prefix(9)) == String(expected.cardNumber.prefix(9))
    }

    /// `iReadCard`: the files of `pFileAddr`, after the PIN (`iAuthType` 1) or
    /// the external authentication with RKSSSE through the PSAM (2); the card
    /// must be the one `pCardInfo` names.
    public func readCard(iType: Int, authType: Int, cardInfo: String?, fileAddress: String?) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            guard authType == 1 || authType == 2 else { throw DriverFailure(-14, "命令参数错 (iAuthType \(authType): 1 PIN, 2 RK)") }
            let expected = try Self.cardInfo(cardInfo)
            let groups = try FileGroup.parse(fileAddress)
            let pin = authType == 1 ? try keypad(&s, "请输入密码") : nil
            var refusal: DriverFailure?
            let values = try withTerminal(&s, iType: iType, needsPSAM: authType == 2) { t throws(TerminalError) -> [[[UInt8]]] in
                guard try Self.checkCard(t, expected) else { refusal = DriverFailure(-22); return [] }
                // In the SSSE, and again in each DF read (its security state starts afresh).
                let authenticate = { (t: SocialTerminal) throws(TerminalError) -> Void in
                    guard refusal == nil else { return }
                    if let pin {
                        refusal = Self.failure(try t.verifyHere(pin))
                    } else {
                        try t.externalAuthenticate(number: SocialSecurity.readKey, keyID: PSAM.KeyID.rkSSSE)
                    }
                }
                try authenticate(t)
                var out: [[[UInt8]]] = []
                for g in groups where refusal == nil {
                    let values = try t.readFile(df: g.df, ef: g.ef, tags: g.tags, authenticate: authenticate)
                    out.append(values)
                }
                return out
            }
            if let refusal { throw refusal }
            return Self.readOutput(groups, values)
        }
    }

    /// iReadCard's output: `pFileAddr`'s skeleton with each tag replaced by
    /// its value (a transparent file's content in hex).
    static func readOutput(_ groups: [FileGroup], _ values: [[[UInt8]]]) -> String {
        var text = ""
        for (g, vs) in zip(groups, values) {
            text += g.label + "|"
            if g.tags.isEmpty {
                text += Hex.encode(vs.first ?? []) + "|"
            } else {
                for (tag, v) in zip(g.tags, vs) { text += (FileGroup.text(tag: tag, v) ?? Hex.encode(v)) + "|" }
            }
            text += "$"
        }
        return text
    }

    /// `iReloadPIN`: at a service hall, a new PIN (twice) loaded under the PSAM's keys (EA key 06, `8424 0001`).
    public func reloadPIN(iType: Int, cardInfo: String?) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            let expected = try Self.cardInfo(cardInfo)
            guard configuration.psam else { throw DriverFailure(-2201) }
            let new = try newPIN(&s)
            var refusal: DriverFailure?
            try withTerminal(&s, iType: iType) { t throws(TerminalError) in
                guard try Self.checkCard(t, expected) else { refusal = DriverFailure(-22); return }
                if Self.isInitialPIN(new, t, forced: true) {
                    refusal = DriverFailure(-36)
                    return
                }
                try t.reloadPIN(new)
            }
            if let refusal { throw refusal }
            return ""
        }
    }

    /// `iUnblockPIN`: the try counter reset under the PSAM's keys (EA key 06, `8424 0000`), the PIN kept.
    public func unblockPIN(iType: Int, cardInfo: String?) -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            let expected = try Self.cardInfo(cardInfo)
            var mismatch = false
            try withTerminal(&s, iType: iType) { t throws(TerminalError) in
                guard try Self.checkCard(t, expected) else { mismatch = true; return }
                try t.unblockPIN()
            }
            if mismatch { throw DriverFailure(-22) }
            return ""
        }
    }

    static func check(_ r: PINResult) throws(DriverFailure) {
        if let failure = failure(r) { throw failure }
    }

    /// A refused PIN's code and text (−51 with the tries left, −52); `nil` when verified.
    static func failure(_ r: PINResult) -> DriverFailure? {
        switch r {
        case .verified: nil
        case .wrong(let left): DriverFailure(-51, "PIN校验失败，剩余次数\(left)次")
        case .blocked: DriverFailure(-52)
        }
    }

    /// `iGetCardType`: `1` (a contact CPU card) when a card answers.
    public func cardType() -> Result<String, DriverFailure> {
        call { (s: inout DriverState) throws(DriverFailure) -> String in
            let card = try transport(&s)
            defer { card.disconnect() }
            do throws(TransportError) {
                _ = try card.connect()
            } catch {
                throw Self.failure(.transport(error, step: "power on"))
            }
            return "1"
        }
    }

    /// `iGetReaderInfo`: the reader's serial and the PSAM terminal number [UNSURE formats].
    public func readerInfo() -> Result<(serial: String, terminal: String), DriverFailure> {
        call { (_: inout DriverState) throws(DriverFailure) in
            guard configuration.psam else { throw DriverFailure(-2201) }
            let serial: String
            switch configuration.card {
            case .reader(let name): serial = name
            case .image: serial = "SSCARD-IMAGE"
            case .profile: serial = "SSCARD-VIRTUAL"
            }
            return (serial, configuration.terminal)
        }
    }

    // MARK: the keypad

    enum PINRole { case current, old, new }

    /// One PIN from the configured keypad source, 4–16 digits (−33 otherwise).
    func keypad(_ s: inout DriverState, _ prompt: String, role: PINRole = .current) throws(DriverFailure) -> String {
        let text: String
        switch configuration.pin {
        case .environment(let name):
            let variable = role == .new ? name + "_NEW" : role == .old ? (ProcessInfo.processInfo.environment[name + "_OLD"] != nil ? name + "_OLD" : name) : name
            guard let v = ProcessInfo.processInfo.environment[variable] else { throw DriverFailure(-31, "用户取消密码输入 (no PIN in $\(variable))") }
            text = v
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else { throw DriverFailure(-31, "用户取消密码输入 (cannot read \(path))") }
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard s.pinLinesUsed < lines.count, !lines[s.pinLinesUsed].isEmpty else { throw DriverFailure(-32, "密码输入超时 (\(path) has no more PINs)") }
            text = lines[s.pinLinesUsed]
            s.pinLinesUsed += 1
        case .pipe(let path):
            // A writer opens the pipe, writes a PIN and closes it: one PIN per opening.
            guard let data = FileManager.default.contents(atPath: path),
                let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first
            else { throw DriverFailure(-32, "密码输入超时 (nothing from \(path))") }
            text = String(line)
        }
        let pin = text.trimmingWhitespace
        guard (4...16).contains(pin.count), pin.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw DriverFailure(-33) }
        return pin
    }

    /// A new PIN, entered twice (−34 when the two differ).
    func newPIN(_ s: inout DriverState) throws(DriverFailure) -> String {
        let first = try keypad(&s, "请输入新密码", role: .new)
        if case .environment = configuration.pin { return first }
        let again = try keypad(&s, "请再次输入新密码", role: .new)
        guard again == first else { throw DriverFailure(-34) }
        return first
    }

    /// Text for the caller's buffer, in the configured encoding.
    public func encode(_ text: String) -> [UInt8] {
        configuration.encoding == .gbk ? (GBK.encode(text) ?? Array(text.utf8)) : Array(text.utf8)
    }
}
