// SSCard — CardStandards

/// The ISO 9564-1 format-2 PIN block of EMV offline plaintext PIN (and of
/// PBOC's PIN CHANGE script): `2N`, N digits, `F` padding, 8 bytes
/// (`26 12 34 56 FF FF FF FF`).
public enum PINBlock {
    /// The digits a block may carry (ISO 9564: 4 to 12).
    public static let lengths = 4...12

    /// The block of `digits` (each 0…9).
    /// - Returns: `nil` unless there are 4 to 12 digits, each 0…9.
    @inlinable
    public static func format2(digits: [UInt8]) -> [UInt8]? {
        guard lengths.contains(digits.count), digits.allSatisfy({ $0 <= 9 }) else { return nil }
        var nibbles: [UInt8] = [0x2, UInt8(digits.count)] + digits
        while nibbles.count < 16 { nibbles.append(0xF) }
        return BCD.pack(nibbles: nibbles, odd: .padWithF)
    }

    /// The block of a PIN given as text; `nil` when it is not 4 to 12 digits.
    @inlinable
    public static func format2(_ pin: some StringProtocol) -> [UInt8]? {
        let utf8 = pin.utf8
        guard lengths.contains(utf8.count) else { return nil }
        var block: [UInt8] = [0x20 | UInt8(utf8.count), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        var nibble = 2
        for c in utf8 {
            guard (0x30...0x39).contains(c) else { return nil }
            let d = c - 0x30
            block[nibble / 2] = nibble % 2 == 0 ? d << 4 | 0x0F : block[nibble / 2] & 0xF0 | d
            nibble += 1
        }
        return block
    }

    /// The digits of a format-2 block; `nil` when it is not one.
    @inlinable
    public static func digits(ofFormat2 block: some Collection<UInt8>) -> [UInt8]? {
        guard block.count == 8 else { return nil }
        let nibbles = BCD.nibbles(block)
        guard nibbles[0] == 0x2 else { return nil }
        let n = Int(nibbles[1])
        guard lengths.contains(n) else { return nil }
        let digits = Array(nibbles[2..<2 + n])
        guard digits.allSatisfy({ $0 <= 9 }), nibbles[(2 + n)...].allSatisfy({ $0 == 0xF }) else { return nil }
        return digits
    }
}
