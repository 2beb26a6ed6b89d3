// SSCard — SSCardDriver: the library's one user of libc: where the library
// is, its environment, reading the configuration file.

#if canImport(Glibc)
import Glibc
#endif

enum DriverLibrary {
    /// The process's environment.
    static func environment() -> [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            p += 1
        }
        return out
    }

    /// `name` in the folder of this library, when the file is there. The
    /// library's path is the mapping of /proc/self/maps that holds this
    /// library's own handle (Glibc's module does not offer dladdr).
    static func besideLibrary(_ name: String) -> String? {
        let me = UInt(bitPattern: #dsohandle)
        guard let maps = read("/proc/self/maps", limit: 1 << 22) else { return nil }
        for line in String(decoding: maps, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, let dash = fields[0].firstIndex(of: "-"),
                let start = UInt(fields[0][..<dash], radix: 16), let end = UInt(fields[0][fields[0].index(after: dash)...], radix: 16),
                start <= me, me < end
            else { continue }
            let path = fields[5...].joined(separator: " ")
            guard let slash = path.lastIndex(of: "/") else { return nil }
            let candidate = String(path[..<slash]) + "/" + name
            return access(candidate, R_OK) == 0 ? candidate : nil
        }
        return nil
    }

    /// A whole (small) file.
    static func read(_ path: String, limit: Int = 65_536) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            out += chunk[..<n]
            if n < chunk.count { break }
            if out.count > limit { return nil }
        }
        return out
    }
}
