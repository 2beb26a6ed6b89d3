import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Bad input at every interface of the CLI: a clear message, a non-zero
/// exit, never a crash (a signal) or a hang. The README's "Hostile input"
/// table lists what is tried here and in the other suites.
@Suite struct HostileInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var arguments: [String]
        var says: String
        var description: String { arguments.joined(separator: " ") }
    }

    static let arguments: [Case] = [
        Case(arguments: ["send", "00A4040"], says: "APDU 1:"),
        Case(arguments: ["send", "00"], says: "a command APDU has at least CLA INS P1 P2"),
        Case(arguments: ["send", "--card", "no-such-profile", "0084000008"], says: "no-such-profile"),
        Case(arguments: ["send", "--seed", "-1", "0084000008"], says: "--seed"),
        Case(arguments: ["send", "--seed", "99999999999999999999999", "0084000008"], says: "--seed"),
        Case(arguments: ["run", "--jobs", "0", "x.apdu"], says: "--jobs is 1 to 64"),
        Case(arguments: ["run", "--jobs", "100000000000000000000", "x.apdu"], says: "--jobs"),
        Case(arguments: ["run", "/no/such/dir"], says: "/no/such/dir: no such file or directory"),
        Case(arguments: ["run", "--shard", "5/4", "x.apdu"], says: "--shard 5/4"),
        Case(arguments: ["serve", "--vpcd", "localhost:99999"], says: "--vpcd localhost:99999"),
        Case(arguments: ["serve"], says: "--vpcd"),
        Case(arguments: ["card", "show", "/no/such/card.json"], says: "/no/such/card.json"),
        Case(arguments: ["card", "new", "--profile", "default"], says: "--out"),
        Case(arguments: ["decode", "zz"], says: "'z' is not a hex digit"),
        Case(arguments: ["decode", String(repeating: "0", count: 100_001)], says: "byte offset"),
        Case(arguments: ["no-such-command"], says: "no-such-command"),
        Case(arguments: ["send", "--image", "/dev/null", "0084000008"], says: "/dev/null"),
        Case(arguments: ["send", "--faults", "/dev/null", "0084000008"], says: "/dev/null"),
    ]

    @Test(arguments: arguments)
    func badArgumentsExitTwoWithAMessage(_ c: Case) throws {
        let r = try SSCardProcess.run(c.arguments)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains(c.says), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
    }

    @Test func hostileScripts() throws {
        let dir = try temporaryDirectory("hostile-scripts")
        var generator = SystemRandomNumberGenerator()
        // Binary garbage: NULs and bytes that are not UTF-8.
        let garbage = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) } + [0xFF, 0xFE, 0x00]
        #expect(FileManager.default.createFile(atPath: dir + "/garbage.apdu", contents: Data(garbage)))
        // A 2 MB line of hex (far past the longest APDU), and a 2 MB line that is not hex.
        try String(repeating: "00", count: 1 << 20).write(toFile: dir + "/long-hex.apdu", atomically: true, encoding: .utf8)
        try ("00 84 00 00 08\n" + String(repeating: "Z", count: 2 << 20) + "\n").write(toFile: dir + "/long-junk.apdu", atomically: true, encoding: .utf8)
        // An expectation with nothing before it, and a pattern that cannot be one.
        try "< 90 00\n".write(toFile: dir + "/orphan.apdu", atomically: true, encoding: .utf8)
        try "00 84 00 00 08\n< 9G 00\n".write(toFile: dir + "/bad-pattern.apdu", atomically: true, encoding: .utf8)
        for (name, says) in [
            ("garbage.apdu", "not UTF-8 text"), ("long-hex.apdu", "long-hex.apdu:1:"), ("long-junk.apdu", "long-junk.apdu:2:"),
            ("orphan.apdu", "orphan.apdu:1:"), ("bad-pattern.apdu", "bad-pattern.apdu:2:"),
        ] {
            let r = try SSCardProcess.run(["run", dir + "/" + name])
            #expect(r.status == 2, "\(name): \(r.stdout)\(r.stderr.prefix(300))")
            #expect(r.stderr.contains(says), "\(name): \(r.stderr.prefix(300))")
            #expect(r.stderr.utf8.count < 1000, "\(name): the message quotes the whole input")
        }
    }

    @Test func hostileImagesAndProfiles() throws {
        let dir = try temporaryDirectory("hostile-images")
        let image = dir + "/card.json"
        #expect(try SSCardProcess.run(["card", "new", "--profile", "default", "--out", image]).status == 0)
        let good = try String(contentsOfFile: image, encoding: .utf8)
        let variants: [(String, String, String)] = [
            ("truncated.json", String(good.prefix(good.count / 2)), "truncated.json"),
            ("empty.json", "", "empty.json"),
            ("version.json", good.replacingOccurrences(of: "\"schemaVersion\" : 1", with: "\"schemaVersion\" : 99"), "schemaVersion"),
            ("types.json", good.replacingOccurrences(of: "\"answerMode\" : \"direct\"", with: "\"answerMode\" : 7"), "answerMode"),
            ("array.json", "[1, 2, 3]", "array.json"),
        ]
        for (name, text, says) in variants {
            #expect(text != good || name == "truncated.json")
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            for args in [["card", "show", dir + "/" + name], ["send", "--image", dir + "/" + name, "0084000008"]] {
                let r = try SSCardProcess.run(args)
                #expect(r.status == 2, "\(args): \(r.stdout)\(r.stderr)")
                #expect(r.stderr.contains(says), "\(args): \(r.stderr)")
            }
            // As a profile file: refused, naming the file (and no image is made).
            let asProfile = try SSCardProcess.run(["card", "new", "--profile", dir + "/" + name, "--out", dir + "/out-" + name])
            #expect(asProfile.status == 2 && asProfile.stderr.contains(name), "\(asProfile.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/out-" + name))
        }
        // The good image is untouched by all of this.
        #expect(try String(contentsOfFile: image, encoding: .utf8) == good)
    }

    /// vpcd's side of the socket played by the test: hostile frames, a
    /// truncated one and a dropped connection; the bridge answers what it
    /// should, never crashes, reconnects, and stops cleanly on SIGTERM.
    @Test func hostileVPCDFrames() throws {
        let listener = try Listener()
        let serve = try InteractiveProcess(SSCardProcess.executable, ["serve", "--vpcd", "127.0.0.1:\(listener.port)", "--card", "default"])
        let first = try listener.accept()
        func frame(_ payload: [UInt8]) -> [UInt8] { [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload }
        first.send(frame([0x01]) + frame([0x04]))
        let atr = try first.readFrame()
        #expect(atr.first == 0x3B && atr.count == 17)
        // An unknown control byte gets no answer; what follows still does.
        first.send(frame([0x07]) + frame([0x00, 0x84]) + frame([]) + frame([0x00, 0x84, 0x00, 0x00, 0x08]))
        #expect(try first.readFrame() == [0x67, 0x00])
        #expect(try first.readFrame() == [0x67, 0x00])
        let challenge = try first.readFrame()
        #expect(challenge.count == 10 && challenge.suffix(2) == [0x90, 0x00])
        // The longest frame there is, of garbage: answered with a status word.
        first.send(frame([0x00, 0xB0, 0x00, 0x00] + [UInt8](repeating: 0xA5, count: 65_531)))
        let answer = try first.readFrame()
        #expect(answer.count >= 2)
        // A frame that promises more than comes, then the connection drops.
        first.send([0x01, 0x2C] + [UInt8](repeating: 0, count: 10))
        first.close()
        // The bridge comes back, and the card answers.
        let second = try listener.accept()
        second.send(frame([0x01]) + frame([0x00, 0x84, 0x00, 0x00, 0x04]))
        #expect(try second.readFrame().suffix(2) == [0x90, 0x00])
        _ = try serve.waitForLine(startingWith: "slot 0: card removed (vpcd closed the connection)")
        kill(serve.process.processIdentifier, SIGTERM)
        let end = serve.finish()
        #expect(end.status == 0, "\(end.stdout)\(end.stderr)")
        #expect(end.stdout.contains("stopped: the card is removed"))
    }

    /// A loopback listener on a free port (vpcd's end).
    final class Listener {
        let fd: Int32
        let port: Int

        init() throws {
            let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, length) } }
            guard bound == 0, listen(s, 4) == 0 else {
                Glibc.close(s)
                throw ServiceError(message: "cannot listen on loopback")
            }
            withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(s, $0, &length) } }
            fd = s
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { Glibc.close(fd) }

        func accept(seconds: Int32 = 20) throws -> Connection {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, seconds * 1000) > 0 else { throw ServiceError(message: "the bridge did not connect within \(seconds) s") }
            return Connection(fd: Glibc.accept(fd, nil, nil))
        }
    }

    final class Connection {
        let fd: Int32
        var open = true
        init(fd: Int32) { self.fd = fd }
        deinit { close() }

        func close() {
            if open { Glibc.close(fd) }
            open = false
        }

        func send(_ bytes: [UInt8]) {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                offset += n
            }
        }

        func read(_ count: Int, seconds: Int32 = 10) throws -> [UInt8] {
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: count)
            while out.count < count {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, seconds * 1000) > 0 else { throw ServiceError(message: "no answer within \(seconds) s") }
                let n = recv(fd, &buffer, count - out.count, 0)
                guard n > 0 else { throw ServiceError(message: "the bridge closed the connection") }
                out += buffer[..<n]
            }
            return out
        }

        func readFrame() throws -> [UInt8] {
            let length = try read(2)
            return try read(Int(length[0]) << 8 | Int(length[1]))
        }
    }
}
