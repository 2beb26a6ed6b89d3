// SSCard — CardFileSystem

/// A two-byte file identifier (ISO/IEC 7816-4 §7.1.1).
///
/// `3F00` is reserved for the MF; `3FFF` (path selection) and `FFFF`
/// (reserved for future use) are rejected.
public struct FileID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    /// - Returns: `nil` for `3FFF` and `FFFF`.
    public init?(rawValue: UInt16) {
        guard rawValue != 0x3FFF, rawValue != 0xFFFF else { return nil }
        self.rawValue = rawValue
    }

    /// From two bytes, big-endian.
    public init?(_ hi: UInt8, _ lo: UInt8) { self.init(rawValue: UInt16(hi) << 8 | UInt16(lo)) }

    /// The MF, `3F00`.
    public static let mf = FileID(rawValue: 0x3F00)!

    public var bytes: [UInt8] { [UInt8(rawValue >> 8), UInt8(rawValue & 0xFF)] }
    public var description: String {
        let hex = String(rawValue, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - hex.count) + hex
    }
}

/// A short EF identifier, 1…30 (ISO/IEC 7816-4 §7.1.2).
public struct SFI: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    /// - Returns: `nil` outside 1…30.
    public init?(rawValue: UInt8) {
        guard (1...30).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }
    public var description: String { String(rawValue) }
}

/// An application identifier or DF name of 5…16 bytes (ISO/IEC 7816-4 §8.2.1.2).
public struct AID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    /// - Returns: `nil` unless 5…16 bytes.
    public init?(_ bytes: [UInt8]) {
        guard (5...16).contains(bytes.count) else { return nil }
        self.bytes = bytes
    }
    public var description: String {
        bytes.map { b in
            let s = String(b, radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }
}
