import Foundation
import TestSupport
import Testing

/// `--faults` through the CLI: the plan checked whole, the faults applied
/// and reported, the card's stored state after a tear.
@Suite struct FaultInjectionTests {
    static let selectSSSE = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"

    func plan(_ text: String, _ dir: String) throws -> String {
        let path = dir + "/plan.faults"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func sendAppliesAndReportsTheFaults() throws {
        let dir = try temporaryDirectory("faults")
        let plan = try plan("ins 20 nth 2 => sw 6983\nins A4 => tlv drop 88\n", dir)
        let r = try SSCardProcess.run(["send", "--faults", plan, Self.selectSSSE, "0020000003999999", "0020000003999999", "0020000000"])
        #expect(r.status == 0, "\(r.stderr)")
        let answers = r.stdoutLines.filter { $0.hasPrefix("< ") }
        #expect(answers.count == 4)
        // The FCI without 88 01 1E: 6F and A5 three bytes shorter.
        #expect(answers[0].hasPrefix("< 6F 19 84 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF A5 06 9F 0C 03 86 01 03 90 00"))
        #expect(answers[1].hasPrefix("< 63 C5"))
        #expect(answers[2].hasPrefix("< 69 83"))
        #expect(answers[3].hasPrefix("< 63 C4"))
        #expect(r.stderr.contains("sscard: fault \(plan):2 (tlv drop 88) at command 1: 88 left out"))
        #expect(r.stderr.contains("sscard: fault \(plan):1 (sw 6983) at command 3: status word 63C4 replaced by 6983"))
        // The PIN never shows, not even in the fault report.
        #expect(!r.stdout.contains("999999") && !r.stderr.contains("999999"))
    }

    @Test func runGivesTheSameVerdictsOnOneJobOrTwo() throws {
        let dir = try temporaryDirectory("faults-run")
        let plan = try plan("app social ins B2 every 2 => flip 0\n", dir)
        let scripts = repositoryRoot + "/apdu-scripts/social"
        let clean = try SSCardProcess.run(["run", "-q", scripts])
        #expect(clean.status == 0, "\(clean.stdout)")
        let one = try SSCardProcess.run(["run", "--faults", plan, scripts])
        let two = try SSCardProcess.run(["run", "--faults", plan, "--jobs", "2", scripts])
        #expect(one.status == 1, "\(one.stdout)\(one.stderr)")
        #expect(one.stdout.contains("FAIL "))
        #expect(one.stderr.contains("(flip 0) at command"))
        let verdicts = { (s: String) in s.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") || $0.contains(" passed, ") } }
        #expect(verdicts(one.stdout) == verdicts(two.stdout))
    }

    @Test func aRemovedCardIsATransportFailure() throws {
        let dir = try temporaryDirectory("faults-remove")
        let plan = try plan("ins 84 nth 2 => remove\n", dir)
        let r = try SSCardProcess.run(["send", "--faults", plan, "0084000008", "0084000008", "0084000008"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("the card was pulled out (fault plan: remove)"), "\(r.stderr)")
        #expect(r.stdoutLines.filter { $0.hasPrefix("< ") }.count == 1)
    }

    /// A torn VERIFY leaves the image with the try counted or not, whole:
    /// `tear 0` before the counter's write, `tear 1` after it.
    @Test func aTornVerifyLeavesTheImageWhole() throws {
        let dir = try temporaryDirectory("faults-tear")
        for (writes, left) in [(0, 6), (1, 5)] {
            let image = dir + "/card-\(writes).json"
            #expect(try SSCardProcess.run(["card", "new", "--profile", "default", "--out", image]).status == 0)
            let plan = try plan("ins 20 nth 1 => tear \(writes)\n", dir)
            let torn = try SSCardProcess.run(["send", "--image", image, "--faults", plan, Self.selectSSSE, "0020000003999999"])
            #expect(torn.status == 3)
            #expect(torn.stderr.contains("power lost after \(writes) write(s) of the command"), "\(torn.stderr)")
            #expect(torn.stderr.contains("the card lost power mid-command (fault plan: tear)"))
            let after = try SSCardProcess.run(["send", "--image", image, Self.selectSSSE, "0020000000"])
            #expect(after.stdoutLines.last?.hasPrefix("< 63 C\(left)") == true, "\(after.stdout)")
        }
    }

    /// Found with a fault plan: the EMV kernel read a format-1 answer
    /// (`80 L …`) without checking L, and a GENERATE AC answer cut short
    /// was paid. Now a truncated, padded or mislabelled `80` is malformed.
    @Test func aFormatOneAnswerOfTheWrongLengthIsRefused() throws {
        let dir = try temporaryDirectory("faults-format1")
        let pin = ["SSCARD_PIN": try BankCommandTests.bankPIN("default")]
        for (rule, step) in [
            ("app bank ins AE nth 1 => truncate 4", "GENERATE AC"), ("app bank ins AE nth 2 => tlv length 80 -1", "GENERATE AC"),
            ("app bank ins A8 => extend 00", "GET PROCESSING OPTIONS"), ("app bank ins A8 => truncate 4", "GET PROCESSING OPTIONS"),
        ] {
            let r = try SSCardProcess.run(["bank", "purchase", "--amount", "1.00", "--faults", try plan(rule + "\n", dir)], environment: pin)
            #expect(r.status == 1, "\(rule): \(r.stdout)\(r.stderr)")
            #expect(r.stderr.contains("\(step): the answer is malformed"), "\(rule): \(r.stderr)")
            #expect(!r.stdout.contains("approved: approved"), "\(rule)")
        }
        // At the counter: the 2nd GENERATE AC malformed after the host approved:
        // the settlement is cancelled and the bank account keeps its money.
        let s = try POSSetup()
        let (account, bank) = (try s.accountBalance(), try s.bankBalance())
        let sale = try s.pos(
            ["pharmacy", "--amount", "42.80", "--code", "SSC-XC01", "--card", "default", "--db", s.db, "--json",
             "--faults", try plan("app bank ins AE nth 2 => tlv length 80 -1\n", dir)], environment: try s.pins())
        #expect(sale.status == 1, "\(sale.stdout)\(sale.stderr)")
        #expect(try POSSetup.object(sale.stdout)["settlement"] as? String == "cancelled")
        #expect(try s.bankBalance() == bank && (try s.accountBalance()) == account)
        #expect(s.journalLines().last?.contains("\"status\":\"cancelled\"") == true)
    }

    @Test func aBadPlanIsNamedByLine() throws {
        let dir = try temporaryDirectory("faults-bad")
        let plan = try plan("# fine\nins 20 => sw 69\n", dir)
        let r = try SSCardProcess.run(["send", "--faults", plan, "0084000008"])
        #expect(r.status == 2)
        #expect(r.stderr == "sscard: \(plan):2: 'sw 69': a status word is two bytes, e.g. 'sw 6983'\n")
        let missing = try SSCardProcess.run(["run", "--faults", dir + "/none.faults", repositoryRoot + "/apdu-scripts/social/01-selection.apdu"])
        #expect(missing.status == 2 && missing.stderr.contains("none.faults: cannot read: No such file or directory"), "\(missing.stderr)")
        let reader = try SSCardProcess.run(["send", "--reader", "x", "--faults", plan, "0084000008"])
        #expect(reader.status == 2 && reader.stderr.contains("a card in a reader answers for itself"))
        let serve = try SSCardProcess.run(["serve", "--vpcd", "1", "--faults", plan])
        #expect(serve.status == 2 && serve.stderr.contains(":2: 'sw 69'"))
    }
}
