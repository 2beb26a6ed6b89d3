import CardSimulator
import CardAPDU
import CardImage
import CardPersonalization
import CardRuntime
import CardScript
import CardTransport
import Testing

func pattern(_ s: String) -> ResponsePattern {
    guard case .success(let p) = ResponsePattern.parse(s[...]) else { fatalError("bad pattern \(s)") }
    return p
}

@Suite struct ResponsePatternTests {
    @Test(arguments: [
        ("90 00", "9000", true), ("9000", "9000", true), ("90 00", "9001", false),
        ("XX 90 00", "019000", true), ("XX 90 00", "9000", false),
        ("6X 82", "6A82", true), ("6X 82", "7A82", false), ("63 CX", "63C2", true),
        ("* 90 00", "9000", true), ("* 90 00", "0102039000", true), ("* 90 00", "01026A82", false),
        ("6F * A5 * 90 00", "6F0184A5009000", true), ("6F * A5 * 90 00", "6F01849000", false),
        ("*", "", true), ("01 * 03 * 05", "0102030405", true), ("01 * 03 * 05", "010203040506", false),
        ("xx xx 90 00", "AABB9000", true),
    ] as [(String, String, Bool)])
    func matching(_ p: String, _ bytes: String, _ expected: Bool) throws {
        #expect(pattern(p).matches(try Hex.decode(bytes)) == expected)
    }

    @Test(arguments: ["9", "90 0", "ZZ", "", "  ", "90 00 G0"])
    func rejects(_ text: String) {
        if case .success = ResponsePattern.parse(text[...]) { Issue.record("accepted \(text)") }
    }
}

@Suite struct ScriptParserTests {
    @Test func baseSyntax() throws {
        let s = try ScriptParser.parse(
            """
            # a comment
            reset
            00 A4 04 00 02 3F00   # trailing comment
            < 6F XX 90 00 : text after a colon is ignored
            0084000008
            00B2010C00
            <*9000
            """, name: "t.apdu")
        #expect(!s.isTranscript)
        #expect(s.steps.count == 4)
        guard case .command(let line, let bytes, let expected, let eline) = s.steps[1] else {
            Issue.record("not a command")
            return
        }
        #expect(line == 3 && eline == 4 && bytes == [0, 0xA4, 4, 0, 2, 0x3F, 0])
        #expect(expected?.description == "6F XX 90 00")
        guard case .command(_, _, nil, nil) = s.steps[2] else {
            Issue.record("a command without expectation")
            return
        }
    }

    @Test(arguments: [
        ("< 9000", 1, ScriptError.Code.misplacedExpectation, "an expected response before any command"),
        ("00A40000\n< 9000\n< 9000", 3, .misplacedExpectation, "a second expected response for the same command"),
        ("00A4\n", 1, .badCommand, "a command APDU needs at least 4 bytes (CLA INS P1 P2)"),
        ("00A40000\n< 9G00", 2, .badExpectation, "'G' in the expected response (hex digits, X, XX or *)"),
        ("reset\n< 3B00", 2, .misplacedExpectation, "an expected response after reset (use '< OK: <ATR>' in a transcript)"),
        ("hello", 1, .badCommand, "not a command: character 1 'h' is not a hex digit"),
        ("# @card a b\n", 1, .badDirective, "'# @card' takes one profile name"),
        ("> RESET\n< KO: no card\n", 2, .failedReset, "the transcript records a failed reset"),
    ] as [(String, Int, ScriptError.Code, String)])
    func errorsNameTheLine(_ text: String, _ line: Int, _ code: ScriptError.Code, _ reason: String) {
        let e = #expect(throws: ScriptError.self) { try ScriptParser.parse(text, name: "s.apdu") }
        #expect(e?.code == code)
        #expect(e?.line == line)
        #expect(e?.reason == reason)
        #expect(e?.description == "s.apdu:\(line): \(reason)")
    }

    @Test func scriptorTranscript() throws {
        let s = try ScriptParser.parse(
            """
            Using T=0 protocol
            reset
            > RESET
            < OK: 3B 6D 00 00 
            00 A4 04 00 08 A0 00 00 03 33 01 01 01
            > 00 A4 04 00 08 A0 00 00 03 33 01 01 01
            < 61 12 : 0x12 bytes of response still available.
            00C0000012
            > 00 C0 00 00 12 
            < 6F 10 84 08 A0 00 00 03 33 01 01 01 A5 04 9F 08 
            02 02 90 00 : Normal processing.
            80 CA 9F 79 00
            > 80 CA 9F 79 00
            < 6D 00 : Instruction code not supported or invalid.
            """, name: "t.txt")
        #expect(s.isTranscript)
        #expect(s.steps.count == 4)
        guard case .reset(_, let atr) = s.steps[0], case .command(_, _, let joined, _) = s.steps[2] else {
            Issue.record("wrong steps \(s.steps)")
            return
        }
        #expect(atr?.description == "3B 6D 00 00")
        #expect(joined?.matches(try Hex.decode("6F1084 08A000000333010101A5049F08 0202 9000")) == true)
    }
}

@Suite struct ScriptRunnerTests {
    func session(_ profile: String = "iso-test") throws -> TerminalSession {
        TerminalSession(
            transport: VirtualCardTransport(card: VirtualCard(state: try CardProfiles.resolve(profile).personalize())))
    }

    @Test func verdicts() throws {
        let script = try ScriptParser.parse(
            """
            00 A4 04 00 06 A0 00 00 99 99 01
            < 6F * 90 00
            00 20 00 01 03 99 99 99
            < 90 00
            00 B0 81 00 02
            < 53 53 90 00
            """, name: "v.apdu")
        let r = ScriptRunner.run(script, on: try session())
        #expect(!r.passed)
        #expect(r.checks.count == 3)
        #expect(r.failures.count == 1)
        let f = try #require(r.failures.first)
        #expect(f.expectationLine == 4 && f.line == 3)
        #expect(f.command == "00 20 00 01 03 ** ** **", "PINs are masked in reports")
        #expect(f.actual == [0x63, 0xC5])
        let xml = JUnitReport.xml([r])
        #expect(xml.contains("<testsuite name=\"v.apdu\" tests=\"3\" failures=\"1\""))
        #expect(xml.contains("expected 90 00, got 63 C5"))
        #expect(!xml.contains("99 99 99"))
    }

    @Test func resetWithATRCheck() throws {
        let ok = try ScriptParser.parse("> RESET\n< OK: 3B 6D 00 00 *\n", name: "a")
        #expect(ScriptRunner.run(ok, on: try session()).passed)
        let wrong = try ScriptParser.parse("> RESET\n< OK: 3B 6D 00 01 *\n", name: "b")
        #expect(!ScriptRunner.run(wrong, on: try session()).passed)
    }
}
