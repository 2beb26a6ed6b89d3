import TestSupport
import CardAPDU
import CardTransport
import CardTransportPCSC
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The virtual card in real pcscd through vpcd, used by SSCard's own
/// PCSCTransport and by third-party clients. Every test starts its own
/// pcscd and `sscard serve` and stops them by PID.
@Suite(.serialized, .enabled(if: PCSCFixture.available, "needs pcscd, vsmartcard-vpcd and root (scripts/ensure-deps.sh)"))
struct PCSCIntegrationTests {
    @Test func readersShowsTheVirtualReaderWithTheATR() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        let down = try PCSCFixture.sscard(["readers"])
        #expect(down.status == 3 && down.stderr.contains("pcscd is not running"))
        try f.startPCSCD()
        try f.serve("iso-test")
        let r = try PCSCFixture.sscard(["readers"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Virtual PCD 00 00: card present, ATR 3B 6D 00 00 00 81 53 53 43 86 60 99 99 00 00 00 01"))
        #expect(r.stdout.contains("Virtual PCD 00 01: no card"))
        let ambiguous = try PCSCFixture.sscard(["send", "--reader", "Virtual", "0084000008"])
        #expect(ambiguous.status == 2 && ambiguous.stderr.contains("2 readers match \"Virtual\""))
        let none = try PCSCFixture.sscard(["send", "--reader", "Gemalto", "0084000008"])
        #expect(none.status == 2 && none.stderr.contains("no reader matches \"Gemalto\""))
    }

    @Test func conformanceScriptsGiveTheSameVerdictsThroughPCSC() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        try f.startPCSCD()
        try f.serve("iso-test", slot: 0)
        try f.serve("iso-test-t0", slot: 1)
        for (dir, reader) in [("iso7816", "PCD 00 00"), ("iso7816-t0", "PCD 00 01")] {
            let path = repositoryRoot + "/apdu-scripts/" + dir
            let inProcess = try PCSCFixture.sscard(["run", path])
            // The served card is a virtual one: the destructive scripts may run on it.
            let viaPCSC = try PCSCFixture.sscard(["run", "--reader", reader, "--destructive", path])
            #expect(viaPCSC.status == 0, "\(viaPCSC.stdout)\(viaPCSC.stderr)")
            let verdicts = { (s: String) in s.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") || $0.contains(" passed, ") } }
            #expect(verdicts(viaPCSC.stdout) == verdicts(inProcess.stdout))
        }
    }

    @Test func socialReadThroughAReader() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        try f.startPCSCD()
        try f.serve("default")
        let viaPCSC = try PCSCFixture.sscard(["social", "read", "--reader", "PCD 00 00", "--json"])
        let inProcess = try PCSCFixture.sscard(["social", "read", "--card", "default", "--json"])
        #expect(viaPCSC.status == 0, "\(viaPCSC.stderr)")
        #expect(viaPCSC.stdout == inProcess.stdout)
    }

    @Test func scriptorOpenSCAndPyscard() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        try f.startPCSCD()
        try f.serve("iso-test")
        let dir = try temporaryDirectory("pcsc")

        // scriptor with a script file: its exact transcript.
        try "reset\n00 A4 04 00 06 A0 00 00 99 99 01\n00B0810006\n00 EE 00 00\n".write(toFile: dir + "/s.txt", atomically: true, encoding: .utf8)
        let s = try PCSCFixture.run("/usr/bin/scriptor", ["-r", "Virtual PCD 00 00", dir + "/s.txt"])
        #expect(s.status == 0, "\(s.stderr)")
        let lines = s.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("< OK: 3B 6D 00 00 00 81 53 53 43 86 60 99 99 00 00 00 01 "))
        #expect(lines.contains("< 6F 19 84 06 A0 00 00 99 99 01 A5 0F 50 0A 49 53 "))
        #expect(lines.contains("4F 20 54 45 53 54 20 31 88 01 01 90 00 : Normal processing."))
        #expect(lines.contains("< 53 53 43 41 52 44 90 00 : Normal processing."))
        #expect(lines.contains("< 6D 00 : Instruction code not supported or invalid."))
        // ... and that transcript replays as an SSCard script.
        try s.stdout.write(toFile: dir + "/transcript.apdu", atomically: true, encoding: .utf8)
        let replay = try PCSCFixture.sscard(["run", "--card", "iso-test", dir + "/transcript.apdu"])
        #expect(replay.status == 0 && replay.stdout.contains("PASS") && replay.stdout.hasSuffix("1 passed, 0 failed\n"), "\(replay.stdout)")

        // opensc-tool, without driver probing.
        let o = try PCSCFixture.run("/usr/bin/opensc-tool", ["-r", "0", "-c", "default", "-s", "00A4040006A00000999901", "-s", "00B0810006"])
        #expect(o.status == 0, "\(o.stderr)")
        #expect(o.stdout.contains("Sending: 00 B0 81 00 06 \nReceived (SW1=0x90, SW2=0x00):\n53 53 43 41 52 44 SSCARD"))
        // opensc-tool with driver probing: the card answers every probe with a status word.
        let probe = try PCSCFixture.run("/usr/bin/opensc-tool", ["-r", "0", "-s", "0084000008"])
        #expect(probe.status == 0 && probe.stdout.contains("Received (SW1=0x90, SW2=0x00)"), "\(probe.stdout)\(probe.stderr)")
        let atr = try PCSCFixture.run("/usr/bin/opensc-tool", ["-r", "0", "-a"])
        #expect(atr.stdout == "3b:6d:00:00:00:81:53:53:43:86:60:99:99:00:00:00:01\n")

        // A small pyscard program.
        let program = """
            from smartcard.System import readers
            r = [x for x in readers() if str(x) == 'Virtual PCD 00 00'][0]
            c = r.createConnection(); c.connect()
            print(c.getProtocol(), ''.join('%02X' % b for b in c.getATR()))
            for apdu in ([0x00,0xA4,0x04,0x00,0x06,0xA0,0x00,0x00,0x99,0x99,0x01], [0x00,0x20,0x00,0x01,0x03,0x99,0x99,0x99], [0x00,0x20,0x00,0x01]):
                d, s1, s2 = c.transmit(apdu)
                print(''.join('%02X' % b for b in d), '%02X%02X' % (s1, s2))
            """
        let py = try PCSCFixture.run("/usr/bin/python3", ["-c", program])
        #expect(py.status == 0, "\(py.stderr)")
        #expect(
            py.stdout
                == "1 3B6D000000815353438660999900000001\n"
                + "6F198406A00000999901A50F500A49534F20544553542031880101 9000\n"
                + " 63C5\n"
                + " 63C5\n")
    }

    @Test func removalAndPCSCDRestartGiveClearErrorsAndRecover() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        try f.startPCSCD()
        let image = try PCSCFixture.newImage("iso-test", folder: "pcsc")
        var serve = try f.serve("iso-test", image: image)

        let t = PCSCTransport(reader: f.readerName(0))
        #expect(try t.connect() == (try Hex.decode("3B6D000000815353438660999900000001")))
        #expect(t.activeProtocolName == "T=0")
        #expect(try t.transmit(try Hex.decode("00A4040006A00000999901")).suffix(2) == [0x90, 0x00])
        #expect(try t.transmit(try Hex.decode("0020000103999999")) == [0x63, 0xC5])

        // The card is removed in the middle of the session.
        f.stopServe(serve)
        try f.waitForCard(slot: 0, present: false)
        let removed = #expect(throws: TransportError.self) { try t.transmit(try Hex.decode("00200001")) }
        #expect([TransportError.Code.cardRemoved, .noCard, .communication].contains(removed?.code ?? .other), "\(String(describing: removed))")
        let cli = try PCSCFixture.sscard(["send", "--reader", "PCD 00 00", "0084000008"])
        #expect(cli.status == 3 && cli.stderr.contains("no card"), "\(cli.stderr)")

        // It comes back: the next command reconnects; the image kept the try.
        serve = try f.serve("iso-test", image: image)
        _ = try t.connect()
        #expect(try t.transmit(try Hex.decode("00A4040006A00000999901")).suffix(2) == [0x90, 0x00])
        #expect(try t.transmit(try Hex.decode("00200001")) == [0x63, 0xC5])

        // pcscd restarts in the middle of the session.
        f.stopPCSCD()
        let stopped = #expect(throws: TransportError.self) { try t.transmit(try Hex.decode("00200001")) }
        #expect(stopped?.code == .serviceUnavailable || stopped?.code == .communication, "\(String(describing: stopped))")
        try f.startPCSCD()
        try f.waitForCard(slot: 0, present: true)
        _ = try t.connect()
        #expect(try t.transmit(try Hex.decode("00A4040006A00000999901")).suffix(2) == [0x90, 0x00])
        #expect(try t.transmit(try Hex.decode("00200001")) == [0x63, 0xC5])
        t.disconnect()
    }

    @Test func monitorSeesInsertionAndRemoval() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        try f.startPCSCD()
        let monitor = PCSCMonitor()
        let first = try monitor.next(timeout: 0)
        #expect(first.contains(.readerAdded("Virtual PCD 00 00")))
        let serve = try f.serve("iso-test")
        var events: [PCSCMonitor.Event] = []
        for _ in 0..<20 where !events.contains(where: { if case .cardInserted = $0 { true } else { false } }) {
            events += try monitor.next(timeout: 500)
        }
        #expect(events.contains(.cardInserted(reader: "Virtual PCD 00 00", atr: try Hex.decode("3B6D000000815353438660999900000001"))))
        f.stopServe(serve)
        events = []
        for _ in 0..<20 where !events.contains(.cardRemoved(reader: "Virtual PCD 00 00")) {
            events += try monitor.next(timeout: 500)
        }
        #expect(events.contains(.cardRemoved(reader: "Virtual PCD 00 00")))
    }
}
