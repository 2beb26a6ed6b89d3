import TestSupport
import Foundation
import Testing

/// GB 11643 check character, computed here independently of the product.
func citizenIDIsValid(_ id: String) -> Bool {
    let chars = Array(id)
    guard chars.count == 18 else { return false }
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    var sum = 0
    for i in 0..<17 {
        guard let d = chars[i].wholeNumberValue else { return false }
        sum += d * weights[i]
    }
    return Array("10X98765432")[sum % 11] == chars[17]
}

@Suite struct SocialCommandTests {
    static let profiles = ["default", "default-des", "default-t0", "cumulative", "chongqing"]

    @Test(arguments: profiles)
    func readWorksOnEveryProfile(_ profile: String) throws {
        let r = try SSCardProcess.run(["social", "read", "--card", profile, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let ssn = try #require(json["citizenID"] as? String)
        #expect(citizenIDIsValid(ssn), "\(ssn)")
        let name = try #require(json["name"] as? String)
        #expect((1...3).contains(name.count) && !name.unicodeScalars.contains { $0.isASCII })
        let line = try #require(json["iReadCardBas"] as? String)
        let fields = line.split(separator: "|", omittingEmptySubsequences: false)
        #expect(fields.count == 12 && fields.last == "")
        #expect(fields[1] == Substring(ssn) && fields[4] == Substring(name))
        let version = json["specVersion"] as? String
        if profile == "default-des" {
            #expect(version == "2.00" && json["algorithm"] as? String == "DES")
            #expect(json["genuine"] is NSNull)
        } else {
            #expect(version == "3.00" && json["algorithm"] as? String == "SM4")
            #expect(json["genuine"] as? Bool == true)
        }
        let cardID = try #require(json["cardID"] as? String)
        #expect(cardID.hasPrefix((json["region"] as? String ?? "") + "D156000005"))
        let hist = try #require(json["atrHistoricalBytes"] as? String)
        #expect(hist.suffix(8) == cardID.dropFirst(16).prefix(8), "the serial in the ATR equals 卡识别码 bytes 9–12")
    }

    @Test func textOutputAndSeeds() throws {
        let a = try SSCardProcess.run(["social", "read", "--card", "default", "--seed", "7"])
        let b = try SSCardProcess.run(["social", "read", "--card", "default", "--seed", "7"])
        let c = try SSCardProcess.run(["social", "read", "--card", "default", "--seed", "8"])
        #expect(a.status == 0 && a.stdout == b.stdout, "the same seed gives the same card")
        #expect(a.stdout != c.stdout)
        #expect(a.stdout.contains("规范版本 version          3.00 (SM4)"))
        #expect(a.stdoutLines.last?.hasPrefix("iReadCardBas: 510100|") == true)
    }

    @Test func pinServicesThroughAnImage() throws {
        let dir = try temporaryDirectory("social")
        let image = dir + "/card.json"
        #expect(try SSCardProcess.run(["card", "new", "--profile", "default", "--out", image]).status == 0)
        func social(_ args: [String], pin: String? = nil, newPIN: String? = nil) throws -> SSCardProcess.Result {
            var env: [String: String] = [:]
            env["SSCARD_PIN"] = pin
            env["SSCARD_NEW_PIN"] = newPIN
            return try SSCardProcess.run(["social"] + args + ["--image", image], environment: env)
        }
        #expect(try social(["verify-pin"], pin: "123456").stdout == "PIN verified\n")
        let wrong = try social(["verify-pin"], pin: "999999")
        #expect(wrong.status == 1 && wrong.stderr == "sscard: wrong PIN, 5 tries left\n")
        #expect(try social(["change-pin"], pin: "123456", newPIN: "654321").stdout == "PIN changed\n")
        #expect(try social(["verify-pin"], pin: "654321").status == 0)
        for _ in 0..<6 { _ = try social(["verify-pin"], pin: "000000") }
        let blocked = try social(["verify-pin"], pin: "654321")
        #expect(blocked.status == 1 && blocked.stderr.contains("blocked"))
        // The service hall: external authentication with key 06, then 8424 under MAC.
        #expect(try social(["reload-pin"], newPIN: "112233").stdout == "PIN reloaded\n")
        #expect(try social(["verify-pin"], pin: "112233").status == 0)
        // A PIN file (first line).
        try "112233\nignored\n".write(toFile: dir + "/pin.txt", atomically: true, encoding: .utf8)
        #expect(try social(["verify-pin", "--pin-file", dir + "/pin.txt"]).status == 0)
        // PINs never appear in what the card image shows.
        #expect(!(try SSCardProcess.run(["card", "show", image]).stdout.contains("112233")))

        #expect(try social(["block-app"]).status == 2, "a permanent block needs --yes")
        #expect(try social(["block-app", "--yes"]).stdout == "application blocked\n")
        let read = try social(["read"])
        #expect(read.status == 1 && read.stderr == "sscard: SELECT SSSE: the card answered 9303 (application permanently blocked)\n")
        #expect(try social(["block-card", "--yes"]).status == 1, "no SSSE to authenticate in: the application is blocked")
    }

    @Test func cardBlock() throws {
        let dir = try temporaryDirectory("social")
        let image = dir + "/card.json"
        _ = try SSCardProcess.run(["card", "new", "--profile", "default-des", "--out", image])
        #expect(try SSCardProcess.run(["social", "block-card", "--yes", "--image", image]).stdout == "card blocked\n")
        let after = try SSCardProcess.run(["send", "--image", image, "00A4040008A000000333010101"])
        #expect(after.stdoutLines.last == "< 6A 81 (function not supported (card blocked))")
    }

    @Test func cumulativeAndChongqingRules() throws {
        let cumulative = try SSCardProcess.run(
            ["social", "change-pin", "--card", "cumulative"], environment: ["SSCARD_PIN": "111111", "SSCARD_NEW_PIN": "222222"])
        #expect(cumulative.status == 1 && cumulative.stderr.contains("6985"))
        let query = try SSCardProcess.run(["social", "verify-pin", "--query", "--card", "chongqing"], environment: ["SSCARD_PIN": "876179"])
        #expect(query.status == 0, "\(query.stderr)")
    }

    @Test func pinsNeverComeFromArguments() throws {
        let r = try SSCardProcess.run(["social", "verify-pin", "--card", "default", "--pin", "123456"])
        #expect(r.status == 2)
        let none = try SSCardProcess.run(["social", "verify-pin", "--card", "default"], environment: ["SSCARD_PIN": ""])
        #expect(none.status == 2 && none.stderr.contains("4 to 16 digits"))
    }
}
