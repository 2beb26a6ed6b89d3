import Foundation

/// The repository root (for apdu-scripts/).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
}()

func temporaryDirectory(_ name: String = "cli") throws -> String {
    let dir = NSTemporaryDirectory() + "sscard-\(name)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}
