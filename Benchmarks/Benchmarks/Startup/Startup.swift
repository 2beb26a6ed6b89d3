// Start-up: every CLI call and every `sscard serve` pays it. Whole
// processes of the release `sscard` (make bench builds it first): a trivial
// command, and `serve` from exec to its TCP connection to vpcd, where a
// listening socket of this benchmark stands in for vpcd (pcscd is not needed
// to measure how soon the card side is ready). Budgets (issue 9): a trivial
// command ≤ 5 ms, serve start → connected ≤ 10 ms.

import Benchmark
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The release `sscard` beside this package, or $SSCARD_BIN.
let sscard: String = {
    if let bin = ProcessInfo.processInfo.environment["SSCARD_BIN"] { return bin }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/release/sscard").path
}()

/// Runs `program` with `arguments` to its end, output discarded: posix_spawn
/// and waitpid, so that what is measured is the program (Foundation's
/// `Process` adds a few milliseconds of its own: a monitoring thread, a run
/// loop, file handles).
func run(_ arguments: [String], program: String = sscard) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([program] + arguments).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
    precondition(spawned == 0, "cannot start \(program): \(String(cString: strerror(spawned)))")
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    precondition(status == 0, "\(program) \(arguments) ended with status \(status)")
}

/// A loopback listener on a free port, standing in for vpcd.
final class Listener: Sendable {
    let fd: Int32
    let port: UInt16

    init() {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, length) }
        }
        precondition(bound == 0 && listen(s, 4) == 0, "cannot listen on loopback")
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(s, $0, &length) }
        }
        fd = s
        port = UInt16(bigEndian: address.sin_port)
    }

    /// Waits for one connection and closes it.
    func acceptOne() {
        let c = accept(fd, nil, nil)
        precondition(c >= 0, "accept failed")
        close(c)
    }

    /// Closes connections already waiting (a bridge that reconnected
    /// before it was stopped), so that the next sample waits for its own.
    func drain() {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&p, 1, 0) > 0 {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            close(c)
        }
    }
}

/// `sscard serve` from exec to its connection (measured), then SIGTERM and wait (not measured).
func serveUntilConnected(_ listener: Listener, _ benchmark: Benchmark) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: sscard)
    p.arguments = ["serve", "--quiet", "--vpcd", "127.0.0.1:\(listener.port)", "--card", "default"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    benchmark.startMeasurement()
    try! p.run()
    listener.acceptOne()
    benchmark.stopMeasurement()
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
    listener.drain()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock], timeUnits: .microseconds, maxDuration: .seconds(5), maxIterations: 200)
    // The floor: what starting and waiting for any program costs here.
    Benchmark("/bin/true, whole process (the floor)") { benchmark in
        for _ in benchmark.scaledIterations { run([], program: "/bin/true") }
    }
    Benchmark("sscard --version, whole process") { benchmark in
        for _ in benchmark.scaledIterations { run(["--version"]) }
    }
    Benchmark("sscard profiles, whole process") { benchmark in
        for _ in benchmark.scaledIterations { run(["profiles"]) }
    }
    let listener = Listener()
    Benchmark("sscard serve: start to connected") { benchmark in
        serveUntilConnected(listener, benchmark)
    }
}
