import CardAPDU
import CardImage
import CardPersonalization
import CardRuntime
import Foundation
import Testing

func temporaryDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "sscard-image-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// The image JSON of the iso-test card as a mutable dictionary.
func imageJSON() throws -> [String: Any] {
    let data = CardImageCodec.encode(try CardProfiles.resolve("iso-test").personalize())
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

func decode(_ json: [String: Any]) throws(CardImageError) -> CardState {
    let data = try! JSONSerialization.data(withJSONObject: json)
    return try CardImageCodec.decode(data, file: "card.json")
}

@Suite struct CardImageCodecTests {
    @Test(arguments: CardProfiles.builtIn.map(\.name))
    func everyBuiltInRoundTrips(_ name: String) throws {
        let state = try CardProfiles.resolve(name).personalize()
        let data = CardImageCodec.encode(state)
        #expect(try CardImageCodec.decode(data) == state)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"schemaVersion\" : 1"))
        #expect(state.pins.allSatisfy { text.contains("\"\($0.label)\" : {") }, "human-readable: PINs by name")
    }

    @Test func namesTheBadField() throws {
        var json = try imageJSON()
        var pins = json["pins"] as! [String: Any]
        var user = pins["user"] as! [String: Any]
        user["limit"] = 20
        pins["user"] = user
        json["pins"] = pins
        let e = #expect(throws: CardImageError.self) { try decode(json) }
        #expect(e?.code == .invalidValue)
        #expect(e?.description == "card.json: pins.user.limit: must be 1…15")
    }

    struct Corruption: Sendable, CustomTestStringConvertible {
        let field: String
        let change: @Sendable (inout [String: Any]) -> Void
        var testDescription: String { field }
    }

    static let corruptions: [Corruption] = [
        .init(field: "schemaVersion") { $0["schemaVersion"] = 2 },
        .init(field: "atr") { $0["atr"] = "3B6D0000" },
        .init(field: "answerMode") { $0["answerMode"] = "fast" },
        .init(field: "pins.user.remaining") { j in
            var p = j["pins"] as! [String: Any]; var u = p["user"] as! [String: Any]
            u["remaining"] = 7; p["user"] = u; j["pins"] = p
        },
        .init(field: "pins.user.df") { j in
            var p = j["pins"] as! [String: Any]; var u = p["user"] as! [String: Any]
            u["df"] = "nowhere"; p["user"] = u; j["pins"] = p
        },
        .init(field: "pins.user.policy") { j in
            var p = j["pins"] as! [String: Any]; var u = p["user"] as! [String: Any]
            u["policy"] = "sometimes"; p["user"] = u; j["pins"] = p
        },
        .init(field: "pins.query.value") { j in
            var p = j["pins"] as! [String: Any]; var u = p["query"] as! [String: Any]
            u["value"] = "12a4"; p["query"] = u; j["pins"] = p
        },
        .init(field: "mf.children[0].fid") { j in
            var mf = j["mf"] as! [String: Any]; var c = mf["children"] as! [[String: Any]]
            c[0]["fid"] = "3FFF"; mf["children"] = c; j["mf"] = mf
        },
        .init(field: "mf.children[0].access.read") { j in
            var mf = j["mf"] as! [String: Any]; var c = mf["children"] as! [[String: Any]]
            c[0]["access"] = ["read": "whenever"]; mf["children"] = c; j["mf"] = mf
        },
        .init(field: "mf.children[1].label") { j in
            var mf = j["mf"] as! [String: Any]; var c = mf["children"] as! [[String: Any]]
            c[1]["label"] = c[0]["label"]; mf["children"] = c; j["mf"] = mf
        },
        .init(field: "mf.children[1].children[0].sfi") { j in
            var mf = j["mf"] as! [String: Any]; var c = mf["children"] as! [[String: Any]]
            var app = c[1]["children"] as! [[String: Any]]
            app[0]["sfi"] = 31; c[1]["children"] = app; mf["children"] = c; j["mf"] = mf
        },
        .init(field: "mf.children[1].children[1].records[0]") { j in
            var mf = j["mf"] as! [String: Any]; var c = mf["children"] as! [[String: Any]]
            var app = c[1]["children"] as! [[String: Any]]
            app[1]["records"] = ["0101"]; c[1]["children"] = app; mf["children"] = c; j["mf"] = mf
        },
        .init(field: "profile") { $0.removeValue(forKey: "profile") },
        .init(field: "cardBlocked") { $0["cardBlocked"] = "no" },
    ]

    @Test(arguments: corruptions)
    func everyCorruptionNamesItsField(_ c: Corruption) throws {
        var json = try imageJSON()
        c.change(&json)
        let e = #expect(throws: CardImageError.self) { try decode(json) }
        #expect(e?.field == c.field, "got \(e.map { "\($0)" } ?? "no error")")
    }

    @Test func notJSON() {
        let e = #expect(throws: CardImageError.self) { try CardImageCodec.decode(Data("{ nope".utf8), file: "x.json") }
        #expect(e?.code == .malformed)
        #expect(e?.description.hasPrefix("x.json: not valid JSON") == true)
    }
}

@Suite struct CardImageFileTests {
    @Test func createdWithMode0600AndAtomically() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/card.json"
        let file = CardImageFile(path: path)
        let state = try CardProfiles.resolve("iso-test").personalize()
        try file.create(state)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(throws: CardImageError(.alreadyExists, field: "", "")) { try file.create(state) }
        try file.save(state)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["card.json"], "no temporary file left")
        #expect(try file.load() == state)
    }

    @Test func stateSurvivesThroughTheImage() throws {
        let path = try temporaryDirectory() + "/card.json"
        let file = CardImageFile(path: path)
        try file.create(try CardProfiles.resolve("iso-test").personalize())
        var card = VirtualCard(state: try file.load(), persistence: file)
        _ = card.transmit(try Hex.decode("00A4040006A00000999901"))
        #expect(card.transmit(try Hex.decode("0020000103999999")) == [0x63, 0xC5])
        let reloaded = try file.load()
        #expect(reloaded.pins.first { $0.label == "user" }?.counter.remaining == 5)
    }

    @Test func unreadableFile() {
        let e = #expect(throws: CardImageError.self) { try CardImageFile(path: "/nonexistent/card.json").load() }
        #expect(e?.code == .unreadable)
        #expect(e?.description == "/nonexistent/card.json: cannot read: No such file or directory")
    }
}

@Suite struct ProfileTests {
    @Test func unknownProfileListsTheKnownOnes() {
        let e = #expect(throws: CardImageError.self) { try CardProfiles.resolve("nope") }
        #expect(e?.code == .unknownProfile)
        #expect(e?.description.contains("iso-test") == true)
    }

    @Test func profileFileOverridesAndValidates() throws {
        let dir = try temporaryDirectory()
        let good = dir + "/strict.json"
        try #"{"schemaVersion":1,"name":"strict","base":"iso-test","answerMode":"t0","pins":{"user":{"value":"111111","limit":3,"policy":"cumulative","mustChange":true}}}"#
            .write(toFile: good, atomically: true, encoding: .utf8)
        let state = try CardProfiles.resolve(good).personalize()
        let user = try #require(state.pins.first { $0.label == "user" })
        #expect(state.profile == "strict" && state.answerMode == .t0)
        #expect(user.digits == [1, 1, 1, 1, 1, 1] && user.counter.limit == 3 && user.policy == .cumulative && user.mustChange)

        let bad = dir + "/bad.json"
        try #"{"schemaVersion":1,"name":"bad","base":"iso-test","pins":{"user":{"limit":0}}}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let e = #expect(throws: CardImageError.self) { try CardProfiles.resolve(bad) }
        #expect(e?.code == .invalidValue)
        #expect(e?.description == "\(bad): pins.user.limit: must be 1…15")

        let unknownPIN = dir + "/unknown.json"
        try #"{"schemaVersion":1,"name":"x","base":"iso-test","pins":{"bank":{"limit":3}}}"#
            .write(toFile: unknownPIN, atomically: true, encoding: .utf8)
        let unknown = #expect(throws: CardImageError.self) { try CardProfiles.resolve(unknownPIN) }
        #expect(unknown?.code == .invalidValue, "\(unknown.map { "\($0)" } ?? "")")
    }

    @Test func summaryMasksPINs() throws {
        let lines = CardSummary.lines(try CardProfiles.resolve("iso-test").personalize())
        let text = lines.joined(separator: "\n")
        #expect(!text.contains("123456"))
        #expect(!text.contains("12345678"))
        #expect(text.contains("user (ref 01, DF \"app1\"): ******, 6 of 6 tries left, consecutive"))
    }
}
