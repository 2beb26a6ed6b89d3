// SSCard — CardTLV
//
// BER-TLV as EMV (Book 3 Annex B) and ISO/IEC 7816-4 §5.2 use it: 1–3 byte
// tags, 1–3 byte definite lengths, optional 00/FF padding between objects.
//
// The parse is flat (swift-asn1's ParseResult): one array of nodes in
// document order, each with its depth and offsets into the caller's buffer.
// The only allocation is that array, reserved once from an upper bound on the
// node count (every node takes at least two bytes), so it never grows.

/// How strict the parser is.
public struct TLVParseOptions: Hashable, Sendable {
    /// Skip `00` and `FF` bytes before, between and after objects (EMV Book 3
    /// Annex B). When `false`, such a byte where a tag should start is an error.
    public var allowsPadding: Bool
    /// Accept `81 xx` with xx < 128 and `82 00xx` (seen on real cards).
    public var allowsNonMinimalLengths: Bool
    /// Maximum nesting depth; a root object has depth 0.
    public var maximumDepth: Int

    public init(allowsPadding: Bool = true, allowsNonMinimalLengths: Bool = true, maximumDepth: Int = 16) {
        self.allowsPadding = allowsPadding
        self.allowsNonMinimalLengths = allowsNonMinimalLengths
        self.maximumDepth = maximumDepth
    }

    /// Padding and non-minimal lengths allowed, depth 16.
    public static let `default` = TLVParseOptions()
    /// No padding, minimal lengths only.
    public static let strict = TLVParseOptions(allowsPadding: false, allowsNonMinimalLengths: false)
}

/// One TLV object: a view into the parsed buffer.
public struct TLVNode: Hashable, Sendable {
    /// The tag.
    public let tag: BERTag
    /// Nesting depth; 0 for a top-level object.
    public let depth: Int
    /// Tag, length and value bytes.
    public let encoded: ArraySlice<UInt8>
    /// The value bytes (for a constructed object: its children's encodings).
    public let value: ArraySlice<UInt8>
    /// Position of this node in ``TLVNodes``.
    public let index: Int

    /// Whether the value is parsed as nested objects.
    public var isConstructed: Bool { tag.isConstructed }
    /// The value length.
    public var length: Int { value.count }
}

/// The flat result of a parse: every object in document order.
public struct TLVNodes: RandomAccessCollection, Hashable, Sendable {
    @usableFromInline
    struct Entry: Hashable, Sendable {
        var tag: UInt32
        var depth: Int32
        var start: Int32
        var valueStart: Int32
        var end: Int32
    }

    /// The parsed buffer.
    public let bytes: ArraySlice<UInt8>
    @usableFromInline let entries: [Entry]

    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }

    public subscript(position: Int) -> TLVNode {
        let e = entries[position]
        let base = bytes.startIndex
        return TLVNode(
            tag: BERTag(e.tag), depth: Int(e.depth),
            encoded: bytes[base + Int(e.start)..<base + Int(e.end)],
            value: bytes[base + Int(e.valueStart)..<base + Int(e.end)],
            index: position)
    }

    /// The top-level objects.
    public var roots: [TLVNode] { indices.filter { entries[$0].depth == 0 }.map { self[$0] } }

    /// The direct children of a constructed node, in order.
    public func children(of node: TLVNode) -> [TLVNode] {
        var out: [TLVNode] = []
        var i = node.index + 1
        let depth = entries[node.index].depth
        while i < entries.count, entries[i].depth > depth {
            if entries[i].depth == depth + 1 { out.append(self[i]) }
            i += 1
        }
        return out
    }

    /// The first object with this tag at any depth, in document order.
    public func first(_ tag: BERTag) -> TLVNode? {
        entries.firstIndex { $0.tag == tag.rawValue }.map { self[$0] }
    }
}

/// BER-TLV parsing and building (a namespace).
public enum BERTLV {
    /// Parses a sequence of TLV objects.
    ///
    /// - Parameters:
    ///   - bytes: the encoding; nodes share its storage.
    ///   - options: strictness.
    /// - Returns: every object, flat, in document order.
    /// - Throws: ``TLVFormatError`` with the offset of the problem from the
    ///   first byte of `bytes`.
    public static func parse(
        _ bytes: ArraySlice<UInt8>, options: TLVParseOptions = .default
    ) throws(TLVFormatError) -> TLVNodes {
        guard bytes.count < Int(Int32.max) else {
            throw TLVFormatError(.truncatedValue, offset: 0, reason: "input too large")
        }
        var entries: [TLVNodes.Entry] = []
        entries.reserveCapacity(bytes.count / 2 + 1)
        try _parseLevel(bytes.span, from: 0, to: bytes.count, depth: 0, options: options, into: &entries)
        return TLVNodes(bytes: bytes, entries: entries)
    }

    /// Parses a sequence of TLV objects.
    public static func parse(_ bytes: [UInt8], options: TLVParseOptions = .default) throws(TLVFormatError) -> TLVNodes {
        try parse(bytes[...], options: options)
    }

    static func _parseLevel(
        _ s: Span<UInt8>, from: Int, to end: Int, depth: Int,
        options: TLVParseOptions, into entries: inout [TLVNodes.Entry]
    ) throws(TLVFormatError) {
        if depth > options.maximumDepth {
            throw TLVFormatError(
                .depthExceeded, offset: from, reason: "nesting deeper than \(options.maximumDepth) levels")
        }
        var i = from
        while i < end {
            let first = s[i]
            if first == 0x00 || first == 0xFF {
                if options.allowsPadding {
                    i += 1
                    continue
                }
                throw TLVFormatError(
                    .invalidTag, offset: i, reason: "byte \(first == 0 ? "00" : "FF") where a tag should start")
            }
            let start = i
            // Tag: 1 byte, or 0x1F in the low bits followed by bytes with b8
            // set until the last, which has b8 clear. At most 3 bytes in all.
            var tag = UInt32(first)
            i += 1
            if first & 0x1F == 0x1F {
                while true {
                    guard i < end else {
                        throw TLVFormatError(.truncatedTag, offset: i, reason: "multi-byte tag cut short")
                    }
                    let b = s[i]
                    tag = tag << 8 | UInt32(b)
                    i += 1
                    if b & 0x80 == 0 { break }
                    if i - start >= 3 {
                        throw TLVFormatError(.tagTooLong, offset: start, reason: "tag longer than 3 bytes")
                    }
                }
            }
            // Length: short form, or 81 xx, or 82 xx xx.
            guard i < end else {
                throw TLVFormatError(.truncatedLength, offset: i, reason: "tag \(BERTag(tag)) has no length")
            }
            let l0 = s[i]
            let lengthOffset = i
            i += 1
            var length: Int
            switch l0 {
            case 0x00...0x7F:
                length = Int(l0)
            case 0x80:
                throw TLVFormatError(
                    .indefiniteLength, offset: lengthOffset, reason: "indefinite length (80) is not allowed")
            case 0x81:
                guard i < end else {
                    throw TLVFormatError(.truncatedLength, offset: i, reason: "length 81 needs one more byte")
                }
                length = Int(s[i])
                i += 1
                if length < 0x80 && !options.allowsNonMinimalLengths {
                    throw TLVFormatError(
                        .nonMinimalLength, offset: lengthOffset, reason: "length \(length) encoded in long form")
                }
            case 0x82:
                guard i + 1 < end else {
                    throw TLVFormatError(.truncatedLength, offset: i, reason: "length 82 needs two more bytes")
                }
                length = Int(s[i]) << 8 | Int(s[i + 1])
                i += 2
                if length < 0x100 && !options.allowsNonMinimalLengths {
                    throw TLVFormatError(
                        .nonMinimalLength, offset: lengthOffset, reason: "length \(length) encoded in long form")
                }
            default:
                throw TLVFormatError(
                    .unsupportedLengthForm, offset: lengthOffset,
                    reason: "length byte \(String(l0, radix: 16, uppercase: true)) announces more than 2 length bytes")
            }
            let valueStart = i
            guard length <= end - valueStart else {
                throw TLVFormatError(
                    .truncatedValue, offset: end,
                    reason: "tag \(BERTag(tag)) announces \(length) byte(s) but \(end - valueStart) remain")
            }
            let valueEnd = valueStart + length
            entries.append(
                .init(
                    tag: tag, depth: Int32(depth), start: Int32(start),
                    valueStart: Int32(valueStart), end: Int32(valueEnd)))
            if BERTag(tag).isConstructed {
                try _parseLevel(s, from: valueStart, to: valueEnd, depth: depth + 1, options: options, into: &entries)
            }
            i = valueEnd
        }
    }

    /// Encodes a definite length in 1–3 bytes.
    /// - Precondition: `0 <= length <= 65535`.
    public static func encodeLength(_ length: Int) -> [UInt8] {
        precondition((0...0xFFFF).contains(length), "BER-TLV lengths here are at most 65535, got \(length)")
        switch length {
        case 0..<0x80: return [UInt8(length)]
        case 0x80..<0x100: return [0x81, UInt8(length)]
        default: return [0x82, UInt8(length >> 8), UInt8(length & 0xFF)]
        }
    }
}
