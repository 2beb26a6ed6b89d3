// SSCard — CardStandards
//
// Binary-coded decimal as the cards carry it: `cn` (compressed numeric,
// left-justified, an odd count padded with `F`: PINs, PANs, track 2) and `n`
// (numeric, right-justified, zero-filled: amounts, dates, region codes).

/// Packing and unpacking of BCD digits.
public enum BCD {
    /// What to do with an odd number of digits.
    public enum OddCount: Hashable, Sendable {
        /// `cn`: pad on the right with the nibble `F` (`12345` → `12 34 5F`).
        case padWithF
        /// `n`: pad on the left with a zero (`12345` → `01 23 45`).
        case leadingZero
    }

    /// Packs nibbles (0…15) two to a byte, high nibble first.
    @inlinable
    public static func pack(nibbles: some Collection<UInt8>, odd: OddCount) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((nibbles.count + 1) / 2)
        var high: UInt8? = nibbles.count % 2 == 1 && odd == .leadingZero ? 0 : nil
        for n in nibbles {
            if let h = high {
                out.append(h << 4 | n & 0x0F)
                high = nil
            } else {
                high = n & 0x0F
            }
        }
        if let h = high { out.append(h << 4 | 0x0F) }
        return out
    }

    /// Packs a digit string; `D` (track 2's field separator) and `F` (padding)
    /// are nibbles too.
    /// - Returns: `nil` when a character is neither a digit nor `D`/`F`.
    @inlinable
    public static func encode(_ text: some StringProtocol, odd: OddCount) -> [UInt8]? {
        var nibbles: [UInt8] = []
        nibbles.reserveCapacity(text.utf8.count)
        for c in text.utf8 {
            switch c {
            case 0x30...0x39: nibbles.append(c - 0x30)
            case 0x44, 0x64: nibbles.append(0xD)
            case 0x46, 0x66: nibbles.append(0xF)
            default: return nil
            }
        }
        return pack(nibbles: nibbles, odd: odd)
    }

    /// The digits of a non-negative number, right-justified in `digits` digits
    /// (format `n`, as EMV amounts: 12 digits, 6 bytes); higher digits are dropped.
    @inlinable
    public static func numeric(_ value: Int, digits: Int) -> [UInt8] {
        var nibbles = [UInt8](repeating: 0, count: digits)
        var v = max(0, value)
        for i in stride(from: digits - 1, through: 0, by: -1) {
            nibbles[i] = UInt8(v % 10)
            v /= 10
        }
        return pack(nibbles: nibbles, odd: .leadingZero)
    }

    /// The nibbles of packed bytes, high first.
    @inlinable
    public static func nibbles(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(b >> 4)
            out.append(b & 0x0F)
        }
        return out
    }

    /// The value of `n`-format bytes; `nil` when a nibble is not a digit.
    @inlinable
    public static func value(_ bytes: some Collection<UInt8>) -> Int? {
        var v = 0
        for n in nibbles(bytes) {
            guard n <= 9 else { return nil }
            v = v * 10 + Int(n)
        }
        return v
    }
}
