import CardTransport
import CardTransportPCSC
import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops pcscd and `sscard serve` by PID for the PC/SC tests.
final class PCSCFixture: @unchecked Sendable {
    /// pcscd, the vpcd driver and root are there (CI installs them: scripts/ensure-deps.sh).
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/pcscd")
            && FileManager.default.fileExists(atPath: "/usr/lib/pcsc/drivers/serial/libifdvpcd.so") && getuid() == 0
    }

    static var sscard: URL { ProcessRunner.sscard }

    var pcscd: Process?
    var serves: [Process] = []

    /// One pcscd at a time: suites run in parallel, fixtures take turns.
    static let gate = DispatchSemaphore(value: 1)
    var holdsGate = true

    init() { Self.gate.wait() }

    /// Whether some pcscd answers.
    static var pcscdAnswers: Bool { (try? PCSCReaders.list()) != nil }

    func startPCSCD() throws {
        guard !Self.pcscdAnswers else { throw FixtureError("a pcscd that these tests did not start is running; stop it first") }
        let p = Process()
        // The test process runs with most signals blocked, and a child
        // inherits that mask: exec pcscd through a step that unblocks them,
        // so that SIGTERM stops it cleanly (same PID after exec).
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [
            "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, set()); os.execv(sys.argv[1], sys.argv[1:])",
            "/usr/sbin/pcscd", "--foreground",
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        pcscd = p
        try waitUntil("pcscd answers") { Self.pcscdAnswers }
    }

    /// SIGTERM, then SIGKILL if it is still there after 3 s.
    func terminate(_ p: Process) {
        kill(p.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(3)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    func stopPCSCD() {
        guard let p = pcscd else { return }
        terminate(p)
        pcscd = nil
        // pcscd removes its socket on exit; wait until clients see it gone.
        try? waitUntil("pcscd stopped") { !Self.pcscdAnswers }
    }

    /// `sscard serve --vpcd 35963+slot --card PROFILE`, waiting for the card to appear.
    @discardableResult
    func serve(_ profile: String, slot: Int = 0, image: String? = nil, options: [String] = []) throws -> Process {
        let p = Process()
        p.executableURL = Self.sscard
        p.arguments = ["serve", "--vpcd", String(35963 + slot), "-q"] + (image.map { ["--image", $0] } ?? ["--card", profile]) + options
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        serves.append(p)
        try waitForCard(slot: slot, present: true)
        return p
    }

    /// Stops a `sscard serve` and waits until pcscd has seen its cards go
    /// (it polls every 400 ms), so that a card served next is not mistaken
    /// for the old one.
    func stopServe(_ p: Process) {
        let slots = (p.arguments ?? []).enumerated().compactMap { i, a -> Int? in
            a == "--vpcd" ? (p.arguments.map { Int($0[i + 1]) ?? 35963 } ?? 35963) - 35963 : nil
        }
        terminate(p)
        serves.removeAll { $0 === p }
        if pcscd != nil { for slot in slots { try? waitForCard(slot: slot, present: false) } }
    }

    func readerName(_ slot: Int) -> String { "Virtual PCD 00 0\(slot)" }

    /// A new card image of `profile` (a name or a profile file) in a new folder; its path.
    static func newImage(_ profile: String, folder: String) throws -> String {
        let image = try temporaryDirectory(folder) + "/card.json"
        let made = try sscard(["card", "new", "--profile", profile, "--out", image])
        guard made.status == 0 else { throw FixtureError("card new --profile \(profile): \(made.stderr)") }
        return image
    }

    func waitForCard(slot: Int, present: Bool) throws {
        let name = readerName(slot)
        try waitUntil("card \(present ? "in" : "out of") \(name)") {
            ((try? PCSCReaders.list()) ?? []).contains { $0.name == name && $0.cardPresent == present }
        }
    }

    func waitUntil(_ what: String, seconds: Double = 10, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return }
            usleep(50_000)
        }
        throw FixtureError("timed out waiting: \(what)")
    }

    func tearDown() {
        for p in serves { terminate(p) }
        serves = []
        stopPCSCD()
        if holdsGate {
            holdsGate = false
            Self.gate.signal()
        }
    }

    /// Runs a program and returns its status and output.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try ProcessRunner.run(URL(fileURLWithPath: executable), arguments, environment: environment)
        return (r.status, r.stdout, r.stderr)
    }

    static func sscard(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        try run(sscard.path, arguments, environment: environment)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

