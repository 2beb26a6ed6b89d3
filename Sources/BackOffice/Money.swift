// SSCard — BackOffice
//
// Amounts in fen (1/100 CNY), exactly: the platform's JSON carries yuan with
// at most two decimals, and every split must hold to the fen.

/// An amount of CNY in fen. Arithmetic is exact; ratios round half up to
/// the fen (as the worked examples of the insurance platform do).
public struct Money: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var fen: Int

    public init(fen: Int) { self.fen = fen }
    public static let zero = Money(fen: 0)

    /// Parses `123`, `123.4`, `123.45`, `-0.50`: at most two decimals, no
    /// exponent, no sign but a leading minus.
    public init?(yuan text: String) {
        guard let d = Decimals(text, maxFraction: 2) else { return nil }
        fen = d.scaled
    }

    /// Yuan with two decimals: `123.45`, `-0.05`.
    public var description: String {
        let sign = fen < 0 ? "-" : ""
        let a = fen.magnitude
        let cents = a % 100
        return "\(sign)\(a / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    public static func + (a: Money, b: Money) -> Money { Money(fen: a.fen + b.fen) }
    public static func - (a: Money, b: Money) -> Money { Money(fen: a.fen - b.fen) }
    public static prefix func - (a: Money) -> Money { Money(fen: -a.fen) }
    public static func += (a: inout Money, b: Money) { a.fen += b.fen }
    public static func -= (a: inout Money, b: Money) { a.fen -= b.fen }
    public static func < (a: Money, b: Money) -> Bool { a.fen < b.fen }

    /// This amount times a ratio, rounded half up (away from zero) to the fen.
    public func times(_ r: Ratio) -> Money {
        Money(fen: Ratio.roundedDivide(fen * r.parts, by: Ratio.denominator))
    }
}

/// A ratio such as a fund's share (85 %) or a self-pay proportion (0.1),
/// in parts per ten thousand (basis points): exact for every ratio the
/// platform publishes (four decimals).
public struct Ratio: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let denominator = 10_000
    public var parts: Int

    public init(parts: Int) { self.parts = parts }
    /// `percent: 85` is 0.85.
    public init(percent: Int) { parts = percent * 100 }
    /// Parses `0.85`, `1`, `0.1234` (at most four decimals, 0…1).
    public init?(decimal text: String) {
        guard let d = Decimals(text, maxFraction: 4), d.scaled >= 0, d.scaled <= Self.denominator else { return nil }
        parts = d.scaled
    }

    public static let zero = Ratio(parts: 0)
    public static let one = Ratio(parts: denominator)
    public static func < (a: Ratio, b: Ratio) -> Bool { a.parts < b.parts }

    /// `0.85`, `0.1`, `1`.
    public var description: String { Decimals(scaled: parts, fraction: 4).description }

    /// `n / d` rounded half away from zero.
    static func roundedDivide(_ n: Int, by d: Int) -> Int {
        let q = n / d, r = n % d
        if 2 * r.magnitude >= UInt(d) { return n < 0 ? q - 1 : q + 1 }
        return q
    }
}

/// A non-negative quantity or unit price with a fixed number of decimals
/// (`cnt` up to 4, `pric` up to 6 on the platform), scaled to an integer.
public struct Decimals: Hashable, Sendable, CustomStringConvertible {
    /// The value times 10^`fraction`.
    public var scaled: Int
    public var fraction: Int

    /// Parses `[-]digits[.digits]` with at most `maxFraction` decimals;
    /// `nil` also for a value whose scaled integer would not fit in an `Int`
    /// (the text comes from requests and files: it must not trap).
    public init?(_ text: String, maxFraction: Int) {
        var bytes = Array(text.utf8)
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes.removeFirst()
        }
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0, frac = -1
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard frac < 0 else { return nil }
                frac = 0
                continue
            }
            guard (0x30...0x39).contains(b) else { return nil }
            value = value * 10 + Int(b - 0x30)  // at most 18 digits: no overflow
            if frac >= 0 { frac += 1 }
        }
        // "12." and ".5" are not numbers the platform writes.
        if frac == 0 || bytes.first == UInt8(ascii: ".") { return nil }
        frac = max(frac, 0)
        guard frac <= maxFraction else { return nil }
        for _ in frac..<maxFraction {
            let (next, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            value = next
        }
        scaled = negative ? -value : value
        fraction = maxFraction
    }

    public init(scaled: Int, fraction: Int) {
        self.scaled = scaled
        self.fraction = fraction
    }

    /// Whether `text` is written as a number (`[-]digits[.digits]`), however
    /// large or however many decimals: to tell "too large" and "too many
    /// decimals" from "not a number" in messages.
    public static func isNumber(_ text: String) -> Bool {
        var t = Substring(text)
        if t.first == "-" { t = t.dropFirst() }
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// The shortest text of the value: `12.9`, `2`, `0.0005`, `-1.5`.
    public var description: String {
        var scale = 1
        for _ in 0..<fraction { scale *= 10 }
        let a = scaled.magnitude
        var frac = String(a % UInt(scale))
        frac = String(repeating: "0", count: fraction - frac.count) + frac
        while frac.hasSuffix("0") { frac.removeLast() }
        let whole = "\(scaled < 0 ? "-" : "")\(a / UInt(scale))"
        return frac.isEmpty ? whole : "\(whole).\(frac)"
    }
}
