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
    public var card: VirtualCard
    public init(_ card: VirtualCard) { self.card = card }
    public var atr: [UInt8] { card.state.atr.bytes }
    public func powerOn() { _ = card.powerOn() }
    public func powerOff() { card.powerOff() }
    public func reset() { _ = card.reset() }
    public func transmit(_ apdu: [UInt8]) -> [UInt8] { card.transmit(apdu) }
}

/// A pipe that, once written, tells every bridge to stop (SIGINT/SIGTERM).
public final class StopSignal: @unchecked Sendable {
    let readFD: Int32
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

    /// Reads exactly `count` bytes; `nil` on EOF, error or stop.
    func readExactly(_ fd: Int32, _ count: Int, _ stop: StopSignal, into buffer: inout [UInt8]) -> Bool {
        buffer.removeAll(keepingCapacity: true)
        var chunk = [UInt8](repeating: 0, count: max(count, 1))
        while buffer.count < count {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stop.readFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return false
            }
            if fds[1].revents != 0 { return false }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count - buffer.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            quickAck(fd)
            buffer.append(contentsOf: chunk[0..<n])
        }
        return true
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

    /// Serves one connection; returns why it ended.
    func serve(_ fd: Int32, _ stop: StopSignal) -> String {
        var header: [UInt8] = []
        var payload: [UInt8] = []
        header.reserveCapacity(2)
        payload.reserveCapacity(300)
        while true {
            guard readExactly(fd, 2, stop, into: &header) else { return "vpcd closed the connection" }
            let length = Int(header[0]) << 8 | Int(header[1])
            guard readExactly(fd, length, stop, into: &payload) else { return "vpcd closed the connection" }
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
                let frame = [UInt8(r.count >> 8), UInt8(r.count & 0xFF)] + r
                guard writeAll(fd, frame) else { return "write failed" }
            }
        }
    }
}
