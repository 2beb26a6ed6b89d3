// SSCard — VPCDBridge
//
// Plugs a virtual card into pcscd through the vsmartcard vpcd driver
// (spec/clients.md §1). vpcd listens (port 35963 + slot); the card connects
// and then answers frames of a 2-byte big-endian length and a payload: a
// 1-byte payload is a control (00 power off, 01 power on, 02 reset, 04 send
// the ATR), anything else is a C-APDU to answer.
//
// Debian 12's vpcd sends the length and the payload in two writes without
// TCP_NODELAY, so the card re-arms TCP_QUICKACK after every read (Linux
// clears it by itself), or each APDU waits ~40 ms for a delayed ACK; every
// reply leaves in one write with TCP_NODELAY set. Any I/O error is a card
// removal: the bridge reconnects with backoff, as when pcscd restarts.

#if canImport(Glibc)
import Glibc
#endif
public import CardFaults
public import CardRuntime
import CardAPDU

/// What the bridge needs from a card.
public protocol VPCDCard: AnyObject {
    var atr: [UInt8] { get }
    func powerOn()
    func powerOff()
    func reset()
    func transmit(_ apdu: [UInt8]) -> [UInt8]
    /// The answer to an APDU, or the card gone (a fault plan's tear or removal).
    func answer(_ apdu: [UInt8]) -> FaultedAnswer
}

extension VPCDCard {
    public func answer(_ apdu: [UInt8]) -> FaultedAnswer { .answer(transmit(apdu)) }
}

/// A virtual card behind the bridge.
public final class VirtualVPCDCard: VPCDCard {
    private let make: () -> VirtualCard
    /// The card, made the first time vpcd asks for it (personalizing a
    /// card takes longer than connecting: `serve` is in the reader first).
    public lazy var card: VirtualCard = make()

    /// Makes the card misbehave as a plan says (`sscard serve --faults`).
    public var faults: FaultInjector?

    public init(_ card: VirtualCard, faults: FaultInjector? = nil) {
        self.make = { card }
        self.faults = faults
    }
    /// A card made by `make` on first use.
    public init(making make: @escaping () -> VirtualCard, faults: FaultInjector? = nil) {
        self.make = make
        self.faults = faults
    }
    public var atr: [UInt8] { card.state.atr.bytes }
    public func powerOn() { _ = card.powerOn() }
    public func powerOff() { card.powerOff() }
    public func reset() { _ = card.reset() }
    public func transmit(_ apdu: [UInt8]) -> [UInt8] { card.transmit(apdu) }
    public func answer(_ apdu: [UInt8]) -> FaultedAnswer {
        guard faults != nil else { return .answer(card.transmit(apdu)) }
        return faults!.transmit(apdu, card: &card)
    }
}

/// A pipe that, once written, tells every bridge to stop (SIGINT/SIGTERM).
public final class StopSignal: Sendable {
    /// Readable once fired.
    public let readFD: Int32
    /// The descriptor a signal handler writes one byte to.
    public let writeFD: Int32

    public init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "pipe() failed")
        readFD = fds[0]
        writeFD = fds[1]
    }

    /// Safe to call from a signal handler (one `write`).
    public func fire() {
        var b: UInt8 = 1
        _ = write(writeFD, &b, 1)
    }

    public var isFired: Bool {
        var p = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    /// Blocks until the signal fires.
    public func wait() {
        var p = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        while poll(&p, 1, -1) < 0 && errno == EINTR {}
    }

    /// Fires on SIGINT and SIGTERM. A parent may have started the process
    /// with those signals blocked (Foundation's Process does): they are
    /// unblocked first. One stop signal per process: the handler writes to
    /// the last one installed.
    public func fireOnTerminationSignals() {
        StopSignal.handlerFD = writeFD
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for s in [SIGINT, SIGTERM] {
            signal(s) { _ in
                var b: UInt8 = 1
                _ = write(StopSignal.handlerFD, &b, 1)
            }
        }
    }

    /// Where the signal handler writes (a C handler cannot capture).
    nonisolated(unsafe) static var handlerFD: Int32 = -1
}

/// Events for people and tests.
public enum BridgeEvent: Sendable {
    case connected(slot: Int, host: String, port: UInt16)
    case disconnected(slot: Int, reason: String)
    case retrying(slot: Int, afterMilliseconds: Int)
}

/// One vpcd slot served by one card.
public final class VPCDBridge: @unchecked Sendable {
    public let host: String
    public let port: UInt16
    public let slot: Int
    let card: any VPCDCard
    let log: @Sendable (BridgeEvent) -> Void

    public init(host: String, port: UInt16, slot: Int = 0, card: any VPCDCard, log: @escaping @Sendable (BridgeEvent) -> Void) {
        self.host = host
        self.port = port
        self.slot = slot
        self.card = card
        self.log = log
    }

    /// Connects and serves until `stop` fires, reconnecting with backoff
    /// (20 ms doubling to 1 s) whenever the connection fails or drops.
    public func run(until stop: StopSignal) {
        var delay = 20
        while !stop.isFired {
            let fd = connectSocket()
            if fd < 0 {
                log(.retrying(slot: slot, afterMilliseconds: delay))
                if wait(stop, milliseconds: delay) { return }
                delay = min(delay * 2, 1000)
                continue
            }
            delay = 20
            log(.connected(slot: slot, host: host, port: port))
            let (reason, outFor) = serve(fd, stop)
            // Closing the socket is how vpcd learns the card was removed.
            close(fd)
            card.powerOff()
            if stop.isFired { return }
            log(.disconnected(slot: slot, reason: reason))
            if outFor > 0 && wait(stop, milliseconds: outFor) { return }
        }
    }

    /// Waits for `milliseconds` or for the stop signal; true when stopped.
    func wait(_ stop: StopSignal, milliseconds: Int) -> Bool {
        var p = pollfd(fd: stop.readFD, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, Int32(milliseconds)) > 0
    }

    func connectSocket() -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return -1 }
        defer { freeaddrinfo(result) }
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            if fd >= 0 {
                if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 {
                    var one: Int32 = 1
                    _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    return fd
                }
                close(fd)
            }
            ai = a.pointee.ai_next
        }
        return -1
    }

    /// Re-arms quick ACKs; Linux clears the flag after it is used.
    @inline(__always)
    func quickAck(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// The connected socket, for ``interrupt()``.
    private let lock = NSLockLike()
    private var activeFD: Int32 = -1

    /// Ends the current connection at once (from another thread): a blocked
    /// `recv` returns, and the bridge sees the stop signal.
    public func interrupt() {
        lock.withLock { if activeFD >= 0 { _ = shutdown(activeFD, Int32(SHUT_RDWR)) } }
    }

    /// Serves one connection; returns why it ended, and how long the card
    /// stays out before the bridge reconnects (a fault plan's removal).
    ///
    /// The fast path is plain blocking `recv` into the decoder's buffer, a
    /// frame parsed from whatever arrived, and one `send` per answer: the
    /// same system calls as a minimal C card. A stop interrupts `recv`
    /// through ``interrupt()``.
    func serve(_ fd: Int32, _ stop: StopSignal) -> (String, Int) {
        lock.withLock { activeFD = fd }
        defer { lock.withLock { activeFD = -1 } }
        if stop.isFired { return ("stopped", 0) }
        var decoder = VPCDFrameDecoder()
        var frame: [UInt8] = []
        frame.reserveCapacity(300)
        while true {
            if let request = decoder.next() {
                var reply: [UInt8]? = nil
                switch request {
                case .powerOff: card.powerOff()
                case .powerOn: card.powerOn()
                case .reset: card.reset()
                case .atr: reply = card.atr
                case .control: break
                // Every APDU gets an answer: vpcd has no timeout and would hang.
                case .tooShort: reply = [0x67, 0x00]
                case .apdu(let apdu):
                    switch card.answer(apdu) {
                    case .answer(let r): reply = r
                    case .gone(let tear, let ms):
                        return (tear ? "power lost mid-command (fault plan)" : "pulled out (fault plan)", ms)
                    }
                }
                if var r = reply {
                    // A fault plan's 'extend' may go past what a frame can carry.
                    if r.count > 0xFFFF { r = [0x6F, 0x00] }
                    frame.removeAll(keepingCapacity: true)
                    VPCDFrameDecoder.frame(r, into: &frame)
                    guard writeAll(fd, frame) else { return ("write failed", 0) }
                }
                continue
            }
            let n = decoder.fill { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR {
                if stop.isFired { return ("stopped", 0) }
                continue
            }
            if n <= 0 { return (stop.isFired ? "stopped" : "vpcd closed the connection", 0) }
            quickAck(fd)
        }
    }
}

/// What vpcd asks of the card: one frame's meaning (spec/clients.md §1).
public enum VPCDRequest: Hashable, Sendable {
    case powerOff, powerOn, reset, atr
    /// A one-byte frame that is none of vpcd's controls (ignored).
    case control(UInt8)
    /// Two or three bytes: too short for an APDU (answered 6700).
    case tooShort([UInt8])
    case apdu([UInt8])
}

/// vpcd's framing: a 2-byte big-endian length, then that many bytes. Bytes
/// arrive in any pieces; whole frames come out (a frame of up to 65535
/// bytes always fits, so no length is too large to wait for).
public struct VPCDFrameDecoder {
    var inbox: [UInt8]
    var start = 0
    var end = 0

    public init() { inbox = [UInt8](repeating: 0, count: 2 * 65_540) }

    /// The next whole frame, or `nil` when more bytes are needed.
    public mutating func next() -> VPCDRequest? {
        guard end - start >= 2 else { return nil }
        let length = Int(inbox[start]) << 8 | Int(inbox[start + 1])
        guard end - start >= 2 + length else { return nil }
        let payload = Array(inbox[(start + 2)..<(start + 2 + length)])
        start += 2 + length
        if start == end {
            start = 0
            end = 0
        }
        switch length {
        case 1:
            switch payload[0] {
            case 0x00: return .powerOff
            case 0x01: return .powerOn
            case 0x02: return .reset
            case 0x04: return .atr
            default: return .control(payload[0])
            }
        case 0..<4: return .tooShort(payload)
        default: return .apdu(payload)
        }
    }

    /// Lets `read` add bytes after those waiting (compacting them first, so
    /// that a whole frame always fits); returns what `read` returned.
    public mutating func fill(_ read: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        if start > 0 && inbox.count - end < 65_540 {
            inbox.withUnsafeMutableBufferPointer { b in
                _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        let n = inbox.withUnsafeMutableBytes { b in read(UnsafeMutableRawBufferPointer(rebasing: b[end...])) }
        if n > 0 { end += min(n, inbox.count - end) }
        return n
    }

    /// Adds bytes (tests and fuzzing; the bridge reads with ``fill(_:)``);
    /// returns how many fitted.
    @discardableResult
    public mutating func append(_ bytes: [UInt8]) -> Int {
        fill { room in
            let n = min(room.count, bytes.count)
            room.copyBytes(from: bytes[..<n])
            return n
        }
    }

    /// The frame of a reply: its length, then the bytes.
    public static func frame(_ reply: [UInt8], into out: inout [UInt8]) {
        out.append(UInt8(reply.count >> 8))
        out.append(UInt8(reply.count & 0xFF))
        out.append(contentsOf: reply)
    }
}

/// A mutex without Foundation.
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}
