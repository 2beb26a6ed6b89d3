// Regression tests for the defects found in the Terminal SDK review, each
// through the command line, as users meet them.

import Foundation
import TestSupport
import Testing

@Suite struct ReviewDefectTests {
    /// The bank PIN is set at activation (Chongqing): before it, wrong
    /// VERIFYs cost nothing; activation with a PIN longer than the PIN object
    /// allows is refused with the range named and leaves the image loadable;
    /// after activation the counter starts at its limit.
    @Test func bankActivationChecksThePINAndStartsTheCounterAtItsLimit() throws {
        let dir = try temporaryDirectory("activate")
        let image = dir + "/card.json"
        #expect(try SSCardProcess.run(["card", "new", "--profile", "chongqing", "--out", image]).status == 0)
        let before = try SSCardProcess.run(["send", "--image", image, "00A4040008A000000333010101", "002000800820FFFFFFFFFFFFFF"])
        #expect(before.stdoutLines.last?.hasPrefix("< 69 84") == true, "an unset PIN verifies nothing: \(before.stdout)")
        let tooLong = try SSCardProcess.run(["bank", "activate", "--image", image], environment: ["SSCARD_NEW_PIN": "1234567890123"])
        #expect(tooLong.status == 2)
        #expect(tooLong.stderr.contains("4…12 digits"), "\(tooLong.stderr)")
        let shown = try SSCardProcess.run(["card", "show", image])
        #expect(shown.status == 0, "the image still loads: \(shown.stderr)")
        let activated = try SSCardProcess.run(["bank", "activate", "--image", image], environment: ["SSCARD_NEW_PIN": "135790"])
        #expect(activated.status == 0, "\(activated.stderr)")
        let read = try SSCardProcess.run(["bank", "read", "--image", image, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any])
        #expect(json["pinTriesLeft"] as? Int == 3)
        #expect(try SSCardProcess.run(["bank", "verify-pin", "--image", image], environment: ["SSCARD_PIN": "135790"]).status == 0)
    }

    /// `sscard decode` shows VERIFY data as `**` unless --show-secrets.
    @Test func decodeMasksPINsUnlessAsked() throws {
        let masked = try SSCardProcess.run(["decode", "0020000003123456"])
        #expect(masked.status == 0 && !masked.stdout.contains("123456"), "\(masked.stdout)")
        let json = try SSCardProcess.run(["decode", "--json", "805E010007123456FF654321"])
        #expect(json.stdout.contains("\"data\":\"**************\""), "\(json.stdout)")
        // A PIN no profile has: the secret scan of make test would find a profile's.
        let shown = try SSCardProcess.run(["decode", "--show-secrets", "0020000003246813"])
        #expect(shown.stdout.contains("data 246813"))
    }

    /// PSAM CIPHER DATA (what a PIN reload enciphers) is masked in `send`,
    /// traces and JUnit, like VERIFY.
    @Test func psamCipherDataIsMaskedEverywhere() throws {
        let sent = try SSCardProcess.run(["send", "--card", "psam", "80FA000008 1122334455667788"])
        #expect(sent.stdoutLines.first == "> 80 FA 00 00 08 ** ** ** ** ** ** ** **", "\(sent.stdout)")
        let dir = try temporaryDirectory("mask")
        try "# @card psam\n80FA000008 1122334455667788\n< 69 85\n".write(toFile: dir + "/p.apdu", atomically: true, encoding: .utf8)
        let r = try SSCardProcess.run(["run", "--junit", dir + "/j.xml", "--trace", dir + "/t.txt", dir + "/p.apdu"])
        #expect(r.status == 1, "the PSAM has no session key: \(r.stdout)")
        for file in ["/j.xml", "/t.txt"] {
            let text = try String(contentsOfFile: dir + file, encoding: .utf8)
            #expect(text.contains("80 FA 00 00 08 ** **") && !text.contains("11 22 33"), "\(file): \(text)")
        }
    }

    /// JUnit carries each script's time (it was always 0.0).
    @Test func junitTimesAreMeasured() throws {
        let dir = try temporaryDirectory("junit")
        let r = try SSCardProcess.run(["run", "--junit", dir + "/j.xml", repositoryRoot + "/apdu-scripts/iso7816/03-records.apdu"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let xml = try String(contentsOfFile: dir + "/j.xml", encoding: .utf8)
        let times = xml.split(separator: "time=\"").dropFirst().compactMap { Double($0.prefix { $0 != "\"" }) }
        #expect(!times.isEmpty && times.allSatisfy { $0 > 0 }, "\(times)")
    }

    @Test func versionIsKnown() throws {
        let r = try SSCardProcess.run(["--version"])
        #expect(r.status == 0 && r.stdout.hasPrefix("sscard "), "\(r.stdout)\(r.stderr)")
    }

    /// Help and profile descriptions do not send users to files they do not have.
    @Test func helpNamesNoSpecFiles() throws {
        var texts = [try SSCardProcess.run(["profiles"]).stdout]
        for command in [[], ["run"], ["send"], ["social"], ["bank"], ["bank", "purchase"], ["serve"], ["decode"], ["card"]] {
            texts.append(try SSCardProcess.run(command + ["--help"]).stdout)
        }
        for t in texts { #expect(!t.contains(".md") && !t.contains("§"), "\(t)") }
    }
}
