// SSCard — CardImage

import CardAPDU
import CardFileSystem
public import CardRuntime

/// A readable description of a card for `sscard card show`, with PINs and
/// keys masked.
public enum CardSummary {
    public static func lines(_ s: CardState) -> [String] {
        var out = [
            "profile      \(s.profile)",
            "ATR          \(s.atr)",
            "answer mode  \(s.answerMode.rawValue)",
            "card blocked \(s.cardBlocked ? "yes" : "no")",
            "files",
        ]
        func walk(_ i: NodeIndex, _ indent: String) {
            let node = s.files[i]
            let fid = node.fid.map { " \($0)" } ?? ""
            switch node.kind {
            case .df(let df):
                let name = df.name.map { " name \(Hex.encode($0))" } ?? ""
                out.append("\(indent)DF\(fid) \"\(node.label)\"\(name)\(df.blocked ? " BLOCKED" : "")")
            case .ef(let ef):
                let sfi = ef.sfi.map { " SFI \($0)" } ?? ""
                let rules = FileOperation.allCases.map { "\($0.rawValue) \(ef.access[$0])" }.joined(separator: ", ")
                switch ef.content {
                case .transparent(let t):
                    out.append("\(indent)EF\(fid) \"\(node.label)\"\(sfi) transparent, \(t.size) bytes (\(rules))")
                case .records(let r):
                    out.append(
                        "\(indent)EF\(fid) \"\(node.label)\"\(sfi) \(r.structure.rawValue), \(r.records.count)/\(r.maxRecords) records (\(rules))")
                    for (n, record) in r.records.enumerated() {
                        out.append("\(indent)    \(n + 1): \(Hex.encode(record))")
                    }
                }
            }
            for c in node.children { walk(c, indent + "  ") }
        }
        walk(FileSystem.mf, "  ")
        out.append("PINs")
        for p in s.pins {
            let state = p.counter.isBlocked ? "BLOCKED" : "\(p.counter.remaining) of \(p.counter.limit) tries left"
            let value = p.digits.isEmpty ? "not set" : "******"
            var line = "  \(p.label) (ref \(Hex.encode([p.reference])), DF \"\(s.files[p.df].label)\"): \(value), \(state), \(p.policy.rawValue)"
            if p.mustChange { line += ", must change" }
            if !p.changeAllowed { line += ", change disabled" }
            if let puk = p.puk { line += "; PUK ******, \(puk.counter.remaining) of \(puk.counter.limit) tries left" }
            out.append(line)
        }
        if !s.keys.isEmpty { out.append("keys") }
        for k in s.keys {
            let state = k.counter.isBlocked ? "BLOCKED" : "\(k.counter.remaining) of \(k.counter.limit) tries left"
            out.append(
                "  \(k.label) (\(k.usage.rawValue) \(Hex.encode([k.number])), DF \"\(s.files[k.df].label)\"): ********, version \(k.version), \(state)")
        }
        return out
    }
}
