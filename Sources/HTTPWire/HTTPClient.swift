// SSCard — HTTPWire
//
// A small blocking HTTP/1.1 client over one keep-alive TCP connection:
// what a POS, a test or a benchmark needs to talk to the back office
// (`POST` a JSON body, read the answer), with no event loop and no
// Foundation. The one file of the target that calls libc.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to talk HTTP.
public struct HTTPWireError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The address is bad or nothing listens there.
        public static let connect = Code(name: "connect")
        /// The peer did not answer in time.
        public static let timeout = Code(name: "timeout")
        /// The peer closed the connection before a whole answer.
        public static let closed = Code(name: "closed")
        /// The answer is not HTTP/1.1 as this client reads it.
        public static let malformed = Code(name: "malformed")
        public var description: String { name }
    }
    public var code: Code
    public var message: String
    public var sourceLocation: (file: String, line: Int)

    public init(_ code: Code, _ message: String, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        sourceLocation = (fileID, line)
    }

    public var description: String { message }
    public static func == (a: HTTPWireError, b: HTTPWireError) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }
}

/// An answer.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names in lower case, in the order received.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first { $0.0 == n }?.1
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// One connection to `host:port`, reopened when the server has closed an idle one.
/// Not for sharing between threads: one client, one connection.
public final class HTTPConnection {
    public let host: String
    public let port: Int
    /// Seconds to wait for the connection and for each answer.
    public var timeout: Int
    var fd: Int32 = -1
    var buffer: [UInt8] = []
    /// What `recv` reads into, kept between reads.
    var chunk = [UInt8](repeating: 0, count: 16_384)

    /// - Parameter host: an IPv4 address (the back office listens on loopback).
    public init(host: String = "127.0.0.1", port: Int, timeout: Int = 30) {
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { _ = systemClose(fd) }
        fd = -1
        buffer.removeAll()
    }

    /// `POST path` with a JSON body.
    public func post(_ path: String, json body: [UInt8], headers: [(String, String)] = []) throws(HTTPWireError) -> HTTPResponse {
        try request("POST", path, body: body, headers: [("Content-Type", "application/json")] + headers)
    }

    /// One request and its answer. A request on a reused connection that
    /// the server closed meanwhile is sent once more on a new one.
    public func request(_ method: String, _ path: String, body: [UInt8] = [], headers: [(String, String)] = []) throws(HTTPWireError) -> HTTPResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Length: \(body.count)\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + body
        let reused = fd >= 0
        do {
            return try exchange(bytes)
        } catch where reused && error.code == .closed {
            close()
            return try exchange(bytes)
        }
    }

    func exchange(_ bytes: [UInt8]) throws(HTTPWireError) -> HTTPResponse {
        if fd < 0 { try connect() }
        try send(bytes)
        let response = try readResponse()
        if response.header("connection")?.lowercased() == "close" { close() }
        return response
    }

    func connect() throws(HTTPWireError) {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        guard port > 0 && port < 65536, inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            throw HTTPWireError(.connect, "\(host):\(port): not an IPv4 address and port")
        }
        #if canImport(Glibc)
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let s = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard s >= 0 else { throw HTTPWireError(.connect, "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        _ = setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        _ = setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc_connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else {
            let reason = String(cString: strerror(errno))
            _ = systemClose(s)
            throw HTTPWireError(.connect, "\(host):\(port): \(reason)")
        }
        fd = s
    }

    func send(_ bytes: [UInt8]) throws(HTTPWireError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { systemSend($0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let e = errno
                close()
                if e == EAGAIN || e == EWOULDBLOCK { throw HTTPWireError(.timeout, "\(host):\(port): no progress sending for \(timeout) s") }
                throw HTTPWireError(.closed, "\(host):\(port): the connection closed while sending (\(String(cString: strerror(e))))")
            }
            offset += n
        }
    }

    /// Reads more bytes into the buffer.
    func fill() throws(HTTPWireError) {
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[..<n])
                return
            }
            if n < 0 && errno == EINTR { continue }
            let e = errno
            close()
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { throw HTTPWireError(.timeout, "\(host):\(port): no answer within \(timeout) s") }
            throw HTTPWireError(.closed, "\(host):\(port): the connection closed before a whole answer")
        }
    }

    func readResponse() throws(HTTPWireError) -> HTTPResponse {
        // The head: up to the empty line.
        var headEnd: Int?
        var searched = 0
        while headEnd == nil {
            if buffer.count >= 4 {
                for i in max(0, searched - 3)..<(buffer.count - 3)
                where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    headEnd = i
                    break
                }
                searched = buffer.count
            }
            if headEnd == nil {
                guard buffer.count < 65_536 else { throw malformed("a header block over 64 KiB") }
                try fill()
            }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw malformed("status line \"\(statusLine.prefix(80))\"")
        }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw malformed("header line \"\(line.prefix(80))\"") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.append((name, String(value)))
        }
        let response = HTTPResponse(status: status, headers: headers, body: [])
        var body: [UInt8]
        if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            body = try readChunked()
        } else if let lengthText = response.header("content-length") {
            guard let length = Int(lengthText), length >= 0 else { throw malformed("Content-Length \(lengthText)") }
            while buffer.count < length { try fill() }
            body = Array(buffer[..<length])
            buffer.removeFirst(length)
        } else {
            body = []
        }
        var r = response
        r.body = body
        return r
    }

    func readChunked() throws(HTTPWireError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try readLine()
            let sizeText = line.split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingSpaces, radix: 16), size >= 0 else { throw malformed("chunk size \"\(line.prefix(20))\"") }
            if size == 0 {
                // Trailers, up to the empty line.
                while try !readLine().isEmpty {}
                return body
            }
            while buffer.count < size + 2 { try fill() }
            body.append(contentsOf: buffer[..<size])
            buffer.removeFirst(size + 2)
        }
    }

    func readLine() throws(HTTPWireError) -> String {
        while true {
            if let i = buffer.indices.dropLast().first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 }) {
                let line = String(decoding: buffer[..<i], as: UTF8.self)
                buffer.removeFirst(i + 2)
                return line
            }
            guard buffer.count < 8192 else { throw malformed("a line over 8 KiB") }
            try fill()
        }
    }

    func malformed(_ what: String) -> HTTPWireError {
        close()
        return HTTPWireError(.malformed, "\(host):\(port): malformed HTTP answer: \(what)")
    }

    func systemSend(_ p: UnsafeRawPointer?, _ n: Int) -> Int {
        #if canImport(Glibc)
        Glibc.send(fd, p, n, Int32(MSG_NOSIGNAL))
        #else
        Darwin.send(fd, p, n, 0)
        #endif
    }
}

private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.close(fd)
    #else
    Darwin.close(fd)
    #endif
}

private func Glibc_connect(_ s: Int32, _ a: UnsafePointer<sockaddr>, _ n: socklen_t) -> Int32 {
    #if canImport(Glibc)
    Glibc.connect(s, a, n)
    #else
    Darwin.connect(s, a, n)
    #endif
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
