import CardSimulator
import BackOffice
import CardAPDU
import CardCommands
import CardStandards
import CardCrypto
import CardFileSystem
import CardTLV
import CardImage
import CardPersonalization
import CardRuntime
import CardTransport
import PBOCApplet
import Terminal
import Testing

private func h(_ s: String) -> [UInt8] { try! Hex.decode(s) }

/// The emvtool card's keys are the public ones of pboc.md §12.
let udkMAC = try! PBOCCrypto.udk(imk: TestIssuer.imkMAC, pan: "6212340000000007", psn: 1)
let cdol1 = h("000000001000 000000000000 0156 0000000000 0156 261129 00 11223344 120000") + [UInt8](repeating: 0x41, count: 20)

extension VirtualCard {
    mutating func hex(_ apdu: [UInt8]) -> String { Hex.encode(transmit(apdu)) }
    mutating func hex(_ apdu: String) -> String { hex(h(apdu)) }
}

/// An issuer script under the card's MAC key: retail MAC over header ‖ ATC ‖ ARQC ‖ data.
func script(_ header: [UInt8], _ data: [UInt8] = [], atc: UInt16, arqc: [UInt8]) throws -> [UInt8] {
    let lc = UInt8(data.count + 4)
    let sk = try PBOCCrypto.sessionKey(udk: udkMAC, atc: atc)
    let mac = try retailMAC(key: sk, data: header + [lc, UInt8(atc >> 8), UInt8(atc & 0xFF)] + arqc + data)
    return header + [lc] + data + Array(mac.prefix(4))
}

/// Selects the ADF, GPO, VERIFY, first GENERATE AC (ARQC); returns the ARQC and ATC.
func startTransaction(_ card: inout VirtualCard) throws -> ([UInt8], UInt16) {
    _ = card.transmit(h("00A4040008A000000333010101"))
    let gpo = card.transmit(h("80A8000002830000"))
    try #require(gpo.suffix(2) == [0x90, 0x00])
    let r = card.transmit(h("80AE800034") + cdol1 + [0x00])
    try #require(r.suffix(2) == [0x90, 0x00])
    let o = EMVKernel.objects(Array(r.dropLast(2)))
    let atc = try #require(o.bytes(0x9F36))
    return (try #require(o.bytes(0x9F26)), UInt16(atc[0]) << 8 | UInt16(atc[1]))
}

func emvtoolCard() -> VirtualCard {
    var c = CardFactory.virtualCard(try! CardProfiles.resolve("emvtool").personalize())
    _ = c.powerOn()
    return c
}

@Suite struct PBOCScriptTests {
    @Test func blockThenUnblockWithTheZeroARQCMAC() throws {
        var card = emvtoolCard()
        let (arqc, atc) = try startTransaction(&card)
        #expect(card.transmit(try script([0x84, 0x1E, 0x00, 0x00], atc: atc, arqc: arqc)) == [0x90, 0x00])
        #expect(card.hex("00A4040008A000000333010101").hasSuffix("6283"))
        #expect(card.hex("80A8000002830000") == "6985")
        // Blocked: no ARQC can exist, so the unblock MAC covers ATC ‖ 8×00 [GAP, pboc.md §9].
        let unblock = try script([0x84, 0x18, 0x00, 0x00], atc: atc, arqc: [UInt8](repeating: 0, count: 8))
        #expect(card.transmit(unblock) == [0x90, 0x00])
        #expect(card.hex("00A4040008A000000333010101").hasSuffix("9000"))
        #expect(card.hex("80A8000002830000") == "80061C00080103009000")
    }

    @Test func putDataAndPINUnblock() throws {
        var card = emvtoolCard()
        _ = card.transmit(h("00A4040008A000000333010101"))
        for _ in 0..<3 { _ = card.transmit(h("002000800826999999FFFFFFFF")) }
        #expect(card.hex("80CA9F1700") == "9F1701009000")
        let (arqc, atc) = try startTransaction(&card)
        #expect(card.transmit(try script([0x04, 0xDA, 0x9F, 0x79], h("000000010000"), atc: atc, arqc: arqc)) == [0x90, 0x00])
        #expect(card.hex("80CA9F7900") == "9F79060000000100009000")
        #expect(card.transmit(try script([0x84, 0x24, 0x00, 0x00], atc: atc, arqc: arqc)) == [0x90, 0x00])
        #expect(card.hex("80CA9F1700") == "9F1701039000")
        // A tag PUT DATA may not change, and a wrong length.
        #expect(card.transmit(try script([0x04, 0xDA, 0x9F, 0x36], h("0000"), atc: atc, arqc: arqc)) == [0x69, 0x84])
        #expect(card.transmit(try script([0x04, 0xDA, 0x9F, 0x79], h("0001"), atc: atc, arqc: arqc)) == [0x67, 0x00])
    }

    @Test func cardBlockScript() throws {
        var card = emvtoolCard()
        let (arqc, atc) = try startTransaction(&card)
        #expect(card.transmit(try script([0x84, 0x16, 0x00, 0x00], atc: atc, arqc: arqc)) == [0x90, 0x00])
        #expect(card.hex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF") == "6A81")
    }
}

@Suite struct PBOCActivationTests {
    @Test func anInactiveAccountRefusesTransactionsUntilTheBankCounter() throws {
        var state = try CardProfiles.resolve("chongqing").personalize()
        var card = CardFactory.virtualCard(state)
        _ = card.powerOn()
        _ = card.transmit(h("00A4040008A000000333010101"))
        #expect(card.hex("80A8000002830000") == "6985")
        #expect(throws: CardImageError(.missingValue, field: "", "")) { try BankCounter.activate(&state, pin: nil) }
        try BankCounter.activate(&state, pin: "246810")
        card = CardFactory.virtualCard(state)
        _ = card.powerOn()
        _ = card.transmit(h("00A4040008A000000333010101"))
        #expect(card.hex("002000800826246810FFFFFFFF") == "9000")
        #expect(card.hex("80A8000002830000").hasSuffix("9000"))
    }
}

@Suite struct PurchaseTests {
    /// The bank PIN of each built-in profile.
    static func bankPIN(_ profile: String, _ state: CardState) throws -> String? {
        switch profile {
        case "cumulative": return "955330"
        case "emvtool": return "123456"
        case "chongqing": return nil
        default:
            // The ID-number rule: the last seven digits without the final one.
            let ef06 = state.files.index(ofLabel: "ef06")!
            guard let content = state.files[ef06].ef?.content, case .records(let r) = content else { return nil }
            let id = String(decoding: r.records[0].dropFirst(2), as: UTF8.self)
            return String(Array(id)[11..<17])
        }
    }

    @Test(arguments: ["default", "default-des", "default-t0", "cumulative", "chongqing", "emvtool", "national-crypto"])
    func aFullPurchaseOnEveryProfile(_ profile: String) throws {
        var state = try CardProfiles.resolve(profile).personalize()
        if profile == "chongqing" { try BankCounter.activate(&state, pin: "135790") }
        let pin = try Self.bankPIN(profile, state) ?? "135790"
        let transport = VirtualCardTransport(card: CardFactory.virtualCard(state))
        let kernel = EMVKernel(card: TerminalSession(transport: transport))
        let host = IssuerHost(imkAC: TestIssuer.imkAC)
        let result = try kernel.purchase(amount: 1234, pin: pin, host: host)
        #expect(result.approved, "\(result.reason) \(result.steps)")
        #expect(result.cryptogramType == .tc && result.arc == "00")
        // The log holds the transaction: amount and ATC.
        let log = transport.card.state.files.index(ofLabel: "pboc-log")!
        guard let content = transport.card.state.files[log].ef?.content, case .records(let r) = content else { return }
        #expect(r.records.count == 1 && Hex.encode(r.records[0][6..<12]) == "000000001234")
        #expect(host.balances.values.first == host.defaultBalance - 1234)
    }

    @Test func theHostDeliversIssuerScripts() throws {
        let state = try CardProfiles.resolve("emvtool").personalize()
        let transport = VirtualCardTransport(card: CardFactory.virtualCard(state))
        let kernel = EMVKernel(card: TerminalSession(transport: transport))
        let host = IssuerHost(imkAC: TestIssuer.imkAC, imkMAC: TestIssuer.imkMAC)
        host.pendingScripts["6212340000000007"] = [
            try .issuerScript(cla: 0x04, ins: 0xDA, p1: 0x9F, p2: 0x79, data: h("000000005000")),
            try .issuerScript(cla: 0x84, ins: 0x1E, p1: 0x00, p2: 0x00),
        ]
        let result = try kernel.purchase(amount: 100, pin: "123456", host: host)
        #expect(result.approved)
        #expect(result.steps.suffix(2) == ["issuer script 1 (04DA): 9000", "issuer script 2 (841E): 9000"])
        var card = transport.card
        #expect(card.hex("00A4040008A000000333010101").hasSuffix("6283"), "blocked by the script")
        #expect(card.hex("80CA9F7900") == "9F79060000000050009000")
    }

    @Test(arguments: ["emvtool", "national-crypto"])
    func pinChangeByScript(_ profile: String) throws {
        let state = try CardProfiles.resolve(profile).personalize()
        let transport = VirtualCardTransport(card: CardFactory.virtualCard(state))
        let kernel = EMVKernel(card: TerminalSession(transport: transport))
        let host = IssuerHost(imkAC: TestIssuer.imkAC, imkMAC: TestIssuer.imkMAC, imkENC: TestIssuer.imkENC)
        let pan = kernel.card.transport.name.isEmpty ? "" : (try kernel.readApplication()).pan
        let pin = profile == "emvtool" ? "123456" : try Self.bankPIN(profile, state)!
        host.pendingPINChanges[pan] = "8642"
        let first = try kernel.purchase(amount: 100, pin: pin, host: host)
        #expect(first.approved && first.steps.last == "issuer script 1 (8424): 9000", "\(first.steps)")
        #expect(try kernel.purchase(amount: 100, pin: pin, host: host).reason.hasPrefix("wrong PIN"))
        #expect(try kernel.purchase(amount: 100, pin: "8642", host: host).approved)
    }

    @Test func nationalCryptoCardsUseSM4() throws {
        let state = try CardProfiles.resolve("national-crypto").personalize()
        var card = CardFactory.virtualCard(state)
        _ = card.powerOn()
        _ = card.transmit(h("00A4040008A000000333010101"))
        _ = card.transmit(h("80A8000002830000"))
        let r = card.transmit(h("80AE800034") + cdol1 + [0x00])
        let iad = try #require(EMVKernel.objects(Array(r.dropLast(2)))[0x80]).suffix(19)
        #expect(Array(iad)[7] == 0x04, "IAD byte 8: algorithm 04, SM4")
        // The same cryptogram computed independently with SM4.
        let udk = state.keys.first { $0.label == "UDK-AC" }!.value
        let sk = try BlockCipher(.sm4, key: udk).encrypt(h("000000000000 0001 000000000000 FFFE"))
        let input = Array(cdol1.prefix(29)) + h("1C00 0001") + Array(iad)[3..<7]
        let chain = try BlockCipher(.sm4, key: sk).encryptCBC(padISO9797Method2(input, blockSize: 16))
        let body = Array(r.dropLast(2))
        #expect(Array(body[5..<13]) == Array(chain.suffix(16).prefix(8)))
    }

    @Test func declines() throws {
        let state = try CardProfiles.resolve("emvtool").personalize()
        let host = IssuerHost(imkAC: TestIssuer.imkAC)
        host.defaultBalance = 100
        let kernel = EMVKernel(card: TerminalSession(transport: VirtualCardTransport(card: CardFactory.virtualCard(state))))
        let poor = try kernel.purchase(amount: 1234, pin: "123456", host: host)
        #expect(!poor.approved && poor.arc == "51" && poor.cryptogramType == .aac)
        host.defaultBalance = 100_000
        host.blacklist = ["6212340000000007"]
        let lost = try kernel.purchase(amount: 1, pin: "123456", host: host)
        #expect(!lost.approved && lost.arc == "41")
        let wrongPIN = try kernel.purchase(amount: 1, pin: "000000", host: host)
        #expect(!wrongPIN.approved && wrongPIN.reason.hasPrefix("wrong PIN"))
        // A host with other keys: the ARQC does not verify, the card gets no valid ARPC.
        let impostor = IssuerHost(imkAC: [UInt8](repeating: 0x11, count: 16))
        let bad = try kernel.purchase(amount: 1, pin: "123456", host: impostor)
        #expect(!bad.approved && bad.arc == "05" && bad.steps.contains { $0.contains("issuer authentication: failed") })
    }
}

/// The host side as an HIS program uses it (the README's example): typed
/// commands, one `expect` per step, the kernel, decisions on error codes.
@Suite struct HostLibraryTests {
    @Test func typedCommandsAndErrorCodes() throws {
        let transport = VirtualCardTransport(card: emvtoolCard())
        let session = TerminalSession(transport: transport)
        let fci = try session.expect("SELECT PBOC") { try .select(name: PBOC.debitAID) }
        #expect(fci.data.first == 0x6F && fci.status == .success)
        let refused = #expect(throws: TerminalError.self) {
            try session.expect("GET DATA 9F99") { .getData(tag: 0x9F99) }
        }
        #expect(refused?.code == .cardStatus && refused?.status == .referencedDataNotFound)
        let kernel = EMVKernel(card: TerminalSession(transport: transport))
        let account = try kernel.readAccount()
        #expect(account.card.pan == "6212340000000007" && account.pinTriesLeft == 3 && account.atc == 0)

        let inactive = VirtualCardTransport(card: CardFactory.virtualCard(try CardProfiles.resolve("chongqing").personalize()))
        let host = IssuerHost(imkAC: TestIssuer.imkAC)
        do {
            _ = try EMVKernel(card: TerminalSession(transport: inactive)).purchase(amount: 100, pin: "1234", host: host)
            Issue.record("an account the bank has not activated must refuse")
        } catch {
            // `error` is a TerminalError: the kernel's throws are typed.
            #expect(error.code == .applicationUnavailable)
            #expect(error.status == .conditionsNotSatisfied && error.step == "GET PROCESSING OPTIONS")
        }
    }

    /// Builders choose short or extended lengths by size and never trap.
    @Test func buildersNeverTrap() throws {
        #expect(try CommandAPDU.select(name: [UInt8](repeating: 0x41, count: 300)).apduCase == .case4Extended)
        #expect(try CommandAPDU.select(name: PBOC.debitAID).encoded.count == 14)
        #expect(throws: APDUFormatError.valueOutOfRange) { try CommandAPDU.updateBinary(data: [UInt8](repeating: 0, count: 70_000)) }
        #expect(throws: APDUFormatError.valueOutOfRange) { try CommandAPDU.readBinary(offset: 40_000) }
        #expect(throws: APDUFormatError.valueOutOfRange) { try CommandAPDU.getProcessingOptions(pdolData: [UInt8](repeating: 0, count: 200)) }
        #expect(CommandAPDU.readRecord(3, sfi: 2).encoded == [0x00, 0xB2, 0x03, 0x14, 0x00])
        #expect(CommandAPDU.readRecord(0x07, .identifier(.first)).encoded == [0x00, 0xB2, 0x07, 0x00, 0x00])
        #expect(try CommandAPDU.appendRecord(sfi: 8, data: [1]).encoded == [0x00, 0xE2, 0x00, 0x40, 0x01, 0x01])
        let unblock = try CommandAPDU.socialPINUnblock(encryptedPIN: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(unblock.macInput() == [0x84, 0x24, 0x00, 0x01, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try unblock.appendingMAC([9, 9, 9, 9]).encoded.suffix(5) == [8, 9, 9, 9, 9])
    }
}
