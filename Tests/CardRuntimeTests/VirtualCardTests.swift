import CardStandards
import CardAPDU
import CardFileSystem
import CardImage
import CardPersonalization
import CardRuntime
import Testing

/// Records every saved state; can be told to fail.
final class RecordingPersistence: CardPersistence, @unchecked Sendable {
    var saved: [CardState] = []
    var fail = false
    struct Failure: Error {}
    func save(_ state: CardState) throws {
        if fail { throw Failure() }
        saved.append(state)
    }
}

func isoTestCard(persistence: (any CardPersistence)? = nil) throws -> VirtualCard {
    let state = try CardProfiles.resolve("iso-test").personalize()
    var card = VirtualCard(state: state, persistence: persistence)
    _ = card.powerOn()
    return card
}

extension VirtualCard {
    mutating func send(_ hex: String) -> String {
        Hex.encode(transmit(try! Hex.decode(hex)))
    }
    func userPIN() -> PINObject { state.pins.first { $0.label == "user" }! }
}

let selectApp1 = "00A4040006A00000999901"

@Suite struct PINTests {
    @Test(arguments: [
        (PINFormat.bcd, [1, 2, 3, 4, 5, 6], "123456"),
        (.bcd, [1, 2, 3, 4, 5], "12345F"),
        (.ascii, [1, 2, 3, 4], "31323334"),
        (.isoFormat2, [1, 2, 3, 4, 5, 6], "26123456FFFFFFFF"),
        (.isoFormat2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2], "2C123456789012FF"),
    ] as [(PINFormat, [UInt8], String)])
    func encodeDecode(_ format: PINFormat, _ digits: [UInt8], _ hex: String) throws {
        #expect(Hex.encode(format.encode(digits)) == hex)
        #expect(format.decode(try Hex.decode(hex)[...]) == digits)
    }

    @Test func decodeRejectsMalformed() throws {
        #expect(PINFormat.bcd.decode(try Hex.decode("1F34")[...]) == nil)
        #expect(PINFormat.isoFormat2.decode(try Hex.decode("16123456FFFFFFFF")[...]) == nil)
        #expect(PINFormat.isoFormat2.decode(try Hex.decode("2612345FFFFFFFFF")[...]) == nil)
        #expect(PINFormat.ascii.decode(try Hex.decode("3A")[...]) == nil)
    }

    @Test func constantTimeCompare() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 3, 0]))
        #expect(!constantTimeEquals([UInt8](), [0]))
    }
}

@Suite struct PersistenceOrderTests {
    @Test func aTryIsSavedBeforeThePINIsCompared() throws {
        let store = RecordingPersistence()
        var card = try isoTestCard(persistence: store)
        #expect(card.send(selectApp1).hasSuffix("9000"))
        #expect(store.saved.isEmpty, "SELECT changes nothing persistent")
        #expect(card.send("0020000103999999") == "63C5")
        #expect(store.saved.map { $0.pins.first { $0.label == "user" }!.counter.remaining } == [5])
        store.saved = []
        #expect(card.send("0020000103123456") == "9000")
        // First the decremented counter, then the restored one.
        #expect(store.saved.map { $0.pins.first { $0.label == "user" }!.counter.remaining } == [4, 6])
    }

    @Test func aFailedSaveAnswers6581AndComparesNothing() throws {
        let store = RecordingPersistence()
        var card = try isoTestCard(persistence: store)
        _ = card.send(selectApp1)
        store.fail = true
        #expect(card.send("0020000103123456") == "6581")
        #expect(card.userPIN().counter.remaining == 6, "the change is undone")
        #expect(card.send("00B2011400") == "6982", "the PIN was not verified")
        store.fail = false
        #expect(card.send("0020000103123456") == "9000")
    }

    @Test func updatesAreSaved() throws {
        let store = RecordingPersistence()
        var card = try isoTestCard(persistence: store)
        _ = card.send(selectApp1)
        _ = card.send("0020000103123456")
        store.saved = []
        #expect(card.send("00D6810002CAFE") == "9000")
        guard case .transparent(let f) = store.saved.last?.files[store.saved.last!.files.index(ofLabel: "ef0101")!].ef?.content
        else {
            Issue.record("no saved transparent file")
            return
        }
        #expect(Array(f.data.prefix(2)) == [0xCA, 0xFE])
    }
}

@Suite struct PINPolicyTests {
    @Test func mustChangeEnforcedByTheCard() throws {
        var card = try isoTestCard()
        try card.commit { (s: inout CardState) throws(CardStatusError) in
            let i = s.pins.firstIndex { $0.label == "user" }!
            s.pins[i].mustChange = true
            s.pins[i].cardEnforcesChange = true
        }
        _ = card.send(selectApp1)
        #expect(card.send("0020000103123456") == "6985")
        #expect(card.userPIN().counter.remaining == 6, "a correct PIN keeps its try")
        #expect(card.send("00B2011400") == "6982")
        #expect(card.send("0024000106123456654321") == "9000")
        #expect(!card.userPIN().mustChange)
        #expect(card.send("0020000103654321") == "9000")
    }

    @Test func changeCanBeDisabled() throws {
        var card = try isoTestCard()
        try card.commit { (s: inout CardState) throws(CardStatusError) in
            s.pins[s.pins.firstIndex { $0.label == "user" }!].changeAllowed = false
        }
        _ = card.send(selectApp1)
        #expect(card.send("0024000106123456654321") == "6985")
    }

    @Test func emptyPINMeansNotRequired() throws {
        var card = try isoTestCard()
        try card.commit { (s: inout CardState) throws(CardStatusError) in
            s.pins[s.pins.firstIndex { $0.label == "user" }!].digits = []
        }
        _ = card.send(selectApp1)
        #expect(card.send("00200001") == "9000")
    }

    @Test func cumulativeCounterOnlyComesBackWithAnUnblock() throws {
        var card = try isoTestCard()
        _ = card.send(selectApp1)
        #expect(card.send("00200002029999") == "63C2")
        #expect(card.send("00200002021234") == "9000")
        #expect(card.send("00200002029999") == "63C1")
        #expect(card.send("00200002021234") == "9000")
        #expect(card.send("00200002029999") == "63C0")
        #expect(card.send("00200002021234") == "6983")
    }
}

@Suite struct LifeCycleTests {
    @Test func cardBlockAnswers6A81ToEverything() throws {
        var card = try isoTestCard()
        try card.commit { (s: inout CardState) throws(CardStatusError) in s.cardBlocked = true }
        #expect(card.send(selectApp1) == "6A81")
        #expect(card.send("0084000008") == "6A81")
    }

    @Test func blockedApplicationAnswers9303OrTheFCIWith6283() throws {
        var card = try isoTestCard()
        let app1 = card.state.files.index(ofLabel: "app1")!
        try card.commit { (s: inout CardState) throws(CardStatusError) in s.files.updateDF(app1) { $0.blocked = true } }
        #expect(card.send(selectApp1) == "9303")
        try card.commit { (s: inout CardState) throws(CardStatusError) in
            s.files.updateDF(app1) { $0.blockedAnswer = .fciWithWarning }
        }
        #expect(card.send(selectApp1).hasPrefix("6F19") && card.send(selectApp1).hasSuffix("6283"))
    }

    @Test func resetClearsTheSession() throws {
        var card = try isoTestCard()
        _ = card.send(selectApp1)
        _ = card.send("0020000103123456")
        #expect(card.send("00B2011404") == "010101019000")
        let atr = card.reset()
        #expect(atr == card.state.atr.bytes)
        _ = card.send(selectApp1)
        #expect(card.send("00B2011404") == "6982")
    }
}

/// An applet that answers GET DATA for its application and leaves the rest to the OS.
struct EchoApplet: Applet {
    func process(_ command: CommandAPDUView, card: inout VirtualCard, session: inout NoAppletSession) throws(CardStatusError) -> CardAnswer? {
        guard command.ins == 0xCA else { return nil }
        guard command.cla == 0x80 else { throw .claNotSupported }
        return CardAnswer([command.p1, command.p2])
    }
}

@Suite struct AppletTests {
    @Test func appletsGetTheirApplicationsCommandsFirst() throws {
        var card = try isoTestCard()
        let byPrefix = card.register(EchoApplet(), forDFNamed: [0xA0, 0x00, 0x00, 0x99, 0x99])
        #expect(!byPrefix, "a full name, not a prefix")
        let byName = card.register(EchoApplet(), forDFNamed: [0xA0, 0x00, 0x00, 0x99, 0x99, 0x01])
        #expect(byName)
        #expect(card.send("80CA9F3600") == "6D00", "not selected yet: the OS has no GET DATA")
        _ = card.send(selectApp1)
        #expect(card.send("80CA9F3600") == "9F369000")
        #expect(card.send("00CA9F3600") == "6E00")
        #expect(card.send("00B0810004") == "535343419000", "other commands reach the OS")
        _ = card.send("00A4040006A00000999902")
        #expect(card.send("80CA9F3600") == "6D00")
    }
}

@Suite struct ATRTests {
    @Test func t0OnlyHasNoTCK() {
        let atr = ATR(protocols: [.t0], historicalBytes: [0x00, 0x81, 0x4A, 0x44, 0x46, 0x86, 0x60, 0x51, 0x99, 0x00, 0x00, 0x01, 0xAC])
        #expect(atr.description == "3B 6D 00 00 00 81 4A 44 46 86 60 51 99 00 00 01 AC")
        #expect(ATR(bytes: atr.bytes) == atr)
    }

    @Test func t1HasAValidTCK() throws {
        let atr = ATR(protocols: [.t1], historicalBytes: Array("JCOP".utf8))
        #expect(atr.bytes.dropFirst().reduce(0, ^) == 0)
        let parsed = try #require(ATR(bytes: atr.bytes))
        #expect(parsed.protocols == [.t1] && parsed.historicalBytes == Array("JCOP".utf8))
        let both = ATR(protocols: [.t0, .t1], historicalBytes: [1, 2])
        #expect(ATR(bytes: both.bytes)?.protocols == [.t0, .t1])
    }

    @Test func rejectsMalformed() throws {
        #expect(ATR(bytes: try Hex.decode("3B6D00000081")) == nil, "fewer historical bytes than announced")
        #expect(ATR(bytes: try Hex.decode("3BF81300008131FE454A434F5076323431B7")) != nil)
        #expect(ATR(bytes: try Hex.decode("3BF81300008131FE454A434F5076323431B8")) == nil, "wrong TCK")
        #expect(ATR(bytes: [0x3C, 0x00]) == nil)
    }
}
