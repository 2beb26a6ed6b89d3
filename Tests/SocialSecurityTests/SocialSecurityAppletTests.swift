import CardSimulator
import CardStandards
import CardAPDU
import CardCommands
import CardFileSystem
import CardCrypto
import CardPersonalization
import CardRuntime
import CardTransport
import SocialSecurityApplet
@testable import Terminal
import Testing

func terminal(_ profile: String, seed: UInt64? = nil) throws -> (SocialTerminal, VirtualCardTransport) {
    let card = VirtualCardTransport(card: CardFactory.virtualCard(try CardProfiles.resolve(profile).personalize(seed: seed)))
    let psam = VirtualCardTransport(card: CardFactory.virtualCard(VirtualPSAM.state()))
    return (SocialTerminal(card: TerminalSession(transport: card), psam: TerminalSession(transport: psam)), card)
}

@Suite struct CheckCharacterTests {
    @Test func vectors() {
        #expect(CheckCharacters.citizenID("51072319870627311") == "5")
        #expect(CheckCharacters.isValidCitizenID("510723198706273115"))
        #expect(!CheckCharacters.isValidCitizenID("510723198706273114"))
        #expect(CheckCharacters.cardNumber("HA104692") == "4")
        #expect(CheckCharacters.isValidCardNumber("HA1046924"))
        #expect(!CheckCharacters.isValidCardNumber("A21472424"), "the trace's number fails the stated rule (ssc.md §1.6)")
        // pboc.md §12 calls 6212340000000007 Luhn-valid; it is not (the sum is 26).
        #expect(!CheckCharacters.isValidPAN("6212340000000007"))
        #expect(CheckCharacters.isValidPAN("4111111111111111"))
        #expect(CheckCharacters.luhn("621234000000000") == "1")
    }

    @Test(arguments: 0..<50 as Range<UInt64>)
    func generatedCardholdersAreConsistent(_ seed: UInt64) {
        let h = Cardholder.generate(seed: seed, region: "510100", digitsOnlyCardNumberTail: seed % 2 == 0)
        #expect(CheckCharacters.isValidCitizenID(h.citizenID))
        #expect(CheckCharacters.isValidCardNumber(h.cardNumber))
        #expect(CheckCharacters.isValidPAN(h.bankPAN) && h.bankPAN.count == 19 && h.bankPAN.hasPrefix("62"))
        #expect(h.citizenID.hasPrefix("510100") && h.citizenID.dropFirst(6).prefix(8) == Substring(h.birthDate))
        #expect(Int(String(Array(h.citizenID)[16]))! % 2 == (h.sex == "1" ? 1 : 0))
        if seed % 2 == 0 { #expect(h.cardNumber.last != "X") }
        #expect(Cardholder.generate(seed: seed, region: "510100", digitsOnlyCardNumberTail: seed % 2 == 0) == h)
    }

    @Test func bankPINRule() {
        var h = Cardholder.generate(seed: 1, region: "510100")
        h.citizenID = "510723198706273115"
        #expect(h.citizenIDBankPIN == "627311")
    }
}

@Suite struct SocialFlowTests {
    @Test(arguments: ["default", "default-des", "default-t0", "cumulative", "chongqing"])
    func readBasics(_ profile: String) throws {
        let (t, _) = try terminal(profile)
        let info = try t.readBasics()
        #expect(CheckCharacters.isValidCitizenID(info.citizenID))
        #expect(CheckCharacters.isValidCardNumber(info.cardNumber))
        #expect(info.cardID.count == 16 && Array(info.cardID[3..<8]) == SocialSecurity.rid)
        #expect(Array(info.cardID[8..<12]) == Array(info.atrHistoricalBytes.suffix(4)))
    }

    @Test func externalAuthenticationResetsItsCounter() throws {
        let (t, transport) = try terminal("default")
        try t.start()
        try t.loadCardID()
        // One wrong try, then a right one: the counter is back at 3.
        _ = try t.card.exchange([0x00, 0x84, 0x00, 0x00, 0x08])
        let wrong = try t.card.exchange([0x00, 0x82, 0x00, 0x0A, 0x10] + [UInt8](repeating: 0, count: 16))
        #expect(wrong.response == [0x63, 0xC2])
        try t.externalAuthenticate(number: 0x0A, keyID: 0x0A)
        #expect(transport.card.state.keys.first { $0.label == "RKSSSE" }?.counter.remaining == 3)
        // EF06 is now readable.
        _ = try t.card.exchange([0x00, 0xA4, 0x02, 0x00, 0x02, 0xEF, 0x06])
        #expect(try t.card.exchange([0x00, 0xB2, 0x08, 0x00, 0x00]).response.suffix(2) == [0x90, 0x00])
        // Selecting another application clears it.
        _ = try t.card.exchange([0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01])
        _ = try t.card.exchange([0x00, 0xA4, 0x04, 0x00, 0x0F] + SocialSecurity.ssseName)
        _ = try t.card.exchange([0x00, 0xA4, 0x02, 0x00, 0x02, 0xEF, 0x06])
        #expect(try t.card.exchange([0x00, 0xB2, 0x08, 0x00, 0x14]).response == [0x69, 0x82])
    }

    @Test func aWrongMACOn8424CountsAgainstThePUK() throws {
        let (t, transport) = try terminal("default-des")
        try t.start()
        try t.loadCardID()
        try t.externalAuthenticate(number: 0x06, keyID: 0x10)
        for expected: [UInt8] in [[0x93, 0x02], [0x93, 0x02], [0x69, 0x83]] {
            _ = try t.card.exchange([0x00, 0x84, 0x00, 0x00, 0x08])
            #expect(try t.card.exchange([0x84, 0x24, 0x00, 0x00, 0x04, 1, 2, 3, 4]).response == expected)
        }
        #expect(transport.card.state.keys.first { $0.label == "PUK" }?.counter.isBlocked == true)
        let e = #expect(throws: TerminalError.self) { try t.reloadPIN("123456") }
        #expect(e?.code == .cardStatus && e?.status == .authenticationMethodBlocked, "\(e.map { "\($0)" } ?? "")")
    }

    @Test(arguments: ["default", "default-des"])
    func reloadAndBlocksEndToEnd(_ profile: String) throws {
        let (t, transport) = try terminal(profile)
        for _ in 0..<6 { _ = try t.verifyPIN("000000") }
        #expect(try t.verifyPIN("123456") == .blocked)
        try t.reloadPIN("8888")
        #expect(try t.verifyPIN("8888") == .verified)
        #expect(transport.card.state.pins.first { $0.label == "social" }?.digits == [8, 8, 8, 8])
        try t.block(card: false)
        let e = #expect(throws: TerminalError.self) { try t.readBasics() }
        #expect(e?.code == .cardStatus && e?.status == .applicationBlocked, "\(e.map { "\($0)" } ?? "")")
        // The bank application is unaffected by the social block.
        let bank = try t.card.exchange([0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01])
        #expect(bank.response.suffix(2) == [0x90, 0x00])
    }

    @Test func changePINEnablesAndDisables() throws {
        let (t, transport) = try terminal("default")
        #expect(try t.changePIN(old: "123456", new: "2468") == .verified)
        #expect(transport.card.state.pins.first { $0.label == "social" }?.mustChange == false)
        // Remove the PIN (new side empty), then VERIFY with no data says none is needed.
        let r = try t.card.exchange([0x80, 0x5E, 0x01, 0x00, 0x03, 0x24, 0x68, 0xFF])
        #expect(r.response == [0x90, 0x00])
        #expect(try t.card.exchange([0x00, 0x20, 0x00, 0x00]).response == [0x90, 0x00])
        // And set one again (old side empty).
        #expect(try t.card.exchange([0x80, 0x5E, 0x01, 0x00, 0x04, 0xFF, 0x13, 0x57, 0x9F]).response == [0x90, 0x00])
        #expect(try t.verifyPIN("13579") == .verified)
    }
}

@Suite struct PSAMTests {
    @Test func deliverySessionKeyAndCipherData() throws {
        var psam = CardFactory.virtualCard(VirtualPSAM.state())
        _ = psam.powerOn()
        #expect(psam.transmit([0x00, 0xA4, 0x04, 0x00, 0x06] + [0xD1, 0x56, 0x00, 0x00, 0x05, 0x90]).suffix(2) == [0x90, 0x00])
        // Before a session key: 6985.
        #expect(psam.transmit([0x80, 0xFA, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]) == [0x69, 0x85])
        // Zero levels: the session key comes from the master itself.
        let random: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        #expect(psam.transmit([0xBF, 0xDE, 0x08, 0x0A, 0x08] + random) == [0x90, 0x00])
        let e = psam.transmit([0x80, 0xFA, 0x00, 0x00, 0x08] + random)
        let sk = try SocialSecurityCrypto.sessionKey(.des, key: TestIssuer.masterKey(0x0A, .des), random: random)
        #expect(Array(e.prefix(8)) == (try BlockCipher(.des, key: sk).encrypt(random)))
        // Wrong lengths, unknown keys.
        #expect(psam.transmit([0xBF, 0xDE, 0x48, 0x0A, 0x08] + random) == [0x67, 0x00])
        #expect(psam.transmit([0xBF, 0xDE, 0x08, 0x77, 0x08] + random) == [0x94, 0x03])
        // The terminal number is readable (SFI 22 in the environment's DF).
        _ = psam.transmit([0x00, 0xA4, 0x00, 0x00])
        #expect(psam.transmit([0x00, 0xB0, 0x96, 0x00, 0x06]) == [0x51, 0x01, 0x00, 0x00, 0x00, 0x01, 0x90, 0x00])
    }
}

/// Saves every state it is given, newest last.
final class SavedStates: CardPersistence {
    var saved: [CardState] = []
    func save(_ state: CardState) throws { saved.append(state) }
}

@Suite struct MaintenanceRuleTests {
    /// 841E and 8416 under a right MAC, after a verified social PIN but no
    /// external authentication: the spec asks for EA (ssc.md §5), so both
    /// answer 6982 and nothing is blocked.
    @Test(arguments: [false, true])
    func blocksNeedExternalAuthenticationNotAPIN(_ wholeCard: Bool) throws {
        let (t, transport) = try terminal("default-des")
        try t.start()
        try t.loadCardID()
        let verified = try t.card.send("VERIFY") {
            try .verify(reference: SocialSecurity.socialPIN, pin: [0x12, 0x34, 0x56])
        }
        #expect(verified.status == .success)
        let command = try t.withMaintenanceMAC(wholeCard ? .socialCardBlock : .socialApplicationBlock, step: "block")
        #expect(try t.card.send(command).status == .securityStatusNotSatisfied)
        #expect(transport.card.state.cardBlocked == false)
        #expect(transport.card.state.files[transport.card.state.files.index(ofLabel: "ssse")!].df?.blocked == false)
        // With the external authentication the same command goes through.
        try t.externalAuthenticate(number: SocialSecurity.readKey, keyID: PSAM.KeyID.rkSSSE)
        let again = try t.withMaintenanceMAC(wholeCard ? .socialCardBlock : .socialApplicationBlock, step: "block")
        #expect(try t.card.send(again).status == .success)
    }

    /// An 8424 costs the reload key a try, saved before the MAC is compared
    /// (as for PINs): the first save the command makes shows the PUK's
    /// counter one down, the next one gives it back.
    @Test func pinUnblockCountsThePUKTryBeforeComparingTheMAC() throws {
        let (t, transport) = try terminal("default-des")
        let store = SavedStates()
        transport.card.persistence = store
        try t.start()
        try t.loadCardID()
        try t.externalAuthenticate(number: SocialSecurity.reloadKey, keyID: PSAM.KeyID.puk)
        let limit = try #require(transport.card.state.keys.first { $0.label == "PUK" }?.counter.limit)
        let command = try t.withMaintenanceMAC(try .socialPINUnblock(encryptedPIN: nil), step: "PIN UNBLOCK")
        store.saved = []
        #expect(try t.card.send(command).status == .success)
        let puk = store.saved.map { $0.keys.first { $0.label == "PUK" }!.counter.remaining }
        #expect(puk == [limit - 1, limit], "the try is saved first, then given back")
    }
}
