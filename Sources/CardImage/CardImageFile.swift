// SSCard — CardImage
//
// Crash-safe card images: every save writes a temporary file beside the
// image (mode 0600: it holds PINs and keys), fsyncs it, renames it over the
// image and fsyncs the directory. A reader sees the old image or the new
// one, never a mix; a crash at any moment leaves one of them.

public import CardRuntime
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A card image on disk, saved after every state change.
public final class CardImageFile: CardPersistence {
    public let path: String

    public init(path: String) { self.path = path }

    /// Loads and validates an image.
    /// - Throws: ``CardImageError`` naming the file and the bad field.
    public func load() throws(CardImageError) -> CardState {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CardImageError(.unreadable, file: path, field: "", "cannot read: \(Self.reason(error))")
        }
        return try CardImageCodec.decode(data, file: path)
    }

    /// Writes `state` atomically.
    public func save(_ state: CardState) throws {
        try Self.writeAtomically(CardImageCodec.encode(state), to: path)
    }

    /// Creates a new image; fails when the file exists unless `overwrite`.
    public func create(_ state: CardState, overwrite: Bool = false) throws(CardImageError) {
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw CardImageError(.alreadyExists, file: path, field: "", "already exists (remove it or choose another name)")
        }
        do {
            try save(state)
        } catch {
            throw CardImageError(.unwritable, file: path, field: "", "cannot write: \(Self.reason(error))")
        }
    }

    package static func reason(_ error: any Error) -> String {
        // Foundation wraps the errno of a failed read in a CocoaError
        // (the POSIXError under "NSUnderlyingError"): say the errno's text.
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        if let cocoa = error as? CocoaError, let posix = cocoa.userInfo["NSUnderlyingError"] as? POSIXError {
            return String(cString: strerror(posix.code.rawValue))
        }
        if let e = error as? SystemCallError { return e.description }
        return "\(error)"
    }

    /// A failed system call and its errno.
    struct SystemCallError: Error, CustomStringConvertible {
        let call: String
        let code: Int32
        init(_ call: String, _ code: Int32 = errno) {
            self.call = call
            self.code = code
        }
        var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    /// Temp file (0600) → write → fsync → rename → fsync of the directory.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temp = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemCallError("open \(temp)") }
        var ok = false
        defer {
            if !ok {
                close(fd)
                unlink(temp)
            }
        }
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SystemCallError("write")
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw SystemCallError("fsync") }
        ok = true
        close(fd)
        guard rename(temp, path) == 0 else {
            let e = errno
            unlink(temp)
            throw SystemCallError("rename", e)
        }
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}
