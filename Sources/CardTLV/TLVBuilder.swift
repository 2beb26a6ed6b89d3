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

    public init() { bytes = [] }

    /// Appends a primitive object.
    public mutating func append(_ tag: BERTag, _ value: some Collection<UInt8>) {
        bytes.append(contentsOf: tag.bytes)
        bytes.append(contentsOf: BERTLV.encodeLength(value.count))
        bytes.append(contentsOf: value)
    }

    /// Appends an already encoded object or sequence of objects.
    public mutating func appendEncoded(_ encoded: some Collection<UInt8>) {
        bytes.append(contentsOf: encoded)
    }

    /// Appends a constructed object whose value `body` builds.
    public mutating func appendConstructed(_ tag: BERTag, _ body: (inout TLVBuilder) throws -> Void) rethrows {
        bytes.append(contentsOf: tag.bytes)
        let lengthAt = bytes.count
        bytes.append(0)
        defer {
            // Assume a one-byte length, then widen it if the value was longer.
            let valueCount = bytes.count - lengthAt - 1
            let length = BERTLV.encodeLength(valueCount)
            if length.count == 1 {
                bytes[lengthAt] = length[0]
            } else {
                bytes.replaceSubrange(lengthAt..<lengthAt + 1, with: length)
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
