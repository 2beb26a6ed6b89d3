// SSCard — Terminal

public import CardAPDU
public import CardTransport

/// Why a terminal flow stopped: a code for programs, the step and the
/// details for people.
///
/// Equality and hashing look only at ``code`` (as in the bytes layer), so
/// that tests and the CLI decide on codes, never on message text.
public struct TerminalError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: Hashable, Sendable {
            case transport, cardStatus, psamStatus, malformedResponse, notGenuine, invalidCommand
            case applicationUnavailable, applicationNotFound, issuerHost, pinEntry
        }
        fileprivate let backing: Backing

        /// The reader or connection failed (``TerminalError/transportError`` says how).
        public static let transport = Code(backing: .transport)
        /// The card answered a status word the step does not accept (``TerminalError/status``).
        public static let cardStatus = Code(backing: .cardStatus)
        /// The PSAM answered a status word the step does not accept.
        public static let psamStatus = Code(backing: .psamStatus)
        /// The card's (or PSAM's) answer does not have the form the step needs.
        public static let malformedResponse = Code(backing: .malformedResponse)
        /// The card failed INTERNAL AUTHENTICATE: not genuine.
        public static let notGenuine = Code(backing: .notGenuine)
        /// A command could not be built from what the card gave (a length past what an APDU carries).
        public static let invalidCommand = Code(backing: .invalidCommand)
        /// The bank application refuses transactions (`6985` to GET
        /// PROCESSING OPTIONS): blocked, or not activated by the bank.
        public static let applicationUnavailable = Code(backing: .applicationUnavailable)
        /// No application the terminal knows is on the card, or it is blocked.
        public static let applicationNotFound = Code(backing: .applicationNotFound)
        /// The issuer host could not answer.
        public static let issuerHost = Code(backing: .issuerHost)
        /// No PIN could be had from the cardholder (the keypad was cancelled, no PIN source).
        public static let pinEntry = Code(backing: .pinEntry)

        public var description: String {
            switch backing {
            case .transport: "transport"
            case .cardStatus: "cardStatus"
            case .psamStatus: "psamStatus"
            case .malformedResponse: "malformedResponse"
            case .notGenuine: "notGenuine"
            case .invalidCommand: "invalidCommand"
            case .applicationUnavailable: "applicationUnavailable"
            case .applicationNotFound: "applicationNotFound"
            case .issuerHost: "issuerHost"
            case .pinEntry: "pinEntry"
            }
        }
    }

    public var code: Code
    /// The step: "SELECT SSSE", "READ RECORD EF05 tag 07", "GET PROCESSING OPTIONS", …
    public var step: String
    /// The status word, for ``Code/cardStatus``, ``Code/psamStatus`` and ``Code/applicationUnavailable``.
    public var status: StatusWord?
    /// The transport's error, for ``Code/transport``.
    public var transportError: TransportError?
    /// More words for people, when the code and step do not say enough.
    public var detail: String?
    /// Where it was thrown (`#fileID`, `#line`).
    public var sourceLocation: (file: String, line: Int)

    public init(
        _ code: Code, step: String, status: StatusWord? = nil, transportError: TransportError? = nil,
        detail: String? = nil, fileID: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.step = step
        self.status = status
        self.transportError = transportError
        self.detail = detail
        self.sourceLocation = (fileID, line)
    }

    /// The transport failed during `step`.
    public static func transport(_ error: TransportError, step: String, fileID: String = #fileID, line: Int = #line) -> TerminalError {
        TerminalError(.transport, step: step, transportError: error, fileID: fileID, line: line)
    }

    public static func == (a: TerminalError, b: TerminalError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String {
        let sw = status.map { "\($0) (\($0.meaning))" } ?? "?"
        let text: String
        switch code {
        case .transport: text = "\(step): \(transportError.map(String.init(describing:)) ?? "transport failure")"
        case .cardStatus: text = "\(step): the card answered \(sw)"
        case .psamStatus: text = "\(step): the PSAM answered \(sw)"
        case .malformedResponse: text = "\(step): the answer is malformed"
        case .notGenuine: text = "\(step): the card is not genuine (INTERNAL AUTHENTICATE failed)"
        case .invalidCommand: text = "\(step): the command cannot be built"
        case .applicationUnavailable:
            text = "\(step): the card answered \(sw): the application is blocked or the account is not activated"
        case .applicationNotFound: text = "\(step): no known application on the card"
        case .pinEntry: text = "\(step): no PIN was entered"
        default: text = "\(step): the issuer host failed"
        }
        return detail.map { "\(text) (\($0))" } ?? text
    }
}
