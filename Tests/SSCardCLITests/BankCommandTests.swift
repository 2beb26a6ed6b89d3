import TestSupport
import Foundation
import Testing

@Suite struct BankCommandTests {
    /// The bank PIN of a fresh card of a built-in profile.
    static func bankPIN(_ profile: String) throws -> String {
        switch profile {
        case "cumulative": return "955330"
        case "emvtool": return "123456"
        default:
            let r = try SSCardProcess.run(["social", "read", "--card", profile, "--json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let id = Array(try #require(json["citizenID"] as? String))
            return String(id[11..<17])
        }
    }

    @Test(arguments: ["default", "default-des", "default-t0", "cumulative", "emvtool", "national-crypto"])
    func purchaseOnEveryProfile(_ profile: String) throws {
        let dir = try temporaryDirectory("bank")
        let image = dir + "/card.json"
        #expect(try SSCardProcess.run(["card", "new", "--profile", profile, "--out", image]).status == 0)
        let pin = try Self.bankPIN(profile)
        let r = try SSCardProcess.run(["bank", "purchase", "--image", image, "--amount", "12.34"], environment: ["SSCARD_PIN": pin])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdoutLines.last?.hasPrefix("approved: approved; TC ") == true)
        #expect(!r.stdout.contains(pin), "the PIN never appears")
        let read = try SSCardProcess.run(["bank", "read", "--image", image, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any])
        #expect(json["atc"] as? Int == 1)
        #expect(json["pinTriesLeft"] as? Int == 3)
        let log = try #require(json["log"] as? [[String: Any]])
        #expect(log.count == 1 && log[0]["amount"] as? Int == 1234 && log[0]["merchant"] as? String == "SSCARD TEST PHARMACY")
        let pan = try #require(json["pan"] as? String)
        #expect(pan.contains("*") && pan.count >= 16, "masked unless --show-pan")
    }

    @Test func chongqingNeedsActivation() throws {
        let dir = try temporaryDirectory("bank")
        let image = dir + "/card.json"
        _ = try SSCardProcess.run(["card", "new", "--profile", "chongqing", "--out", image])
        let refused = try SSCardProcess.run(["bank", "purchase", "--image", image, "--amount", "1"], environment: ["SSCARD_PIN": "135790"])
        #expect(refused.status == 1 && refused.stderr.contains("not activated"))
        let activated = try SSCardProcess.run(["bank", "activate", "--image", image], environment: ["SSCARD_NEW_PIN": "135790"])
        #expect(activated.stdout == "bank account activated\n", "\(activated.stderr)")
        let ok = try SSCardProcess.run(["bank", "purchase", "--image", image, "--amount", "1"], environment: ["SSCARD_PIN": "135790"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test func verifyPINAndDeclines() throws {
        let dir = try temporaryDirectory("bank")
        let image = dir + "/card.json"
        _ = try SSCardProcess.run(["card", "new", "--profile", "emvtool", "--out", image])
        #expect(try SSCardProcess.run(["bank", "verify-pin", "--image", image], environment: ["SSCARD_PIN": "123456"]).stdout == "bank PIN verified\n")
        let wrong = try SSCardProcess.run(["bank", "verify-pin", "--image", image], environment: ["SSCARD_PIN": "999999"])
        #expect(wrong.status == 1 && wrong.stderr == "sscard: wrong bank PIN, 2 tries left\n")
        let poor = try SSCardProcess.run(
            ["bank", "purchase", "--image", image, "--amount", "500.00", "--balance", "100"], environment: ["SSCARD_PIN": "123456"])
        #expect(poor.status == 1 && poor.stderr.contains("insufficient funds; AAC"))
        #expect(try SSCardProcess.run(["bank", "purchase", "--card", "emvtool", "--amount", "12.345"], environment: ["SSCARD_PIN": "123456"]).status == 2)
        let shown = try SSCardProcess.run(["bank", "read", "--card", "emvtool", "--show-pan"])
        #expect(shown.stdout.contains("PAN           6212340000000007"))
        #expect(shown.stdout.contains("name          ZHANG/SAN"))
    }
}
