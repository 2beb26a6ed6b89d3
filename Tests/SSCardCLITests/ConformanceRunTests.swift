// `sscard run` as a conformance lab uses it: parallel and sharded runs with
// the verdicts of a serial one, `sscard report merge`, the HTML report
// checked against the JUnit, the differing bytes of a failure marked,
// apdutool scripts, and `sscard diff`.

import Foundation
import Testing
import TestSupport

@Suite struct ConformanceRunTests {
    static let suite = repositoryRoot + "/apdu-scripts"

    /// (suite, test case, failed) of a JUnit file.
    static func verdicts(_ path: String) throws -> Set<String> {
        let xml = try String(contentsOfFile: path, encoding: .utf8)
        var out: Set<String> = []
        var suite = ""
        for line in xml.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("<testsuite "), let r = t.range(of: "name=\"") {
                suite = String(t[r.upperBound...].prefix { $0 != "\"" })
            } else if t.hasPrefix("<testcase "), let r = t.range(of: "name=\"") {
                out.insert(suite + " | " + String(t[r.upperBound...].prefix { $0 != "\"" }))
            } else if t.hasPrefix("<failure") || t.hasPrefix("<error") {
                out.insert(suite + " | FAILED")
            }
        }
        return out
    }

    /// The root's `tests="N"`.
    static func rootCount(_ path: String, _ attribute: String) throws -> Int {
        let xml = try String(contentsOfFile: path, encoding: .utf8)
        let root = try #require(xml.split(separator: "\n").first { $0.hasPrefix("<testsuites") })
        let r = try #require(root.range(of: " \(attribute)=\""))
        return try #require(Int(root[r.upperBound...].prefix { $0 != "\"" }))
    }

    @Test func jobsAndShardsGiveTheVerdictsOfASerialRun() throws {
        let dir = try temporaryDirectory("run-jobs")
        let serial = try SSCardProcess.run(["run", Self.suite, "--junit", dir + "/serial.xml"])
        #expect(serial.status == 0, "\(serial.stdout)")
        let parallel = try SSCardProcess.run(["run", Self.suite, "--jobs", "2", "--junit", dir + "/jobs.xml"])
        #expect(parallel.status == 0 && parallel.stdout.contains("on 2 jobs"))
        #expect(try Self.verdicts(dir + "/jobs.xml") == Self.verdicts(dir + "/serial.xml"))
        // The PASS lines come in script order either way.
        #expect(parallel.stdoutLines.filter { $0.hasPrefix("PASS ") } == serial.stdoutLines.filter { $0.hasPrefix("PASS ") })
        // Three shards: disjoint, together the whole run, merged into its JUnit.
        var parts: [String] = []
        for k in 1...3 {
            let out = dir + "/shard\(k).xml"
            let r = try SSCardProcess.run(["run", Self.suite, "--shard", "\(k)/3", "--junit", out])
            #expect(r.status == 0, "\(r.stdout)")
            parts.append(out)
        }
        let counts = try parts.map { try Self.rootCount($0, "tests") }
        #expect(counts.reduce(0, +) == (try Self.rootCount(dir + "/serial.xml", "tests")))
        #expect(counts.allSatisfy { $0 > 0 }, "\(counts)")
        let merged = try SSCardProcess.run(["report", "merge", "--out", dir + "/merged.xml"] + parts)
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try Self.verdicts(dir + "/merged.xml") == Self.verdicts(dir + "/serial.xml"))
        // A shard is stable: the same scripts each time.
        let again = try SSCardProcess.run(["run", Self.suite, "--shard", "2/3", "--junit", dir + "/again.xml"])
        let shardAgain = try Self.verdicts(dir + "/again.xml"), shardBefore = try Self.verdicts(parts[1])
        #expect(again.status == 0 && shardAgain == shardBefore)
        // The same file twice is refused (the shards of one run are disjoint); bad options too.
        let twice = try SSCardProcess.run(["report", "merge", parts[0], parts[0]])
        #expect(twice.status == 2 && twice.stderr.contains("disjoint"))
        #expect(try SSCardProcess.run(["run", Self.suite, "--shard", "4/3"]).status == 2)
        #expect(try SSCardProcess.run(["run", Self.suite, "--jobs", "2", "--image", dir + "/x.json"]).status == 2)
        // A summary per directory.
        #expect(serial.stdout.contains("  \(Self.suite)/social: 9 script(s)"), "\(serial.stdout)")
    }

    @Test func aFailureMarksTheDifferingBytesInTheOutputTheJUnitAndTheHTML() throws {
        let dir = try temporaryDirectory("run-fail")
        let script = dir + "/wrong.apdu"
        try "# @card default\n00A404000F7378312E73682EC9E7BBE1B1A3D5CF00\n< 6F XX 84 0F 7378312E73682EC9E7BBE1B1A3D5CF A5 XX 88 01 1E 9F 0C 03 86 01 01 90 00\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        let r = try SSCardProcess.run(["run", script, "--junit", dir + "/r.xml", "--html", dir + "/r.html"])
        #expect(r.status == 1)
        // The default card is SM4 (03): the last data byte differs, under it the mark.
        let actual = try #require(r.stdoutLines.first { $0.hasPrefix("    actual:") })
        let marks = try #require(r.stdoutLines.first { $0.hasPrefix("    differs:") })
        let at = actual.dropFirst("    actual:   ".count)
        let mark = marks.dropFirst("    differs:  ".count)
        #expect(mark.trimmingCharacters(in: .whitespaces) == "^^", "\(marks)")
        #expect(at.index(at.startIndex, offsetBy: mark.count - 2) < at.endIndex)
        #expect(String(Array(at)[(mark.count - 2)..<mark.count]) == "03")
        #expect(try String(contentsOfFile: dir + "/r.xml", encoding: .utf8).contains("differs:"))
        let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        #expect(html.contains("<mark>03</mark>"))
    }

    @Test func theHTMLReportIsSelfContainedAndAgreesWithTheJUnit() throws {
        let dir = try temporaryDirectory("run-html")
        let r = try SSCardProcess.run(["run", Self.suite, "--junit", dir + "/r.xml", "--html", dir + "/r.html"])
        #expect(r.status == 0)
        let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("@import"), "no network")
        #expect(html.contains("<svg id=\"scripts\"") && html.contains("<svg id=\"commands\""))
        let start = try #require(html.range(of: "<script id=\"summary\" type=\"application/json\">"))
        let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(html[start.upperBound..<end.lowerBound].utf8)) as? [String: Any])
        #expect(summary["checks"] as? Int == (try Self.rootCount(dir + "/r.xml", "tests")))
        #expect(summary["failed_checks"] as? Int == (try Self.rootCount(dir + "/r.xml", "failures")))
        let dirs = try #require(summary["directories"] as? [[String: Any]])
        #expect(dirs.count == 6 && dirs.reduce(0) { $0 + ($1["checks"] as? Int ?? 0) } == summary["checks"] as? Int)
        let times = try #require(summary["script_times_us"] as? [String: Int])
        #expect(times.count == summary["scripts"] as? Int && times.values.allSatisfy { $0 > 0 })
    }

    @Test func apdutoolScriptsRunUnchecked() throws {
        let dir = try temporaryDirectory("run-apdutool")
        let script = dir + "/select.script"
        try """
            // Oracle apdutool / jCardSim format
            powerup;
            // SELECT SSSE
            0x00 0xA4 0x04 0x00 0x0F 0x73 0x78 0x31 0x2E 0x73 0x68 0x2E 0xC9 0xE7 0xBB 0xE1 0xB1 0xA3 0xD5 0xCF 0x00;
            echo "read";
            0x00 0xB2 0x01 0x2C 0x00 0x00;
            powerdown;
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let r = try SSCardProcess.run(["run", script, "--card", "default", "--trace", dir + "/t.txt"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let trace = try String(contentsOfFile: dir + "/t.txt", encoding: .utf8)
        #expect(trace.contains("> 00 A4 04 00 0F 73 78 31") && trace.contains("6F "))
        #expect(trace.contains("> 00 B2 01 2C 00"))
        try "powerup;\n0x00 0xA4 0x04 0x00 0x02 0x3F;\n".write(toFile: script, atomically: true, encoding: .utf8)
        let bad = try SSCardProcess.run(["run", script])
        #expect(bad.status == 2 && bad.stderr.contains("select.script:2: Lc 0x02 says 2 data bytes"), "\(bad.stderr)")
    }

    @Test func diffTwoProfilesAndAProfileAgainstItself() throws {
        let dir = try temporaryDirectory("diff")
        let script = dir + "/read.apdu"
        try "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00\n00B2012C00\n00B2032C00\n".write(toFile: script, atomically: true, encoding: .utf8)
        let same = try SSCardProcess.run(["diff", "--card", "default", "--card", "default", script])
        #expect(same.status == 0 && same.stdout.contains("3 command(s) compared, 0 differ"), "\(same.stdout)")
        // The DES card: another algorithm in the FCI, another card ID, version 2.00.
        let other = try SSCardProcess.run(["diff", "--card", "default", "--card", "default-des", script])
        #expect(other.status == 1, "\(other.stdout)")
        #expect(other.stdout.contains("\(script):1: 00 A4 04 00 0F"))
        #expect(other.stdout.contains("A: virtual card (default); B: virtual card (default-des)"))
        #expect(other.stdout.contains("differ") && other.stdout.contains("^^"))
        let usage = try SSCardProcess.run(["diff", "--card", "default", script])
        #expect(usage.status == 2)
    }

    @Test func capturesAndHelpersScriptTheSecuredFlows() throws {
        // The suite's secured-flows script passes (EA, 8424 under MAC, 841E)…
        let r = try SSCardProcess.run(["run", Self.suite + "/social/09-secured-flows.apdu"])
        #expect(r.status == 0, "\(r.stdout)")
        // … and fails when a helper computes with the wrong key.
        let dir = try temporaryDirectory("run-helpers")
        let text = try String(contentsOfFile: Self.suite + "/social/09-secured-flows.apdu", encoding: .utf8)
        try text.replacingOccurrences(of: "${ea(03, 10, cardid", with: "${ea(03, 12, cardid").write(toFile: dir + "/wrong.apdu", atomically: true, encoding: .utf8)
        let wrong = try SSCardProcess.run(["run", dir + "/wrong.apdu"])
        #expect(wrong.status == 1 && wrong.stdout.contains("actual:   63 C2"), "\(wrong.stdout)")
        // The issuer's check of the ARQC: the bank script passes, and data the ARQC does not cover stops it.
        let bank = try String(contentsOfFile: Self.suite + "/bank/04-online-with-helpers.apdu", encoding: .utf8)
        #expect(try SSCardProcess.run(["run", Self.suite + "/bank/04-online-with-helpers.apdu"]).status == 0)
        try bank.replacingOccurrences(of: "2612030012345678,", with: "2612030012345679,").write(toFile: dir + "/arqc.apdu", atomically: true, encoding: .utf8)
        let arqc = try SSCardProcess.run(["run", dir + "/arqc.apdu"])
        #expect(arqc.status == 1 && arqc.stdout.contains("does not verify under the issuer's key"), "\(arqc.stdout)")
        // A name never captured, a helper that does not exist: the script stops with the line.
        try "00 84 00 00 08\n< [r:8] 90 00\n00 82 00 0A 10 ${nope}\n< 90 00\n".write(toFile: dir + "/name.apdu", atomically: true, encoding: .utf8)
        let name = try SSCardProcess.run(["run", dir + "/name.apdu", "--card", "default"])
        #expect(name.status == 1 && name.stdout.contains("script error: \(dir)/name.apdu:3: ${nope}: nothing was captured"), "\(name.stdout)")
        try "00 84 00 00 08\n< [r:8] 90 00\n00 82 00 0A 10 ${hash(r)}\n".write(toFile: dir + "/helper.apdu", atomically: true, encoding: .utf8)
        let helper = try SSCardProcess.run(["run", dir + "/helper.apdu", "--card", "default"])
        #expect(helper.status == 1 && helper.stdout.contains("no such helper"), "\(helper.stdout)")
        // Malformed captures and templates are bad scripts (exit 2, file:line).
        try "00 84 00 00 08\n< [r:999] 90 00\n".write(toFile: dir + "/bad.apdu", atomically: true, encoding: .utf8)
        let bad = try SSCardProcess.run(["run", dir + "/bad.apdu"])
        #expect(bad.status == 2 && bad.stderr.contains("bad.apdu:2:"), "\(bad.stderr)")
        try "00 82 00 0A 10 ${ea(03, 0A\n".write(toFile: dir + "/bad2.apdu", atomically: true, encoding: .utf8)
        let bad2 = try SSCardProcess.run(["run", dir + "/bad2.apdu"])
        #expect(bad2.status == 2 && bad2.stderr.contains("bad2.apdu:1:"), "\(bad2.stderr)")
    }

    @Test func theSuiteHasOver800ChecksAndEachScriptSaysWhatItFollows() throws {
        let r = try SSCardProcess.run(["run", Self.suite, "--quiet"])
        #expect(r.status == 0)
        let all = try SSCardProcess.run(["run", Self.suite])
        let summary = try #require(all.stdoutLines.first { $0.contains(" check(s), ") && !$0.hasPrefix("  ") })
        let checks = try #require(Int(summary.split(separator: " ")[2]))
        #expect(checks >= 800, "\(summary)")
        for area in ["iso7816", "social", "bank", "profiles", "negative"] {
            #expect(FileManager.default.fileExists(atPath: Self.suite + "/" + area), "apdu-scripts/\(area)")
        }
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.suite).filter { $0.hasSuffix(".apdu") }
        for f in files {
            let text = try String(contentsOfFile: Self.suite + "/" + f, encoding: .utf8)
            if text.contains("\n> ") || text.hasPrefix("> ") { continue }  // an unedited scriptor transcript
            let head = text.split(separator: "\n").prefix { $0.hasPrefix("#") }.joined(separator: "\n")
            #expect(head.contains("§"), "\(f) opens with what it checks and the part of the specs it follows")
        }
    }

    @Test func destructiveScriptsRunOnADurableCardOnlyWhenAsked() throws {
        let dir = try temporaryDirectory("run-destructive")
        let image = dir + "/card.json"
        #expect(try SSCardProcess.run(["card", "new", "--profile", "default", "--out", image]).status == 0)
        let r = try SSCardProcess.run(["run", Self.suite + "/negative/07-blocked.apdu", "--image", image, "--junit", dir + "/j.xml"])
        #expect(r.status == 0 && r.stdout.contains("SKIP ") && r.stdout.contains("0 passed, 0 failed, 1 skipped"), "\(r.stdout)")
        let junit = try String(contentsOfFile: dir + "/j.xml", encoding: .utf8)
        #expect(junit.contains("skipped=\"1\"") && junit.contains("<skipped message=\"destructive: blocks the social PIN"), "\(junit)")
        // The image's PIN is untouched: the initial PIN verifies.
        try "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00\n< 6F * 90 00\n0020000003123456\n< 90 00\n".write(toFile: dir + "/v.apdu", atomically: true, encoding: .utf8)
        #expect(try SSCardProcess.run(["run", dir + "/v.apdu", "--image", image]).status == 0)
        let asked = try SSCardProcess.run(["run", Self.suite + "/negative/07-blocked.apdu", "--image", image, "--destructive"])
        #expect(asked.status == 0 && asked.stdout.contains("1 passed, 0 failed"), "\(asked.stdout)")
        #expect(try SSCardProcess.run(["run", dir + "/v.apdu", "--image", image]).status == 1, "now blocked, for good")
        // A fresh virtual card per script needs no asking.
        #expect(try SSCardProcess.run(["run", Self.suite + "/negative/07-blocked.apdu"]).stdout.contains("1 passed, 0 failed\n"))
        try "# @destructive\n00A40000\n".write(toFile: dir + "/bad.apdu", atomically: true, encoding: .utf8)
        #expect(try SSCardProcess.run(["run", dir + "/bad.apdu"]).status == 2)
    }
}
