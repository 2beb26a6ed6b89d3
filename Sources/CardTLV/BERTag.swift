// SSCard — CardTLV

/// A BER-TLV tag as EMV and ISO/IEC 7816-4 print it: the raw tag bytes, 1 to
/// 3 of them, big-endian in ``rawValue`` (`0x9F02`, `0xBF0C`, `0x70`).
///
/// Unlike X.690 tooling, the tag number is not decoded into the value: EMV
/// tables and specs name tags by their bytes. Class, constructed bit and
/// number are computed.
public struct BERTag: RawRepresentable, Hashable, Sendable, Comparable {
    public let rawValue: UInt32

    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// Builds a tag from its encoded bytes, checking the BER structure.
    /// - Returns: `nil` unless `bytes` is exactly one well-formed tag of 1–3 bytes.
    public init?(bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        guard (1...3).contains(b.count) else { return nil }
        let multi = b[0] & 0x1F == 0x1F
        if !multi {
            guard b.count == 1 else { return nil }
        } else {
            guard b.count >= 2 else { return nil }
            for i in 1..<b.count {
                let last = i == b.count - 1
                if last != (b[i] & 0x80 == 0) { return nil }
            }
        }
        self.rawValue = b.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Number of encoded bytes (1…3).
    @inlinable public var byteCount: Int {
        rawValue > 0xFFFF ? 3 : rawValue > 0xFF ? 2 : 1
    }

    /// The encoded bytes.
    public var bytes: [UInt8] {
        (0..<byteCount).reversed().map { UInt8(truncatingIfNeeded: rawValue >> (8 * UInt32($0))) }
    }

    /// The first (leading) tag byte.
    @inlinable public var firstByte: UInt8 { UInt8(truncatingIfNeeded: rawValue >> (8 * UInt32(byteCount - 1))) }

    /// Bit 6 of the first byte: the value is a sequence of TLV objects.
    @inlinable public var isConstructed: Bool { firstByte & 0x20 != 0 }

    public enum TagClass: Hashable, Sendable { case universal, application, contextSpecific, `private` }

    /// Bits 8–7 of the first byte.
    public var tagClass: TagClass {
        switch firstByte >> 6 {
        case 0: .universal
        case 1: .application
        case 2: .contextSpecific
        default: .private
        }
    }

    /// The tag number (X.690 §8.1.2).
    public var number: UInt32 {
        guard byteCount > 1 else { return UInt32(firstByte & 0x1F) }
        var n: UInt32 = 0
        for b in bytes.dropFirst() { n = n << 7 | UInt32(b & 0x7F) }
        return n
    }

    @inlinable public static func < (lhs: BERTag, rhs: BERTag) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension BERTag: CustomStringConvertible {
    /// The tag bytes in uppercase hex, e.g. `9F02`.
    public var description: String {
        let digits = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }
}

extension BERTag: ExpressibleByIntegerLiteral {
    @inlinable public init(integerLiteral value: UInt32) { self.rawValue = value }
}
