// SSCard — ReaderDriver
//
// `pFileAddr` (reader-api.md §2.4): `<DF><EF>|<tag>|…|$<DF><EF>|…|$`, the
// SSSE written `SSSE` (or `3F00`, `MF`, `DDF1`), its applications `DF01` …
// `DF07`; tags are two hex digits, each followed by `|`; a file given with
// no tags is a transparent file, read whole. iReadCard's output keeps the
// skeleton with each tag replaced by its value (§2.5).

import CardAPDU
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

/// One file of a `pWriteData` (reader-api.md §2.6): the values of the tags
/// its `pFileAddr` group names, in order, or a transparent file's content.
public struct FileWrite: Sendable {
    public var group: FileGroup
    public var records: [(tag: UInt8, value: [UInt8])]
    /// A transparent file's new content (its group has no tags).
    public var content: [UInt8]?

    /// `pWriteData` against the groups of its `pFileAddr`: the same files in
    /// the same order, a value for each tag (`||` an empty one); −23 naming
    /// what differs, −41 for a value the tag's type cannot hold.
    public static func parse(_ text: String?, matching groups: [FileGroup]) throws(DriverFailure) -> [FileWrite] {
        func bad(_ why: String) -> DriverFailure { DriverFailure(-23, "传入数据不合法 (pWriteData: \(why))") }
        guard let text, !text.isEmpty else { throw bad("empty") }
        guard text.utf8.count <= 70_000 else { throw bad("over 70000 bytes") }
        guard text.hasSuffix("$") else { throw bad("each file ends in $") }
        let parts = text.dropLast().split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == groups.count else { throw bad("\(parts.count) files, pFileAddr names \(groups.count)") }
        var out: [FileWrite] = []
        for (raw, g) in zip(parts, groups) {
            var fields = raw.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 2, fields.removeLast() == "" else { throw bad("\"\(raw.prefix(40))\": a file and each value end in |") }
            guard fields.removeFirst().uppercased() == g.label.uppercased() else { throw bad("file \(out.count + 1) is not \(g.label), as in pFileAddr") }
            if g.tags.isEmpty {
                guard fields.count == 1, let bytes = try? Hex.decode(fields[0]), !bytes.isEmpty, bytes.count <= 0x8000 else {
                    throw DriverFailure(-41, "运算数据含非法字符 (\(g.label): a transparent file's content is one hex value)")
                }
                out.append(FileWrite(group: g, records: [], content: bytes))
                continue
            }
            guard fields.count == g.tags.count else { throw bad("\(g.label) has \(fields.count) values for \(g.tags.count) tags") }
            var records: [(tag: UInt8, value: [UInt8])] = []
            for (tag, value) in zip(g.tags, fields) {
                guard let bytes = FileGroup.bytes(tag: tag, value), bytes.count <= 253 else {
                    throw DriverFailure(-41, "运算数据含非法字符 (\(g.label) tag \(Hex.encode([tag])): \"\(value.prefix(40))\" is not a value of its type)")
                }
                records.append((tag, bytes))
            }
            out.append(FileWrite(group: g, records: records, content: nil))
        }
        return out
    }
}

extension FileGroup {
    /// The inverse of ``text(tag:_:)``: names as GBK, `an` items as ASCII, the rest from hex.
    public static func bytes(tag: UInt8, _ text: String) -> [UInt8]? {
        switch tag {
        case 0x09, 0x4E, 0x21: return GBK.encode(text)
        case 0x02, 0x03, 0x07, 0x08, 0x0A, 0x20, 0x8B:
            return text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) ? Array(text.utf8) : nil
        default: return try? Hex.decode(text)
        }
    }
}
