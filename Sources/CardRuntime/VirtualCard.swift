// SSCard — CardRuntime
//
// The card operating system: power and ATR, dispatch of INS to handlers
// (a table, vsmartcard's ins2handler), applets by application, the one place
// where CardStatusError becomes a status word, Le truncation and the
// 61xx/6Cxx rules of the T=0 answer mode, and persistence of every state
// change before the answer leaves.

public import CardAPDU
public import CardFileSystem
public import CardCrypto

/// An answer before Le handling: data and a status word.
public struct CardAnswer: Hashable, Sendable {
    public var data: [UInt8]
    public var status: StatusWord
    public init(_ data: [UInt8] = [], _ status: StatusWord = .success) {
        self.data = data
        self.status = status
    }
    public static let ok = CardAnswer()
}

/// Saves card state durably; a card image implements it.
public protocol CardPersistence: AnyObject {
    /// Writes `state` so that it survives a crash, or throws.
    func save(_ state: CardState) throws
}

/// What an applet keeps while the card is powered (Java Card's transient
/// memory): a transaction in progress, a session key. It starts afresh at
/// power-on and, unless the applet says otherwise, at every SELECT.
public protocol AppletSession {
    init()
}

/// The session of an applet that keeps none.
public struct NoAppletSession: AppletSession {
    public init() {}
}

/// An application's own commands (Java Card's `Applet.process`).
public protocol Applet: Sendable {
    /// The applet's volatile state, typed: the runtime keeps one per
    /// registered applet and hands it to ``process(_:card:session:)``.
    associatedtype Session: AppletSession = NoAppletSession
    /// Whether a SELECT (of any file) ends the session; power-off always does.
    static var sessionEndsOnSelect: Bool { get }
    /// Handles a command sent while the applet's application is current, or
    /// returns `nil` to let the card OS handle it.
    func process(_ command: CommandAPDUView, card: inout VirtualCard, session: inout Session) throws(CardStatusError) -> CardAnswer?
}

extension Applet {
    public static var sessionEndsOnSelect: Bool { true }
}

/// A registered applet with its session, behind one existential.
protocol AppletSlot {
    mutating func process(_ command: CommandAPDUView, card: inout VirtualCard) throws(CardStatusError) -> CardAnswer?
    mutating func endSession(bySelect: Bool)
}

/// Stands in for an applet while it runs.
struct EmptySlot: AppletSlot {
    mutating func process(_ command: CommandAPDUView, card: inout VirtualCard) throws(CardStatusError) -> CardAnswer? { nil }
    mutating func endSession(bySelect: Bool) {}
}

struct RegisteredApplet<A: Applet>: AppletSlot {
    let applet: A
    var session = A.Session()

    mutating func process(_ command: CommandAPDUView, card: inout VirtualCard) throws(CardStatusError) -> CardAnswer? {
        try applet.process(command, card: &card, session: &session)
    }

    mutating func endSession(bySelect: Bool) {
        if !bySelect || A.sessionEndsOnSelect { session = A.Session() }
    }
}

/// A virtual card: persistent state, session state and the command set.
public struct VirtualCard {
    /// What survives power-off.
    public private(set) var state: CardState
    /// What lasts while powered.
    public var session = SessionState()
    /// Where state changes are saved before each answer; `nil` keeps them in memory.
    public var persistence: (any CardPersistence)?
    /// Applets with their sessions; ``appletIndex`` finds one by its
    /// application DF (node index).
    var applets: [any AppletSlot] = []
    var appletIndex: [NodeIndex: Int] = [:]
    public private(set) var isPowered = false
    /// Ciphers of card keys, by key value, so that a key's schedules are set
    /// up once, not at every transaction (volatile; a changed key is a new value).
    var keyCiphers: [[UInt8]: BlockCipher] = [:]

    /// The cipher of a card key's value, made once and kept.
    public mutating func cipher(of key: [UInt8], _ algorithm: CipherAlgorithm) throws(CryptoError) -> BlockCipher {
        if let known = keyCiphers[key], known.algorithm == algorithm { return known }
        let made = try BlockCipher(algorithm, key: key)
        if keyCiphers.count >= 32 { keyCiphers.removeAll() }
        keyCiphers[key] = made
        return made
    }

    public init(state: CardState, persistence: (any CardPersistence)? = nil) {
        self.state = state
        self.persistence = persistence
    }

    /// Registers an applet for the application DF with this name (AID).
    /// - Returns: `false` when no DF has the name.
    @discardableResult
    public mutating func register(_ applet: some Applet, forDFNamed name: [UInt8]) -> Bool {
        guard let df = state.files.dfs(namedWithPrefix: name).first(where: { state.files[$0].df?.name == name }) else {
            return false
        }
        register(applet, at: df)
        return true
    }

    /// Registers an applet for the DF at node `df` (replacing any there).
    public mutating func register(_ applet: some Applet, at df: NodeIndex) {
        if let i = appletIndex[df] {
            applets[i] = RegisteredApplet(applet: applet)
        } else {
            appletIndex[df] = applets.count
            applets.append(RegisteredApplet(applet: applet))
        }
    }

    /// Whether an applet is registered at node `df`.
    public func hasApplet(at df: NodeIndex) -> Bool { appletIndex[df] != nil }

    /// The slot of the nearest applet, from DF `index` up.
    func appletSlot(for index: NodeIndex) -> Int? {
        var i: NodeIndex? = index
        while let j = i {
            if let slot = appletIndex[j] { return slot }
            i = state.files[j].parent
        }
        return nil
    }

    /// Ends the applets' sessions: all of them at power-on and off, those
    /// that end on SELECT when a file is selected.
    mutating func endAppletSessions(bySelect: Bool) {
        for i in applets.indices { applets[i].endSession(bySelect: bySelect) }
    }

    // MARK: Power

    /// Powers the card (cold reset) and returns the ATR.
    public mutating func powerOn() -> [UInt8] {
        session = SessionState()
        endAppletSessions(bySelect: false)
        isPowered = true
        return state.atr.bytes
    }

    /// A warm reset: the ATR again, and the session state cleared.
    public mutating func reset() -> [UInt8] { powerOn() }

    public mutating func powerOff() {
        session = SessionState()
        endAppletSessions(bySelect: false)
        isPowered = false
    }

    /// Power lost in the middle of a command (a tear): the session goes, and
    /// the persistent state is `written`, what the last write that completed
    /// left (each write whole or not at all, as on an anti-tearing card).
    public mutating func losePower(keeping written: CardState) {
        state = written
        powerOff()
    }

    /// The names of the DFs from the current one up to the MF, innermost first.
    public var currentDFNames: [[UInt8]] {
        var names: [[UInt8]] = []
        var i: NodeIndex? = session.currentDF
        while let j = i {
            if let name = state.files[j].df?.name { names.append(name) }
            i = state.files[j].parent
        }
        return names
    }

    // MARK: Persistence

    /// Changes persistent state and saves it before the answer is returned.
    /// On a failed save the change is undone and the command answers `6581`.
    public mutating func commit(_ change: (inout CardState) throws(CardStatusError) -> Void) throws(CardStatusError) {
        // In memory there is nothing to undo: change in place, without a copy.
        guard let persistence else {
            try change(&state)
            return
        }
        let before = state
        try change(&state)
        do {
            try persistence.save(state)
        } catch {
            state = before
            throw .memoryFailure
        }
    }

    // MARK: Transmit

    /// Whether a DF is `ancestor` or lies below it.
    public func isWithin(_ ancestor: NodeIndex) -> Bool { state.files.isAncestor(ancestor, of: session.currentDF) }

    /// Processes one command APDU and returns the response APDU bytes.
    /// Never fails: malformed commands get `6700`, internal faults `6F00`.
    public mutating func transmit(_ bytes: [UInt8]) -> [UInt8] {
        if !isPowered { _ = powerOn() }
        let command: CommandAPDUView
        do {
            command = try CommandAPDUView(bytes)
        } catch {
            return Self.sw(.wrongLength)
        }
        if state.cardBlocked { return Self.sw(.functionNotSupported) }
        let ins = command.ins
        if ins != 0xC0 && !session.pending.isEmpty { session.pending = [] }
        let answer: CardAnswer
        do {
            answer = try dispatch(command)
        } catch {
            return Self.sw(error.status)
        }
        return format(answer, for: command)
    }

    @inline(__always)
    static func sw(_ status: StatusWord) -> [UInt8] { [status.sw1, status.sw2] }

    mutating func dispatch(_ command: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        let cla = command.cla
        if cla == 0xFF { throw .claNotSupported }
        if cla & 0x80 == 0 && cla & 0x03 != 0 { throw CardStatusError(.logicalChannelNotSupported) }
        // The applet is swapped out while it runs (it gets the card inout)
        // and back in, with its session, whatever happens: a swap moves the
        // existential, so the session is not copied.
        if !applets.isEmpty, let i = appletSlot(for: session.currentDF) {
            var slot: any AppletSlot = EmptySlot()
            swap(&slot, &applets[i])
            defer { swap(&slot, &applets[i]) }
            if let answer = try slot.process(command, card: &self) { return answer }
        }
        switch Self.table.lookup(cla: cla, ins: command.ins) {
        case .handler(let handler): return try handler(&self, command)
        case .wrongClass: throw .claNotSupported
        case .notHere: throw .insNotSupported
        }
    }

    /// Le handling, in one place for every command.
    mutating func format(_ answer: CardAnswer, for command: CommandAPDUView) -> [UInt8] {
        var data = answer.data
        var status = answer.status
        if !data.isEmpty {
            switch state.answerMode {
            case .direct:
                if let ne = command.ne, data.count > ne { data.removeSubrange(ne...) }
            case .t0:
                if command.apduCase == .case2Short || command.apduCase == .case2Extended {
                    let ne = command.ne ?? 256
                    if ne != data.count && command.ins != 0xC0 {
                        return Self.sw(.wrongLe(exact: min(data.count, 256)))
                    }
                } else {
                    // Case 1, 3 or 4 with an answer: keep it for GET RESPONSE.
                    session.pending = data
                    session.pendingStatus = status
                    return Self.sw(.bytesAvailable(data.count))
                }
            }
        }
        data.append(status.sw1)
        data.append(status.sw2)
        status = .success
        return data
    }

    // MARK: Dispatch table

    typealias Handler = @Sendable (inout VirtualCard, CommandAPDUView) throws(CardStatusError) -> CardAnswer

    /// A handler, typed where it is written (a typed-throws closure passed
    /// straight to a generic parameter crashes Swift 6.3's SILGen).
    static func handler(_ h: @escaping Handler) -> Handler { h }

    /// INS → handler, for the interindustry commands of the card OS (CLA 00).
    static let table: InstructionTable<Handler> = {
        var t = InstructionTable<Handler>()
        t.define(0xA4, cla: 0x00, Self.handler { card, c throws(CardStatusError) in try card.select(c) })
        t.define(0xB0, cla: 0x00, Self.handler { card, c throws(CardStatusError) in try card.readBinary(c) })
        t.define(0xD6, cla: 0x00, Self.handler { card, c throws(CardStatusError) in try card.updateBinary(c) })
        t.define(0xB2, cla: 0x00, Self.handler { card, c throws(CardStatusError) in try card.readRecord(c) })
        t.define(0xDC, cla: 0x00, Self.handler { card, c throws(CardStatusError) in try card.updateRecord(c) })
        t.define(0xE2, cla: 0x00, Self.handler { card, c throws(CardStatusError) in try card.appendRecord(c) })
        t.define(0x20, cla: 0x00, Self.handler { card, c throws(CardStatusError) in try card.verify(c) })
        t.define(0x24, cla: 0x00, Self.handler { card, c throws(CardStatusError) in try card.changeReferenceData(c) })
        t.define(0x2C, cla: 0x00, Self.handler { card, c throws(CardStatusError) in try card.resetRetryCounter(c) })
        t.define(0x84, cla: 0x00, Self.handler { card, c throws(CardStatusError) in try card.getChallenge(c) })
        t.define(0xC0, cla: 0x00, Self.handler { card, c throws(CardStatusError) in try card.getResponse(c) })
        return t
    }()

    // MARK: GET RESPONSE

    mutating func getResponse(_ c: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0, c.p2 == 0 else { throw .incorrectP1P2 }
        guard c.nc == 0 else { throw .wrongLength }
        guard !session.pending.isEmpty else { throw CardStatusError(state.getResponseWithoutData) }
        let ne = c.ne ?? 256
        let remaining = session.pending.count
        if ne > remaining || (c.ne == nil && remaining > 256) {
            throw CardStatusError(.wrongLe(exact: min(remaining, 256)))
        }
        if ne < remaining {
            let part = Array(session.pending[..<ne])
            session.pending.removeSubrange(..<ne)
            return CardAnswer(part, .bytesAvailable(session.pending.count))
        }
        let all = session.pending
        session.pending = []
        return CardAnswer(all, session.pendingStatus)
    }
}
