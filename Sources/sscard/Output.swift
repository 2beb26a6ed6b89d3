// SSCard — output helpers for the CLI.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
