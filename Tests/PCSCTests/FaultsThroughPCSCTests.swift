import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `sscard serve --faults`: the misbehaving card inside pcscd, as the POS
/// or kiosk under test sees it through PC/SC (SSCard's own client and
/// pyscard), its image kept whole across tears and removals.
@Suite(.serialized, .enabled(if: PCSCFixture.available, "needs pcscd, vsmartcard-vpcd and root (scripts/ensure-deps.sh)"))
struct FaultsThroughPCSCTests {
    @Test func faultsReachPCSCClientsAndTheCardComesBack() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        try f.startPCSCD()
        let image = try PCSCFixture.newImage("default", folder: "faults-pcsc")
        let plan = (image as NSString).deletingLastPathComponent + "/plan.faults"
        try """
            ins 84 nth 2 => sw 6A81
            ins A4 nth 2 => tlv drop 88
            ins 20 nth 1 => tear 1
            ins 20 nth 3 => remove 300
            """.write(toFile: plan, atomically: true, encoding: .utf8)
        try f.serve("default", image: image, options: ["--faults", plan])
        let reader = f.readerName(0)
        let select = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"

        let challenges = try PCSCFixture.sscard(["send", "--reader", reader, "0084000008", "0084000008"])
        #expect(challenges.status == 0, "\(challenges.stderr)")
        // The status word replaced, the data kept.
        #expect(challenges.stdout.split(separator: "\n").last?.hasSuffix(" 6A 81 (function not supported (card blocked))") == true, "\(challenges.stdout)")

        // A torn VERIFY: the client sees the card go; the try was written.
        let torn = try PCSCFixture.sscard(["send", "--reader", reader, select, "0020000003999999"])
        #expect(torn.status == 3, "\(torn.stdout)\(torn.stderr)")
        #expect(torn.stderr.contains("the reader returned no answer (the card may have been removed or lost power)"), "\(torn.stderr)")

        // pyscard: the second SELECT's FCI lacks 88; the tries left show the torn try.
        let program = """
            from smartcard.System import readers
            r = [x for x in readers() if str(x) == '\(reader)'][0]
            c = r.createConnection(); c.connect()
            for apdu in ('\(select)', '0020000000'):
                d, s1, s2 = c.transmit(list(bytes.fromhex(apdu)))
                print(''.join('%02X' % b for b in d), '%02X%02X' % (s1, s2))
            """
        // The card is back 500 ms later; pcscd may not have seen it go (it polls).
        let py = try Self.once(within: 10) { try PCSCFixture.run("/usr/bin/python3", ["-c", program]) }
        #expect(py.status == 0, "\(py.stderr)")
        #expect(py.stdout == "6F19840F7378312E73682EC9E7BBE1B1A3D5CFA5069F0C03860103 9000\n 63C5\n")

        // The third VERIFY: the card is pulled out before it runs, and comes back.
        let removed = try PCSCFixture.sscard(["send", "--reader", reader, select, "0020000003999999"])
        #expect(removed.status == 3, "\(removed.stdout)\(removed.stderr)")
        let after = try Self.once(within: 10) { try PCSCFixture.sscard(["send", "--reader", reader, select, "0020000000"]) }
        #expect(after.stdout.split(separator: "\n").last?.hasPrefix("< 63 C5") == true, "\(after.stdout)\(after.stderr)")
        let shown = try PCSCFixture.sscard(["card", "show", image])
        #expect(shown.status == 0 && shown.stdout.contains("5 of 6"), "\(shown.stdout)")
    }

    /// Runs `body` until it exits 0 (the card answering again), for at most `seconds`.
    static func once(within seconds: Double, _ body: () throws -> (status: Int32, stdout: String, stderr: String)) throws -> (status: Int32, stdout: String, stderr: String) {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let r = try body()
            if r.status == 0 || Date() > deadline { return r }
            usleep(200_000)
        }
    }
}
