// SSCard — CardAPDU

/// Hexadecimal text to bytes and back, as testers type and read APDUs.
public enum Hex {
    /// Parses hex digits, ignoring spaces, tabs and `:` between bytes.
    ///
    /// - Throws: ``APDUFormatError`` whose offset is the number of bytes
    ///   decoded before the problem and whose reason names the character.
    public static func decode(_ text: some StringProtocol) throws(APDUFormatError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count / 2)
        var pending: UInt8? = nil
        var pendingOffset = 0
        var offset = 0
        for c in text.unicodeScalars {
            defer { offset += 1 }
            let v: UInt8
            switch c {
            case "0"..."9": v = UInt8(c.value - 0x30)
            case "a"..."f": v = UInt8(c.value - 0x61 + 10)
            case "A"..."F": v = UInt8(c.value - 0x41 + 10)
            case " ", "\t", ":", "\n", "\r":
                if pending != nil {
                    throw APDUFormatError(
                        .oddHexDigitCount, offset: out.count,
                        reason: "character \(pendingOffset + 1) is a lone hex digit; a byte is two digits")
                }
                continue
            default:
                throw APDUFormatError(
                    .invalidHexDigit, offset: out.count,
                    reason: "character \(offset + 1) '\(c)' is not a hex digit")
            }
            if let high = pending {
                out.append(high << 4 | v)
                pending = nil
            } else {
                pending = v
                pendingOffset = offset
            }
        }
        if pending != nil {
            throw APDUFormatError(
                .oddHexDigitCount, offset: out.count,
                reason: "character \(pendingOffset + 1) is a lone hex digit: odd number of hex digits")
        }
        return out
    }

    /// Uppercase hex, with an optional separator between bytes.
    public static func encode(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
        if separator.isEmpty, let text = bytes.withContiguousStorageIfAvailable(encode(contiguous:)) { return text }
        let sep = Array(separator.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * (2 + sep.count))
        var first = true
        for b in bytes {
            if !first { out.append(contentsOf: sep) }
            first = false
            out.append(digit(b >> 4))
            out.append(digit(b & 0x0F))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// No separator, contiguous bytes: the string's storage written in place.
    static func encode(contiguous bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var i = 0
            for b in bytes {
                out[i] = digit(b >> 4)
                out[i + 1] = digit(b & 0x0F)
                i += 2
            }
            return i
        }
    }

    @inline(__always)
    static func digit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x37 + v }
}
