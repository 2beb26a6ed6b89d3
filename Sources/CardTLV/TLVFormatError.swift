// SSCard — CardTLV

/// Malformed BER-TLV bytes.
///
/// Equality and hashing look only at ``code`` (swift-asn1's convention), so
/// `#expect(throws: TLVFormatError.truncatedValue)` matches any offset.
public struct TLVFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: Hashable, Sendable {
            case truncatedTag, tagTooLong, truncatedLength, indefiniteLength
            case unsupportedLengthForm, nonMinimalLength, truncatedValue, depthExceeded, invalidTag
        }
        fileprivate let backing: Backing

        /// A multi-byte tag cut short.
        public static let truncatedTag = Code(backing: .truncatedTag)
        /// A tag of more than 3 bytes.
        public static let tagTooLong = Code(backing: .tagTooLong)
        /// A length field cut short.
        public static let truncatedLength = Code(backing: .truncatedLength)
        /// The indefinite length `80`, which EMV and ISO 7816 do not use.
        public static let indefiniteLength = Code(backing: .indefiniteLength)
        /// A length field of more than 3 bytes (`83` and up).
        public static let unsupportedLengthForm = Code(backing: .unsupportedLengthForm)
        /// A long-form length where the short form fits (only when rejected by options).
        public static let nonMinimalLength = Code(backing: .nonMinimalLength)
        /// Fewer value bytes than the length announces.
        public static let truncatedValue = Code(backing: .truncatedValue)
        /// Nesting deeper than the configured maximum.
        public static let depthExceeded = Code(backing: .depthExceeded)
        /// A `00` or `FF` tag byte where padding is not allowed.
        public static let invalidTag = Code(backing: .invalidTag)

        public var description: String {
            switch backing {
            case .truncatedTag: "truncatedTag"
            case .tagTooLong: "tagTooLong"
            case .truncatedLength: "truncatedLength"
            case .indefiniteLength: "indefiniteLength"
            case .unsupportedLengthForm: "unsupportedLengthForm"
            case .nonMinimalLength: "nonMinimalLength"
            case .truncatedValue: "truncatedValue"
            case .depthExceeded: "depthExceeded"
            case .invalidTag: "invalidTag"
            }
        }
    }

    public let code: Code
    /// Byte offset in the parsed buffer (from its first byte).
    public let offset: Int
    public let reason: String

    @usableFromInline
    init(_ code: Code, offset: Int, reason: String) {
        self.code = code
        self.offset = offset
        self.reason = reason
    }

    public static func == (lhs: TLVFormatError, rhs: TLVFormatError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { "byte offset \(offset): \(reason)" }

    public static let truncatedTag = TLVFormatError(.truncatedTag, offset: 0, reason: "tag cut short")
    public static let tagTooLong = TLVFormatError(.tagTooLong, offset: 0, reason: "tag longer than 3 bytes")
    public static let truncatedLength = TLVFormatError(.truncatedLength, offset: 0, reason: "length cut short")
    public static let indefiniteLength = TLVFormatError(.indefiniteLength, offset: 0, reason: "indefinite length")
    public static let unsupportedLengthForm = TLVFormatError(
        .unsupportedLengthForm, offset: 0, reason: "length longer than 3 bytes")
    public static let nonMinimalLength = TLVFormatError(.nonMinimalLength, offset: 0, reason: "non-minimal length")
    public static let truncatedValue = TLVFormatError(.truncatedValue, offset: 0, reason: "value cut short")
    public static let depthExceeded = TLVFormatError(.depthExceeded, offset: 0, reason: "nesting too deep")
    public static let invalidTag = TLVFormatError(.invalidTag, offset: 0, reason: "invalid tag")
}
