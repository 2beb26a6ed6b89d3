// SSCard — CardFaults
//
// Stands between a terminal and the virtual card and makes the card
// misbehave as a plan says: a command reaches the card (or does not), its
// answer is changed on the way back, or the card loses power mid-command.
// In process it sits inside the virtual card's transport; through pcscd,
// inside the vpcd bridge's card; the same code either way.

import CardAPDU
public import CardRuntime
import CardFileSystem
import CardStandards
import CardTLV

/// A fault that fired.
public struct FaultEvent: Sendable, CustomStringConvertible {
    /// The plan's rule.
    public var rule: FaultRule
    /// The plan's file, for messages.
    public var plan: String
    /// The command's number since the card was made (1 is the first).
    public var command: Int
    /// Whether the fault changed anything (a TLV fault on an answer without the tag does not).
    public var applied: Bool
    /// What happened, for people.
    public var note: String

    public var description: String {
        "fault \(plan):\(rule.line) (\(rule.text)) at command \(command): \(note)"
    }
}

/// What the terminal gets.
public enum FaultedAnswer: Sendable, Equatable {
    /// A response APDU (perhaps not the card's own).
    case answer([UInt8])
    /// No answer: the card lost power mid-command (`tear`) or was pulled out
    /// (`remove`); back after `milliseconds` where the reader can say so.
    case gone(tear: Bool, milliseconds: Int)
}

/// Applies a ``FaultPlan`` to the commands a virtual card receives.
public struct FaultInjector {
    public let plan: FaultPlan
    /// Matches so far, per rule.
    var matches: [Int]
    /// Per rule: the generator of a `chance` trigger.
    var generators: [SplitMix64]
    /// An answer held back behind a `61xx` the fault made up: data and status word.
    var held: (data: [UInt8], status: [UInt8])?
    /// Commands seen.
    public private(set) var commands = 0
    /// Told of every fault that fires.
    public var report: ((FaultEvent) -> Void)?
    /// How a delay waits (tests replace it).
    var sleep: (Int) -> Void = FaultClock.sleep(milliseconds:)

    public init(plan: FaultPlan, report: ((FaultEvent) -> Void)? = nil) {
        self.plan = plan
        self.report = report
        matches = Array(repeating: 0, count: plan.rules.count)
        generators = plan.rules.map {
            if case .chance(_, let seed) = $0.trigger { SplitMix64(seed: seed ^ UInt64($0.line)) } else { SplitMix64(seed: 0) }
        }
    }

    /// Sends `command` to `card` through the plan.
    public mutating func transmit(_ command: [UInt8], card: inout VirtualCard) -> FaultedAnswer {
        commands += 1
        if let answer = answerHeld(command) { return .answer(answer) }
        let fired = firing(command, card)
        if fired.isEmpty { return .answer(card.transmit(command)) }

        for i in fired {
            let rule = plan.rules[i]
            switch rule.fault {
            case .remove(let ms):
                card.powerOff()
                tell(rule, true, "the card was pulled out before the command reached it")
                return .gone(tear: false, milliseconds: ms)
            case .tear(let writes):
                let done = Self.tear(command, card: &card, writes: writes)
                tell(rule, true, "power lost after \(done) write(s) of the command")
                return .gone(tear: true, milliseconds: 500)
            case .delay(let ms):
                sleep(ms)
                tell(rule, true, "answer held back \(ms) ms")
            default:
                break
            }
        }
        var response = card.transmit(command)
        for i in fired where !plan.rules[i].fault.endsTheExchange {
            let rule = plan.rules[i]
            if case .delay = rule.fault { continue }
            let (changed, note) = mutate(response, rule.fault)
            if let changed { response = changed }
            tell(rule, changed != nil, note)
        }
        return .answer(response)
    }

    /// The rules that fire for `command`, in plan order (every matching rule counts its match).
    mutating func firing(_ command: [UInt8], _ card: VirtualCard) -> [Int] {
        var names: [[UInt8]]? = nil  // the card's DF names, looked up once and only when a rule asks
        var fired: [Int] = []
        for (i, rule) in plan.rules.enumerated() {
            let m = rule.match
            if let ins = m.ins, command.count < 2 || command[1] != ins { continue }
            if !m.prefix.isEmpty && !command.starts(with: m.prefix) { continue }
            if let want = m.application {
                if names == nil { names = card.currentDFNames }
                if !Self.holds(want, names!, card) { continue }
            }
            matches[i] += 1
            let n = matches[i]
            let fires: Bool
            switch rule.trigger {
            case .always: fires = true
            case .nth(let k): fires = n == k
            case .every(let k): fires = n % k == 0
            case .chance(let oneIn, _): fires = generators[i].next() % UInt64(oneIn) == 0
            }
            if fires { fired.append(i) }
        }
        return fired
    }

    /// Whether the card's current DF (its DF names from there up: `names`) lies in `want`.
    static func holds(_ want: FaultApplication, _ names: [[UInt8]], _ card: VirtualCard) -> Bool {
        switch want {
        case .social:
            names.contains { name in
                SocialSecurityAlgorithm.allCases.contains { SocialSecurity.environmentName($0) == name } || name.starts(with: SocialSecurity.rid)
            }
        case .bank: names.contains { name in name == PBOC.pseName || PBOC.knownAIDs.contains { name.starts(with: $0) } }
        case .masterFile: names.isEmpty || card.session.currentDF == FileSystem.mf
        case .named(let prefix): names.contains { $0.starts(with: prefix) }
        }
    }

    /// GET RESPONSE after a made-up `61xx`: the held answer, as Le asks.
    mutating func answerHeld(_ command: [UInt8]) -> [UInt8]? {
        guard let h = held else { return nil }
        guard command.count <= 5, command.starts(with: [0x00, 0xC0, 0x00, 0x00]) else {
            held = nil  // any other command: the card forgets what it held
            return nil
        }
        let le = command.count == 5 ? (command[4] == 0 ? 256 : Int(command[4])) : 256
        if le < h.data.count {
            let rest = Array(h.data[le...])
            held = (rest, h.status)
            return Array(h.data[..<le]) + [0x61, UInt8(min(rest.count, 256) & 0xFF)]
        }
        held = nil
        return h.data + h.status
    }

    /// A changed answer and what was done, or `nil` and why nothing was.
    mutating func mutate(_ response: [UInt8], _ fault: Fault) -> ([UInt8]?, String) {
        var data = Array(response.dropLast(2))
        var status = Array(response.suffix(2))
        switch fault {
        case .statusWord(let sw):
            status = [sw.sw1, sw.sw2]
            return (data + status, "status word \(Hex.encode(response.suffix(2))) replaced by \(Hex.encode(status))")
        case .flip(let offset, let mask):
            let at = offset < 0 ? data.count + offset : offset
            guard data.indices.contains(at) else { return (nil, "not applied: the answer has \(data.count) data byte(s), no byte \(offset)") }
            data[at] ^= mask
            return (data + status, "data byte \(at) XORed with \(Hex.encode([mask]))")
        case .truncate(let n):
            guard !data.isEmpty else { return (nil, "not applied: the answer has no data") }
            let cut = min(n, data.count)
            data.removeLast(cut)
            return (data + status, "last \(cut) data byte(s) dropped")
        case .extend(let bytes):
            return (data + bytes + status, "\(bytes.count) byte(s) added after the data")
        case .tlvLength, .tlvDuplicate, .tlvDrop:
            switch TLVFault.apply(fault, to: data) {
            case .success(let (changed, note)): return (changed + status, note)
            case .failure(let why): return (nil, "not applied: \(why.text)")
            }
        case .claimMoreData(let count):
            held = (data, status)
            return ([0x61, count], "answered 61\(Hex.encode([count])) with \(data.count) byte(s) held for GET RESPONSE")
        case .claimWrongLength(let count):
            return ([0x6C, count], "answered 6C\(Hex.encode([count])) instead of \(data.count) byte(s) and \(Hex.encode(status))")
        case .delay, .tear, .remove:
            return (nil, "")
        }
    }

    /// Runs `command` with at most `writes` of its writes completing, then
    /// cuts the power; returns how many completed.
    static func tear(_ command: [UInt8], card: inout VirtualCard, writes: Int) -> Int {
        let tearing = TearingPersistence(inner: card.persistence, budget: writes, state: card.state)
        let kept = card.persistence
        card.persistence = tearing
        _ = card.transmit(command)
        card.persistence = kept
        card.losePower(keeping: tearing.written)
        return tearing.completed
    }

    func tell(_ rule: FaultRule, _ applied: Bool, _ note: String) {
        report?(FaultEvent(rule: rule, plan: plan.name, command: commands, applied: applied, note: note))
    }
}

/// Lets a command's first `budget` writes through to the card's own
/// persistence, and fails the rest: the power is gone.
final class TearingPersistence: CardPersistence {
    let inner: (any CardPersistence)?
    var budget: Int
    /// What the last completed write left.
    var written: CardState
    var completed = 0

    init(inner: (any CardPersistence)?, budget: Int, state: CardState) {
        self.inner = inner
        self.budget = budget
        self.written = state
    }

    struct PowerLost: Error {}

    func save(_ state: CardState) throws {
        guard budget > 0 else { throw PowerLost() }
        try inner?.save(state)
        budget -= 1
        completed += 1
        written = state
    }
}

/// A why, as an error value for `Result`.
struct FaultNote: Error {
    var text: String
    init(_ text: String) { self.text = text }
}

/// TLV faults: the answer's objects written again with one of them changed.
enum TLVFault {
    static func apply(_ fault: Fault, to data: [UInt8]) -> Result<([UInt8], String), FaultNote> {
        let target: BERTag
        switch fault {
        case .tlvLength(let t, _), .tlvDuplicate(let t), .tlvDrop(let t): target = t
        default: return .failure(FaultNote("not a TLV fault"))
        }
        let nodes: TLVNodes
        do {
            nodes = try BERTLV.parse(data)
        } catch {
            return .failure(FaultNote("the answer's data is not TLV (\(error))"))
        }
        guard let node = nodes.first(target) else {
            return .failure(FaultNote("no \(Hex.encode(target.bytes)) in the answer"))
        }
        var out: [UInt8] = []
        out.reserveCapacity(data.count + node.encoded.count)
        for root in nodes.roots { write(root, nodes, target: node.index, fault, into: &out) }
        let note: String
        switch fault {
        case .tlvLength(_, let delta):
            let claimed = max(0, node.length + delta)
            note = "\(Hex.encode(target.bytes)) claims \(claimed) byte(s), has \(node.length)"
        case .tlvDuplicate: note = "\(Hex.encode(target.bytes)) written twice"
        default: note = "\(Hex.encode(target.bytes)) left out"
        }
        return .success((out, note))
    }

    /// Writes `node` again; its ancestors' lengths count what their children became.
    static func write(_ node: TLVNode, _ nodes: TLVNodes, target: Int, _ fault: Fault, into out: inout [UInt8]) {
        let tagBytes = node.encoded.prefix(node.tag.byteCount)
        if node.index == target {
            switch fault {
            case .tlvDrop: return
            case .tlvDuplicate:
                out += node.encoded
                out += node.encoded
            case .tlvLength(_, let delta):
                out += tagBytes
                out += BERTLV.encodeLength(min(0xFFFF, max(0, node.length + delta)))
                out += node.value
            default: out += node.encoded
            }
            return
        }
        guard node.isConstructed, node.index < target, target < subtreeEnd(node, nodes) else {
            out += node.encoded
            return
        }
        var inner: [UInt8] = []
        for child in nodes.children(of: node) { write(child, nodes, target: target, fault, into: &inner) }
        out += tagBytes
        out += BERTLV.encodeLength(min(0xFFFF, inner.count))
        out += inner
    }

    /// The index after `node`'s last descendant.
    static func subtreeEnd(_ node: TLVNode, _ nodes: TLVNodes) -> Int {
        var i = node.index + 1
        while i < nodes.count, nodes[i].depth > node.depth { i += 1 }
        return i
    }
}

/// A small seeded generator (SplitMix64): the same seed, the same faults.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
