// Helpers the CLI and PC/SC tests share: running programs as users do,
// finding the built `sscard`, temporary directories.

public import Foundation
import Synchronization

/// What a program did.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var stdoutLines: [String] {
        stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }
}

public enum ProcessRunner {
    /// A process for `executable` with this environment added to the test's own.
    public static func process(_ executable: URL, _ arguments: [String], environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        return process
    }

    /// Runs a program to its end; both pipes are read fully before waiting,
    /// so a large output cannot block the child.
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil
    ) throws -> ProcessResult {
        let process = process(executable, arguments, environment: environment)
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let result = ProcessResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
        TestOutputs.record(executable, arguments, result.stdout, result.stderr)
        return result
    }

    /// The built `sscard`: `$SSCARD_BIN`, else beside the test bundle (SwiftPM
    /// builds it there because the test targets depend on it).
    public static var sscard: URL {
        if let path = ProcessInfo.processInfo.environment["SSCARD_BIN"] { return URL(fileURLWithPath: path) }
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = me.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sscard")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return me.deletingLastPathComponent().appendingPathComponent("sscard")
    }
}

/// The repository root (for apdu-scripts/ and .build-venv/).
public let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// Everything the programs the tests run print, kept for the secret scan
/// (`make test` ends by grepping it, and the tests' files, for every PIN
/// and key of the profiles: SecurityTests).
public enum TestOutputs {
    /// `.build/test-outputs` (or `$SSCARD_TEST_OUTPUTS`): one file per test process.
    public static let folder: String = ProcessInfo.processInfo.environment["SSCARD_TEST_OUTPUTS"] ?? repositoryRoot + "/.build/test-outputs"
    /// Where ``temporaryDirectory(_:)`` makes its folders: `.build/test-files`
    /// (or `$SSCARD_TEST_FILES`), so that the scan finds the traces, reports
    /// and journals the tests made.
    public static let files: String = ProcessInfo.processInfo.environment["SSCARD_TEST_FILES"] ?? repositoryRoot + "/.build/test-files"
    static let lock = Mutex<Int32?>(nil)

    /// Appends one program's output to this process's file.
    public static func record(_ executable: URL, _ arguments: [String], _ stdout: String, _ stderr: String) {
        // A run that asks for the secrets to be shown shows them (and is tested for it).
        if arguments.contains("--show-secrets") { return }
        // The program's name only: a test may pass a PIN as an argument on purpose (to see it refused).
        let text = "$ \(executable.lastPathComponent)\n\(stdout)\n\(stderr)\n"
        lock.withLock { fd in
            if fd == nil {
                try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let path = folder + "/outputs-\(getpid()).log"
                let opened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                if opened >= 0 { fd = opened }
            }
            guard let fd else { return }
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }
}

/// A new empty directory for a test's files (under ``TestOutputs/files``).
public func temporaryDirectory(_ name: String = "test") throws -> String {
    let dir = TestOutputs.files + "/sscard-\(name)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A service the test started (`sscard backoffice serve`, …): its PID, the
/// first line it printed, and a stop by that PID.
public final class ServiceProcess {
    public let process: Process
    public let firstLine: String
    let stdout: Pipe

    /// Starts `executable` and waits (up to `seconds`) for its first line on standard output.
    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], seconds: Double = 30) throws {
        let p = ProcessRunner.process(executable, arguments, environment: environment)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        stdout = out
        // Read byte by byte up to the newline, with a deadline.
        let handle = out.fileHandleForReading
        let box = LineBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var bytes: [UInt8] = []
            while true {
                let d = handle.readData(ofLength: 1)
                if d.isEmpty || d.first == 0x0A { break }
                bytes.append(d.first!)
            }
            box.line = String(decoding: bytes, as: UTF8.self)
            done.signal()
        }
        guard done.wait(timeout: .now() + seconds) == .success, let line = box.line, !line.isEmpty else {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            throw ServiceError(message: "\(executable.lastPathComponent) \(arguments.joined(separator: " ")): no first line within \(seconds) s")
        }
        firstLine = line
        TestOutputs.record(executable, arguments, line, "")
    }

    public var pid: Int32 { process.processIdentifier }

    /// The port of a `listening on http://HOST:PORT` line.
    public var port: Int? { firstLine.split(separator: ":").last.flatMap { Int($0) } }

    /// SIGTERM, then SIGKILL after `grace` seconds; waits for the end.
    public func stop(grace: Double = 5) {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGKILL at once, as a crash.
    public func crash() {
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    deinit { if process.isRunning { crash() } }
}

final class LineBox: Sendable {
    let value = Mutex<String?>(nil)
    var line: String? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

public struct ServiceError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// A program driven line by line: its standard output read as it comes,
/// lines written to its standard input (a cashier at a prompt).
public final class InteractiveProcess {
    public let process: Process
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    let seen = SeenOutput()
    let reader = DispatchGroup()

    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws {
        let p = ProcessRunner.process(executable, arguments, environment: environment)
        p.standardInput = input
        p.standardOutput = output
        p.standardError = errors
        try p.run()
        process = p
        let out = output.fileHandleForReading, err = errors.fileHandleForReading
        let seen = self.seen
        reader.enter()
        DispatchQueue.global().async { [reader] in
            var pending: [UInt8] = []
            while true {
                let d = out.availableData
                if d.isEmpty { break }
                for b in d {
                    if b == 0x0A {
                        let line = String(decoding: pending, as: UTF8.self)
                        seen.lines.withLock { $0.append(line) }
                        pending = []
                    } else {
                        pending.append(b)
                    }
                }
            }
            if !pending.isEmpty { seen.lines.withLock { $0.append(String(decoding: pending, as: UTF8.self)) } }
            reader.leave()
        }
        reader.enter()
        DispatchQueue.global().async { [reader] in
            let d = err.readDataToEndOfFile()
            seen.errors.withLock { $0 = String(decoding: d, as: UTF8.self) }
            reader.leave()
        }
    }

    /// Waits (up to `seconds`) for a line of standard output that starts with `prefix`.
    public func waitForLine(startingWith prefix: String, seconds: Double = 60) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let line = seen.lines.withLock({ $0.first { $0.hasPrefix(prefix) } }) { return line }
            if !process.isRunning && reader.wait(timeout: .now()) == .success { break }
            usleep(20_000)
        }
        throw ServiceError(message: "no line starting \"\(prefix)\"; output so far: \(seen.lines.withLock { $0 }.joined(separator: "\n")) \(seen.errors.withLock { $0 })")
    }

    /// The lines ``next(startingWith:seconds:)`` has gone past.
    var consumed = 0

    /// Waits (up to `seconds`) for the next line, after the one this found
    /// last, that starts with `prefix`: for output where a screen comes back.
    public func next(startingWith prefix: String, seconds: Double = 60) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let start = consumed
            if let (i, line) = seen.lines.withLock({ lines in lines.enumerated().dropFirst(start).first { $0.element.hasPrefix(prefix) } }) {
                consumed = i + 1
                return line
            }
            if !process.isRunning && reader.wait(timeout: .now()) == .success { break }
            usleep(20_000)
        }
        throw ServiceError(message: "no new line starting \"\(prefix)\"; output so far: \(seen.lines.withLock { $0 }.joined(separator: "\n")) \(seen.errors.withLock { $0 })")
    }

    public func writeLine(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

    /// Closes standard input, waits for the end; what it did.
    public func finish() -> ProcessResult {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        reader.wait()
        let result = ProcessResult(
            status: process.terminationStatus, stdout: seen.lines.withLock { $0 }.joined(separator: "\n") + "\n", stderr: seen.errors.withLock { $0 })
        TestOutputs.record(process.executableURL ?? URL(fileURLWithPath: "?"), process.arguments ?? [], result.stdout, result.stderr)
        return result
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

final class SeenOutput: Sendable {
    let lines = Mutex<[String]>([])
    let errors = Mutex<String>("")
}

/// libSSCardDriver.so through the C caller of driver/examples (built here
/// with the system cc), as HIS software loads it.
public enum DriverCaller {
    /// The library, beside the built sscard.
    public static var library: String { ProcessRunner.sscard.deletingLastPathComponent().appendingPathComponent("libSSCardDriver.so").path }

    /// The C caller, built once per test run.
    public static let program: Result<String, any Error> = Result {
        let dir = try temporaryDirectory("driver-caller")
        let out = dir + "/driver-caller"
        let r = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/cc"), ["-o", out, repositoryRoot + "/driver/examples/driver-caller.c", "-ldl"])
        guard r.status == 0 else { throw ServiceError(message: "cc: \(r.stderr)") }
        return out
    }

    /// One result per function called: (code, output text as UTF-8, output
    /// bytes); the `hsm|KEY` lines of the virtual HSM between steps in `keys`.
    public static func calls(_ calls: [String], environment: [String: String]) throws -> (results: [(code: Int, text: String, bytes: [UInt8])], keys: [String]) {
        var env = environment
        env["SSCARD"] = ProcessRunner.sscard.path
        let r = try ProcessRunner.run(URL(fileURLWithPath: try program.get()), [library] + calls, environment: env)
        guard r.status == 0 else { throw ServiceError(message: "driver-caller exit \(r.status): \(r.stdout)\(r.stderr)") }
        var keys: [String] = []
        var results: [(code: Int, text: String, bytes: [UInt8])] = []
        for line in r.stdoutLines {
            if line.hasPrefix("hsm|") {
                keys.append(String(line.dropFirst(4)))
                continue
            }
            let parts = line.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            let hex = parts.count > 1 ? String(parts[1]) : ""
            var bytes: [UInt8] = []
            var i = hex.startIndex
            while let j = hex.index(i, offsetBy: 2, limitedBy: hex.endIndex), i < hex.endIndex, let b = UInt8(hex[i..<j], radix: 16) {
                bytes.append(b)
                i = j
            }
            results.append((Int(parts[0]) ?? -999, String(decoding: bytes, as: UTF8.self), bytes))
        }
        return (results, keys)
    }

    /// The results of `calls` (without the HSM's lines).
    public static func run(_ calls: [String], environment: [String: String]) throws -> [(code: Int, text: String, bytes: [UInt8])] {
        try self.calls(calls, environment: environment).results
    }
}
