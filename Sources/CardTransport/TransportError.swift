// SSCard — CardTransport

/// The reader, PC/SC or connection failed. A card's status word is never one
/// of these: `transmit` returns whatever the card answered (STYLE.md §3.4).
///
/// Equality looks only at ``code``.
public struct TransportError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: Hashable, Sendable {
            case serviceUnavailable, readerNotFound, ambiguousReader, noCard, cardRemoved, cardReset
            case protocolMismatch, sharingViolation, communication, timeout, cancelled, invalidAPDU, other
        }
        fileprivate let backing: Backing

        /// pcscd is not running (or stopped).
        public static let serviceUnavailable = Code(backing: .serviceUnavailable)
        /// No reader matches the name.
        public static let readerNotFound = Code(backing: .readerNotFound)
        /// Several readers match the name.
        public static let ambiguousReader = Code(backing: .ambiguousReader)
        /// No card in the reader.
        public static let noCard = Code(backing: .noCard)
        /// The card was removed during the session.
        public static let cardRemoved = Code(backing: .cardRemoved)
        /// Another process reset the card.
        public static let cardReset = Code(backing: .cardReset)
        /// The card does not offer the requested protocol.
        public static let protocolMismatch = Code(backing: .protocolMismatch)
        /// The reader is held exclusively by another process.
        public static let sharingViolation = Code(backing: .sharingViolation)
        /// The exchange failed at the driver or on the wire.
        public static let communication = Code(backing: .communication)
        public static let timeout = Code(backing: .timeout)
        public static let cancelled = Code(backing: .cancelled)
        /// The bytes to send cannot be an APDU (fewer than 4 bytes, too long).
        public static let invalidAPDU = Code(backing: .invalidAPDU)
        public static let other = Code(backing: .other)

        public var description: String {
            switch backing {
            case .serviceUnavailable: "serviceUnavailable"
            case .readerNotFound: "readerNotFound"
            case .ambiguousReader: "ambiguousReader"
            case .noCard: "noCard"
            case .cardRemoved: "cardRemoved"
            case .cardReset: "cardReset"
            case .protocolMismatch: "protocolMismatch"
            case .sharingViolation: "sharingViolation"
            case .communication: "communication"
            case .timeout: "timeout"
            case .cancelled: "cancelled"
            case .invalidAPDU: "invalidAPDU"
            case .other: "other"
            }
        }
    }

    public var code: Code
    /// The raw code of the layer below (a PC/SC `LONG`), when there is one.
    public var underlying: Int?
    public var reason: String

    public init(_ code: Code, underlying: Int? = nil, reason: String) {
        self.code = code
        self.underlying = underlying
        self.reason = reason
    }

    public static func == (a: TransportError, b: TransportError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String {
        guard let underlying else { return reason }
        return "\(reason) (0x\(String(UInt32(truncatingIfNeeded: underlying), radix: 16, uppercase: true)))"
    }

    public static let cardRemoved = TransportError(.cardRemoved, reason: "the card was removed")
    public static let invalidAPDU = TransportError(.invalidAPDU, reason: "not an APDU")
    public static let serviceUnavailable = TransportError(.serviceUnavailable, reason: "pcscd is not running")
}
