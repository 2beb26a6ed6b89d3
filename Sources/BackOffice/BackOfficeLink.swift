// SSCard — BackOffice
//
// How a terminal (the POS, the kiosk) reaches the back office: the
// insurance centre's one platform endpoint and the bank's endpoints, as JSON
// bodies. The same bytes go in process (the store, in BackOfficeStore) or
// over HTTP (in POS), so that a flow tested in process behaves the same
// against a server in another program.

import CardAPDU

/// Where a transaction comes from.
public enum BankChannel: String, Sendable, CaseIterable {
    case pos, atm, counter
}

/// One of the bank's endpoints.
public struct BankEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The HTTP path.
    public let path: String
    public init(path: String) { self.path = path }

    /// An online request (ARQC) decided: `/bank/authorize`.
    public static let authorize = BankEndpoint(path: "/bank/authorize")
    /// A purchase given back, by its reference: `/bank/refund`.
    public static let refund = BankEndpoint(path: "/bank/refund")

    public var description: String { path }
}

/// Why the back office could not be asked (not why it said no: a refusal
/// is an answer).
public struct BackOfficeLinkError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// No connection: the server is not running, or the address is wrong.
        public static let unreachable = Code(name: "unreachable")
        /// Connected, but no answer came in time, or the connection broke.
        public static let noAnswer = Code(name: "noAnswer")
        /// An answer came that is not the interface's (not HTTP, not JSON, another status).
        public static let malformed = Code(name: "malformed")
        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
    public static func == (a: Self, b: Self) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }
}

/// The back office as a terminal sees it.
public protocol BackOfficeLink: AnyObject {
    /// Where it is, for messages: "database FILE", "http://127.0.0.1:8080".
    var location: String { get }
    /// One platform request (the whole envelope) and its answer envelope.
    func centre(_ body: [UInt8]) throws(BackOfficeLinkError) -> [UInt8]
    /// One bank request; the HTTP status and the JSON answer.
    func bank(_ endpoint: BankEndpoint, _ body: [UInt8]) throws(BackOfficeLinkError) -> (status: Int, body: [UInt8])
    /// One counter operation (`/counter/OPERATION`: what a service hall's
    /// window or a kiosk does to a card's accounts); the HTTP status and the JSON answer.
    func counter(_ operation: CounterOperation, _ body: [UInt8]) throws(BackOfficeLinkError) -> (status: Int, body: [UInt8])
}

/// The counter operations a terminal may ask for, each at `/counter/NAME`
/// with a JSON body `{"card_no": …, …}`.
public struct CounterOperation: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    init(_ name: String) { self.name = name }

    /// `{card_no}` → the card and the state of its two accounts.
    public static let card = CounterOperation("card")
    /// `{card_no}` → the person: personal-account balance, the year's totals, the cards.
    public static let person = CounterOperation("person")
    /// `{card_no, account, limit}` → the account's last entries.
    public static let journal = CounterOperation("journal")
    /// `{card_no, account, temporary}` → a loss report.
    public static let reportLoss = CounterOperation("report-loss")
    /// `{card_no, account}` → the account activated.
    public static let activate = CounterOperation("activate")
    /// `{card_no}` → the social PIN was changed (where the region activates on it).
    public static let socialPINChanged = CounterOperation("social-pin-changed")

    public static let all: [CounterOperation] = [.card, .person, .journal, .reportLoss, .activate, .socialPINChanged]
    public var path: String { "/counter/" + name }
    public var description: String { path }
}

extension AuthorizationRequest {
    /// The request as the bank's HTTP interface takes it.
    public func json(channel: BankChannel = .pos, withdrawal: Bool = false, crossBank: Bool = false, reference: String? = nil) -> JSON {
        var members: [(String, JSON)] = [
            ("pan", .string(pan)), ("psn", .string(String(psn))), ("atc", .string(String(atc))),
            ("transaction_data", .string(Hex.encode(transactionData))), ("aip", .string(Hex.encode(aip))), ("iad", .string(Hex.encode(iad))),
            ("arqc", .string(Hex.encode(arqc))), ("amount", .money(Money(fen: amount))), ("channel", .string(channel.rawValue)),
            ("withdrawal", .bool(withdrawal)), ("cross_bank", .bool(crossBank)),
        ]
        if let reference { members.append(("reference", .string(reference))) }
        return .object(members)
    }
}

extension AuthorizationResponse {
    /// Reads the bank's HTTP answer.
    public init?(bankJSON j: JSON) {
        guard let arc = j["arc"]?.string, let arpc = j["arpc"]?.string.flatMap({ try? Hex.decode($0) }) else { return nil }
        var scripts: [CommandAPDU] = []
        for s in j["scripts"]?.array ?? [] {
            guard let bytes = s.string.flatMap({ try? Hex.decode($0) }), let c = try? CommandAPDU(bytes: bytes) else { return nil }
            scripts.append(c)
        }
        self.init(arc: Array(arc.utf8), arpc: arpc, scripts: scripts, reason: j["reason"]?.string ?? "")
    }
}

