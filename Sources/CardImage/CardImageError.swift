// SSCard — CardImage

/// A card image or profile that cannot be used: which field, and why.
public struct CardImageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file, when there is one.
    public var file: String?
    /// A dotted path to the field: `pins.social.limit`, `mf.children[1].fid`.
    public var field: String
    public var reason: String

    public init(file: String? = nil, field: String, _ reason: String) {
        self.file = file
        self.field = field
        self.reason = reason
    }

    public var description: String {
        let place = [file, field.isEmpty ? nil : field].compactMap { $0 }.joined(separator: ": ")
        return place.isEmpty ? reason : "\(place): \(reason)"
    }
}
