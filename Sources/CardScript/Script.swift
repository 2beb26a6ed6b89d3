// SSCard — CardScript
//
// The `.apdu` script format (DESIGN.md "Script format"), made so that a
// scriptor transcript of a real card replays as a test:
//
//   # comment (also after a command)
//   reset                      cold reset
//   00 A4 04 00 0F … 00        a command (hex, spaced or not)
//   < 6F 1C … 90 00 : text     the expected response; text after ':' is ignored
//   < * 90 00                  '*' any number of bytes, 'XX' any byte, 'X' any nibble
//
// A file whose commands start with "> " is a transcript: bare hex lines are
// scriptor's echo and are skipped, "> RESET" resets, "< OK: <ATR>" expects
// that ATR, and a response wrapped over several lines is joined.
//
// Scripts are parsed whole before anything runs (jCardSim's APDUScriptTool).

import CardAPDU

/// One element of an expected-response pattern.
public enum PatternToken: Hashable, Sendable {
    /// This byte exactly.
    case byte(UInt8)
    /// A byte whose nibbles match where given (`X5`, `6X`, `XX`).
    case nibbles(high: UInt8?, low: UInt8?)
    /// Any number of bytes, none included.
    case anyBytes
}

/// An expected response.
public struct ResponsePattern: Hashable, Sendable, CustomStringConvertible {
    public var tokens: [PatternToken]
    /// `[name:N]`: N bytes (any) kept under `name` for later commands.
    public var captures: [Capture] = []

    /// A named run of bytes in a pattern: tokens `first ..< first + count`.
    public struct Capture: Hashable, Sendable {
        public var name: String
        public var first: Int
        public var count: Int
    }

    public init(tokens: [PatternToken]) { self.tokens = tokens }

    /// The captured bytes of a response that matches: the tokens before the
    /// first `*` lie from the start, those after the last one from the end.
    public func captured(_ bytes: [UInt8]) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        let star = tokens.firstIndex(of: .anyBytes)
        for c in captures {
            let start: Int
            if star == nil || c.first + c.count <= star! {
                start = c.first
            } else {
                start = bytes.count - (tokens.count - c.first)
            }
            guard start >= 0, start + c.count <= bytes.count else { continue }
            out[c.name] = Array(bytes[start..<(start + c.count)])
        }
        return out
    }

    /// Parses `6F XX 9X * 90 00` (spaced or packed, any case).
    /// - Returns: `nil` with a reason when malformed.
    public static func parse(_ text: Substring) -> Result<ResponsePattern, ScriptError.Reason> {
        var tokens: [PatternToken] = []
        var pending: Character? = nil
        func nibble(_ c: Character) -> UInt8?? {
            if c == "X" || c == "x" { return .some(nil) }
            guard let v = c.hexDigitValue else { return nil }
            return .some(UInt8(v))
        }
        var captures: [Capture] = []
        var capturing: String? = nil
        for c in text {
            if let name = capturing {
                if c != "]" {
                    capturing = name + String(c)
                    continue
                }
                capturing = nil
                let parts = name.split(separator: ":")
                guard parts.count == 2, let count = Int(parts[1]), (1...256).contains(count), Self.isName(parts[0]) else {
                    return .failure("[\(name)]: a capture is [name:N], a name of letters, digits and _ and N bytes (1–256)")
                }
                captures.append(Capture(name: String(parts[0]), first: tokens.count, count: count))
                tokens += Array(repeating: .nibbles(high: nil, low: nil), count: count)
                continue
            }
            if c == "[" {
                if pending != nil { return .failure("a lone hex digit before '['") }
                capturing = ""
                continue
            }
            if c == " " || c == "\t" {
                if pending != nil { return .failure("a lone hex digit in the expected response") }
                continue
            }
            if c == "*" {
                if pending != nil { return .failure("a lone hex digit before '*'") }
                tokens.append(.anyBytes)
                continue
            }
            guard nibble(c) != nil else { return .failure("'\(c)' in the expected response (hex digits, X, XX or *)") }
            if let h = pending {
                let high = nibble(h)!, low = nibble(c)!
                if let high, let low {
                    tokens.append(.byte(high << 4 | low))
                } else {
                    tokens.append(.nibbles(high: high, low: low))
                }
                pending = nil
            } else {
                pending = c
            }
        }
        if capturing != nil { return .failure("a '[' without its ']'") }
        if pending != nil { return .failure("odd number of hex digits in the expected response") }
        if tokens.isEmpty { return .failure("an empty expected response") }
        var pattern = ResponsePattern(tokens: tokens)
        pattern.captures = captures
        if let first = tokens.firstIndex(of: .anyBytes), let last = tokens.lastIndex(of: .anyBytes),
            captures.contains(where: { $0.first + $0.count > first && $0.first < last })
        {
            return .failure("a capture between two '*' has no fixed place")
        }
        return .success(pattern)
    }

    static func isName(_ s: some StringProtocol) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } && !s.first!.isNumber
    }

    /// Whether `bytes` matches the whole pattern.
    public func matches(_ bytes: [UInt8]) -> Bool {
        // Classic glob matching with backtracking on the last '*'.
        var t = 0, b = 0
        var star: Int? = nil, starB = 0
        while b < bytes.count {
            if t < tokens.count {
                switch tokens[t] {
                case .anyBytes:
                    star = t
                    starB = b
                    t += 1
                    continue
                case .byte(let v) where v == bytes[b]:
                    t += 1
                    b += 1
                    continue
                case .nibbles(let high, let low)
                where (high == nil || high! == bytes[b] >> 4) && (low == nil || low! == bytes[b] & 0xF):
                    t += 1
                    b += 1
                    continue
                default:
                    break
                }
            }
            guard let s = star else { return false }
            t = s + 1
            starB += 1
            b = starB
        }
        while t < tokens.count, tokens[t] == .anyBytes { t += 1 }
        return t == tokens.count
    }

    /// For each byte of `bytes`, whether it is where the pattern differs:
    /// the tokens before the first `*` are laid from the start, those after
    /// the last `*` from the end; bytes no token covers differ, and a
    /// pattern longer than the bytes marks the last byte. For reports.
    public func mismatches(_ bytes: [UInt8]) -> [Bool] {
        var marks = [Bool](repeating: false, count: bytes.count)
        func fits(_ token: PatternToken, _ b: UInt8) -> Bool {
            switch token {
            case .byte(let v): v == b
            case .nibbles(let h, let l): (h == nil || h! == b >> 4) && (l == nil || l! == b & 0xF)
            case .anyBytes: true
            }
        }
        let first = tokens.firstIndex(of: .anyBytes)
        let head = Array(tokens[..<(first ?? tokens.count)])
        let tail = first.map { _ in Array(tokens[(tokens.lastIndex(of: .anyBytes)! + 1)...]) } ?? []
        for (i, t) in head.enumerated() where i < bytes.count { marks[i] = !fits(t, bytes[i]) }
        for (j, t) in tail.reversed().enumerated() where j < bytes.count { marks[bytes.count - 1 - j] = marks[bytes.count - 1 - j] || !fits(t, bytes[bytes.count - 1 - j]) }
        if first == nil, bytes.count > head.count { for i in head.count..<bytes.count { marks[i] = true } }
        if head.count + tail.count > bytes.count, !bytes.isEmpty { marks[bytes.count - 1] = true }
        return marks
    }

    public var description: String {
        guard captures.isEmpty else {
            var parts: [String] = []
            var i = 0
            while i < tokens.count {
                if let c = captures.first(where: { $0.first == i }) {
                    parts.append("[\(c.name):\(c.count)]")
                    i += c.count
                    continue
                }
                parts.append(ResponsePattern(tokens: [tokens[i]]).description)
                i += 1
            }
            return parts.joined(separator: " ")
        }
        return tokens.map { token in
            switch token {
            case .byte(let v): Hex.encode([v])
            case .anyBytes: "*"
            case .nibbles(let h, let l):
                (h.map { String($0, radix: 16, uppercase: true) } ?? "X") + (l.map { String($0, radix: 16, uppercase: true) } ?? "X")
            }
        }.joined(separator: " ")
    }
}

/// One step of a script.
public enum ScriptStep: Hashable, Sendable {
    /// A cold reset, optionally expecting an ATR.
    case reset(line: Int, expectedATR: ResponsePattern?)
    /// A command, optionally with its expected response and the line of it.
    case command(line: Int, bytes: [UInt8], expected: ResponsePattern?, expectationLine: Int?)
    /// A command made when it is sent, from captured bytes and helpers.
    case templated(line: Int, template: [CommandPart], expected: ResponsePattern?, expectationLine: Int?)
}

/// A piece of a templated command: `00 82 00 0A 11 ${ea(03, 0A, cardid, original, random)}`.
public enum CommandPart: Hashable, Sendable {
    case bytes([UInt8])
    /// `${name}`: bytes captured earlier with `[name:N]`.
    case variable(String)
    /// `${helper(arg, …)}`: what a terminal computes (the arguments hex or
    /// captured names); `${name=helper(…)}` also keeps the result under `name`.
    case helper(String, [HelperArgument], assign: String?)

    /// Parses a command line with `${…}` in it.
    static func parse(_ text: Substring) -> Result<[CommandPart], ScriptError.Reason> {
        var parts: [CommandPart] = []
        var rest = text
        while !rest.isEmpty {
            guard let open = rest.firstRange(of: "${") else {
                guard let b = try? Hex.decode(rest) else { return .failure("'\(rest.trimmingSpaces)' is not hex") }
                parts.append(.bytes(b))
                break
            }
            let literal = rest[..<open.lowerBound]
            if !literal.trimmingSpaces.isEmpty {
                guard let b = try? Hex.decode(literal) else { return .failure("'\(literal.trimmingSpaces)' is not hex") }
                parts.append(.bytes(b))
            }
            let after = rest[open.upperBound...]
            guard let close = after.firstIndex(of: "}") else { return .failure("a '${' without its '}'") }
            let inner = after[..<close].trimmingSpaces
            rest = after[after.index(after: close)...]
            if let paren = inner.firstIndex(of: "(") {
                guard inner.hasSuffix(")") else { return .failure("${\(inner)}: a helper is name(arg, …)") }
                var name = inner[..<paren].trimmingSpaces
                var assign: String? = nil
                if let eq = name.firstIndex(of: "=") {
                    let target = name[..<eq].trimmingSpaces
                    guard ResponsePattern.isName(target) else { return .failure("${\(inner)}: '\(target)' is not a name to keep the result under") }
                    assign = String(target)
                    name = name[name.index(after: eq)...].trimmingSpaces
                }
                guard ResponsePattern.isName(name) else { return .failure("${\(inner)}: '\(name)' is not a helper's name") }
                var args: [HelperArgument] = []
                let body = inner[inner.index(after: paren)..<inner.index(before: inner.endIndex)]
                for a in body.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingSpaces }) where !(a.isEmpty && body.trimmingSpaces.isEmpty) {
                    if ResponsePattern.isName(a) {
                        args.append(.variable(String(a)))
                    } else if let b = try? Hex.decode(a) {
                        args.append(.bytes(b))
                    } else {
                        return .failure("${\(inner)}: '\(a)' is neither hex nor a captured name")
                    }
                }
                parts.append(.helper(String(name), args, assign: assign))
            } else {
                guard ResponsePattern.isName(inner) else { return .failure("${\(inner)}: not a name") }
                parts.append(.variable(String(inner)))
            }
        }
        return .success(parts)
    }
}

/// An argument of a helper: bytes, or the name of captured bytes.
public enum HelperArgument: Hashable, Sendable {
    case bytes([UInt8])
    case variable(String)
}

/// What a terminal computes for a script (external authentication data
/// through the issuer's keys, a MAC, an enciphered PIN, a PIN block).
public protocol ScriptHelpers: Sendable {
    /// The bytes of `name(args)`; `atr` is the card's, for its factors.
    func call(_ name: String, _ args: [[UInt8]], atr: [UInt8]) throws(ScriptHelperError) -> [UInt8]
}

public struct ScriptHelperError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A parsed script.
public struct Script: Hashable, Sendable {
    public var name: String
    public var steps: [ScriptStep]
    /// Read as a scriptor transcript.
    public var isTranscript: Bool
    /// The card profile the script is written for, from a `# @card NAME`
    /// line; `sscard run` uses it unless told otherwise.
    public var cardProfile: String?
    /// Why the script leaves a card changed for good (a `# @destructive WHY`
    /// line): on a card that outlives the run (a reader, an image) it runs
    /// only when asked.
    public var destructive: String? = nil
}

/// A script that cannot be parsed: `file:line: why`.
public struct ScriptError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the script, as an extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: Hashable, Sendable {
            case misplacedExpectation, badExpectation, badCommand, badDirective, failedReset, unreadable
        }
        fileprivate let backing: Backing

        /// An expected response with no command (or reset) before it, or a second one.
        public static let misplacedExpectation = Code(backing: .misplacedExpectation)
        /// An expected response that is not a pattern of hex digits, `X`, `XX` and `*`.
        public static let badExpectation = Code(backing: .badExpectation)
        /// A command line that is not a command APDU (not hex, fewer than 4 or more than 65,544 bytes).
        public static let badCommand = Code(backing: .badCommand)
        /// A malformed `# @card` directive.
        public static let badDirective = Code(backing: .badDirective)
        /// A transcript that records a failed reset (`< KO:`).
        public static let failedReset = Code(backing: .failedReset)
        /// The script file cannot be read.
        public static let unreadable = Code(backing: .unreadable)

        public var description: String {
            switch backing {
            case .misplacedExpectation: "misplacedExpectation"
            case .badExpectation: "badExpectation"
            case .badCommand: "badCommand"
            case .badDirective: "badDirective"
            case .failedReset: "failedReset"
            case .unreadable: "unreadable"
            }
        }
    }

    public struct Reason: Error, Hashable, Sendable, ExpressibleByStringInterpolation {
        public var text: String
        public init(stringLiteral value: String) { text = value }
        public init(stringInterpolation: DefaultStringInterpolation) { text = stringInterpolation.description }
        public init(_ text: String) { self.text = text }
    }
    public var code: Code
    public var file: String
    /// The line (1-based); 0 for the whole file.
    public var line: Int
    public var reason: String
    /// Where it was thrown (`#fileID`, `#line`).
    public var sourceLocation: (file: String, line: Int)

    public init(_ code: Code, file: String, line: Int, reason: String, fileID: String = #fileID, sourceLine: Int = #line) {
        self.code = code
        self.file = file
        self.line = line
        self.reason = reason
        self.sourceLocation = (fileID, sourceLine)
    }

    public static func == (a: ScriptError, b: ScriptError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String { line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)" }
}

/// Parses scripts.
public enum ScriptParser {
    /// Parses a script's text.
    /// - Throws: ``ScriptError`` naming the line.
    public static func parse(_ text: String, name: String) throws(ScriptError) -> Script {
        // Split lines; strip "\r".
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
        if isApduTool(lines) { return try parseApduTool(lines, name: name) }
        let transcript = lines.contains { $0.hasPrefix("> ") || $0 == ">" }
        var steps: [ScriptStep] = []
        var cardProfile: String? = nil
        var destructive: String? = nil

        func fail(_ n: Int, _ code: ScriptError.Code, _ reason: String) -> ScriptError {
            ScriptError(code, file: name, line: n, reason: reason)
        }

        /// The expected-response text of a `<` line (after "<", before " : ").
        func expectationText(_ line: Substring) -> Substring {
            var body = line.dropFirst()  // "<"
            // The remark starts at a ':' outside a capture's brackets.
            var depth = 0
            if let colon = body.firstIndex(where: { c in
                if c == "[" { depth += 1 } else if c == "]" { depth -= 1 }
                return c == ":" && depth == 0
            }) { body = body[..<colon] }
            if let hash = body.firstIndex(of: "#") { body = body[..<hash] }
            return body
        }

        func attach(_ pattern: ResponsePattern, line n: Int) throws(ScriptError) {
            guard let last = steps.last else { throw fail(n, .misplacedExpectation, "an expected response before any command") }
            switch last {
            case .command(let l, let bytes, nil, _):
                steps[steps.count - 1] = .command(line: l, bytes: bytes, expected: pattern, expectationLine: n)
            case .templated(let l, let template, nil, _):
                steps[steps.count - 1] = .templated(line: l, template: template, expected: pattern, expectationLine: n)
            case .reset(let l, nil) where transcript:
                steps[steps.count - 1] = .reset(line: l, expectedATR: pattern)
            case .reset:
                throw fail(n, .misplacedExpectation, "an expected response after reset (use '< OK: <ATR>' in a transcript)")
            case .command, .templated:
                throw fail(n, .misplacedExpectation, "a second expected response for the same command")
            }
        }

        var i = 0
        while i < lines.count {
            let n = i + 1
            var line = lines[i]
            i += 1
            // A directive in a comment, ignored by other tools: "# @card PROFILE".
            let directive = line.trimmingSpaces
            if directive.hasPrefix("# @destructive") {
                let why = directive.dropFirst("# @destructive".count).trimmingSpaces
                guard !why.isEmpty else { throw fail(n, .badDirective, "'# @destructive' says why (what the script leaves changed)") }
                destructive = String(why)
                continue
            }
            if directive.hasPrefix("# @card ") || directive.hasPrefix("#@card ") {
                let name = directive.drop { $0 != "d" }.dropFirst().trimmingSpaces
                guard !name.isEmpty, !name.contains(" ") else { throw fail(n, .badDirective, "'# @card' takes one profile name") }
                guard cardProfile == nil else { throw fail(n, .badDirective, "a second '# @card' line") }
                cardProfile = String(name)
                continue
            }
            if !transcript || !line.hasPrefix("<") {
                if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            }
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty { continue }

            if trimmed.hasPrefix("<") {
                var body = trimmed.dropFirst().trimmingSpaces
                if transcript {
                    // "< OK: <ATR>" after "> RESET"; "< KO: …" is a failed reset.
                    if body.hasPrefix("OK:") {
                        let atr = body.dropFirst(3)
                        switch ResponsePattern.parse(atr) {
                        case .success(let p): try attach(p, line: n)
                        case .failure(let r): throw fail(n, .badExpectation, r.text)
                        }
                        continue
                    }
                    if body.hasPrefix("KO:") { throw fail(n, .failedReset, "the transcript records a failed reset") }
                    // A response wrapped over several lines: only the last has " : text".
                    var joined = String(expectationText(trimmed))
                    var hasRemark = trimmed.contains(":")
                    while !hasRemark, i < lines.count {
                        let next = lines[i].trimmingSpaces
                        guard !next.isEmpty, !next.hasPrefix(">"), !next.hasPrefix("<") else { break }
                        let colon = next.firstIndex(of: ":")
                        let bytesPart = colon.map { next[..<$0] } ?? next
                        guard !bytesPart.trimmingSpaces.isEmpty, (try? Hex.decode(bytesPart)) != nil else { break }
                        i += 1
                        joined += " " + bytesPart
                        hasRemark = colon != nil
                    }
                    body = Substring(joined)
                } else {
                    body = expectationText(trimmed)
                }
                switch ResponsePattern.parse(body) {
                case .success(let p): try attach(p, line: n)
                case .failure(let r): throw fail(n, .badExpectation, r.text)
                }
                continue
            }

            var commandText = trimmed
            if transcript {
                // Only "> …" lines are commands; the rest is scriptor's echo and remarks.
                guard trimmed.hasPrefix(">") else { continue }
                commandText = trimmed.dropFirst().trimmingSpaces
            }
            if commandText.lowercased() == "reset" {
                steps.append(.reset(line: n, expectedATR: nil))
                continue
            }
            if commandText.utf8.contains(UInt8(ascii: "$")) {
                switch CommandPart.parse(commandText) {
                case .success(let parts): steps.append(.templated(line: n, template: parts, expected: nil, expectationLine: nil))
                case .failure(let r): throw fail(n, .badCommand, r.text)
                }
                continue
            }
            let bytes: [UInt8]
            do {
                bytes = try Hex.decode(commandText)
            } catch {
                throw fail(n, .badCommand, "not a command: \(error.reason)")
            }
            guard bytes.count >= 4 else { throw fail(n, .badCommand, "a command APDU needs at least 4 bytes (CLA INS P1 P2)") }
            guard bytes.count <= 65544 else { throw fail(n, .badCommand, "a command APDU is at most 65544 bytes") }
            steps.append(.command(line: n, bytes: bytes, expected: nil, expectationLine: nil))
        }
        return Script(name: name, steps: steps, isTranscript: transcript, cardProfile: cardProfile, destructive: destructive)
    }
}

extension ScriptParser {
    /// Whether the first statement is apdutool's (Oracle's Java Card tool,
    /// jCardSim's APDUScriptTool): `powerup;` or `0x.. 0x.. …;`.
    static func isApduTool(_ lines: [Substring]) -> Bool {
        for raw in lines {
            var line = raw
            if let c = line.firstRange(of: "//") { line = line[..<c.lowerBound] }
            let t = line.trimmingSpaces.lowercased()
            if t.isEmpty { continue }
            return t.hasSuffix(";") && (t.hasPrefix("powerup") || t.hasPrefix("0x"))
        }
        return false
    }

    /// An apdutool script: `powerup;` and `powerdown;` (a reset and nothing),
    /// `//` comments, the tool's other statements skipped (`echo`, `delay`,
    /// `output`, `contacted`, `contactless`), and each command as
    /// `CLA INS P1 P2 Lc [data] Le;` in `0x..` bytes, Lc `0x00` when there
    /// is no data. The commands carry no expected answers: they run, unchecked.
    static func parseApduTool(_ lines: [Substring], name: String) throws(ScriptError) -> Script {
        var steps: [ScriptStep] = []
        var statement = ""
        var startLine = 0
        for (i, raw) in lines.enumerated() {
            var line = raw
            if let c = line.firstRange(of: "//") { line = line[..<c.lowerBound] }
            for ch in line {
                if statement.allSatisfy({ $0 == " " || $0 == "\t" }) { startLine = i + 1 }
                if ch == ";" {
                    if let step = try apduToolStatement(statement.trimmingSpaces, line: startLine, name: name) { steps.append(step) }
                    statement = ""
                } else {
                    statement.append(ch)
                }
            }
            statement.append(" ")
        }
        guard statement.trimmingSpaces.isEmpty else {
            throw ScriptError(.badCommand, file: name, line: startLine, reason: "a statement without its ';'")
        }
        return Script(name: name, steps: steps, isTranscript: false, cardProfile: nil)
    }

    static func apduToolStatement(_ s: Substring, line n: Int, name: String) throws(ScriptError) -> ScriptStep? {
        let lower = s.lowercased()
        if lower == "powerup" { return .reset(line: n, expectedATR: nil) }
        let first = lower.split(separator: " ").first.map(String.init) ?? ""
        if lower.isEmpty || ["powerdown", "echo", "delay", "output", "contacted", "contactless"].contains(first) { return nil }
        var bytes: [UInt8] = []
        for token in s.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            guard token.count == 4, token.lowercased().hasPrefix("0x"), let b = UInt8(token.dropFirst(2), radix: 16) else {
                throw ScriptError(.badCommand, file: name, line: n, reason: "'\(token)': apdutool bytes are 0x followed by two hex digits")
            }
            bytes.append(b)
        }
        guard bytes.count >= 6 else {
            throw ScriptError(.badCommand, file: name, line: n, reason: "an apdutool command is CLA INS P1 P2 Lc [data] Le")
        }
        let lc = Int(bytes[4])
        guard bytes.count == 6 + lc else {
            throw ScriptError(.badCommand, file: name, line: n, reason: "Lc 0x\(Hex.encode([bytes[4]])) says \(lc) data bytes, the command has \(bytes.count - 6)")
        }
        let header = Array(bytes[0..<4]), le = bytes[bytes.count - 1]
        // Lc 0x00: no data (case 2 with the Le); else case 4.
        let command = lc == 0 ? header + [le] : header + [bytes[4]] + Array(bytes[5..<(5 + lc)]) + [le]
        return .command(line: n, bytes: command, expected: nil, expectationLine: nil)
    }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        let s = self[...]
        guard let start = s.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let end = s.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return Substring(s[start...end])
    }
}

// MARK: Placeholders

/// `${PIN}`, `${NEW_PIN}` and `${PIN_BLOCK}` in a script's commands: the
/// PINs a recorded session held, supplied at run time from the PIN sources
/// (never written in the script).
public enum ScriptPlaceholders {
    public static let known = ["PIN", "NEW_PIN", "PIN_BLOCK"]

    /// The placeholder names a script's text uses (outside comments).
    public static func names(in text: String) -> Set<String> {
        var out: Set<String> = []
        guard text.utf8.contains(UInt8(ascii: "$")) else { return out }
        for line in text.split(separator: "\n") {
            var rest = line.prefix { $0 != "#" }
            while let open = rest.firstRange(of: "${") {
                let after = rest[open.upperBound...]
                guard let close = after.firstIndex(of: "}") else { break }
                out.insert(String(after[..<close]))
                rest = after[after.index(after: close)...]
            }
        }
        return out
    }

    /// The text with each `${NAME}` replaced by `values[NAME]` (hex).
    /// - Throws: ``ScriptError`` `.badCommand` for a name without a value, at its line.
    public static func substitute(_ text: String, _ values: [String: String], name: String) throws(ScriptError) -> String {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }
        var out = ""
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = line.prefix { $0 != "#" }
            let comment = line[rest.endIndex...]
            while let open = rest.firstRange(of: "${") {
                let after = rest[open.upperBound...]
                guard let close = after.firstIndex(of: "}") else {
                    throw ScriptError(.badCommand, file: name, line: n + 1, reason: "a '${' without its '}'")
                }
                let key = String(after[..<close])
                guard known.contains(key) else {
                    // A captured name or a helper: the runner's.
                    out += rest[..<after.index(after: close)]
                    rest = after[after.index(after: close)...]
                    continue
                }
                guard let value = values[key] else {
                    throw ScriptError(.badCommand, file: name, line: n + 1, reason: "${\(key)}: no value given")
                }
                out += rest[..<open.lowerBound] + value
                rest = after[after.index(after: close)...]
            }
            out += rest + comment + "\n"
        }
        return String(out.dropLast())
    }
}
