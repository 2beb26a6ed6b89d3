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
public import CardRuntime
import CardAPDU

/// What the bridge needs from a card.
public protocol VPCDCard: AnyObject {
    var atr: [UInt8] { get }
    func powerOn()
    func powerOff()
    func reset()
    func transmit(_ apdu: [UInt8]) -> [UInt8]
}

/// A virtual card behind the bridge.
public final class VirtualVPCDCard: VPCDCard {
    private let make: () -> VirtualCard
    /// The card, made the first time vpcd asks for it (personalizing a
    /// card takes longer than connecting: `serve` is in the reader first).
    public lazy var card: VirtualCard = make()

    public init(_ card: VirtualCard) { self.make = { card } }
    /// A card made by `make` on first use.
    public init(making make: @escaping () -> VirtualCard) { self.make = make }
    public var atr: [UInt8] { card.state.atr.bytes }
    public func powerOn() { _ = card.powerOn() }
    public func powerOff() { card.powerOff() }
    public func reset() { _ = card.reset() }
    public func transmit(_ apdu: [UInt8]) -> [UInt8] { card.transmit(apdu) }
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
            let reason = serve(fd, stop)
            // Closing the socket is how vpcd learns the card was removed.
            close(fd)
            card.powerOff()
            if stop.isFired { return }
            log(.disconnected(slot: slot, reason: reason))
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

    /// Serves one connection; returns why it ended.
    ///
    /// The fast path is plain blocking `recv` into one buffer, a frame
    /// parsed from whatever arrived, and one `send` per answer: the same
    /// system calls as a minimal C card. A stop interrupts `recv` through
    /// ``interrupt()``.
    func serve(_ fd: Int32, _ stop: StopSignal) -> String {
        lock.withLock { activeFD = fd }
        defer { lock.withLock { activeFD = -1 } }
        if stop.isFired { return "stopped" }
        var inbox = [UInt8](repeating: 0, count: 2 * 65_540)
        var start = 0
        var end = 0
        var frame: [UInt8] = []
        frame.reserveCapacity(300)
        while true {
            // A whole frame in the inbox?
            if end - start >= 2 {
                let length = Int(inbox[start]) << 8 | Int(inbox[start + 1])
                if end - start >= 2 + length {
                    let payload = Array(inbox[(start + 2)..<(start + 2 + length)])
                    start += 2 + length
                    if start == end {
                        start = 0
                        end = 0
                    }
                    var reply: [UInt8]? = nil
                    if length == 1 {
                        switch payload[0] {
                        case 0x00: card.powerOff()
                        case 0x01: card.powerOn()
                        case 0x02: card.reset()
                        case 0x04: reply = card.atr
                        default: break
                        }
                    } else {
                        // Every APDU gets an answer: vpcd has no timeout and would hang.
                        reply = length >= 4 ? card.transmit(payload) : [0x67, 0x00]
                    }
                    if let r = reply {
                        frame.removeAll(keepingCapacity: true)
                        frame.append(UInt8(r.count >> 8))
                        frame.append(UInt8(r.count & 0xFF))
                        frame.append(contentsOf: r)
                        guard writeAll(fd, frame) else { return "write failed" }
                    }
                    continue
                }
            }
            // Need more bytes: compact, then one blocking recv.
            if start > 0 && inbox.count - end < 65_540 {
                inbox.withUnsafeMutableBufferPointer { b in
                    _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start)
                }
                end -= start
                start = 0
            }
            let n = inbox.withUnsafeMutableBufferPointer { b in recv(fd, b.baseAddress! + end, b.count - end, 0) }
            if n < 0 && errno == EINTR {
                if stop.isFired { return "stopped" }
                continue
            }
            if n <= 0 { return stop.isFired ? "stopped" : "vpcd closed the connection" }
            quickAck(fd)
            end += n
        }
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
