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

    private static let digits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Uppercase hex, with an optional separator between bytes.
    public static func encode(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
        var out = ""
        var first = true
        for b in bytes {
            if !first { out += separator }
            first = false
            out.unicodeScalars.append(Unicode.Scalar(digits[Int(b >> 4)]))
            out.unicodeScalars.append(Unicode.Scalar(digits[Int(b & 0x0F)]))
        }
        return out
    }
}
