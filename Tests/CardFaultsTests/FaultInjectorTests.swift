import CardAPDU
@testable import CardFaults
import CardPersonalization
import CardRuntime
import CardStandards
import CardTLV
import Testing

/// The injector in front of a real virtual card of the default profile.
@Suite struct FaultInjectorTests {
    static let selectSSSE: [UInt8] = [0x00, 0xA4, 0x04, 0x00, 0x0F] + SocialSecurity.ssseName + [0x00]
    static let selectPSE: [UInt8] = [0x00, 0xA4, 0x04, 0x00, 0x0E] + PBOC.pseName + [0x00]
    static let wrongPIN: [UInt8] = [0x00, 0x20, 0x00, 0x00, 0x03, 0x99, 0x99, 0x99]
    static let triesLeft: [UInt8] = [0x00, 0x20, 0x00, 0x00]

    static func card() throws -> VirtualCard {
        CardFactory.virtualCard(try CardProfiles.resolve("default").personalize(seed: 1))
    }

    static func injector(_ plan: String) throws -> (FaultInjector, Events) {
        let events = Events()
        var injector = FaultInjector(plan: try FaultPlan.parse(plan, name: "t.faults")) { events.all.append($0) }
        injector.sleep = { events.slept.append($0) }
        return (injector, events)
    }

    final class Events {
        var all: [FaultEvent] = []
        var slept: [Int] = []
    }

    func answer(_ a: FaultedAnswer) throws -> [UInt8] {
        guard case .answer(let bytes) = a else {
            Issue.record("no answer: \(a)")
            return []
        }
        return bytes
    }

    @Test func nthReplacesOneStatusWordAndKeepsCounting() throws {
        var card = try Self.card()
        var (faults, events) = try Self.injector("ins 20 nth 2 => sw 6983")
        _ = faults.transmit(Self.selectSSSE, card: &card)
        #expect(try answer(faults.transmit(Self.wrongPIN, card: &card)) == [0x63, 0xC5])
        // The card counted the try; the terminal is told it is blocked.
        #expect(try answer(faults.transmit(Self.wrongPIN, card: &card)) == [0x69, 0x83])
        #expect(try answer(faults.transmit(Self.triesLeft, card: &card)) == [0x63, 0xC4])
        #expect(events.all.count == 1)
        #expect(events.all[0].command == 3)
        #expect(events.all[0].description.hasPrefix("fault t.faults:1 (sw 6983) at command 3: status word 63C4 replaced by 6983"))
    }

    @Test func everyAndChanceAreRepeatable() throws {
        var card = try Self.card()
        var (faults, _) = try Self.injector("ins 84 every 3 => sw 6A81")
        let challenge: [UInt8] = [0x00, 0x84, 0x00, 0x00, 0x08]
        let sws = try (1...9).map { _ in try answer(faults.transmit(challenge, card: &card)).suffix(2) }
        #expect(sws.enumerated().allSatisfy { i, sw in (i + 1) % 3 == 0 ? sw == [0x6A, 0x81] : sw == [0x90, 0x00] })

        func draws(_ seed: Int) throws -> [Bool] {
            var card = try Self.card()
            var (faults, _) = try Self.injector("ins 84 chance 1/3 seed \(seed) => sw 6A81")
            return try (1...60).map { _ in try answer(faults.transmit(challenge, card: &card)).suffix(2) == [0x6A, 0x81] }
        }
        let a = try draws(5)
        #expect(try draws(5) == a)
        #expect(try draws(6) != a)
        // About one in three: far from never and from always.
        #expect((5...35).contains(a.count(where: { $0 })))
    }

    @Test func matchesByApplication() throws {
        var card = try Self.card()
        var (faults, events) = try Self.injector("app bank ins B2 => sw 6F00\napp social ins B2 => sw 6A88")
        _ = faults.transmit(Self.selectPSE, card: &card)
        #expect(try answer(faults.transmit([0x00, 0xB2, 0x01, 0x0C, 0x00], card: &card)).suffix(2) == [0x6F, 0x00])
        _ = faults.transmit(Self.selectSSSE, card: &card)
        #expect(try answer(faults.transmit([0x00, 0xB2, 0x01, 0xF4, 0x00], card: &card)).suffix(2) == [0x6A, 0x88])
        #expect(events.all.map(\.rule.line) == [1, 2])
    }

    @Test func changesTheData() throws {
        var plain = try Self.card()
        let fci: [UInt8] = plain.transmit(Self.selectSSSE).dropLast(2)
        #expect(fci.first == 0x6F)
        var flippedFirst = fci
        flippedFirst[0] ^= 0x80
        var flippedLast = fci
        flippedLast[fci.count - 1] ^= 0xFF
        let cases: [(String, [UInt8])] = [
            ("ins A4 => flip 0 80", flippedFirst),
            ("ins A4 => flip -1", flippedLast),
            ("ins A4 => truncate 3", Array(fci.dropLast(3))),
            ("ins A4 => truncate 999", []),
            ("ins A4 => extend 0102", fci + [1, 2]),
        ]
        for (plan, expected) in cases {
            var card = try Self.card()
            var (faults, _) = try Self.injector(plan)
            #expect(try answer(faults.transmit(Self.selectSSSE, card: &card)) == expected + [0x90, 0x00], "\(plan)")
        }
    }

    @Test func breaksTheTLV() throws {
        // 6F { 84 name, A5 { 88 1E, 9F0C (primitive: 86 01 03) } }
        func run(_ plan: String) throws -> ([UInt8], [FaultEvent]) {
            var card = try Self.card()
            var (faults, events) = try Self.injector(plan)
            let r = try answer(faults.transmit(Self.selectSSSE, card: &card))
            #expect(r.suffix(2) == [0x90, 0x00])
            return (Array(r.dropLast(2)), events.all)
        }
        let (dropped, _) = try run("ins A4 => tlv drop 88")
        let d = try BERTLV.parse(dropped, options: .strict)
        #expect(d.first(0x88) == nil)
        #expect(d.first(0x84) != nil && d.first(0x9F0C) != nil)
        #expect(d.roots.count == 1 && d.roots[0].length == 0x1C - 3)

        let (twice, _) = try run("ins A4 => tlv duplicate 88")
        let t = try BERTLV.parse(twice, options: .strict)
        #expect(t.filter { $0.tag == 0x88 }.count == 2)
        #expect(t.first(0xA5)?.length == 9 + 3)
        #expect(t.roots[0].length == 0x1C + 3)

        let (long, events) = try run("ins A4 => tlv length 84 +1")
        #expect(throws: TLVFormatError.self) { try BERTLV.parse(long, options: .strict) }
        #expect(events.first?.note == "84 claims 16 byte(s), has 15")

        let (same, missing) = try run("ins A4 => tlv drop 5F20")
        #expect(same.first == 0x6F && same.count == 0x1E)
        #expect(missing.first?.applied == false)
        #expect(missing.first?.note == "not applied: no 5F20 in the answer")
    }

    @Test func liesInResponseChaining() throws {
        var card = try Self.card()
        var (faults, _) = try Self.injector("ins A4 nth 1 => chain 61 40")
        #expect(try answer(faults.transmit(Self.selectSSSE, card: &card)) == [0x61, 0x40])
        // GET RESPONSE with the count it was told: what there really is (0x1E bytes).
        let all = try answer(faults.transmit([0x00, 0xC0, 0x00, 0x00, 0x40], card: &card))
        #expect(all.count == 0x1E + 2 && all.first == 0x6F && all.suffix(2) == [0x90, 0x00])
        // Nothing is held any longer: the card answers GET RESPONSE itself.
        #expect(try answer(faults.transmit([0x00, 0xC0, 0x00, 0x00, 0x10], card: &card)).suffix(2) != [0x90, 0x00])

        var (short, _) = try Self.injector("ins A4 => chain 61 08")
        var card2 = try Self.card()
        _ = short.transmit(Self.selectSSSE, card: &card2)
        let part = try answer(short.transmit([0x00, 0xC0, 0x00, 0x00, 0x08], card: &card2))
        #expect(part.count == 10 && part.suffix(2) == [0x61, 0x16])

        var (wrong, _) = try Self.injector("ins A4 nth 1 => chain 6C 05")
        var card3 = try Self.card()
        #expect(try answer(wrong.transmit(Self.selectSSSE, card: &card3)) == [0x6C, 0x05])
    }

    @Test func delays() throws {
        var card = try Self.card()
        var (faults, events) = try Self.injector("ins 84 => delay 250")
        #expect(try answer(faults.transmit([0x00, 0x84, 0x00, 0x00, 0x08], card: &card)).suffix(2) == [0x90, 0x00])
        #expect(events.slept == [250])
    }

    /// A torn VERIFY: with no write completed, the try is not counted; with
    /// the first (the counter's), it is; the card is unpowered either way.
    @Test func tearsAllOrNothing() throws {
        for (writes, left) in [(0, 6), (1, 5)] {
            var card = try Self.card()
            var (faults, events) = try Self.injector("ins 20 nth 1 => tear \(writes)")
            _ = faults.transmit(Self.selectSSSE, card: &card)
            #expect(faults.transmit(Self.wrongPIN, card: &card) == .gone(tear: true, milliseconds: 500))
            #expect(!card.isPowered)
            #expect(events.all.first?.note == "power lost after \(writes) write(s) of the command")
            _ = faults.transmit(Self.selectSSSE, card: &card)
            #expect(try answer(faults.transmit(Self.triesLeft, card: &card)) == [0x63, 0xC0 | UInt8(left)])
        }
    }

    @Test func removesTheCardBeforeTheCommand() throws {
        var card = try Self.card()
        var (faults, _) = try Self.injector("ins 20 => remove 75")
        _ = faults.transmit(Self.selectSSSE, card: &card)
        #expect(faults.transmit(Self.wrongPIN, card: &card) == .gone(tear: false, milliseconds: 75))
        #expect(!card.isPowered)
        _ = card.transmit(Self.selectSSSE)
        #expect(card.transmit(Self.triesLeft) == [0x63, 0xC6])
    }
}
