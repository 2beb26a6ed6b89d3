// SSCard — CardInspect
//
// Turns bytes into explanations for `sscard decode`: a structured JSON value
// and lines of text, from one walk over the parsed APDU or TLV.

public import CardAPDU
public import CardTLV

/// An explanation of some bytes, as JSON and as text lines.
public struct Explanation: Sendable {
    public let json: JSONValue
    public let lines: [String]
}

/// Explains command APDUs, response APDUs and TLV blobs (a namespace).
public enum Inspector {
    /// Explains a command APDU. The data of a command that carries a PIN or
    /// a key (``APDUMask/isSecret(cla:ins:)``) shows as `**` unless `showSecrets`.
    /// - Throws: ``APDUFormatError`` when the bytes are not a well-formed command.
    public static func command(_ bytes: [UInt8], showSecrets: Bool = false) throws(APDUFormatError) -> Explanation {
        let view = try CommandAPDUView(bytes)
        let masked = !showSecrets && APDUMask.isSecret(cla: view.cla, ins: view.ins)
        let dataText = masked ? String(repeating: "*", count: 2 * view.nc) : Hex.encode(view.data)
        let insName = Instruction(view.ins).name(cla: view.cla)
        let json = JSONValue.object([
            ("kind", .string("command")),
            ("case", .string(view.apduCase.description)),
            ("cla", .string(Hex.encode([view.cla]))),
            ("ins", .string(Hex.encode([view.ins]))),
            ("p1", .string(Hex.encode([view.p1]))),
            ("p2", .string(Hex.encode([view.p2]))),
            ("nc", .int(view.nc)),
            ("ne", view.ne.map { .int($0) } ?? .null),
            ("data", .string(dataText)),
            ("insName", insName.map { .string($0) } ?? .null),
        ])
        var lines = ["command APDU, case \(view.apduCase)"]
        lines.append(
            "  CLA \(Hex.encode([view.cla]))  INS \(Hex.encode([view.ins])) (\(insName ?? "unknown instruction"))"
                + "  P1 \(Hex.encode([view.p1]))  P2 \(Hex.encode([view.p2]))")
        let neText = view.ne.map { String($0) } ?? "absent"
        lines.append("  Nc \(view.nc)  Ne \(neText)")
        if view.nc > 0 {
            let text = masked ? "  data \(dataText) (a secret: --show-secrets shows it)" : "  data \(dataText)"
            lines.append(text + (masked ? nil : printable(view.data)).map { "  \"\($0)\"" }.orEmpty)
        }
        return Explanation(json: json, lines: lines)
    }

    /// Explains a response APDU; data that parses as known TLV is shown as a tree too.
    /// - Throws: ``APDUFormatError/responseTooShort`` for fewer than 2 bytes.
    public static func response(_ bytes: [UInt8]) throws(APDUFormatError) -> Explanation {
        let r = try ResponseAPDU(bytes: bytes)
        var members: [(String, JSONValue)] = [
            ("kind", .string("response")),
            ("data", .string(Hex.encode(r.data))),
            ("sw", .string(r.status.description)),
            ("meaning", .string(r.status.meaning)),
        ]
        var lines = ["response APDU"]
        if !r.data.isEmpty {
            lines.append("  data (\(r.data.count) bytes) \(Hex.encode(r.data))")
        }
        lines.append("  SW \(r.status) (\(r.status.meaning))")
        if let nodes = recognisedTLV(r.data) {
            members.append(("tlv", .array(nodes.roots.map { nodeJSON(nodes, $0) })))
            for root in nodes.roots { text(nodes, root, indent: "  ", into: &lines) }
        }
        return Explanation(json: .object(members), lines: lines)
    }

    /// Explains a TLV blob.
    /// - Throws: ``TLVFormatError`` when the bytes are not well-formed BER-TLV.
    public static func tlv(_ bytes: [UInt8]) throws(TLVFormatError) -> Explanation {
        let nodes = try BERTLV.parse(bytes)
        let json = JSONValue.object([
            ("kind", .string("tlv")),
            ("nodes", .array(nodes.roots.map { nodeJSON(nodes, $0) })),
        ])
        var lines = ["TLV"]
        for root in nodes.roots { text(nodes, root, indent: "  ", into: &lines) }
        return Explanation(json: json, lines: lines)
    }

    /// Parses data as TLV only when every top-level tag is a known one, so
    /// that arbitrary bytes (a challenge, a cryptogram) are not dressed up.
    static func recognisedTLV(_ data: [UInt8]) -> TLVNodes? {
        guard !data.isEmpty, let nodes = try? BERTLV.parse(data, options: .strict) else { return nil }
        let roots = nodes.roots
        guard !roots.isEmpty, roots.allSatisfy({ TagDictionary.lookup($0.tag) != nil }) else { return nil }
        return nodes
    }

    static func nodeJSON(_ nodes: TLVNodes, _ node: TLVNode) -> JSONValue {
        let info = TagDictionary.lookup(node.tag)
        var members: [(String, JSONValue)] = [
            ("tag", .string(node.tag.description)),
            ("name", info.map { .string($0.name) } ?? .null),
            ("length", .int(node.length)),
        ]
        if node.isConstructed {
            members.append(("children", .array(nodes.children(of: node).map { nodeJSON(nodes, $0) })))
        } else {
            members.append(("value", .string(Hex.encode(node.value))))
            if let info, let text = render(node.value, info.format) {
                members.append(("text", .string(text)))
            }
        }
        return .object(members)
    }

    static func text(_ nodes: TLVNodes, _ node: TLVNode, indent: String, into lines: inout [String]) {
        let info = TagDictionary.lookup(node.tag)
        let name = info?.name ?? "unknown tag"
        if node.isConstructed {
            lines.append("\(indent)\(node.tag) \(name) (\(node.length) byte\(node.length == 1 ? "" : "s"))")
            for child in nodes.children(of: node) { text(nodes, child, indent: indent + "  ", into: &lines) }
        } else {
            var line = "\(indent)\(node.tag) \(name) (\(node.length) byte\(node.length == 1 ? "" : "s")): \(Hex.encode(node.value))"
            if let info, let rendered = render(node.value, info.format) { line += "  \"\(rendered)\"" }
            lines.append(line)
        }
    }

    /// A readable rendering of a value by its format, when it has one.
    static func render(_ value: ArraySlice<UInt8>, _ format: TagFormat) -> String? {
        switch format {
        case .text: return printable(value)
        case .compressedNumeric:
            let digits = Hex.encode(value)
            let trimmed = digits.reversed().drop { $0 == "F" }.reversed()
            return trimmed.allSatisfy(\.isNumber) && !trimmed.isEmpty ? String(trimmed) : nil
        case .numeric:
            let digits = Hex.encode(value)
            return digits.allSatisfy(\.isNumber) ? digits : nil
        case .binary, .gbk: return nil
        }
    }

    /// The bytes as ASCII when all are printable (ignoring `00` padding at the end).
    static func printable(_ bytes: some Collection<UInt8>) -> String? {
        let trimmed = Array(bytes).reversed().drop { $0 == 0 }.reversed()
        guard !trimmed.isEmpty, trimmed.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        return String(decoding: trimmed, as: UTF8.self)
    }
}

extension Optional where Wrapped == String {
    fileprivate var orEmpty: String { self ?? "" }
}
