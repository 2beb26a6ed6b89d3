// SSCard — POS

public import BackOffice
public import Terminal

/// Where a settlement stands when a flow stopped: what the cashier must know.
public enum SettlementOutcome: Hashable, Sendable {
    /// Nothing was settled.
    case notCommitted
    /// It was settled, then cancelled (and the bank part given back).
    case cancelled(setlID: String)
    /// It is settled and stays so: cancel it with `sscard pos cancel`.
    case committed(setlID: String)
    /// The settlement request got no answer and could not be reversed.
    case unknown(msgid: String)

    public var sentence: String {
        switch self {
        case .notCommitted: "nothing was settled"
        case .cancelled(let id): "settlement \(id) was cancelled and nothing is owed"
        case .committed(let id): "settlement \(id) is committed: cancel it with `sscard pos cancel \(id)` once the back office answers"
        case .unknown(let msgid): "the settlement message \(msgid) may have been committed: reverse it (2601) once the back office answers"
        }
    }
}

/// Why a counter flow stopped: a code for programs, words for the cashier.
public struct POSError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The card, the reader or the PSAM failed a step (``POSError/terminal``).
        public static let card = Code(name: "card")
        /// The card went away (or the reader did) in the middle.
        public static let cardRemoved = Code(name: "cardRemoved")
        /// The centre refused: a lost, replaced, suspended, expired or not activated card; insufficient funds; a bad field.
        public static let refused = Code(name: "refused")
        /// A wrong social PIN (``POSError/triesLeft``).
        public static let wrongPIN = Code(name: "wrongPIN")
        /// The social PIN is blocked.
        public static let pinBlocked = Code(name: "pinBlocked")
        /// The PIN change the profile demands could not be done (a new PIN refused, change disabled).
        public static let pinChange = Code(name: "pinChange")
        /// No PIN was given (no prompt, the cashier cancelled).
        public static let pinEntry = Code(name: "pinEntry")
        /// The bank declined the card payment (or the card did).
        public static let declined = Code(name: "declined")
        /// The back office could not be reached or did not answer.
        public static let unreachable = Code(name: "unreachable")
        /// The back office's answer is not what its interface promises.
        public static let malformed = Code(name: "malformed")
        /// The cashier stopped the sale.
        public static let cancelledByCashier = Code(name: "cancelledByCashier")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// What to do about it.
    public var advice: String?
    /// Where the settlement stands.
    public var outcome: SettlementOutcome
    public var triesLeft: Int?
    public var terminal: TerminalError?

    public init(
        _ code: Code, _ message: String, advice: String? = nil, outcome: SettlementOutcome = .notCommitted, triesLeft: Int? = nil,
        terminal: TerminalError? = nil
    ) {
        self.code = code
        self.message = message
        self.advice = advice
        self.outcome = outcome
        self.triesLeft = triesLeft
        self.terminal = terminal
    }

    public init(_ e: BackOfficeLinkError, outcome: SettlementOutcome = .notCommitted) {
        self.init(
            e.code == .malformed ? .malformed : .unreachable, e.message, advice: "check that the back office is running: sscard backoffice serve",
            outcome: outcome)
    }

    public init(_ e: TerminalError, outcome: SettlementOutcome = .notCommitted) {
        if e.code == .transport {
            self.init(.cardRemoved, "the card could not be reached: \(e)", advice: "insert the card and start again", outcome: outcome, terminal: e)
        } else {
            self.init(.card, "\(e)", outcome: outcome, terminal: e)
        }
    }

    /// The same failure, the settlement standing as `outcome` (tries, advice and the card's error kept).
    public func with(outcome: SettlementOutcome) -> POSError {
        var e = self
        e.outcome = outcome
        return e
    }

    /// The message, where the settlement stands, and the advice.
    public var description: String {
        var text = message + "; " + outcome.sentence
        if let advice { text += " (\(advice))" }
        return text
    }

    public static func == (a: Self, b: Self) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }
}
