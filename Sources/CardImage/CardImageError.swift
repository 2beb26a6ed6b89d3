// SSCard — CardImage

/// A card image or profile that cannot be used: which field, and why.
///
/// Equality and hashing look only at ``code`` (as ``APDUFormatError`` does), so
/// a test compares a thrown error with `CardImageError.Code` values.
public struct CardImageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: Hashable, Sendable {
            case invalidValue, missingValue, malformed, unsupportedSchema, unreadable, unwritable, alreadyExists
            case unknownProfile, noBankApplication
        }
        fileprivate let backing: Backing

        /// A field has a value it may not have.
        public static let invalidValue = Code(backing: .invalidValue)
        /// A field that must be there is not.
        public static let missingValue = Code(backing: .missingValue)
        /// The file is not JSON, or not a card image or profile.
        public static let malformed = Code(backing: .malformed)
        /// A schema version this build does not read.
        public static let unsupportedSchema = Code(backing: .unsupportedSchema)
        /// The file cannot be read.
        public static let unreadable = Code(backing: .unreadable)
        /// The file cannot be written.
        public static let unwritable = Code(backing: .unwritable)
        /// A new image would overwrite a file.
        public static let alreadyExists = Code(backing: .alreadyExists)
        /// No built-in profile has the name.
        public static let unknownProfile = Code(backing: .unknownProfile)
        /// The card has no PBOC debit application.
        public static let noBankApplication = Code(backing: .noBankApplication)

        public var description: String {
            switch backing {
            case .invalidValue: "invalidValue"
            case .missingValue: "missingValue"
            case .malformed: "malformed"
            case .unsupportedSchema: "unsupportedSchema"
            case .unreadable: "unreadable"
            case .unwritable: "unwritable"
            case .alreadyExists: "alreadyExists"
            case .unknownProfile: "unknownProfile"
            case .noBankApplication: "noBankApplication"
            }
        }
    }

    public var code: Code
    /// The file, when there is one.
    public var file: String?
    /// A dotted path to the field: `pins.social.limit`, `mf.children[1].fid`.
    public var field: String
    public var reason: String
    /// Where it was thrown (`#fileID`, `#line`), for bug reports.
    public var sourceLocation: (file: String, line: Int)

    public init(
        _ code: Code, file: String? = nil, field: String, _ reason: String, fileID: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.file = file
        self.field = field
        self.reason = reason
        self.sourceLocation = (fileID, line)
    }

    /// A field with a value it may not have (``Code/invalidValue``).
    public init(file: String? = nil, field: String, _ reason: String, fileID: String = #fileID, line: Int = #line) {
        self.init(.invalidValue, file: file, field: field, reason, fileID: fileID, line: line)
    }

    public static func == (a: CardImageError, b: CardImageError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String {
        let place = [file, field.isEmpty ? nil : field].compactMap { $0 }.joined(separator: ": ")
        return place.isEmpty ? reason : "\(place): \(reason)"
    }
}
