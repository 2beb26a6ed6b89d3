import CardAPDU
import CardPersonalization
import CardRuntime
import CardStandards
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The security properties that hold everywhere, checked as tests.
@Suite struct SecurityTests {
    /// Every PIN and key the built-in profiles, the virtual PSAM and the
    /// test issuer hold, as the texts they would show as: PIN digits, and
    /// keys in hex (upper and lower case, packed and spaced).
    static func secrets() -> [(what: String, text: String)] {
        var found: [(String, String)] = []
        func key(_ label: String, _ value: [UInt8]) {
            guard value.count >= 8 else { return }
            found.append((label, Hex.encode(value)))
            found.append((label, Hex.encode(value).lowercased()))
            found.append((label, Hex.encode(value, separator: " ")))
        }
        var states = CardProfiles.builtIn.map { ($0.name, $0.personalize()) }
        states.append(("psam", VirtualPSAM.state()))
        for (name, state) in states {
            // PINs of six digits or more: every social and bank PIN of the
            // profiles (the iso-test card's four-digit query PIN, 1234, is too
            // common a number to grep for: amounts and counters have it).
            for pin in state.pins where pin.digits.count >= 6 {
                let digits = String(pin.digits.map { Character(Unicode.Scalar($0 + 0x30)) })
                found.append(("\(name) \(pin.label) PIN", digits))
                if let puk = pin.puk { found.append(("\(name) \(pin.label) PUK", String(puk.digits.map { Character(Unicode.Scalar($0 + 0x30)) }))) }
            }
            for k in state.keys { key("\(name) key \(k.label)", k.value) }
        }
        key("IMK-AC", TestIssuer.imkAC)
        key("IMK-MAC", TestIssuer.imkMAC)
        key("IMK-ENC", TestIssuer.imkENC)
        for id in TestIssuer.keyIDs {
            for alg in SocialSecurityAlgorithm.allCases { key("master key \(Hex.encode([id])) \(alg.name)", TestIssuer.masterKey(id, alg)) }
        }
        var seen = Set<String>()
        return found.filter { seen.insert($0.1).inserted }
    }

    /// Where `needle` stands in `text` as a whole token: no hex digit
    /// (letter or number) right before or after it, so that a PIN inside an
    /// ID number or a longer hex string is not taken for the PIN itself.
    static func standsAlone(_ needle: String, in text: String) -> Bool {
        let hay = Array(text.utf8), n = Array(needle.utf8)
        guard n.count <= hay.count else { return false }
        func isHex(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x41...0x46).contains(b) || (0x61...0x66).contains(b) }
        var i = 0
        while i + n.count <= hay.count {
            if hay[i] == n[0] && Array(hay[i..<(i + n.count)]) == n {
                let before = i == 0 || !isHex(hay[i - 1])
                let after = i + n.count == hay.count || !isHex(hay[i + n.count])
                if before && after { return true }
            }
            i += 1
        }
        return false
    }

    /// What the tests gave the programs is not output: PIN files, the
    /// kiosk's --input scripts, the scripts they wrote, card images and
    /// profiles (JSON, hostile ones too), databases and binaries. Recorded
    /// sessions (`sscard proxy`) are output, though they end in `.apdu`.
    static func isOutput(_ path: String, _ data: Data) -> Bool {
        let name = (path as NSString).lastPathComponent.lowercased()
        if name.contains("pin") || name.hasPrefix("input") || name == "in" { return false }
        if name.contains(".sqlite") || name.hasSuffix(".so") || name.hasSuffix(".png") || data.contains(0) { return false }
        if name.hasSuffix(".json") || data.range(of: Data("\"schemaVersion\"".utf8)) != nil { return false }
        if name.hasSuffix(".apdu") || name.hasSuffix(".script") || name.hasSuffix(".faults") {
            return data.starts(with: Data("# recorded by sscard proxy".utf8))
        }
        return true
    }

    /// Runs last in `make test` (SSCARD_SCAN_TEST_OUTPUTS=1, after the whole
    /// suite): no program's output and no trace, JUnit or HTML report,
    /// journal or log the tests made holds a PIN or key of the profiles.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SSCARD_SCAN_TEST_OUTPUTS"] != nil, "make test runs it after the suite"))
    func noOutputOfTheSuiteHoldsAPINOrKey() throws {
        let secrets = Self.secrets()
        #expect(secrets.count > 30)
        var files: [String] = []
        let fm = FileManager.default
        for root in [TestOutputs.folder, TestOutputs.files] {
            guard let all = fm.enumerator(atPath: root) else { continue }
            for case let relative as String in all {
                var isDirectory: ObjCBool = false
                let path = root + "/" + relative
                if fm.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(path) }
            }
        }
        let outputs = files.filter { $0.hasPrefix(TestOutputs.folder) }
        #expect(!outputs.isEmpty, "no recorded outputs in \(TestOutputs.folder): run the suite first")
        var scanned = 0
        var bytes = 0
        for path in files {
            guard let data = fm.contents(atPath: path), Self.isOutput(path, data) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            scanned += 1
            bytes += data.count
            for (what, secret) in secrets where Self.standsAlone(secret, in: text) {
                Issue.record("\(path) holds \(what)")
            }
        }
        print("secret scan: \(scanned) files, \(bytes) bytes, \(secrets.count) PINs and keys")
        #expect(scanned > 0)
    }

    @Test func theScanFindsWhatItLooksFor() {
        #expect(Self.standsAlone("123456", in: "PIN 123456 entered"))
        #expect(Self.standsAlone("12 34 56", in: "> 00 20 00 00 03 12 34 56"))
        #expect(!Self.standsAlone("115274", in: "510100199211152749"))
        #expect(!Self.standsAlone("123456", in: "0x1234567"))
        #expect(Self.secrets().contains { $0.text == "123456" })
    }

    /// Card images, the back office's database and the POS journal are
    /// created owner-only (they hold PINs, keys and cardholders).
    @Test func filesWithSecretsAreOwnerOnly() throws {
        let dir = try temporaryDirectory("modes")
        let image = dir + "/card.json"
        #expect(try ProcessRunner.run(ProcessRunner.sscard, ["card", "new", "--profile", "default", "--out", image]).status == 0)
        let db = dir + "/bo.sqlite"
        #expect(try ProcessRunner.run(ProcessRunner.sscard, ["backoffice", "init", "--db", db]).status == 0)
        // A change to the image is written as a new file renamed over it: still 0600.
        #expect(try ProcessRunner.run(ProcessRunner.sscard, ["send", "--image", image, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF", "0020000003999999"]).status == 0)
        for path in [image, db] {
            var st = stat()
            #expect(stat(path, &st) == 0, "\(path)")
            #expect(st.st_mode & 0o777 == 0o600, "\(path) has mode \(String(st.st_mode & 0o777, radix: 8))")
        }
        for extra in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: db + extra) {
            var st = stat()
            #expect(stat(db + extra, &st) == 0 && st.st_mode & 0o077 == 0, "\(db + extra) has mode \(String(st.st_mode & 0o777, radix: 8))")
        }
    }

    /// PINs, MACs and cryptograms are compared with `constantTimeEquals`:
    /// no `==` or `!=` on them anywhere in the sources.
    @Test func secretsAreComparedInConstantTime() throws {
        let secret = #"(digits|pinBlock|mac|mac1|mac2|tac|cryptogram|arqc|arpc|pin|newPIN|oldPIN|puk|operatorKey|initial\.pin|Self\.initialPIN\([^)]*\))"#
        let pattern = try Regex(#"\b"# + secret + #"\s*(==|!=)\s*(?!nil\b)|(==|!=)\s*"# + secret + #"(?![.\w])"#)
        let fm = FileManager.default
        let sources = repositoryRoot + "/Sources"
        var checked = 0
        for case let relative as String in fm.enumerator(atPath: sources)! where relative.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources + "/" + relative, encoding: .utf8)
            checked += 1
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? line
                if code.contains(pattern) { Issue.record("Sources/\(relative):\(n + 1): compare secrets with constantTimeEquals: \(line.trimmingCharacters(in: .whitespaces))") }
            }
        }
        #expect(checked > 100)
    }

    /// The back office and the web kiosk listen on loopback unless told otherwise.
    @Test func servicesListenOnLoopbackByDefault() throws {
        let dir = try temporaryDirectory("loopback")
        let db = dir + "/bo.sqlite"
        #expect(try ProcessRunner.run(ProcessRunner.sscard, ["backoffice", "init", "--db", db]).status == 0)
        // With no --http the back office listens on its default, 127.0.0.1:8080
        // (when something else holds 8080, on a free loopback port instead).
        let defaultFree = Self.listening(port: 8080).isEmpty
        let office = try ServiceProcess(ProcessRunner.sscard, ["backoffice", "serve", "--db", db] + (defaultFree ? [] : ["--http", "127.0.0.1:0"]))
        defer { office.stop() }
        let officePort = try #require(office.port)
        #expect(office.firstLine.contains("127.0.0.1:\(officePort)"), "\(office.firstLine)")
        #expect(Self.listening(port: officePort) == ["127.0.0.1"])

        let kiosk = try ServiceProcess(ProcessRunner.sscard, ["kiosk", "--web", "0", "--db", db])
        defer { kiosk.stop() }
        let kioskPort = try #require(kiosk.port)
        #expect(Self.listening(port: kioskPort) == ["127.0.0.1"], "\(kiosk.firstLine)")
    }

    /// The local addresses of the TCP sockets listening on `port` (from /proc/net/tcp and tcp6).
    static func listening(port: Int) -> [String] {
        var found: [String] = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ")
                guard f.count > 3, f[3] == "0A" else { continue }  // LISTEN
                let local = f[1].split(separator: ":")
                guard local.count == 2, Int(local[1], radix: 16) == port else { continue }
                let hex = String(local[0])
                if hex.count == 8, let v = UInt32(hex, radix: 16) {
                    found.append("\(v & 0xFF).\(v >> 8 & 0xFF).\(v >> 16 & 0xFF).\(v >> 24)")
                } else {
                    found.append(hex == "00000000000000000000000000000000" ? "::" : hex)
                }
            }
        }
        return found
    }
}
