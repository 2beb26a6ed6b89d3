// SSCard — ReaderDriver
//
// `pFileAddr` (reader-api.md §2.4): `<DF><EF>|<tag>|…|$<DF><EF>|…|$`, the
// SSSE written `SSSE` (or `3F00`, `MF`, `DDF1`), its applications `DF01` …
// `DF07`; tags are two hex digits, each followed by `|`; a file given with
// no tags is a transparent file, read whole. iReadCard's output keeps the
// skeleton with each tag replaced by its value (§2.5).

import CardStandards

/// One file of a `pFileAddr`.
public struct FileGroup: Hashable, Sendable {
    /// The file as the caller wrote it (`SSSEEF05`), echoed in the output.
    public var label: String
    /// The DF under the SSSE (`0xDF01`…), `nil` for the SSSE itself.
    public var df: UInt16?
    public var ef: UInt16
    public var tags: [UInt8]

    /// Parses a whole `pFileAddr`; −23 naming what is wrong.
    public static func parse(_ text: String?) throws(DriverFailure) -> [FileGroup] {
        func bad(_ why: String) -> DriverFailure { DriverFailure(-23, "传入数据不合法 (pFileAddr: \(why))") }
        guard let text, !text.isEmpty else { throw bad("empty") }
        guard text.utf8.count <= 2048 else { throw bad("over 2048 bytes") }
        guard text.hasSuffix("$") else { throw bad("each file ends in $") }
        var groups: [FileGroup] = []
        for raw in text.dropLast().split(separator: "$", omittingEmptySubsequences: false) {
            let fields = raw.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 2, fields.last == "" else { throw bad("\"\(raw)\": a file and each tag end in |") }
            let name = fields[0].uppercased()
            var df: UInt16? = nil
            var rest = Substring(name)
            if let alias = ["SSSE", "3F00", "DDF1", "MF"].first(where: { name.hasPrefix($0) }) {
                rest = rest.dropFirst(alias.count)
            } else if name.hasPrefix("DF"), let n = UInt16(name.dropFirst(2).prefix(2), radix: 16), (0x01...0x07).contains(n) {
                df = 0xDF00 | n
                rest = rest.dropFirst(4)
            } else {
                throw bad("\"\(fields[0])\": a file starts with SSSE (3F00, MF, DDF1) or DF01…DF07")
            }
            guard rest.count == 4, rest.hasPrefix("EF"), let ef = UInt8(rest.dropFirst(2), radix: 16) else {
                throw bad("\"\(fields[0])\": the file is EF and two hex digits")
            }
            var tags: [UInt8] = []
            for t in fields.dropFirst().dropLast() {
                guard t.count == 2, t.allSatisfy(\.isHexDigit), let tag = UInt8(t, radix: 16) else {
                    throw bad("\"\(t)\" in \(fields[0]): a tag is two hex digits")
                }
                tags.append(tag)
            }
            groups.append(FileGroup(label: fields[0], df: df, ef: 0xEF00 | UInt16(ef), tags: tags))
        }
        guard groups.count <= 20 else { throw bad("\(groups.count) files; at most 20") }
        return groups
    }

    /// A record's value as iReadCard writes it [INFERRED from the data
    /// types of ssc.md §2]: names as text (GBK on the way out), `an` items
    /// as ASCII, the rest (`cn`, `b`) as hex.
    public static func text(tag: UInt8, _ value: [UInt8]) -> String? {
        let trimmed = Array(value.prefix { $0 != 0 && $0 != 0xFF })
        switch tag {
        case 0x09, 0x4E, 0x21: return GBK.decode(trimmed)
        case 0x02, 0x03, 0x07, 0x08, 0x0A, 0x20, 0x8B:
            return trimmed.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) ? String(decoding: trimmed, as: UTF8.self) : nil
        default: return nil
        }
    }
}
