import TestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// python-emv's emvtool (PyPI `emv`, installed by `make venv`) against the
/// virtual card served into pcscd through vpcd.
@Suite(.serialized, .enabled(if: PCSCFixture.available && EMVTool.available, "needs pcscd, vpcd, root and `make venv`"))
struct EMVToolTests {
    @Test func listappsInfoAppdataAndCap() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        try f.startPCSCD()
        let image = try PCSCFixture.newImage("emvtool", folder: "emvtool")
        var serve = try f.serve("emvtool", image: image)

        let list = try EMVTool.run(["-r", "0", "--redact", "listapps"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("\"PBOC DEBIT\"") && list.stdout.contains("[A0 00 00 03 33 01 01 01]"))

        let info = try EMVTool.run(["-r", "0", "--redact", "info"])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("\"ZHANG/SAN\""))
        // The values it prints match the card image.
        let bank = try PCSCFixture.sscard(["bank", "read", "--image", image, "--json", "--show-pan"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bank.stdout.utf8)) as? [String: Any])
        #expect(EMVTool.row(info.stdout, "pin_retries") == "\(json["pinTriesLeft"] as? Int ?? -1)")
        #expect(EMVTool.row(info.stdout, "atc") == "\(json["atc"] as? Int ?? -1)")
        #expect(json["name"] as? String == "ZHANG/SAN" && json["pan"] as? String == "6212340000000007")

        let appdata = try EMVTool.run(["-r", "0", "--redact", "appdata", "0"])
        #expect(appdata.status == 0, "\(appdata.stderr)")
        #expect(appdata.stdout.contains("[8, 1, 3, 0]"), "the AFL")
        #expect(appdata.stdout.contains("\"ZHANG/SAN\"") && appdata.stdout.contains("[REDACTED]"))
        // appdata ran GET PROCESSING OPTIONS: the ATC in the image moved to 1.
        let after = try PCSCFixture.sscard(["bank", "read", "--image", image, "--json"])
        #expect(after.stdout.contains("\"atc\":1"))

        // cap on a fresh card: the ARQC of pboc.md §12 (ATC 0001).
        f.stopServe(serve)
        try FileManager.default.removeItem(atPath: image)
        #expect(try PCSCFixture.sscard(["card", "new", "--profile", "emvtool", "--out", image]).status == 0)
        serve = try f.serve("emvtool", image: image)
        let cap = try EMVTool.run(["-l", "debug", "-r", "0", "-p", "123456", "cap", "-c", "12345678", "-a", "10.00"])
        #expect(cap.status == 0, "\(cap.stderr)")
        #expect(cap.stderr.contains("9F 26 08 9D D7 03 6A 20 8E 8B 73"), "the ARQC of the worked sample")
        #expect(cap.stdout.split(separator: "\n").last.map { $0.count == 8 && $0.allSatisfy(\.isNumber) } == true, "a CAP number")
        let wrong = try EMVTool.run(["-r", "0", "-p", "999999", "cap", "-c", "12345678", "-a", "10.00"])
        #expect(wrong.status != 0 && (wrong.stdout + wrong.stderr).contains("Invalid PIN"))
    }
}

enum EMVTool {
    static let path = repositoryRoot + "/.build-venv/emv/bin/emvtool"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Runs emvtool; a connection refused with "Card is unpowered" (pcscd
    /// powering a freshly inserted card up and down) is tried again.
    static func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        var result = try PCSCFixture.run(path, args)
        for _ in 0..<5 where result.status != 0 && result.stderr.contains("Card is unpowered") {
            usleep(400_000)
            result = try PCSCFixture.run(path, args)
        }
        return result
    }

    /// The value in a row of emvtool's box-drawn tables ("x name x value x").
    static func row(_ output: String, _ name: String) -> String? {
        for line in output.split(separator: "\n") {
            let cells = line.replacingOccurrences(of: "\u{1B}(0x\u{1B}(B", with: "|").split(separator: "|").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if cells.count >= 2, cells[0] == name { return cells[1] }
        }
        return nil
    }
}
