// SSCard — CardStandards
//
// Text both sides trim the same way: an entry, a CSV field, an INI value.

extension StringProtocol {
    /// Without leading and trailing white space (spaces, tabs, CR, LF, and
    /// Unicode's other spaces).
    public var trimmingWhitespace: String { String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()) }
}
