// SSCard — BackOffice
//
// The platform's clock texts, in China time (UTC+8): `yyyyMMddHHmmss` in
// message ids, `yyyyMMddHHmmssSSS` in answers, `yyyy-MM-dd HH:mm:ss` in
// settlement times.

/// An instant, in milliseconds since 1970, as the platform writes it.
public struct FSITime: Hashable, Sendable, Comparable {
    public var millis: Int
    public init(millis: Int) { self.millis = millis }

    public static func < (a: FSITime, b: FSITime) -> Bool { a.millis < b.millis }

    /// The day in China.
    public var day: LocalDay { LocalDay(unixTime: millis / 1000) }

    var fields: (y: Int, mo: Int, d: Int, h: Int, mi: Int, s: Int, ms: Int) {
        let local = millis + 8 * 3_600_000
        let day = self.day
        let (y, mo, d) = day.components
        let inDay = local - day.index * 86_400_000
        return (y, mo, d, inDay / 3_600_000, inDay / 60_000 % 60, inDay / 1000 % 60, inDay % 1000)
    }

    /// `yyyyMMddHHmmss`.
    public var compact: String {
        let f = fields
        return "\(f.y)" + [f.mo, f.d, f.h, f.mi, f.s].map(Self.two).joined()
    }

    /// `yyyyMMddHHmmssSSS`.
    public var compactMillis: String {
        let ms = fields.ms
        return compact + (ms < 10 ? "00" : ms < 100 ? "0" : "") + "\(ms)"
    }

    /// `yyyy-MM-dd HH:mm:ss`.
    public var text: String {
        let f = fields
        return "\(day) \(Self.two(f.h)):\(Self.two(f.mi)):\(Self.two(f.s))"
    }

    static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
