// Slow and stalled clients against `sscard backoffice serve`: a request
// head or body left half-sent holds no one else up, and the server closes
// such a connection once it has been idle for --idle-timeout.

import BackOffice
import Foundation
import HTTPWire
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SlowClientTests {
    /// A TCP connection to loopback that the test writes to by hand.
    final class RawClient {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw ServiceError(message: "cannot connect to 127.0.0.1:\(port)") }
        }

        deinit { close(fd) }

        func send(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// Whether the server closed the connection within `seconds` (what it sent before, if anything, is read and dropped).
        func closedByServer(within seconds: Int32) -> Bool {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let deadline = Date().addingTimeInterval(Double(seconds))
            while Date() < deadline {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 200) > 0 else { continue }
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { return true }
            }
            return false
        }
    }

    @Test func stalledClientsHoldNoOneUpAndAreClosed() throws {
        let dir = try temporaryDirectory("slow-clients")
        let db = dir + "/bo.sqlite"
        #expect(try ProcessRunner.run(ProcessRunner.sscard, ["backoffice", "init", "--db", db]).status == 0)
        let bad = try ProcessRunner.run(ProcessRunner.sscard, ["backoffice", "serve", "--db", db, "--idle-timeout", "0"])
        #expect(bad.status == 2 && bad.stderr == "sscard: --idle-timeout 0: give 1 to 3600 seconds\n")
        let server = try ServiceProcess(ProcessRunner.sscard, ["backoffice", "serve", "--db", db, "--http", "127.0.0.1:0", "--idle-timeout", "1"])
        defer { server.stop() }
        let port = try #require(server.port)

        // Half a request head; a body shorter than its Content-Length; an open connection that never speaks.
        let head = try RawClient(port: port)
        head.send("POST /fsi/api/rsfComIfsService/callService HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
        let body = try RawClient(port: port)
        body.send("POST /fsi/api/rsfComIfsService/callService HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"infno\":")
        let silent = try RawClient(port: port)

        // Meanwhile another client is served at once.
        let c = HTTPConnection(port: port, timeout: 5)
        let health = try c.request("GET", "/health")
        #expect(health.status == 200)
        let answer = try JSON.parse(c.post("/fsi/api/rsfComIfsService/callService", json: Array("{\"infno\":".utf8)).body)
        #expect(answer.infcode == "-1")

        // And the stalled ones are closed by the server (idle for 1 s).
        #expect(head.closedByServer(within: 20))
        #expect(body.closedByServer(within: 20))
        #expect(silent.closedByServer(within: 20))
        #expect(try HTTPConnection(port: port, timeout: 5).request("GET", "/health").status == 200)
    }
}
