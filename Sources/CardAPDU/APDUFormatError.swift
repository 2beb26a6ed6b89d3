// SSCard — CardAPDU
//
// Errors for malformed APDU bytes on our side of the wire. A card's answer is
// never one of these: status words live in `StatusWord` (STYLE.md §3.4).

/// A malformed command or response APDU, or malformed hexadecimal text.
///
/// Equality and hashing look only at ``code``, so a test can compare a thrown
/// error with a freshly built one (`#expect(throws: APDUFormatError.trailingBytes)`).
public struct APDUFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: Hashable, Sendable {
            case tooShort
            case zeroLc
            case truncatedData
            case trailingBytes
            case malformedExtendedLength
            case responseTooShort
            case invalidHexDigit
            case oddHexDigitCount
            case valueOutOfRange
        }
        fileprivate let backing: Backing

        /// Fewer than the 4 header bytes (CLA INS P1 P2).
        public static let tooShort = Code(backing: .tooShort)
        /// An Lc field of zero, short (`00` followed by data) or extended (`00 0000`).
        public static let zeroLc = Code(backing: .zeroLc)
        /// Fewer data bytes than Lc announces.
        public static let truncatedData = Code(backing: .truncatedData)
        /// Bytes after the last field the case allows.
        public static let trailingBytes = Code(backing: .trailingBytes)
        /// An extended-length form that is cut short or has a one-byte Le.
        public static let malformedExtendedLength = Code(backing: .malformedExtendedLength)
        /// A response APDU shorter than its two status bytes.
        public static let responseTooShort = Code(backing: .responseTooShort)
        /// A character that is not a hexadecimal digit.
        public static let invalidHexDigit = Code(backing: .invalidHexDigit)
        /// A hexadecimal string with an odd number of digits.
        public static let oddHexDigitCount = Code(backing: .oddHexDigitCount)
        /// Nc or Ne outside what any APDU form can carry.
        public static let valueOutOfRange = Code(backing: .valueOutOfRange)

        public var description: String {
            switch backing {
            case .tooShort: "tooShort"
            case .zeroLc: "zeroLc"
            case .truncatedData: "truncatedData"
            case .trailingBytes: "trailingBytes"
            case .malformedExtendedLength: "malformedExtendedLength"
            case .responseTooShort: "responseTooShort"
            case .invalidHexDigit: "invalidHexDigit"
            case .oddHexDigitCount: "oddHexDigitCount"
            case .valueOutOfRange: "valueOutOfRange"
            }
        }
    }

    /// The kind of error.
    public let code: Code
    /// The byte offset in the input where the problem was found (for hex
    /// text: the character offset).
    public let offset: Int
    /// A sentence for people.
    public let reason: String

    @usableFromInline
    package init(_ code: Code, offset: Int, reason: String) {
        self.code = code
        self.offset = offset
        self.reason = reason
    }

    public static func == (lhs: APDUFormatError, rhs: APDUFormatError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String { "byte offset \(offset): \(reason)" }

    // Factories; the static members without arguments exist for `#expect(throws:)`.
    public static let tooShort = APDUFormatError(.tooShort, offset: 0, reason: "fewer than 4 header bytes")
    public static let zeroLc = APDUFormatError(.zeroLc, offset: 4, reason: "Lc is 0")
    public static let truncatedData = APDUFormatError(.truncatedData, offset: 0, reason: "data shorter than Lc")
    public static let trailingBytes = APDUFormatError(.trailingBytes, offset: 0, reason: "trailing bytes")
    public static let malformedExtendedLength = APDUFormatError(
        .malformedExtendedLength, offset: 0, reason: "malformed extended length")
    public static let responseTooShort = APDUFormatError(
        .responseTooShort, offset: 0, reason: "a response needs at least SW1 SW2")
    public static let invalidHexDigit = APDUFormatError(.invalidHexDigit, offset: 0, reason: "not a hex digit")
    public static let oddHexDigitCount = APDUFormatError(.oddHexDigitCount, offset: 0, reason: "odd number of hex digits")
    public static let valueOutOfRange = APDUFormatError(.valueOutOfRange, offset: 0, reason: "value out of range")
}
