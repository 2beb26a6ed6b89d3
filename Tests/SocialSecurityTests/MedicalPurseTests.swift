import CardAPDU
import CardCommands
import CardCrypto
import CardFileSystem
import CardPersonalization
import CardRuntime
import CardSimulator
import CardStandards
import CardTransport
import SocialSecurityApplet
@testable import Terminal
import Testing

/// A transport that passes commands to a virtual card and, once, loses the
/// answer to the first command starting with `prefix` after the card ran it.
final class LosingTransport: CardTransport {
    let inner: VirtualCardTransport
    var prefix: [UInt8]?
    init(_ inner: VirtualCardTransport, losing prefix: [UInt8]?) {
        self.inner = inner
        self.prefix = prefix
    }
    var name: String { inner.name }
    func connect() throws(TransportError) -> [UInt8] { try inner.connect() }
    func reset(cold: Bool) throws(TransportError) -> [UInt8] { try inner.reset(cold: cold) }
    func transmit(_ command: [UInt8]) throws(TransportError) -> [UInt8] {
        let answer = try inner.transmit(command)
        if let p = prefix, command.starts(with: p) {
            prefix = nil
            throw TransportError.cardRemoved
        }
        return answer
    }
    func disconnect() { inner.disconnect() }
    func beginTransaction() throws(TransportError) {}
    func endTransaction() {}
}

@Suite struct MedicalPurseTests {
    static let when: [UInt8] = [0x20, 0x26, 0x12, 0x03, 0x10, 0x30, 0x00]

    func purseTerminal(_ profile: String, losing prefix: [UInt8]? = nil) throws -> (SocialTerminal, VirtualCardTransport) {
        let card = VirtualCardTransport(card: CardFactory.virtualCard(try CardProfiles.resolve(profile).personalize()))
        let psam = VirtualCardTransport(card: CardFactory.virtualCard(VirtualPSAM.state()))
        let t = SocialTerminal(card: TerminalSession(transport: LosingTransport(card, losing: prefix)), psam: TerminalSession(transport: psam))
        return (t, card)
    }

    @Test(arguments: ["default", "default-des", "default-t0"])
    func purchaseDebitsAndLogs(_ profile: String) throws {
        let (t, _) = try purseTerminal(profile)
        let before = try t.purseBalance()
        #expect(before == 50_000)
        let d = try t.purchase(amount: 1_234, billTotal: 2_000, dateTime: Self.when)
        #expect(d.balance == before - 1_234 && d.offlineATC == 0 && !d.recovered)
        #expect(d.tac.count == 4 && d.mac2.count == 4 && d.terminalSerial == [0, 0, 0, 1])
        #expect(try t.purseBalance() == before - 1_234)
        let second = try t.purchase(amount: 66, billTotal: 66, dateTime: Self.when)
        #expect(second.offlineATC == 1 && second.balance == before - 1_300)
        let log = try #require(try t.lastPurseRecord())
        #expect(log.amount == 66 && log.offlineATC == 1 && log.billTotal == 66 && log.dateTime == Self.when)
        #expect(log.terminal == [0x51, 0x01, 0x00, 0x00, 0x00, 0x01])
    }

    @Test func wrongStateMACAndBalance() throws {
        let (t, card) = try purseTerminal("default")
        try t.start()
        try t.selectPurse()
        // DEBIT with no INITIALIZE: 6901.
        var r = try t.card.send(try .purseDebitForPurchase(terminalSerial: [0, 0, 0, 1], dateTime: Self.when, mac1: [1, 2, 3, 4]))
        #expect(r.status == .invalidState)
        // A wrong MAC1: 9302, and the purse is unchanged; the DEBIT after it is out of state.
        _ = try t.initializePurchase(amount: 100, billTotal: 100, terminal: [0x51, 0x01, 0, 0, 0, 1])
        r = try t.card.send(try .purseDebitForPurchase(terminalSerial: [0, 0, 0, 1], dateTime: Self.when, mac1: [1, 2, 3, 4]))
        #expect(r.status == .macInvalid)
        r = try t.card.send(try .purseDebitForPurchase(terminalSerial: [0, 0, 0, 1], dateTime: Self.when, mac1: [1, 2, 3, 4]))
        #expect(r.status == .invalidState)
        // More than the balance: 9401.
        r = try t.card.send(try .purseInitializeForPurchase(keyIndex: 1, amount: 50_001, terminal: [0x51, 0x01, 0, 0, 0, 1], billTotal: 0))
        #expect(r.status == .insufficientBalance)
        // An unknown purchase key: 9403; a wrong length: 6700.
        r = try t.card.send(try .purseInitializeForPurchase(keyIndex: 7, amount: 1, terminal: [0x51, 0x01, 0, 0, 0, 1], billTotal: 0))
        #expect(r.status == .keyIndexNotSupported)
        r = try t.card.send(try CommandAPDU(cla: 0xB0, ins: 0x28, p1: 0x01, p2: 0x01, data: [1, 0, 0, 0, 1], ne: 0x16))
        #expect(r.status == .wrongLength)
        // No proof for a debit that never was.
        #expect(try t.transactionProof(atc: 0) == nil)
        // Outside DF04 the purse commands are refused.
        try t.start()
        r = try t.card.send(.purseBalance())
        #expect(r.status == .conditionsNotSatisfied)
        #expect(try t.purseBalance() == 50_000)
        _ = card
    }

    @Test func lostDebitAnswerIsRecoveredNotRepeated() throws {
        let (t, card) = try purseTerminal("default", losing: [0xB0, 0x2C])
        let d = try t.purchase(amount: 500, billTotal: 500, dateTime: Self.when)
        #expect(d.recovered && d.balance == 49_500 && d.offlineATC == 0)
        #expect(try t.purseBalance() == 49_500, "debited once")
        let purse = card.card.state.files.index(ofLabel: "df04-purse").flatMap { card.card.state.files[$0].ef }
        guard case .transparent(let f)? = purse?.content, let record = MedicalPurseRecord(bytes: f.data) else {
            Issue.record("no purse file")
            return
        }
        #expect(record.offlineATC == 1 && record.lastATC == 0 && record.lastMAC2 == d.mac2 && record.lastTAC == d.tac)
    }

    @Test func lostInitializeAnswerIsAFailureWithNoDebit() throws {
        let (t, _) = try purseTerminal("default", losing: [0xB0, 0x28])
        #expect(throws: TerminalError(.transport, step: "")) { try t.purchase(amount: 500, billTotal: 500, dateTime: Self.when) }
        #expect(try t.purseBalance() == 50_000)
    }

    @Test func macsAgreeWithAnIndependentComputation() throws {
        // The card's TAC checked with the card's own DTK, outside the card.
        let (t, card) = try purseTerminal("default")
        let d = try t.purchase(amount: 321, billTotal: 321, dateTime: Self.when)
        let dtk = try #require(card.card.state.keys.first { $0.label == "DTK" })
        let tac = try MedicalPurseCrypto.tac(.sm4, tacKey: dtk.value, amount: 321, terminal: d.terminal, terminalSerial: d.terminalSerial, dateTime: Self.when)
        #expect(tac == d.tac)
    }
}
