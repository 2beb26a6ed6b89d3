// SSCard — CardStandards
//
// Check characters of the identifiers a social-security card carries.

public enum CheckCharacters {
    /// The GB 11643 check character of the first 17 digits of a citizen ID
    /// number (ISO 7064 MOD 11-2): `0`–`9` or `X`.
    public static func citizenID(_ first17: String) -> Character? {
        let digits = first17.compactMap(\.wholeNumberValue)
        guard digits.count == 17, first17.count == 17 else { return nil }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return Array("10X98765432")[sum % 11]
    }

    /// Whether an 18-character citizen ID number has the right check character.
    public static func isValidCitizenID(_ id: String) -> Bool {
        id.count == 18 && citizenID(String(id.prefix(17))) == id.last.map { Character($0.uppercased()) }
    }

    /// The check character of a social-security card number's first 8
    /// characters (SPEC-V2 appendix A): weights 3,7,9,10,5,8,4,2, letters
    /// valued A=10 … Z=35, C9 = 11 − (Σ mod 11), 10 → `X`, 11 → `0`.
    public static func cardNumber(_ first8: String) -> Character? {
        let values = first8.uppercased().compactMap { c -> Int? in
            if let d = c.wholeNumberValue { return d }
            guard let a = c.asciiValue, (65...90).contains(a) else { return nil }
            return Int(a) - 55
        }
        guard values.count == 8, first8.count == 8 else { return nil }
        let sum = zip(values, [3, 7, 9, 10, 5, 8, 4, 2]).reduce(0) { $0 + $1.0 * $1.1 }
        let c = 11 - sum % 11
        return c == 10 ? "X" : c == 11 ? "0" : Character(String(c))
    }

    /// Whether a 9-character card number has the right check character. Real
    /// cards sometimes do not (spec/ssc.md §1.6): warn, never reject.
    public static func isValidCardNumber(_ number: String) -> Bool {
        number.count == 9 && cardNumber(String(number.prefix(8))) == number.last
    }

    /// The Luhn check digit of a PAN's other digits.
    public static func luhn(_ partial: String) -> Character? {
        let digits = partial.compactMap(\.wholeNumberValue)
        guard digits.count == partial.count, !digits.isEmpty else { return nil }
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            let v = i % 2 == 0 ? d * 2 : d
            sum += v > 9 ? v - 9 : v
        }
        return Character(String((10 - sum % 10) % 10))
    }

    public static func isValidPAN(_ pan: String) -> Bool {
        pan.count >= 2 && luhn(String(pan.dropLast())) == pan.last
    }
}
