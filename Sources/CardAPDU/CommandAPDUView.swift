// SSCard — CardAPDU
//
// The hot-path parser. It decodes the length fields of a command APDU into
// offsets and copies nothing: the view keeps a slice of the caller's buffer,
// which shares its storage (swift-asn1's approach), so parsing allocates
// nothing.

/// Where the fields of a command APDU sit in its encoding.
///
/// This is the result of the strict parse of ISO/IEC 7816-3 §12.1.3, without
/// any reference to the bytes themselves.
public struct CommandAPDULayout: Hashable, Sendable {
    /// The case, computed from the lengths.
    public let apduCase: APDUCase
    /// Offset of the first data byte (meaningless when `nc == 0`).
    public let dataOffset: Int
    /// Nc, the number of data bytes.
    public let nc: Int
    /// Ne, the maximum number of response bytes expected; `nil` when there is
    /// no Le field. Le `00` is 256 and extended Le `0000` is 65536.
    public let ne: Int?

    /// Parses the length fields of a command APDU.
    ///
    /// - Parameter bytes: the whole encoding, nothing before or after it.
    /// - Throws: ``APDUFormatError`` with the byte offset of the problem:
    ///   fewer than 4 bytes, Lc = 0, data shorter than Lc, trailing bytes, or
    ///   a malformed extended form.
    @inlinable
    public init(parsing bytes: Span<UInt8>) throws(APDUFormatError) {
        let n = bytes.count
        if n < 4 {
            throw APDUFormatError(.tooShort, offset: n, reason: "\(n) byte(s); a command APDU has at least CLA INS P1 P2")
        }
        if n == 4 {
            self.init(apduCase: .case1, dataOffset: 4, nc: 0, ne: nil)
            return
        }
        let b5 = Int(bytes[4])
        if n == 5 {
            self.init(apduCase: .case2Short, dataOffset: 5, nc: 0, ne: b5 == 0 ? 256 : b5)
            return
        }
        if b5 != 0 {
            // Short Lc. Either 5 + Lc bytes (case 3S) or 6 + Lc bytes (case 4S).
            if n == 5 + b5 {
                self.init(apduCase: .case3Short, dataOffset: 5, nc: b5, ne: nil)
                return
            }
            if n == 6 + b5 {
                let le = Int(bytes[n - 1])
                self.init(apduCase: .case4Short, dataOffset: 5, nc: b5, ne: le == 0 ? 256 : le)
                return
            }
            if n < 5 + b5 {
                throw APDUFormatError(
                    .truncatedData, offset: n,
                    reason: "Lc is \(b5) but only \(n - 5) data byte(s) follow")
            }
            throw APDUFormatError(
                .trailingBytes, offset: 6 + b5,
                reason: "\(n - 6 - b5) byte(s) after Lc \(b5), data and Le")
        }
        // B5 = 00 with more bytes: the extended form.
        if n == 6 {
            throw APDUFormatError(
                .malformedExtendedLength, offset: 5,
                reason: "a 00 length byte followed by one byte is neither short Lc nor an extended length")
        }
        let ext = Int(bytes[5]) << 8 | Int(bytes[6])
        if n == 7 {
            self.init(apduCase: .case2Extended, dataOffset: 7, nc: 0, ne: ext == 0 ? 65536 : ext)
            return
        }
        if ext == 0 {
            throw APDUFormatError(.zeroLc, offset: 5, reason: "extended Lc is 0000 but data follows")
        }
        if n == 7 + ext {
            self.init(apduCase: .case3Extended, dataOffset: 7, nc: ext, ne: nil)
            return
        }
        if n == 9 + ext {
            let le = Int(bytes[n - 2]) << 8 | Int(bytes[n - 1])
            self.init(apduCase: .case4Extended, dataOffset: 7, nc: ext, ne: le == 0 ? 65536 : le)
            return
        }
        if n == 8 + ext {
            throw APDUFormatError(
                .malformedExtendedLength, offset: n - 1,
                reason: "extended Lc \(ext) and data followed by a one-byte Le; an extended Le has two bytes")
        }
        if n < 7 + ext {
            throw APDUFormatError(
                .truncatedData, offset: n,
                reason: "extended Lc is \(ext) but only \(n - 7) data byte(s) follow")
        }
        throw APDUFormatError(
            .trailingBytes, offset: 9 + ext,
            reason: "\(n - 9 - ext) byte(s) after extended Lc \(ext), data and Le")
    }

    @usableFromInline
    init(apduCase: APDUCase, dataOffset: Int, nc: Int, ne: Int?) {
        self.apduCase = apduCase
        self.dataOffset = dataOffset
        self.nc = nc
        self.ne = ne
    }
}

/// A parsed command APDU that shares the caller's storage.
///
/// Parsing allocates nothing; ``data`` is a slice of the input. Use
/// ``CommandAPDU`` when the value must outlive or leave the buffer.
public struct CommandAPDUView: Hashable, Sendable {
    /// The whole encoding.
    public let bytes: ArraySlice<UInt8>
    /// Where the fields sit.
    public let layout: CommandAPDULayout

    /// Parses `bytes` strictly (see ``CommandAPDULayout/init(parsing:)``).
    @inlinable
    public init(_ bytes: ArraySlice<UInt8>) throws(APDUFormatError) {
        self.layout = try CommandAPDULayout(parsing: bytes.span)
        self.bytes = bytes
    }

    /// Parses `bytes` strictly (see ``CommandAPDULayout/init(parsing:)``).
    @inlinable
    public init(_ bytes: [UInt8]) throws(APDUFormatError) {
        try self.init(bytes[...])
    }

    @inlinable public var cla: UInt8 { bytes[bytes.startIndex] }
    @inlinable public var ins: UInt8 { bytes[bytes.startIndex + 1] }
    @inlinable public var p1: UInt8 { bytes[bytes.startIndex + 2] }
    @inlinable public var p2: UInt8 { bytes[bytes.startIndex + 3] }
    @inlinable public var apduCase: APDUCase { layout.apduCase }
    @inlinable public var nc: Int { layout.nc }
    @inlinable public var ne: Int? { layout.ne }

    /// The data field, a slice of ``bytes``.
    @inlinable
    public var data: ArraySlice<UInt8> {
        let start = bytes.startIndex + layout.dataOffset
        return bytes[start..<start + layout.nc]
    }
}
