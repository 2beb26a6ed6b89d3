// SSCard — CardTLV

/// Builds BER-TLV encodings.
///
/// ```swift
/// var b = TLVBuilder()
/// b.appendConstructed(0x6F) { fci in
///     fci.append(0x84, aid)
///     fci.appendConstructed(0xA5) { $0.append(0x88, [0x01]) }
/// }
/// ```
/// A constructed value is written in place and its length inserted after,
/// which shifts the value only when the length needs more than one byte.
public struct TLVBuilder: Sendable {
    /// What has been built.
    public private(set) var bytes: [UInt8]

    /// - Parameters:
    ///   - capacity: bytes to reserve; a card's answers are short, and two
    ///     more bytes (the status word) then fit without a copy.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends a primitive object.
    public mutating func append(_ tag: BERTag, _ value: some Collection<UInt8>) {
        appendTag(tag)
        appendLength(value.count)
        bytes.append(contentsOf: value)
    }

    /// Appends a primitive object (the non-generic fast path).
    public mutating func append(_ tag: BERTag, _ value: [UInt8]) {
        appendTag(tag)
        appendLength(value.count)
        bytes.append(contentsOf: value)
    }

    /// The tag bytes, without building an array for them.
    mutating func appendTag(_ tag: BERTag) {
        var shift = 8 * (tag.byteCount - 1)
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: tag.rawValue >> UInt32(shift)))
            shift -= 8
        }
    }

    mutating func appendLength(_ length: Int) {
        precondition((0...0xFFFF).contains(length), "BER-TLV lengths here are at most 65535, got \(length)")
        switch length {
        case 0..<0x80: bytes.append(UInt8(length))
        case 0x80..<0x100:
            bytes.append(0x81)
            bytes.append(UInt8(length))
        default:
            bytes.append(0x82)
            bytes.append(UInt8(length >> 8))
            bytes.append(UInt8(length & 0xFF))
        }
    }

    /// Appends an already encoded object or sequence of objects.
    public mutating func appendEncoded(_ encoded: some Collection<UInt8>) {
        bytes.append(contentsOf: encoded)
    }

    /// Appends encoded bytes (the non-generic fast path).
    public mutating func appendEncoded(_ encoded: [UInt8]) {
        bytes.append(contentsOf: encoded)
    }

    /// Appends a constructed object whose value `body` builds.
    public mutating func appendConstructed(_ tag: BERTag, _ body: (inout TLVBuilder) throws -> Void) rethrows {
        appendTag(tag)
        let lengthAt = bytes.count
        bytes.append(0)
        defer {
            // Assume a one-byte length, then widen it if the value was longer.
            let valueCount = bytes.count - lengthAt - 1
            if valueCount < 0x80 {
                bytes[lengthAt] = UInt8(valueCount)
            } else {
                bytes.replaceSubrange(lengthAt..<lengthAt + 1, with: BERTLV.encodeLength(valueCount))
            }
        }
        try body(&self)
    }

    /// One primitive object's encoding.
    public static func encode(_ tag: BERTag, _ value: some Collection<UInt8>) -> [UInt8] {
        var b = TLVBuilder()
        b.append(tag, value)
        return b.bytes
    }
}
