// SSCard — the CLI's one user of libc: writing to descriptors, the
// no-echo prompt, the exit status.

import FoundationEssentials

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum System {
    /// Ends the process with `status`.
    /// Seconds since 1970 (the back office's clock).
    static func unixTime() -> Int { Int(time(nil)) }

    /// Replaces this process with the program `name` beside this executable
    /// (or the one `$SSCARD_…_BIN` names: `SSCARD_BACKOFFICE_BIN` for
    /// `sscard-backoffice`, `SSCARD_KIOSK_BIN` for `sscard-kiosk`), keeping
    /// the PID; returns why it could not.
    static func execSibling(_ name: String, _ arguments: [String]) -> String {
        var path: String
        let variable = String(name.uppercased().map { $0 == "-" ? "_" : $0 }) + "_BIN"
        if let p = getenv(variable) {
            path = String(cString: p)
        } else {
            var buffer = [CChar](repeating: 0, count: 4096)
            let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            guard n > 0 else { return "cannot find this executable's folder to start \(name)" }
            let me = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            path = String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/" + name
        }
        guard access(path, X_OK) == 0 else {
            return "\(path): not found; it is a program of its own (swift build --product \(name))"
        }
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(path, argv)
        return "\(path): cannot start it (\(String(cString: strerror(errno))))"
    }

    /// Sets an environment variable for this process and the programs it execs.
    static func setEnvironment(_ name: String, _ value: String) { setenv(name, value, 1) }

    static func exit(_ status: Int32) -> Never {
        #if canImport(Glibc)
        Glibc.exit(status)
        #elseif canImport(Darwin)
        Darwin.exit(status)
        #endif
    }

    /// Reads a line from /dev/tty with echo off; `nil` without a terminal.
    static func promptWithoutEcho(_ prompt: String) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        defer {
            _ = tcsetattr(fd, TCSAFLUSH, &saved)
            writeAll(fd, "\n")
        }
        writeAll(fd, prompt)
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != 0x0A { line.append(byte) }
        return String(decoding: line, as: UTF8.self)
    }
}

/// Writes a whole buffer to a file descriptor, retrying short writes.
func writeAll(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        offset += n
    }
}

/// One line on standard output, written at once (not buffered), so that a
/// reader of a pipe sees every line the moment it is printed.
func printLine(_ line: String) { writeAll(1, line + "\n") }

/// One line on standard error.
func printError(_ line: String) { writeAll(2, line + "\n") }

extension System {
    /// Appends one line to a file (created with mode 0600, its folder with
    /// 0700) in one write, and syncs it; why it could not, or `nil`.
    static func appendLine(_ path: String, _ line: String) -> String? {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let folder = String(path[..<slash])
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                return "cannot create \(folder): \(error)"
            }
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        let bytes = Array((line + "\n").utf8)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { return n < 0 ? String(cString: strerror(errno)) : "a short write" }
        guard fsync(fd) == 0 else { return String(cString: strerror(errno)) }
        return nil
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Creates (or empties) a file with mode 0600 and writes `text`; why it could not, or `nil`.
    static func writeNew(_ path: String, _ text: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        writeAll(fd, text)
        return fsync(fd) == 0 ? nil : String(cString: strerror(errno))
    }

    /// What a timed read of one line gave.
    enum LineRead: Equatable {
        case line(String)
        case timeout
        case end
    }

    /// Opens a file to read lines from (`-`: standard input); `nil` when it cannot.
    static func openForLines(_ path: String) -> Int32? {
        if path == "-" { return 0 }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        return fd >= 0 ? fd : nil
    }

    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Reads one line from `fd`, waiting at most `seconds` for each byte
    /// (`nil`: no limit); with `secret` on a terminal, without echo.
    static func readLine(_ fd: Int32, seconds: Double?, secret: Bool = false) -> LineRead {
        var saved = termios()
        let quiet = secret && isatty(fd) == 1 && tcgetattr(fd, &saved) == 0
        if quiet {
            var t = saved
            t.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(fd, TCSAFLUSH, &t)
        }
        defer {
            if quiet {
                _ = tcsetattr(fd, TCSAFLUSH, &saved)
                writeAll(1, "\n")
            }
        }
        var line: [UInt8] = []
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let waited = poll(&p, 1, seconds.map { Int32(max(0, $0) * 1000) } ?? -1)
            if waited < 0 && errno == EINTR { continue }
            if waited == 0 { return .timeout }
            var byte: UInt8 = 0
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return line.isEmpty ? .end : .line(String(decoding: line, as: UTF8.self)) }
            if byte == 0x0A { return .line(String(decoding: line, as: UTF8.self)) }
            if byte != 0x0D { line.append(byte) }
            if line.count > 4096 { return .line(String(decoding: line, as: UTF8.self)) }
        }
    }

    /// Sleeps for `seconds`.
    static func sleep(seconds: Double) {
        var left = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var rest = timespec()
        while nanosleep(&left, &rest) != 0 && errno == EINTR { left = rest }
    }
}

/// A whole file's bytes; `nil` when it cannot be read.
func readFileBytes(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n > 0 { out += chunk[..<n] }
        if n < chunk.count { break }
    }
    return ferror(f) == 0 ? out : nil
}
