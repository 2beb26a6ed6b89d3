// `sscard proxy`: a virtual reader in pcscd relaying to a "real" card (the
// virtual card served in a second vpcd slot), recording a scriptor session
// that `sscard run` then replays against the emulator.

import Foundation
import Testing
import TestSupport

@Suite(.serialized, .enabled(if: PCSCFixture.available, "needs pcscd, vsmartcard-vpcd and root (scripts/ensure-deps.sh)"))
struct ProxyThroughPCSCTests {
    @Test func aRecordedScriptorSessionReplaysAgainstTheEmulator() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        let dir = try temporaryDirectory("proxy")
        let recording = dir + "/session.apdu"
        try f.startPCSCD()
        // The "real" card in slot 1; the proxy's virtual reader in slot 0.
        try f.serve("default", slot: 1)
        let proxy = try ServiceProcess(ProcessRunner.sscard, ["proxy", "--vpcd", "35963", "--reader", f.readerName(1), "--record", recording])
        defer { proxy.stop() }
        #expect(proxy.firstLine.hasPrefix("relaying vpcd 127.0.0.1:35963 to \"Virtual PCD 00 01\""), "\(proxy.firstLine)")
        try f.waitForCard(slot: 0, present: true)
        // A terminal's session through the proxy: select, read, verify (right, then wrong).
        try """
            00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF 00
            00 B2 07 2C 00
            00 B2 07 2C 0B
            00 20 00 00 03 12 34 56
            00 20 00 00 03 65 43 21
            """.write(toFile: dir + "/session.txt", atomically: true, encoding: .utf8)
        let s = try PCSCFixture.run("/usr/bin/scriptor", ["-r", f.readerName(0), dir + "/session.txt"])
        #expect(s.status == 0, "\(s.stderr)")
        #expect(s.stdout.contains("< 63 C5"), "the card answered through the proxy: \(s.stdout)")
        proxy.stop()
        let script = try String(contentsOfFile: recording, encoding: .utf8)
        #expect(script.contains("00 20 00 00 03 ${PIN}") && !script.contains("12 34 56") && !script.contains("65 43 21"), "\(script)")
        #expect(script.contains("< 6F") && script.contains("< 63 C5"))
        #expect(try FileManager.default.attributesOfItem(atPath: recording)[.posixPermissions] as? Int == 0o600)
        // The recording replays against the emulator: but the two VERIFYs carried two PINs,
        // and a replay has one; a replay with the right one passes the first and fails the second.
        let replay = try PCSCFixture.sscard(["run", recording, "--card", "default"], environment: ["SSCARD_PIN": "123456"])
        #expect(replay.status == 1 && replay.stdout.contains("1 of 5 checks failed"), "\(replay.stdout)\(replay.stderr)")
        #expect(!replay.stdout.contains("12 34 56") && !replay.stdout.contains("123456"))
        // A session without a second PIN replays whole.
        let one = script.split(separator: "\n").prefix { !$0.contains("63 C5") }.dropLast().joined(separator: "\n") + "\n"
        try one.write(toFile: dir + "/one.apdu", atomically: true, encoding: .utf8)
        let pass = try PCSCFixture.sscard(["run", dir + "/one.apdu", "--card", "default"], environment: ["SSCARD_PIN": "123456"])
        #expect(pass.status == 0, "\(pass.stdout)\(pass.stderr)")
        let noPIN = try PCSCFixture.sscard(["run", dir + "/one.apdu", "--card", "default"], environment: [:])
        #expect(noPIN.status == 2 && noPIN.stderr.contains("PIN"))
    }
}
