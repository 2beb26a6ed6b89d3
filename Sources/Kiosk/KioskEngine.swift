// SSCard — Kiosk
//
// The self-service terminal's flows (自助终端), one engine for the terminal
// and the web faces: a card goes in, it is read with the PSAM and its
// accounts' state asked of the back office; the holder queries the
// insurance information, changes the social PIN (forced while it is the
// initial one), reports a loss, activates the social function where the
// region does that at a kiosk; an operator reloads a blocked PIN. Events
// come in one at a time (insertion, removal, an entry, a timeout); each
// gives the next screen. A removal or a card that stops answering ends the
// step at once: every card write is one command (CHANGE PIN, `8424`), so
// nothing is half-written.

public import BackOffice
import CardAPDU
import CardStandards
import CardTransport
public import Terminal

/// What happens at the kiosk.
public enum KioskEvent: Hashable, Sendable {
    case inserted
    case removed
    /// A menu key, or the digits of a PIN or the operator key.
    case entry(String)
    /// The cancel key: back to the menu.
    case cancel
    /// The idle time passed with no entry.
    case timeout
}

public struct KioskConfiguration: Sendable {
    /// Seconds a screen waits for an entry.
    public var idleSeconds: Double = 60
    /// The operator key that opens the service-hall mode; `nil`: no operator mode here.
    public var operatorKey: String? = nil
    /// A region's initial social PIN and whether it must be changed before use.
    public var initialPIN: @Sendable (_ region: String) -> (pin: String, mustChange: Bool)? = { _ in nil }
    public init() {}
}

/// The kiosk's flows.
public final class KioskEngine {
    /// Whether two entries are the same text, in constant time (PINs, the operator key).
    static func same(_ a: String, _ b: String) -> Bool { constantTimeEquals(Array(a.utf8), Array(b.utf8)) }

    public let configuration: KioskConfiguration
    let backOffice: (any BackOfficeLink)?
    let makeTerminal: () -> SocialTerminal
    /// Lines for the log (never a PIN).
    public var log: (String) -> Void = { _ in }
    public private(set) var screen: KioskScreen

    /// The card in the reader.
    struct Session {
        var terminal: SocialTerminal
        var info: SocialCardInfo
        var status: CardStatus?
        var hasQueryPIN: Bool
    }

    /// What the back office says of the card's accounts.
    struct CardStatus {
        var socialUsable: Bool
        var socialText: String
        var socialRefusal: String?
        var socialActivated: String?
        var activationRule: String
        var bankUsable: Bool
        var bankText: String
        var bankDeadline: String?
    }

    enum Step: Equatable {
        case query
        case changeOld
        case changeNew(old: String)
        case changeAgain(old: String, new: String)
        case loss(CardAccount)
        case activate
        case operatorKey
        case operatorNew
        case operatorAgain(new: String)
    }

    var session: Session?
    var step: Step?

    public init(backOffice: (any BackOfficeLink)?, configuration: KioskConfiguration = KioskConfiguration(), terminal: @escaping () -> SocialTerminal) {
        self.backOffice = backOffice
        self.configuration = configuration
        makeTerminal = terminal
        screen = Self.waiting(note: nil)
    }

    /// Whether the screen waits for an entry (and so for the idle time).
    public var awaitsEntry: Bool { screen.kind != .waiting }

    // MARK: Events

    @discardableResult
    public func handle(_ event: KioskEvent) -> KioskScreen {
        switch event {
        case .inserted:
            if session == nil { screen = insert() }
        case .removed:
            let inStep = step != nil
            end()
            screen = Self.waiting(note: inStep ? Bilingual("卡已取出，操作已取消", "card removed: the step was cancelled") : nil)
            log("card removed")
        case .cancel:
            guard session != nil else { break }
            step = nil
            screen = menu(note: Bilingual("已取消", "cancelled"))
        case .timeout:
            guard session != nil else { break }
            if screen.kind == .menu {
                end()
                screen = Self.eject(Bilingual("操作超时", "timed out"))
            } else {
                step = nil
                screen = menu(note: Bilingual("操作超时", "timed out"))
            }
        case .entry(let text):
            if screen.kind == .eject {
                screen.note = nil
                break
            }
            guard let s = session else { break }
            if screen.kind == .message {
                screen = menu(note: nil)
                break
            }
            if let step {
                screen = pin(text, step, s)
            } else {
                screen = choose(text, s)
            }
        }
        return screen
    }

    func end() {
        session?.terminal.card.transport.disconnect()
        session = nil
        step = nil
    }

    /// A card step that stopped because the card did: a removal.
    func cardFailed(_ e: TerminalError) -> KioskScreen {
        if e.code == .transport {
            end()
            log("card stopped answering: \(e)")
            return Self.waiting(note: Bilingual("卡已取出，操作已取消", "the card stopped answering: the step was cancelled"))
        }
        step = nil
        return message(Bilingual("操作失败", "the card refused"), [Bilingual(e.status.map { "卡片返回 \($0)" } ?? "卡片错误", e.description)])
    }

    // MARK: Insertion

    func insert() -> KioskScreen {
        let t = makeTerminal()
        let info: SocialCardInfo
        do {
            info = try t.readBasics()
        } catch {
            t.card.transport.disconnect()
            if error.code == .transport { return Self.waiting(note: Bilingual("无法读卡", "the card cannot be read: \(error)")) }
            return Self.eject(Bilingual("这不是可用的社会保障卡", "not a usable social security card: \(error)"))
        }
        // A region with a query PIN (reference 01): VERIFY with no data asks whether it is set.
        let hasQueryPIN = (try? t.verifyHere("", reference: SocialSecurity.queryPIN)) != nil
        var note: Bilingual? = nil
        let status: CardStatus?
        do {
            status = try cardStatus(info.cardNumber)
        } catch {
            status = nil
            note = Bilingual("无法连接中心", error.message)
        }
        session = Session(terminal: t, info: info, status: status, hasQueryPIN: hasQueryPIN)
        log("card \(info.cardNumber) read")
        return menu(note: note)
    }

    func counter(_ op: CounterOperation, _ members: [(String, JSON)]) throws(BackOfficeLinkError) -> JSON {
        guard let backOffice else { throw BackOfficeLinkError(.unreachable, "this kiosk has no back office") }
        let r = try backOffice.counter(op, JSON.object(members).serializedBytes)
        guard let answer = try? JSON.parse(r.body) else {
            throw BackOfficeLinkError(.malformed, "\(backOffice.location) answered \(op.path) with what is not JSON")
        }
        guard r.status == 200 else {
            throw BackOfficeLinkError(.malformed, answer["message"]?.scalarText ?? "\(op.path): HTTP \(r.status)")
        }
        return answer
    }

    func cardStatus(_ number: String) throws(BackOfficeLinkError) -> CardStatus {
        let j = try counter(.card, [("card_no", .string(number))])
        let social = j["social"], bank = j["bank"]
        return CardStatus(
            socialUsable: social?["usable"] == .bool(true), socialText: social?["status"]?.scalarText ?? "?",
            socialRefusal: social?["refusal"]?.scalarText, socialActivated: social?["activated"]?.scalarText,
            activationRule: social?["activation"]?.scalarText ?? "", bankUsable: bank?["usable"] == .bool(true),
            bankText: bank?["status"]?.scalarText ?? "?", bankDeadline: bank?["activation_deadline"]?.scalarText)
    }

    // MARK: Screens

    static func waiting(note: Bilingual?) -> KioskScreen {
        KioskScreen(kind: .waiting, title: Bilingual("请插入社会保障卡", "Please insert your social security card"), note: note)
    }

    static func eject(_ note: Bilingual?) -> KioskScreen {
        KioskScreen(kind: .eject, title: Bilingual("请取走您的卡", "Please take your card"), note: note)
    }

    func message(_ title: Bilingual, _ lines: [Bilingual]) -> KioskScreen {
        KioskScreen(kind: .message, title: title, lines: lines, options: [KioskOption(key: "", label: Bilingual("按任意键返回", "press any key"))])
    }

    var canActivateHere: Bool {
        guard let s = session?.status else { return false }
        return s.activationRule == "kiosk" && s.socialActivated == nil && s.socialRefusal == "notActivated"
    }

    func menu(note: Bilingual?) -> KioskScreen {
        guard let s = session else { return Self.waiting(note: note) }
        let i = s.info
        var lines = [
            Bilingual("姓名 " + i.name + i.nameExtension, "name"),
            Bilingual("社会保障号码 " + PANFormat.masked(i.citizenID), "SSN"),
            Bilingual("卡号 " + i.cardNumber, "card number"),
        ]
        if let st = s.status {
            lines.append(Bilingual("社保账户 " + st.socialText + (st.socialActivated.map { " (激活 \($0))" } ?? ""), "social account"))
            lines.append(Bilingual("金融账户 " + st.bankText, "bank account"))
            if let d = st.bankDeadline {
                lines.append(Bilingual("请于 \(d) 前到银行激活金融功能", "activate the bank account at the bank by \(d)"))
            }
        } else {
            lines.append(Bilingual("账户状态未知", "the accounts' state is unknown (no back office)"))
        }
        var options = [
            KioskOption(key: "1", label: Bilingual("查询参保信息", "Insurance information")),
            KioskOption(key: "2", label: Bilingual("修改社保密码", "Change the social PIN")),
            KioskOption(key: "3", label: Bilingual("社保账户临时挂失", "Report the social account lost")),
            KioskOption(key: "4", label: Bilingual("金融账户临时挂失", "Report the bank account lost")),
        ]
        if canActivateHere { options.append(KioskOption(key: "5", label: Bilingual("激活社保功能", "Activate the social function"))) }
        if configuration.operatorKey != nil { options.append(KioskOption(key: "9", label: Bilingual("柜员解锁", "Operator: unlock the PIN"))) }
        options.append(KioskOption(key: "0", label: Bilingual("退卡", "Eject the card")))
        return KioskScreen(kind: .menu, title: Bilingual("欢迎 " + i.name, "Welcome"), lines: lines, options: options, note: note)
    }

    func pinScreen(_ step: Step, note: Bilingual? = nil) -> KioskScreen {
        self.step = step
        let prompt: Bilingual
        switch step {
        case .query where session?.hasQueryPIN == true: prompt = Bilingual("请输入查询密码", "Enter your query PIN")
        case .query, .loss, .activate: prompt = Bilingual("请输入社保密码", "Enter your social PIN")
        case .changeOld: prompt = Bilingual("请输入原密码", "Enter your current PIN")
        case .changeNew, .operatorNew: prompt = Bilingual("请输入新密码", "Enter the new PIN")
        case .changeAgain, .operatorAgain: prompt = Bilingual("请再次输入新密码", "Enter the new PIN again")
        case .operatorKey: prompt = Bilingual("请输入柜员密钥", "Operator key")
        }
        return KioskScreen(
            kind: .pin, title: Bilingual("密码", "PIN"), options: [KioskOption(key: "cancel", label: Bilingual("取消", "Cancel"))], prompt: prompt,
            note: note)
    }

    // MARK: The menu

    func choose(_ key: String, _ s: Session) -> KioskScreen {
        let social = s.status
        func refusedIfLost() -> KioskScreen? {
            guard let st = social, let r = st.socialRefusal, ["lostTemporarily", "lostFormally", "replaced", "expired"].contains(r) else { return nil }
            return message(Bilingual("此卡不能办理", "this card may not be used"), [Bilingual(st.socialText, "go to a service hall")])
        }
        switch key {
        case "1": return refusedIfLost() ?? pinScreen(.query)
        case "2": return refusedIfLost() ?? pinScreen(.changeOld)
        case "3": return pinScreen(.loss(.social))
        case "4": return pinScreen(.loss(.bank))
        case "5" where canActivateHere: return pinScreen(.activate)
        case "9" where configuration.operatorKey != nil: return pinScreen(.operatorKey)
        case "0":
            end()
            return Self.eject(nil)
        default: return menu(note: Bilingual("无此选项", "no such choice"))
        }
    }

    // MARK: PIN steps

    static func isPIN(_ s: String) -> Bool { (4...16).contains(s.count) && s.allSatisfy { $0.isASCII && $0.isNumber } }

    func pin(_ entry: String, _ step: Step, _ s: Session) -> KioskScreen {
        if step == .operatorKey {
            guard let key = configuration.operatorKey, Self.same(entry, key) else {
                self.step = nil
                log("operator key refused")
                return menu(note: Bilingual("柜员密钥错误", "wrong operator key"))
            }
            log("operator mode")
            return pinScreen(.operatorNew)
        }
        guard Self.isPIN(entry) else { return pinScreen(step, note: Bilingual("密码为4至16位数字", "a PIN is 4 to 16 digits")) }
        let t = s.terminal
        let initial = configuration.initialPIN(s.info.region)
        do throws(TerminalError) {
            switch step {
            case .query, .loss, .activate:
                let reference = step == .query && s.hasQueryPIN ? SocialSecurity.queryPIN : SocialSecurity.socialPIN
                if reference == SocialSecurity.socialPIN, let initial, initial.mustChange, Self.same(entry, initial.pin) {
                    return pinScreen(.changeNew(old: entry), note: Bilingual("初始密码须先修改", "the initial PIN must be changed first"))
                }
                if let refused = checked(try t.verifyPIN(entry, reference: reference), step) { return refused }
                self.step = nil
                return perform(step, s)
            case .changeOld:
                return pinScreen(.changeNew(old: entry))
            case .changeNew(let old):
                if let initial, Self.same(entry, initial.pin) {
                    return pinScreen(.changeNew(old: old), note: Bilingual("不能改为初始密码", "the new PIN may not be the initial one"))
                }
                return pinScreen(.changeAgain(old: old, new: entry))
            case .changeAgain(let old, let new):
                guard entry == new else { return pinScreen(.changeNew(old: old), note: Bilingual("两次输入的密码不一致", "the two new PINs differ")) }
                if let refused = checked(try t.changePIN(old: old, new: new), .changeOld) { return refused }
                self.step = nil
                return pinChanged(s)
            case .operatorNew:
                return pinScreen(.operatorAgain(new: entry))
            case .operatorAgain(let new):
                guard entry == new else { return pinScreen(.operatorNew, note: Bilingual("两次输入的密码不一致", "the two new PINs differ")) }
                try t.reloadPIN(new)
                self.step = nil
                log("social PIN reloaded by the operator")
                return message(Bilingual("密码已重置", "the social PIN was reloaded"), [Bilingual("请持卡人使用新密码", "the holder uses the new PIN from now on")])
            case .operatorKey:
                return menu(note: nil)
            }
        } catch {
            return cardFailed(error)
        }
    }

    /// A refused PIN's screen (the step again with the tries left, or blocked); `nil` when verified.
    func checked(_ r: PINResult, _ step: Step) -> KioskScreen? {
        switch r {
        case .verified: return nil
        case .wrong(let left):
            log("wrong PIN, \(left) tries left")
            return pinScreen(step, note: Bilingual("密码错误，还可输入\(left)次", "wrong PIN: \(left) tries left"))
        case .blocked:
            self.step = nil
            log("PIN blocked")
            return message(Bilingual("密码已锁定", "the PIN is blocked"), [Bilingual("请到社保服务大厅解锁", "unlock it at a service hall")])
        }
    }

    func pinChanged(_ s: Session) -> KioskScreen {
        log("social PIN changed")
        var lines = [Bilingual("请牢记新密码", "remember the new PIN")]
        if let j = try? counter(.socialPINChanged, [("card_no", .string(s.info.cardNumber))]), j["social_activated"] == .bool(true) {
            lines.append(Bilingual("社保功能已激活", "the social function is now activated"))
        }
        session?.status = try? cardStatus(s.info.cardNumber)
        return message(Bilingual("密码已修改", "the social PIN was changed"), lines)
    }

    /// The service a verified PIN opens.
    func perform(_ step: Step, _ s: Session) -> KioskScreen {
        let number = s.info.cardNumber
        do throws(BackOfficeLinkError) {
            switch step {
            case .query:
                let person = try counter(.person, [("card_no", .string(number))])
                let journal = try counter(.journal, [("card_no", .string(number)), ("account", .string("social")), ("limit", .string("5"))])
                var lines = [Bilingual("个人账户余额 " + (person["balance"]?.scalarText ?? "?") + " 元", "personal account balance (CNY)")]
                if let y = person["year"] {
                    lines.append(Bilingual(
                        "\(y["year"]?.scalarText ?? "") 年 起付线已用 \(y["deductible_used"]?.scalarText ?? "0") 统筹支付 \(y["fund_paid"]?.scalarText ?? "0") 就诊 \(y["visits"]?.scalarText ?? "0") 次",
                        "this year: deductible used, fund paid, visits"))
                }
                var entries: [JSON] = []
                if case .array(let a)? = journal["entries"] { entries = a }
                lines.append(Bilingual(entries.isEmpty ? "最近无结算" : "最近结算", entries.isEmpty ? "no settlements yet" : "last settlements"))
                for e in entries.reversed() {
                    lines.append(Bilingual(
                        "\(e["time"]?.scalarText ?? "") \(e["kind"]?.scalarText ?? "") \(e["amount"]?.scalarText ?? "") 余额 \(e["balance"]?.scalarText ?? "")", ""))
                }
                log("insurance information shown")
                return message(Bilingual("参保信息", "Insurance information"), lines)
            case .loss(let account):
                let j = try counter(.reportLoss, [("card_no", .string(number)), ("account", .string(account.rawValue)), ("temporary", .bool(true))])
                let until = j["until"]?.scalarText ?? "?"
                log("\(account) account reported lost until \(until)")
                session?.status = try? cardStatus(number)
                let what = account == .social ? Bilingual("社保账户已临时挂失", "the social account is reported lost") : Bilingual("金融账户已临时挂失", "the bank account is reported lost")
                return message(what, [Bilingual("有效至 \(until)，请到窗口办理正式挂失", "until \(until): make it formal at a service window")])
            case .activate:
                let j = try counter(.activate, [("card_no", .string(number)), ("account", .string("social"))])
                log("social function activated")
                session?.status = try? cardStatus(number)
                return message(Bilingual("社保功能已激活", "the social function is activated"), [Bilingual("激活日期 " + (j["activated"]?.scalarText ?? ""), "activated on")])
            default:
                return menu(note: nil)
            }
        } catch {
            return message(Bilingual("中心未能办理", "the back office could not do it"), [Bilingual(error.message, "")])
        }
    }
}
