// SSCard — CardFaults
//
// The target's one use of libc: waiting out a delay, and reading a plan file.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum FaultClock {
    /// Blocks the calling thread (a bridge's or the CLI's) for `milliseconds`.
    static func sleep(milliseconds: Int) {
        var left = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var asked = left
        while nanosleep(&asked, &left) != 0 && errno == EINTR { asked = left }
    }
}

extension FaultPlan {
    /// The largest plan file read (a plan is a few lines; a bigger file is a mistake).
    static let maximumFileSize = 1 << 20

    /// Reads and parses a plan file.
    /// - Throws: ``FaultPlanError`` (``FaultPlanError/Code/unreadable`` when the file cannot be read).
    public static func load(_ path: String) throws(FaultPlanError) -> FaultPlan {
        guard let file = fopen(path, "rb") else {
            throw FaultPlanError(.unreadable, file: path, line: 0, reason: "cannot read: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes += chunk[..<n] }
            if bytes.count > maximumFileSize {
                throw FaultPlanError(.unreadable, file: path, line: 0, reason: "larger than \(maximumFileSize) bytes: not a fault plan")
            }
            if n < chunk.count {
                if ferror(file) != 0 {
                    throw FaultPlanError(.unreadable, file: path, line: 0, reason: "cannot read: \(String(cString: strerror(errno)))")
                }
                break
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FaultPlanError(.syntax, file: path, line: 0, reason: "not UTF-8 text")
        }
        return try parse(text, name: path)
    }
}
