import TestSupport
import Foundation
import Testing

@Suite struct SendCommandTests {
    @Test func printsCommandsAndAnswers() throws {
        let r = try SSCardProcess.run(["send", "--card", "iso-test", "00A4040006A00000999901", "0020000103999999", "00 EE 00 00"])
        #expect(r.status == 0, "the card answered: exit 0 whatever the status words")
        #expect(
            r.stdoutLines == [
                "> 00 A4 04 00 06 A0 00 00 99 99 01",
                "< 6F 19 84 06 A0 00 00 99 99 01 A5 0F 50 0A 49 53 4F 20 54 45 53 54 20 31 88 01 01 90 00 (normal processing)",
                "> 00 20 00 01 03 ** ** **",
                "< 63 C5 (verification failed, 5 tries left)",
                "> 00 EE 00 00",
                "< 6D 00 (instruction code not supported or invalid)",
            ])
        #expect(!r.stdout.contains("99 99 99"), "the PIN is never printed")
    }

    @Test func autoResponse() throws {
        let raw = try SSCardProcess.run(["send", "--card", "iso-test-t0", "00A4040006A00000999901"])
        #expect(raw.stdoutLines.last == "< 61 1B (27 response byte(s) still available (GET RESPONSE))")
        let auto = try SSCardProcess.run(["send", "--card", "iso-test-t0", "--auto-response", "00A4040006A00000999901"])
        #expect(auto.stdoutLines.last?.hasPrefix("< 6F 19 84 06") == true)
        #expect(auto.stdoutLines.last?.hasSuffix("90 00 (normal processing)") == true)
    }

    @Test func badInputExitsTwo() throws {
        let bad = try SSCardProcess.run(["send", "00A4", "0084000008"])
        #expect(bad.status == 2 && bad.stdout.isEmpty)
        #expect(bad.stderr == "sscard: APDU 1: 2 byte(s); a command APDU has at least CLA INS P1 P2\n")
        let hex = try SSCardProcess.run(["send", "00A4000G"])
        #expect(hex.status == 2 && hex.stderr.contains("APDU 1: byte offset 3"))
        let profile = try SSCardProcess.run(["send", "--card", "nope", "0084000008"])
        #expect(profile.status == 2 && profile.stderr.contains("unknown profile \"nope\""))
        let both = try SSCardProcess.run(["send", "--card", "iso-test", "--image", "x.json", "0084000008"])
        #expect(both.status == 2)
    }
}

@Suite struct ImageCommandsTests {
    @Test func newSendShowPersist() throws {
        let dir = try temporaryDirectory()
        let image = dir + "/card.json"
        let created = try SSCardProcess.run(["card", "new", "--profile", "iso-test", "--out", image])
        #expect(created.status == 0 && created.stdout == "created \(image) from profile iso-test\n")
        let mode = try FileManager.default.attributesOfItem(atPath: image)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try SSCardProcess.run(["card", "new", "--out", image]).status == 2, "an existing image is not overwritten")

        for expected in ["63 C5", "63 C4"] {
            let r = try SSCardProcess.run(["send", "--image", image, "00A4040006A00000999901", "0020000103999999"])
            #expect(r.stdoutLines.last?.hasPrefix("< \(expected)") == true, "state persists between runs")
        }
        let shown = try SSCardProcess.run(["card", "show", image])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("user (ref 01, DF \"app1\"): ******, 4 of 6 tries left"))
        #expect(!shown.stdout.contains("123456"))
    }

    @Test func corruptImageNamesTheField() throws {
        let dir = try temporaryDirectory()
        let image = dir + "/card.json"
        _ = try SSCardProcess.run(["card", "new", "--profile", "iso-test", "--out", image])
        var text = try String(contentsOfFile: image, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"limit\" : 6", with: "\"limit\" : 16")
        try text.write(toFile: image, atomically: true, encoding: .utf8)
        let before = try Data(contentsOf: URL(fileURLWithPath: image))
        let r = try SSCardProcess.run(["send", "--image", image, "0084000008"])
        #expect(r.status == 2)
        #expect(r.stderr == "sscard: \(image): pins.user.limit: must be 1…15\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: image)) == before, "a bad image is left as it was")
        #expect(try SSCardProcess.run(["card", "show", image]).status == 2)
    }

    @Test func profilesList() throws {
        let r = try SSCardProcess.run(["profiles"])
        #expect(r.status == 0)
        #expect(
            r.stdoutLines.map { String($0.prefix { $0 != " " }) }
                == ["default", "default-des", "default-t0", "cumulative", "chongqing", "emvtool", "national-crypto", "iso-test", "iso-test-t0", "psam"])
        // The issued PINs only when asked.
        #expect(!r.stdout.contains("123456") && !r.stdout.contains("955330"))
        let shown = try SSCardProcess.run(["profiles", "--show-secrets"])
        #expect(shown.stdout.contains("social 123456") && shown.stdout.contains("bank 955330"), "\(shown.stdout)")
    }
}

@Suite struct RunCommandTests {
    @Test func conformanceSuitePasses() throws {
        // Every script names its card with '# @card'.
        let r = try SSCardProcess.run(["run", repositoryRoot + "/apdu-scripts"])
        #expect(r.status == 0, "\(r.stdout)")
        let scripts = try FileManager.default.subpathsOfDirectory(atPath: repositoryRoot + "/apdu-scripts").filter { $0.hasSuffix(".apdu") }
        #expect(r.stdoutLines.last == "\(scripts.count) passed, 0 failed")
        #expect(scripts.count >= 17)
        let iso = try SSCardProcess.run(["run", repositoryRoot + "/apdu-scripts/iso7816"])
        #expect(iso.stdoutLines.last == "7 passed, 0 failed")
    }

    @Test func aFailedExpectationIsReportedWithScriptLineCommandExpectedActual() throws {
        let dir = try temporaryDirectory()
        try "# @card iso-test\n00A4040006A00000999901\n< 6F * 90 00\n0020000103999999\n< 90 00\n".write(
            toFile: dir + "/a.apdu", atomically: true, encoding: .utf8)
        try "0084000008\n< XX XX XX XX XX XX XX XX 90 00\n".write(toFile: dir + "/b.apdu", atomically: true, encoding: .utf8)
        let junit = dir + "/report.xml"
        let trace = dir + "/trace.txt"
        let r = try SSCardProcess.run(["run", "--junit", junit, "--trace", trace, dir])
        #expect(r.status == 1)
        let lines = r.stdoutLines
        #expect(lines.contains("FAIL \(dir)/a.apdu (1 of 2 checks failed)"))
        #expect(lines.contains("  \(dir)/a.apdu:5: 00 20 00 01 03 ** ** **"))
        #expect(lines.contains("    expected: 90 00"))
        #expect(lines.contains("    actual:   63 C5"))
        #expect(lines.contains("PASS \(dir)/b.apdu (1 checks)"))
        #expect(lines.last == "1 passed, 1 failed")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("failures=\"1\""))
        let traceText = try String(contentsOfFile: trace, encoding: .utf8)
        #expect(traceText.contains("> 00 20 00 01 03 ** ** **"))
        #expect(!traceText.contains("99 99 99"))
    }

    @Test func badScriptExitsTwoBeforeRunningAnything() throws {
        let dir = try temporaryDirectory()
        let image = dir + "/card.json"
        _ = try SSCardProcess.run(["card", "new", "--profile", "iso-test", "--out", image])
        try "00A4040006A00000999901\n0020000103999999\n".write(toFile: dir + "/1.apdu", atomically: true, encoding: .utf8)
        try "00A4\n".write(toFile: dir + "/2.apdu", atomically: true, encoding: .utf8)
        let r = try SSCardProcess.run(["run", "--image", image, dir + "/1.apdu", dir + "/2.apdu"])
        #expect(r.status == 2)
        #expect(r.stderr == "sscard: \(dir)/2.apdu:1: a command APDU needs at least 4 bytes (CLA INS P1 P2)\n")
        let shown = try SSCardProcess.run(["card", "show", image])
        #expect(shown.stdout.contains("6 of 6 tries left"), "nothing ran")
        #expect(try SSCardProcess.run(["run", dir + "/missing.apdu"]).status == 2)
    }

    @Test func imageStatePersistsBetweenRuns() throws {
        let dir = try temporaryDirectory()
        let image = dir + "/card.json"
        _ = try SSCardProcess.run(["card", "new", "--profile", "iso-test", "--out", image])
        try "00A4040006A00000999901\n0020000103999999\n< 63 CX\n".write(toFile: dir + "/s.apdu", atomically: true, encoding: .utf8)
        _ = try SSCardProcess.run(["run", "--image", image, dir + "/s.apdu"])
        try "00A4040006A00000999901\n00200001\n< 63 C5\n".write(toFile: dir + "/check.apdu", atomically: true, encoding: .utf8)
        let r = try SSCardProcess.run(["run", "--image", image, dir + "/check.apdu"])
        #expect(r.status == 0, "\(r.stdout)")
    }
}
