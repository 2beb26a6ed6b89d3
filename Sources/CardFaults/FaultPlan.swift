// SSCard — CardFaults
//
// A fault plan: which commands a misbehaving card answers wrongly, and how.
// One rule a line, `MATCH [TRIGGER] => FAULT`, read whole before anything
// runs (as scripts are), every mistake named by file and line:
//
//     seed 7                              # the seed of 'chance' triggers
//     ins 20 nth 2        => sw 6983      # the second VERIFY: blocked
//     app bank ins AE     => tlv drop 9F26
//     prefix 00B2 every 3 => truncate 5
//     any chance 1/10     => delay 300
//     ins DC              => tear 0
//
// The README's "Fault injection" section is the reference.

public import CardAPDU
public import CardTLV

/// Which commands a rule looks at; every part given must hold.
public struct FaultMatch: Hashable, Sendable {
    /// The instruction byte.
    public var ins: UInt8?
    /// The application current when the command arrives.
    public var application: FaultApplication?
    /// The command's first bytes.
    public var prefix: [UInt8] = []

    public init(ins: UInt8? = nil, application: FaultApplication? = nil, prefix: [UInt8] = []) {
        self.ins = ins
        self.application = application
        self.prefix = prefix
    }
}

/// An application, as the card's current DF places it.
public enum FaultApplication: Hashable, Sendable {
    /// The social-security environment (SSSE) or a DF below it.
    case social
    /// The PBOC payment environment or a debit, credit or quasi-credit application.
    case bank
    /// The master file, outside any application.
    case masterFile
    /// A DF whose name begins with these bytes, or a DF below it.
    case named([UInt8])
}

/// When a rule that matches fires.
public enum FaultTrigger: Hashable, Sendable {
    /// At every match.
    case always
    /// At the n-th match only (1 is the first).
    case nth(Int)
    /// At every n-th match (n, 2n, 3n …).
    case every(Int)
    /// At one match in n, drawn from a generator seeded with `seed`.
    case chance(oneIn: Int, seed: UInt64)
}

/// What the card does wrong.
public enum Fault: Hashable, Sendable {
    /// The status word replaced; the data kept.
    case statusWord(StatusWord)
    /// A data byte XORed with a mask; a negative offset counts from the end.
    case flip(offset: Int, mask: UInt8)
    /// The last `count` data bytes dropped.
    case truncate(Int)
    /// Bytes added after the data.
    case extend([UInt8])
    /// A TLV object's length field changed by `delta`, its value left as it is.
    case tlvLength(BERTag, delta: Int)
    /// A TLV object written twice.
    case tlvDuplicate(BERTag)
    /// A TLV object left out.
    case tlvDrop(BERTag)
    /// `61 count` instead of the answer, which waits for GET RESPONSE.
    case claimMoreData(count: UInt8)
    /// `6C count` instead of the answer.
    case claimWrongLength(count: UInt8)
    /// The answer held back this long.
    case delay(milliseconds: Int)
    /// Power lost after `writes` of the command's writes completed (each
    /// write whole or not at all, as on an anti-tearing card); no answer.
    case tear(writes: Int)
    /// The card pulled out before the command reaches it; back after
    /// `milliseconds` where the reader can say so (vpcd), else at the next
    /// connection or reset.
    case remove(milliseconds: Int)

    /// Whether the card is gone afterwards (no answer at all).
    public var endsTheExchange: Bool {
        switch self {
        case .tear, .remove: true
        default: false
        }
    }
}

/// One line of a plan.
public struct FaultRule: Hashable, Sendable {
    /// Line in the plan file, for messages.
    public var line: Int
    public var match: FaultMatch
    public var trigger: FaultTrigger
    public var fault: Fault
    /// The fault as written (`sw 6983`), for reports.
    public var text: String

    public init(line: Int, match: FaultMatch, trigger: FaultTrigger, fault: Fault, text: String) {
        self.line = line
        self.match = match
        self.trigger = trigger
        self.fault = fault
        self.text = text
    }
}

/// A parsed plan.
public struct FaultPlan: Hashable, Sendable {
    /// Where it came from, for messages.
    public var name: String
    public var rules: [FaultRule]

    public init(name: String, rules: [FaultRule]) {
        self.name = name
        self.rules = rules
    }

    /// Parses a plan.
    /// - Parameters:
    ///   - text: the plan.
    ///   - name: the file name, for messages.
    /// - Throws: ``FaultPlanError`` naming the line and what is wrong there.
    public static func parse(_ text: String, name: String) throws(FaultPlanError) -> FaultPlan {
        var parser = FaultPlanParser(name: name)
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            try parser.line(raw, number: number)
        }
        if parser.rules.isEmpty {
            throw FaultPlanError(.empty, file: name, line: 0, reason: "no rule: a plan needs at least one 'MATCH => FAULT' line")
        }
        return FaultPlan(name: name, rules: parser.rules)
    }
}

/// Reads a plan a line at a time.
struct FaultPlanParser {
    let name: String
    var seed: UInt64 = 0
    var rules: [FaultRule] = []
    var number = 0

    init(name: String) { self.name = name }

    func fail(_ reason: String, _ code: FaultPlanError.Code = .syntax) -> FaultPlanError {
        FaultPlanError(code, file: name, line: number, reason: reason)
    }

    mutating func line(_ raw: Substring, number: Int) throws(FaultPlanError) {
        self.number = number
        let text = raw.firstIndex(of: "#").map { raw[..<$0] } ?? raw
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
        guard let first = words.first else { return }
        if first == "seed" {
            guard words.count == 2, let s = UInt64(words[1]) else { throw fail("'seed' takes one whole number, e.g. 'seed 7'") }
            seed = s
            return
        }
        guard let arrow = words.firstIndex(of: "=>") else {
            throw fail("expected 'MATCH [TRIGGER] => FAULT' (e.g. 'ins 20 nth 2 => sw 6983'), got '\(text.trimmed)'")
        }
        let (match, trigger) = try matchAndTrigger(words[..<arrow])
        let faultWords = words[(arrow + 1)...]
        guard !faultWords.isEmpty else { throw fail("nothing after '=>': name a fault (sw, flip, truncate, extend, tlv, chain, delay, tear, remove)") }
        let fault = try self.fault(faultWords)
        rules.append(FaultRule(line: number, match: match, trigger: trigger, fault: fault, text: faultWords.joined(separator: " ")))
    }

    func matchAndTrigger(_ words: ArraySlice<Substring>) throws(FaultPlanError) -> (FaultMatch, FaultTrigger) {
        var match = FaultMatch()
        var trigger: FaultTrigger?
        var any = false
        var i = words.startIndex
        func argument(_ what: String) throws(FaultPlanError) -> Substring {
            guard i + 1 < words.endIndex else { throw fail("'\(words[i])' needs \(what)") }
            i += 1
            return words[i]
        }
        func setTrigger(_ t: FaultTrigger) throws(FaultPlanError) {
            if trigger != nil { throw fail("one trigger a rule (always, nth N, every N, chance 1/N)") }
            trigger = t
        }
        while i < words.endIndex {
            switch words[i] {
            case "any": any = true
            case "ins":
                let v = try argument("one hex byte, e.g. 'ins 20'")
                guard v.count == 2, let b = UInt8(v, radix: 16) else { throw fail("'ins \(v)': expected one hex byte, e.g. 'ins 20'") }
                match.ins = b
            case "app":
                match.application = try application(try argument("social, bank, mf or a DF name in hex"))
            case "prefix":
                let v = try argument("hex bytes")
                match.prefix = try hex(v, "prefix")
                if match.prefix.isEmpty { throw fail("'prefix' needs at least one byte") }
            case "always": try setTrigger(.always)
            case "nth": try setTrigger(.nth(try count(try argument("a count from 1"), "nth")))
            case "every": try setTrigger(.every(try count(try argument("a count from 1"), "every")))
            case "chance":
                let v = try argument("'1/N'")
                guard v.hasPrefix("1/"), let n = Int(v.dropFirst(2)), n >= 1 else { throw fail("'chance \(v)': expected '1/N', e.g. 'chance 1/10'") }
                var seed = self.seed
                if i + 1 < words.endIndex, words[i + 1] == "seed" {
                    i += 1
                    let s = try argument("a whole number")
                    guard let parsed = UInt64(s) else { throw fail("'seed \(s)': expected a whole number") }
                    seed = parsed
                }
                try setTrigger(.chance(oneIn: n, seed: seed))
            default:
                throw fail("'\(words[i])' is not a match (any, ins XX, app NAME, prefix HEX) or a trigger (always, nth N, every N, chance 1/N)")
            }
            i += 1
        }
        if !any && match == FaultMatch() {
            throw fail("nothing to match: say 'any', or give 'ins', 'app' or 'prefix' before '=>'")
        }
        if let ins = match.ins, match.prefix.count >= 2, match.prefix[1] != ins {
            throw fail("'ins \(Hex.encode([ins]))' and 'prefix \(Hex.encode(match.prefix))' can never both hold")
        }
        return (match, trigger ?? .always)
    }

    func application(_ word: Substring) throws(FaultPlanError) -> FaultApplication {
        switch word.lowercased() {
        case "social": return .social
        case "bank": return .bank
        case "mf": return .masterFile
        default:
            let name = try hex(word, "app")
            guard !name.isEmpty else { throw fail("'app' needs social, bank, mf or a DF name in hex") }
            return .named(name)
        }
    }

    func fault(_ words: ArraySlice<Substring>) throws(FaultPlanError) -> Fault {
        let kind = words[words.startIndex]
        let args = Array(words.dropFirst())
        func arity(_ n: ClosedRange<Int>, _ usage: String) throws(FaultPlanError) {
            guard n.contains(args.count) else { throw fail("'\(kind)' is written '\(usage)'") }
        }
        switch kind {
        case "sw":
            try arity(1...1, "sw XXXX")
            let b = try hex(args[0], "sw")
            guard b.count == 2 else { throw fail("'sw \(args[0])': a status word is two bytes, e.g. 'sw 6983'") }
            return .statusWord(StatusWord(sw1: b[0], sw2: b[1]))
        case "flip":
            try arity(1...2, "flip OFFSET [MASK]")
            guard let offset = Int(args[0]) else { throw fail("'flip \(args[0])': the offset is a whole number (negative from the end)") }
            var mask: UInt8 = 0xFF
            if args.count == 2 {
                let m = try hex(args[1], "flip")
                guard m.count == 1, m[0] != 0 else { throw fail("'flip … \(args[1])': the mask is one non-zero hex byte") }
                mask = m[0]
            }
            return .flip(offset: offset, mask: mask)
        case "truncate":
            try arity(1...1, "truncate N")
            return .truncate(try count(args[0], "truncate"))
        case "extend":
            try arity(1...1, "extend HEX")
            let b = try hex(args[0], "extend")
            guard (1...1024).contains(b.count) else { throw fail("'extend' adds 1 to 1024 bytes, got \(b.count)") }
            return .extend(b)
        case "tlv":
            guard let what = args.first else { throw fail("'tlv' is written 'tlv length TAG DELTA', 'tlv duplicate TAG' or 'tlv drop TAG'") }
            switch what {
            case "length":
                guard args.count == 3 else { throw fail("'tlv length' is written 'tlv length TAG DELTA', e.g. 'tlv length 9F26 +1'") }
                guard let delta = Int(args[2].hasPrefix("+") ? args[2].dropFirst() : args[2]), delta != 0 else {
                    throw fail("'tlv length … \(args[2])': the change is a non-zero whole number, e.g. +1 or -2")
                }
                return .tlvLength(try tag(args[1]), delta: delta)
            case "duplicate", "drop":
                guard args.count == 2 else { throw fail("'tlv \(what)' is written 'tlv \(what) TAG'") }
                return what == "drop" ? .tlvDrop(try tag(args[1])) : .tlvDuplicate(try tag(args[1]))
            default:
                throw fail("'tlv \(what)': expected length, duplicate or drop")
            }
        case "chain":
            try arity(2...2, "chain 61|6C XX")
            let b = try hex(args[1], "chain")
            guard b.count == 1 else { throw fail("'chain … \(args[1])': the count is one hex byte") }
            switch args[0].uppercased() {
            case "61": return .claimMoreData(count: b[0])
            case "6C": return .claimWrongLength(count: b[0])
            default: throw fail("'chain \(args[0])': expected 61 (GET RESPONSE) or 6C (wrong Le)")
            }
        case "delay":
            try arity(1...1, "delay MILLISECONDS")
            let ms = try count(args[0], "delay")
            guard ms <= 600_000 else { throw fail("'delay \(ms)': at most 600000 ms") }
            return .delay(milliseconds: ms)
        case "tear":
            try arity(0...1, "tear [WRITES]")
            return .tear(writes: args.isEmpty ? 0 : try count(args[0], "tear", from: 0))
        case "remove":
            try arity(0...1, "remove [MILLISECONDS]")
            return .remove(milliseconds: args.isEmpty ? 500 : try count(args[0], "remove", from: 0))
        default:
            throw fail("'\(kind)' is not a fault: sw, flip, truncate, extend, tlv, chain, delay, tear or remove")
        }
    }

    func count(_ word: Substring, _ what: String, from low: Int = 1) throws(FaultPlanError) -> Int {
        guard let n = Int(word), n >= low, n <= 1_000_000 else { throw fail("'\(what) \(word)': expected a whole number from \(low)") }
        return n
    }

    func hex(_ word: Substring, _ what: String) throws(FaultPlanError) -> [UInt8] {
        do {
            return try Hex.decode(word)
        } catch {
            throw fail("'\(what) \(word)': \(error.reason)")
        }
    }

    func tag(_ word: Substring) throws(FaultPlanError) -> BERTag {
        let b = try hex(word, "tlv")
        guard (1...3).contains(b.count), let t = BERTag(bytes: b), t.byteCount == b.count else {
            throw fail("'\(word)' is not a BER tag (one to three bytes, e.g. 9F26)")
        }
        return t
    }
}

extension Substring {
    var trimmed: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return s
    }
}

/// A plan that cannot be used: the line, and why.
///
/// Equality and hashing look only at ``code``, so tests compare with codes.
public struct FaultPlanError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: Hashable, Sendable { case syntax, empty, unreadable }
        fileprivate let backing: Backing
        /// A line that is not a rule, a seed or a comment.
        public static let syntax = Code(backing: .syntax)
        /// No rule at all.
        public static let empty = Code(backing: .empty)
        /// The file cannot be read.
        public static let unreadable = Code(backing: .unreadable)

        public var description: String {
            switch backing {
            case .syntax: "syntax"
            case .empty: "empty"
            case .unreadable: "unreadable"
            }
        }
    }

    public var code: Code
    public var file: String
    /// 1-based; 0 for the whole file.
    public var line: Int
    public var reason: String
    public var sourceLocation: (file: String, line: Int)

    public init(_ code: Code, file: String, line: Int, reason: String, fileID: String = #fileID, sourceLine: Int = #line) {
        self.code = code
        self.file = file
        self.line = line
        self.reason = reason
        self.sourceLocation = (fileID, sourceLine)
    }

    public static func == (a: FaultPlanError, b: FaultPlanError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String { line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)" }
}
