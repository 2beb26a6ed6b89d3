// SSCard — CardTransportPCSC
//
// Real readers through pcscd. Handles are owned (released in deinit), every
// error keeps pcsc-lite's code and text, and the transport recovers by
// itself on the next call after pcscd restarted or the card came back.

public import CardTransport

/// Maps a pcsc-lite return code to a ``TransportError``, keeping the raw code
/// and `pcsc_stringify_error`'s text.
package func transportError(_ code: Int, _ function: String, backend: any PCSCBackend) -> TransportError {
    let c = UInt32(truncatingIfNeeded: code)
    let text = backend.describe(code)
    let kind: TransportError.Code
    var reason: String
    switch c {
    case PCSC.noService, PCSC.serviceStopped, PCSC.commError:
        kind = .serviceUnavailable
        reason = "pcscd is not running or stopped"
    case PCSC.noReadersAvailable, PCSC.unknownReader, PCSC.readerUnavailable:
        kind = .readerNotFound
        reason = "no such reader"
    case PCSC.noSmartcard:
        kind = .noCard
        reason = "no card in the reader"
    case PCSC.removedCard:
        kind = .cardRemoved
        reason = "the card was removed"
    case PCSC.resetCard_:
        kind = .cardReset
        reason = "the card was reset by another program; its state is gone"
    case PCSC.protoMismatch:
        kind = .protocolMismatch
        reason = "the card does not offer the requested protocol"
    case PCSC.sharingViolation:
        kind = .sharingViolation
        reason = "another program holds the reader exclusively"
    case PCSC.timeout:
        kind = .timeout
        reason = "timed out"
    case PCSC.cancelled:
        kind = .cancelled
        reason = "cancelled"
    case PCSC.unresponsiveCard, PCSC.unpoweredCard, PCSC.notTransacted, PCSC.invalidHandle:
        kind = .communication
        reason = "the exchange with the card failed"
    default:
        kind = .other
        reason = "PC/SC error"
    }
    reason += " (\(function): \(text))"
    return TransportError(kind, underlying: code, reason: reason)
}

/// A PC/SC reader in pcscd.
public struct ReaderInfo: Hashable, Sendable {
    public var name: String
    public var cardPresent: Bool
    /// The ATR when a card is present.
    public var atr: [UInt8]
}

/// How to share the reader.
public enum ShareMode: Sendable {
    case shared, exclusive
}

/// A PC/SC context (`SCardEstablishContext`), released in deinit.
final class PCSCContext: Sendable {
    let backend: any PCSCBackend
    let handle: Int

    init(_ backend: any PCSCBackend) throws(TransportError) {
        self.backend = backend
        let (rv, ctx) = backend.establishContext()
        guard rv == PCSC.success else { throw transportError(rv, "SCardEstablishContext", backend: backend) }
        handle = ctx
    }

    deinit { _ = backend.releaseContext(handle) }
}

/// Lists readers and finds one by part of its name.
public enum PCSCReaders {
    /// Every reader with its card's presence and ATR.
    /// - Throws: `serviceUnavailable` when pcscd is not running.
    public static func list() throws(TransportError) -> [ReaderInfo] { try list(backend: LivePCSC()) }

    package static func list(backend: any PCSCBackend) throws(TransportError) -> [ReaderInfo] {
        let context = try PCSCContext(backend)
        let (rv, names) = backend.listReaders(context.handle)
        if UInt32(truncatingIfNeeded: rv) == PCSC.noReadersAvailable { return [] }
        guard rv == PCSC.success else { throw transportError(rv, "SCardListReaders", backend: backend) }
        var states = names.map { PCSCReaderState(reader: $0, currentState: PCSC.stateUnaware) }
        let s = backend.getStatusChange(context.handle, timeout: 0, states: &states)
        guard s == PCSC.success || UInt32(truncatingIfNeeded: s) == PCSC.timeout else {
            throw transportError(s, "SCardGetStatusChange", backend: backend)
        }
        return states.map {
            let present = $0.eventState & PCSC.statePresent != 0 && $0.eventState & PCSC.stateMute == 0
            return ReaderInfo(name: $0.reader, cardPresent: present, atr: present ? $0.atr : [])
        }
    }

    /// The one reader whose name contains `part` (an exact name wins).
    /// - Throws: `readerNotFound` or `ambiguousReader`, naming the readers there are.
    public static func resolve(_ part: String) throws(TransportError) -> String {
        try resolve(part, backend: LivePCSC())
    }

    package static func resolve(_ part: String, backend: any PCSCBackend) throws(TransportError) -> String {
        let names = try list(backend: backend).map(\.name)
        if names.contains(part) { return part }
        let matches = names.filter { $0.lowercased().contains(part.lowercased()) }
        if matches.count == 1 { return matches[0] }
        let known = names.isEmpty ? "no readers at all" : "readers: " + names.map { "\"\($0)\"" }.joined(separator: ", ")
        if matches.isEmpty {
            throw TransportError(.readerNotFound, reason: "no reader matches \"\(part)\" (\(known))")
        }
        throw TransportError(
            .ambiguousReader, reason: "\(matches.count) readers match \"\(part)\": " + matches.map { "\"\($0)\"" }.joined(separator: ", "))
    }
}

/// A card in a PC/SC reader.
public final class PCSCTransport: CardTransport {
    public let reader: String
    public let share: ShareMode
    /// Protocols to accept (T=0 and/or T=1).
    public let protocols: UInt
    let backend: any PCSCBackend
    var context: PCSCContext?
    var handle: Int?
    var activeProtocol: UInt = 0

    /// - Parameters:
    ///   - reader: the exact reader name (see ``PCSCReaders/resolve(_:)``).
    ///   - t0, t1: the protocols to accept; pcsc-lite prefers T=1 when both are.
    public convenience init(reader: String, share: ShareMode = .shared, t0: Bool = true, t1: Bool = true) {
        self.init(reader: reader, share: share, protocols: (t0 ? PCSC.protocolT0 : 0) | (t1 ? PCSC.protocolT1 : 0), backend: LivePCSC())
    }

    package init(reader: String, share: ShareMode, protocols: UInt, backend: any PCSCBackend) {
        self.reader = reader
        self.share = share
        self.protocols = protocols
        self.backend = backend
    }

    deinit { disconnect() }

    public var name: String { reader }

    /// T=0 or T=1, once connected.
    public var activeProtocolName: String {
        activeProtocol == PCSC.protocolT1 ? "T=1" : activeProtocol == PCSC.protocolT0 ? "T=0" : "none"
    }

    func fail(_ rv: Int, _ function: String) -> TransportError {
        let error = transportError(rv, function, backend: backend)
        // Forget what pcscd no longer knows, so that the next call starts afresh.
        if error.code == .serviceUnavailable || UInt32(truncatingIfNeeded: rv) == PCSC.invalidHandle {
            handle = nil
            context = nil
        } else if error.code == .cardRemoved || error.code == .noCard {
            if let h = handle { _ = backend.disconnect(h, disposition: PCSC.leaveCard) }
            handle = nil
        }
        return error
    }

    /// `SCardConnect` (and the context first, when needed); returns the ATR.
    public func connect() throws(TransportError) -> [UInt8] {
        try ensureConnected()
        return try atr()
    }

    /// `SCardConnect` (and the context first) when there is no card handle.
    func ensureConnected() throws(TransportError) {
        if handle == nil {
            if context == nil { context = try PCSCContext(backend) }
            let (rv, h, p) = backend.connect(
                context!.handle, reader: reader, share: share == .shared ? PCSC.shareShared : PCSC.shareExclusive,
                protocols: protocols)
            guard rv == PCSC.success else { throw fail(rv, "SCardConnect") }
            handle = h
            activeProtocol = p
        }
    }

    /// `SCardStatus`.
    public func atr() throws(TransportError) -> [UInt8] {
        guard let h = handle else { throw TransportError(.noCard, reason: "not connected") }
        let (rv, atr, p) = backend.status(h)
        guard rv == PCSC.success else { throw fail(rv, "SCardStatus") }
        activeProtocol = p
        return atr
    }

    /// `SCardReconnect` with `SCARD_UNPOWER_CARD` (cold) or `SCARD_RESET_CARD` (warm).
    public func reset(cold: Bool) throws(TransportError) -> [UInt8] {
        try ensureConnected()
        let (rv, p) = backend.reconnect(
            handle!, share: share == .shared ? PCSC.shareShared : PCSC.shareExclusive, protocols: protocols,
            initialization: cold ? PCSC.unpowerCard : PCSC.resetCard)
        guard rv == PCSC.success else { throw fail(rv, "SCardReconnect") }
        activeProtocol = p
        return try atr()
    }

    /// `SCardTransmit`. After another program reset the card
    /// (`SCARD_W_RESET_CARD`) the handle is reconnected with
    /// `SCARD_LEAVE_CARD` and the reset is reported: the card's state is gone.
    public func transmit(_ command: [UInt8]) throws(TransportError) -> [UInt8] {
        guard command.count >= 4, command.count <= PCSC.maxBufferExtended else {
            throw TransportError(.invalidAPDU, reason: "\(command.count) byte(s) is not a command APDU")
        }
        try ensureConnected()
        let (rv, response) = backend.transmit(handle!, protocol: activeProtocol, command)
        if UInt32(truncatingIfNeeded: rv) == PCSC.resetCard_ {
            let (r, p) = backend.reconnect(
                handle!, share: share == .shared ? PCSC.shareShared : PCSC.shareExclusive, protocols: protocols,
                initialization: PCSC.leaveCard)
            if r == PCSC.success { activeProtocol = p }
            throw transportError(rv, "SCardTransmit", backend: backend)
        }
        guard rv == PCSC.success else { throw fail(rv, "SCardTransmit") }
        guard response.count >= 2 else {
            // vpcd answers nothing when its card goes in the middle of a command.
            let why = response.isEmpty ? "no answer (the card may have been removed or lost power)" : "1 byte, not a response APDU"
            throw TransportError(.communication, reason: "the reader returned \(why)")
        }
        return response
    }

    /// `SCardBeginTransaction`: no other program's commands until ``endTransaction()``.
    public func beginTransaction() throws(TransportError) {
        try ensureConnected()
        let rv = backend.beginTransaction(handle!)
        guard rv == PCSC.success else { throw fail(rv, "SCardBeginTransaction") }
    }

    /// `SCardEndTransaction(SCARD_LEAVE_CARD)`.
    public func endTransaction() {
        if let h = handle { _ = backend.endTransaction(h, disposition: PCSC.leaveCard) }
    }

    /// `SCardDisconnect(SCARD_LEAVE_CARD)`.
    public func disconnect() {
        if let h = handle { _ = backend.disconnect(h, disposition: PCSC.leaveCard) }
        handle = nil
    }
}

/// Reader and card events (`SCardGetStatusChange` with the PnP pseudo-reader).
public final class PCSCMonitor {
    public enum Event: Hashable, Sendable {
        case readerAdded(String)
        case readerRemoved(String)
        case cardInserted(reader: String, atr: [UInt8])
        case cardRemoved(reader: String)
    }

    let backend: any PCSCBackend
    var context: PCSCContext?
    var known: [String: PCSCReaderState] = [:]

    public convenience init() { self.init(backend: LivePCSC()) }
    package init(backend: any PCSCBackend) { self.backend = backend }

    /// Waits up to `timeout` milliseconds for something to change; returns
    /// the events (empty on timeout). The first call reports what is there.
    public func next(timeout: UInt) throws(TransportError) -> [Event] {
        if context == nil { context = try PCSCContext(backend) }
        let ctx = context!.handle
        let (lr, names) = backend.listReaders(ctx)
        if lr != PCSC.success && UInt32(truncatingIfNeeded: lr) != PCSC.noReadersAvailable {
            context = nil
            throw transportError(lr, "SCardListReaders", backend: backend)
        }
        var events: [Event] = []
        for gone in known.keys where !names.contains(gone) {
            known[gone] = nil
            events.append(.readerRemoved(gone))
        }
        var states = names.map { known[$0] ?? PCSCReaderState(reader: $0, currentState: PCSC.stateUnaware) }
        for n in names where known[n] == nil { events.append(.readerAdded(n)) }
        var pnp = PCSCReaderState(reader: PCSC.pnpNotification, currentState: UInt(names.count) << 16)
        states.append(pnp)
        if events.isEmpty || states.count > 1 {
            let rv = backend.getStatusChange(ctx, timeout: events.isEmpty ? timeout : 0, states: &states)
            let c = UInt32(truncatingIfNeeded: rv)
            if c == PCSC.timeout { return events }
            if rv != PCSC.success {
                context = nil
                throw transportError(rv, "SCardGetStatusChange", backend: backend)
            }
        }
        pnp = states.removeLast()
        for var s in states {
            let was = known[s.reader]?.eventState ?? 0
            let present = s.eventState & PCSC.statePresent != 0
            let wasPresent = was & PCSC.statePresent != 0
            // The upper 16 bits count insertions and removals: catch a
            // remove-then-insert between two calls.
            let counterMoved = (s.eventState >> 16) != (was >> 16) && known[s.reader] != nil
            if present && (!wasPresent || counterMoved) {
                if wasPresent && counterMoved { events.append(.cardRemoved(reader: s.reader)) }
                events.append(.cardInserted(reader: s.reader, atr: s.atr))
            } else if !present && wasPresent {
                events.append(.cardRemoved(reader: s.reader))
            }
            s.currentState = s.eventState & ~PCSC.stateChanged
            known[s.reader] = s
        }
        return events
    }

    /// Wakes a waiting ``next(timeout:)`` (`SCardCancel`).
    public func cancel() {
        if let c = context { _ = backend.cancel(c.handle) }
    }
}
