// SSCard — CardFileSystem

/// What must have happened before an operation on a file is allowed
/// (OpenSC's `acl[SC_AC_OP_*]` entries; the social-security tables'
/// 自由 / PIN / RK / "PIN 或 RK").
public enum AccessRule: Hashable, Sendable, CustomStringConvertible {
    /// Always allowed.
    case always
    /// Never allowed.
    case never
    /// After VERIFY of the PIN with this reference.
    case pin(UInt8)
    /// After EXTERNAL AUTHENTICATE with the key of this number.
    case key(UInt8)
    /// After either.
    case pinOrKey(pin: UInt8, key: UInt8)
    /// After both.
    case pinAndKey(pin: UInt8, key: UInt8)

    /// Whether the security state satisfies the rule.
    @inlinable
    public func isSatisfied(by security: SecurityStatus) -> Bool {
        switch self {
        case .always: true
        case .never: false
        case .pin(let p): security.isPINVerified(p)
        case .key(let k): security.isKeyAuthenticated(k)
        case .pinOrKey(let p, let k): security.isPINVerified(p) || security.isKeyAuthenticated(k)
        case .pinAndKey(let p, let k): security.isPINVerified(p) && security.isKeyAuthenticated(k)
        }
    }

    /// Text form used in card images: `always`, `never`, `pin:01`, `key:0A`,
    /// `pin:01|key:0A` (either), `pin:01+key:0A` (both).
    public var description: String {
        func h(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true) }
        switch self {
        case .always: return "always"
        case .never: return "never"
        case .pin(let p): return "pin:\(h(p))"
        case .key(let k): return "key:\(h(k))"
        case .pinOrKey(let p, let k): return "pin:\(h(p))|key:\(h(k))"
        case .pinAndKey(let p, let k): return "pin:\(h(p))+key:\(h(k))"
        }
    }

    /// Parses the text form; `nil` when malformed.
    public init?(_ text: String) {
        func ref(_ s: Substring, _ prefix: String) -> UInt8? {
            guard s.hasPrefix(prefix) else { return nil }
            let hex = s.dropFirst(prefix.count)
            guard (1...2).contains(hex.count) else { return nil }
            return UInt8(hex, radix: 16)
        }
        switch text {
        case "always": self = .always
        case "never": self = .never
        default:
            for (sep, both) in [("|", false), ("+", true)] where text.contains(sep) {
                let parts = text.split(separator: Character(sep))
                guard parts.count == 2, let p = ref(parts[0], "pin:"), let k = ref(parts[1], "key:") else { return nil }
                self = both ? .pinAndKey(pin: p, key: k) : .pinOrKey(pin: p, key: k)
                return
            }
            if let p = ref(text[...], "pin:") {
                self = .pin(p)
            } else if let k = ref(text[...], "key:") {
                self = .key(k)
            } else {
                return nil
            }
        }
    }
}

/// The operations a file's access rules cover.
public enum FileOperation: String, Hashable, Sendable, CaseIterable {
    case read, update, append
}

/// Access rules per operation.
public struct AccessRules: Hashable, Sendable {
    public var read: AccessRule
    public var update: AccessRule
    public var append: AccessRule

    public init(read: AccessRule = .always, update: AccessRule = .never, append: AccessRule? = nil) {
        self.read = read
        self.update = update
        self.append = append ?? update
    }

    public subscript(operation: FileOperation) -> AccessRule {
        get {
            switch operation {
            case .read: read
            case .update: update
            case .append: append
            }
        }
        set {
            switch operation {
            case .read: read = newValue
            case .update: update = newValue
            case .append: append = newValue
            }
        }
    }
}

/// What the holder has proved in this session: verified PINs and
/// externally authenticated keys, kept apart from the file tree (vsmartcard
/// keeps its SAM apart from its MF). Cleared by reset and by selecting
/// another application.
public struct SecurityStatus: Hashable, Sendable {
    @usableFromInline var pins: Set<UInt8> = []
    @usableFromInline var keys: Set<UInt8> = []

    public init() {}

    @inlinable public func isPINVerified(_ reference: UInt8) -> Bool { pins.contains(reference) }
    @inlinable public func isKeyAuthenticated(_ number: UInt8) -> Bool { keys.contains(number) }
    public mutating func setPINVerified(_ reference: UInt8, _ verified: Bool = true) {
        if verified { pins.insert(reference) } else { pins.remove(reference) }
    }
    public mutating func setKeyAuthenticated(_ number: UInt8, _ authenticated: Bool = true) {
        if authenticated { keys.insert(number) } else { keys.remove(number) }
    }
    public mutating func clear() {
        if !pins.isEmpty { pins.removeAll() }
        if !keys.isEmpty { keys.removeAll() }
    }
    public var isEmpty: Bool { pins.isEmpty && keys.isEmpty }
    /// Whether some key has been externally authenticated (a verified PIN does not count).
    public var hasAuthenticatedKey: Bool { !keys.isEmpty }
}
