import TestSupport
import Foundation
import Testing

/// Parses one line of `sscard decode --json` output.
private func object(_ line: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
    return try #require(value as? [String: Any])
}

@Suite struct DecodeCommandTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let hex: String
        let apduCase: String
        let nc: Int
        let ne: Int?
        let insName: String?
        var testDescription: String { "\(apduCase) \(hex.prefix(16))" }
    }

    static let cases: [Case] = [
        .init(hex: "0084000008", apduCase: "2S", nc: 0, ne: 8, insName: "GET CHALLENGE"),
        .init(hex: "00A40000", apduCase: "1", nc: 0, ne: nil, insName: "SELECT"),
        .init(hex: "00 A4 02 00 02 EF 05", apduCase: "3S", nc: 2, ne: nil, insName: "SELECT"),
        .init(hex: "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", apduCase: "4S", nc: 15, ne: 256, insName: "SELECT"),
        .init(hex: "00B00000000101", apduCase: "2E", nc: 0, ne: 257, insName: "READ BINARY"),
        .init(hex: "00D6000000000211220000", apduCase: "4E", nc: 2, ne: 65536, insName: "UPDATE BINARY"),
        .init(hex: "00D60000000003112233", apduCase: "3E", nc: 3, ne: nil, insName: "UPDATE BINARY"),
        .init(hex: "8424000114" + String(repeating: "AB", count: 20), apduCase: "3S", nc: 20, ne: nil, insName: "PIN CHANGE/UNBLOCK"),
        .init(hex: "00EE0000", apduCase: "1", nc: 0, ne: nil, insName: nil),
    ]

    @Test(arguments: cases)
    func commandJSON(_ c: Case) throws {
        let result = try SSCardProcess.run(["decode", "--json", c.hex])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdoutLines
        try #require(lines.count == 1)
        let json = try object(lines[0])
        let bytes = c.hex.filter { $0 != " " }
        #expect(json["kind"] as? String == "command")
        #expect(json["case"] as? String == c.apduCase)
        #expect(json["cla"] as? String == String(bytes.prefix(2)))
        #expect(json["ins"] as? String == String(bytes.dropFirst(2).prefix(2)))
        #expect(json["p1"] as? String == String(bytes.dropFirst(4).prefix(2)))
        #expect(json["p2"] as? String == String(bytes.dropFirst(6).prefix(2)))
        #expect(json["nc"] as? Int == c.nc)
        if let ne = c.ne {
            #expect(json["ne"] as? Int == ne)
        } else {
            #expect(json["ne"] is NSNull)
        }
        #expect((json["data"] as? String)?.count == c.nc * 2)
        if let name = c.insName {
            #expect(json["insName"] as? String == name)
        } else {
            #expect(json["insName"] is NSNull)
        }
    }

    @Test func responseJSON() throws {
        let result = try SSCardProcess.run([
            "decode", "--json", "--response",
            "6F 1C 84 0F 7378312E73682EC9E7BBE1B1A3D5CF A5 09 88 01 1E 9F 0C 03 86 01 03 90 00", "63C2", "611E",
        ])
        #expect(result.status == 0)
        let lines = result.stdoutLines
        try #require(lines.count == 3)
        let fci = try object(lines[0])
        #expect(fci["kind"] as? String == "response")
        #expect(fci["sw"] as? String == "9000")
        #expect(fci["meaning"] as? String == "normal processing")
        #expect((fci["data"] as? String)?.hasPrefix("6F1C840F") == true)
        let pin = try object(lines[1])
        #expect(pin["sw"] as? String == "63C2")
        #expect(pin["data"] as? String == "")
        #expect(pin["meaning"] as? String == "verification failed, 2 tries left")
        #expect(try object(lines[2])["meaning"] as? String == "30 response byte(s) still available (GET RESPONSE)")
    }

    @Test func tlvJSONTree() throws {
        let result = try SSCardProcess.run([
            "decode", "--json", "--tlv", "701B61194F08A000000333010101500A50424F43204445424954870101",
        ])
        #expect(result.status == 0)
        let json = try object(try #require(result.stdoutLines.first))
        #expect(json["kind"] as? String == "tlv")
        let nodes = try #require(json["nodes"] as? [[String: Any]])
        #expect(nodes.count == 1)
        #expect(nodes[0]["tag"] as? String == "70")
        #expect(nodes[0]["name"] as? String == "READ RECORD Response Message Template")
        #expect(nodes[0]["length"] as? Int == 27)
        let app = try #require((nodes[0]["children"] as? [[String: Any]])?.first)
        #expect(app["tag"] as? String == "61")
        let leaves = try #require(app["children"] as? [[String: Any]])
        #expect(leaves.map { $0["tag"] as? String } == ["4F", "50", "87"])
        #expect(leaves[0]["value"] as? String == "A000000333010101")
        #expect(leaves[1]["name"] as? String == "Application Label")
        #expect(leaves[1]["length"] as? Int == 10)
    }

    @Test func textOutputNamesThings() throws {
        let result = try SSCardProcess.run(["decode", "00B2010C00"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("case 2S"))
        #expect(result.stdout.contains("READ RECORD"))
        #expect(result.stdout.contains("Ne 256"))
        let tlv = try SSCardProcess.run(["decode", "--tlv", "0812353130373233313938373036323733313135"])
        #expect(tlv.stdout.contains("社会保障号码"))
        #expect(tlv.stdout.contains("510723198706273115"))
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let args: [String]
        let message: String
        var testDescription: String { args.joined(separator: " ") }
    }

    static let bad: [Bad] = [
        .init(args: ["00A404"], message: "input 1: byte offset 3:"),
        .init(args: ["00A40400023F"], message: "input 1: byte offset 6:"),
        .init(args: ["00A40400023F000000"], message: "input 1: byte offset 8: 1 byte(s) after"),
        .init(args: ["00B0000000AA"], message: "input 1: byte offset 5:"),
        .init(args: ["00D6000000000011"], message: "input 1: byte offset 5: extended Lc is 0000"),
        .init(args: ["00D60000000002AABB00"], message: "input 1: byte offset 9:"),
        .init(args: ["00A4 0G"], message: "input 1: byte offset 2: character 7 'G' is not a hex digit"),
        .init(args: ["00A40"], message: "input 1: byte offset 2: character 5 is a lone hex digit"),
        .init(args: ["--response", "90"], message: "input 1: byte offset 1:"),
        .init(args: ["--tlv", "5A0312"], message: "input 1: byte offset 3:"),
        .init(args: ["--tlv", "7080"], message: "input 1: byte offset 1: indefinite length"),
    ]

    @Test(arguments: bad)
    func malformedInputExitsTwoWithOneLine(_ b: Bad) throws {
        for json in [false, true] {
            let result = try SSCardProcess.run(["decode"] + (json ? ["--json"] : []) + b.args)
            #expect(result.status == 2)
            #expect(result.stdout.isEmpty, "nothing on stdout for a bad input")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(result.stderr.hasPrefix(b.message), "got: \(result.stderr)")
        }
    }

    @Test func goodInputsStillPrintBesideABadOne() throws {
        let result = try SSCardProcess.run(["decode", "--json", "0084000008", "00", "00A40000"])
        #expect(result.status == 2)
        #expect(result.stdoutLines.count == 2)
        #expect(result.stderr.hasPrefix("input 2: "))
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try SSCardProcess.run(["decode"]).status == 2)
        #expect(try SSCardProcess.run(["decode", "--response", "--tlv", "9000"]).status == 2)
        #expect(try SSCardProcess.run(["decode", "--no-such-flag", "9000"]).status == 2)
        let help = try SSCardProcess.run(["decode", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--json"))
    }
}
