// SSCard — BackOffice
//
// The card's life cycle at the centre and the bank, per account, as the
// seed documents state it (DESIGN.md profile table): the social function is
// activated on a regional rule; the bank function must be activated within
// 30 or 60 days of pickup or the social function is suspended; loss reports
// are separate for the two accounts (temporary with an expiry, or formal),
// and releasable; a replaced card is void. Pure functions of the record,
// the policy and the day, so that a test controls the clock.

/// A calendar day in China (UTC+8), as days since 1970-01-01.
public struct LocalDay: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var index: Int
    public init(index: Int) { self.index = index }

    /// The day of a Unix time, in UTC+8.
    public init(unixTime seconds: Int) { index = Int((Double(seconds + 8 * 3600) / 86_400).rounded(.down)) }

    /// From `YYYYMMDD` or `YYYY-MM-DD`.
    public init?(_ text: String) {
        let digits = text.filter { $0 != "-" }
        guard digits.count == 8, let v = Int(digits) else { return nil }
        let y = v / 10_000, m = v / 100 % 100, d = v % 100
        guard (1...12).contains(m), (1...31).contains(d) else { return nil }
        index = Self.days(year: y, month: m, day: d)
        guard Self.civil(index) == (y, m, d) else { return nil }
    }

    public static func < (a: LocalDay, b: LocalDay) -> Bool { a.index < b.index }
    public static func + (a: LocalDay, n: Int) -> LocalDay { LocalDay(index: a.index + n) }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = Self.civil(index)
        return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }

    public var year: Int { Self.civil(index).0 }

    /// The civil date.
    public var components: (year: Int, month: Int, day: Int) { Self.civil(index) }

    // Howard Hinnant's days-from-civil and civil-from-days.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// When the social function of a new card starts to work.
public enum SocialActivationRule: Hashable, Sendable, CustomStringConvertible {
    /// From 0:00 of the day after pickup.
    case nextDay
    /// A number of days after pickup (4 in one region).
    case daysAfterPickup(Int)
    /// At the first read at a designated institution (the centre activates it then).
    case firstReadAtInstitution
    /// At the first PIN change.
    case firstPINChange
    /// Locked until the employer returns the pickup list (activated at the counter).
    case employerList
    /// Activated by the holder at a self-service kiosk (or at the counter) [INFERRED].
    case atKiosk

    /// Policy-file names: `next-day`, `days-after-pickup:4`, `first-read`, `first-pin-change`, `employer-list`, `kiosk`.
    public init?(name: String) {
        switch name {
        case "next-day": self = .nextDay
        case "first-read": self = .firstReadAtInstitution
        case "first-pin-change": self = .firstPINChange
        case "employer-list": self = .employerList
        case "kiosk": self = .atKiosk
        default:
            guard name.hasPrefix("days-after-pickup:"), let n = Int(name.dropFirst("days-after-pickup:".count)), n >= 0 else { return nil }
            self = .daysAfterPickup(n)
        }
    }

    public var description: String {
        switch self {
        case .nextDay: "next-day"
        case .daysAfterPickup(let n): "days-after-pickup:\(n)"
        case .firstReadAtInstitution: "first-read"
        case .firstPINChange: "first-pin-change"
        case .employerList: "employer-list"
        case .atKiosk: "kiosk"
        }
    }
}

/// A region's life-cycle rules.
public struct LifecyclePolicy: Hashable, Sendable {
    public var socialActivation: SocialActivationRule
    /// The bank function must be activated within this many days of pickup
    /// (30 or 60), or the social function is suspended; `nil`: no deadline.
    public var bankActivationDays: Int?
    /// How long a temporary (telephone) loss report holds before it lapses [INFERRED: 5 days].
    public var temporaryLossDays: Int
    /// The replacement fee.
    public var replacementFee: Money

    public init(socialActivation: SocialActivationRule = .nextDay, bankActivationDays: Int? = 60, temporaryLossDays: Int = 5, replacementFee: Money = Money(fen: 2000)) {
        self.socialActivation = socialActivation
        self.bankActivationDays = bankActivationDays
        self.temporaryLossDays = temporaryLossDays
        self.replacementFee = replacementFee
    }
}

/// A loss report on one account.
public enum LossReport: Hashable, Sendable {
    /// By telephone (or at a kiosk), lapsing after the day given.
    case temporary(until: LocalDay)
    /// At a window; holds until released.
    case formal
}

/// What the centre and the bank know of one card.
public struct CardRecord: Hashable, Sendable {
    public var cardNumber: String
    public var pickup: LocalDay
    public var expiry: LocalDay
    public var socialActivated: LocalDay?
    public var bankActivated: LocalDay?
    public var socialLoss: LossReport?
    public var bankLoss: LossReport?
    /// The card that replaced this one.
    public var replacedBy: String?

    public init(
        cardNumber: String, pickup: LocalDay, expiry: LocalDay, socialActivated: LocalDay? = nil, bankActivated: LocalDay? = nil,
        socialLoss: LossReport? = nil, bankLoss: LossReport? = nil, replacedBy: String? = nil
    ) {
        self.cardNumber = cardNumber
        self.pickup = pickup
        self.expiry = expiry
        self.socialActivated = socialActivated
        self.bankActivated = bankActivated
        self.socialLoss = socialLoss
        self.bankLoss = bankLoss
        self.replacedBy = replacedBy
    }
}

/// Why an account of a card may not be used, or that it may.
public struct CardRefusal: Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public let name: String
        public static let replaced = Code(name: "replaced")
        public static let expired = Code(name: "expired")
        public static let lostTemporarily = Code(name: "lostTemporarily")
        public static let lostFormally = Code(name: "lostFormally")
        public static let notActivated = Code(name: "notActivated")
        public static let suspended = Code(name: "suspended")
    }
    public var code: Code
    /// One line for the counter: the Chinese term and what it means.
    public var description: String
}

/// Which account a rule or a report is about.
public enum CardAccount: String, Hashable, Sendable, CaseIterable {
    case social, bank
}

public enum CardLifecycle {
    /// Whether a loss report is in force on a day (a temporary one lapses).
    public static func inForce(_ report: LossReport?, on day: LocalDay) -> LossReport? {
        switch report {
        case .temporary(let until) where day > until: nil
        default: report
        }
    }

    /// Whether the social function is activated on a day, by the rule alone.
    public static func socialActive(_ card: CardRecord, policy: LifecyclePolicy, on day: LocalDay) -> Bool {
        if let at = card.socialActivated { return day >= at }
        switch policy.socialActivation {
        case .nextDay: return day >= card.pickup + 1
        case .daysAfterPickup(let n): return day >= card.pickup + n
        case .firstReadAtInstitution, .firstPINChange, .employerList, .atKiosk: return false
        }
    }

    /// The bank activation deadline, if any.
    public static func bankDeadline(_ card: CardRecord, policy: LifecyclePolicy) -> LocalDay? {
        policy.bankActivationDays.map { card.pickup + $0 }
    }

    /// Why the social account may not be used on a day; `nil` when it may.
    public static func socialRefusal(_ card: CardRecord, policy: LifecyclePolicy, on day: LocalDay) -> CardRefusal? {
        let n = card.cardNumber
        if let by = card.replacedBy {
            return CardRefusal(code: .replaced, description: "卡已补换: card \(n) was replaced by card \(by) and is void")
        }
        if day > card.expiry {
            return CardRefusal(code: .expired, description: "卡已过有效期: card \(n) expired on \(card.expiry)")
        }
        switch inForce(card.socialLoss, on: day) {
        case .formal:
            return CardRefusal(code: .lostFormally, description: "卡已正式挂失: the social account of card \(n) is reported lost (formal)")
        case .temporary(let until):
            return CardRefusal(
                code: .lostTemporarily, description: "卡已临时挂失: the social account of card \(n) is reported lost until \(until)")
        case nil: break
        }
        if !socialActive(card, policy: policy, on: day) {
            let how: String
            switch policy.socialActivation {
            case .nextDay, .daysAfterPickup: how = "it is activated on \(activationDay(card, policy: policy).map(\.description) ?? "?")"
            case .firstReadAtInstitution: how = "it is activated at its first read at a designated institution"
            case .firstPINChange: how = "it is activated by the first PIN change"
            case .employerList: how = "it is activated once the employer returns the pickup list"
            case .atKiosk: how = "activate it at a self-service kiosk or the counter"
            }
            return CardRefusal(code: .notActivated, description: "社保功能未激活: the social function of card \(n) is not activated (\(how))")
        }
        if card.bankActivated == nil, let deadline = bankDeadline(card, policy: policy), day > deadline {
            return CardRefusal(
                code: .suspended,
                description: "社保功能已暂停: card \(n)'s bank function was not activated by \(deadline); activate it at the bank")
        }
        return nil
    }

    /// Why the bank account may not be used on a day; `nil` when it may.
    public static func bankRefusal(_ card: CardRecord, on day: LocalDay) -> CardRefusal? {
        let n = card.cardNumber
        if let by = card.replacedBy {
            return CardRefusal(code: .replaced, description: "卡已补换: card \(n) was replaced by card \(by) and is void")
        }
        if day > card.expiry { return CardRefusal(code: .expired, description: "卡已过有效期: card \(n) expired on \(card.expiry)") }
        switch inForce(card.bankLoss, on: day) {
        case .formal: return CardRefusal(code: .lostFormally, description: "卡已正式挂失: the bank account of card \(n) is reported lost (formal)")
        case .temporary(let until):
            return CardRefusal(code: .lostTemporarily, description: "卡已临时挂失: the bank account of card \(n) is reported lost until \(until)")
        case nil: break
        }
        if card.bankActivated == nil {
            return CardRefusal(code: .notActivated, description: "金融功能未激活: the bank function of card \(n) is not activated")
        }
        return nil
    }

    /// The day a date rule activates the social function.
    static func activationDay(_ card: CardRecord, policy: LifecyclePolicy) -> LocalDay? {
        switch policy.socialActivation {
        case .nextDay: card.pickup + 1
        case .daysAfterPickup(let n): card.pickup + n
        default: nil
        }
    }

    /// A loss report made on a day: temporary ones lapse after the policy's days.
    public static func report(temporary: Bool, on day: LocalDay, policy: LifecyclePolicy) -> LossReport {
        temporary ? .temporary(until: day + policy.temporaryLossDays) : .formal
    }
}
