// The card life cycle through the centre and the bank, with the clock
// moved: loss reports per account, replacement with the balance carried
// over, activation rules, the bank deadline; and the stored bank deciding
// a real purchase from a virtual card (ARQC, ARC, ARPC).

import BackOffice
import BackOfficeStore
import CardPersonalization
import CardSimulator
import CardTransport
import GRDB
import Terminal
import Testing

@Suite struct LifecycleServiceTests {
    func person(_ f: BackOfficeFixture, _ c: SeededCard, day: Int) throws -> JSON {
        try f.call(f.centre(afterDays: day), "1101", "{\"data\":{\(f.credential(c))}}")
    }

    @Test func lossReportsPerAccountTemporaryLapsesFormalHolds() throws {
        let f = try BackOfficeFixture()
        let c = f.card("default")
        _ = try f.counter().reportLoss(card: c.cardNumber, account: .social, temporary: true)
        let lost = try person(f, c, day: 1)
        #expect(lost.infcode == "-1")
        #expect(lost.errorMessage.hasPrefix("卡已临时挂失: the social account of card \(c.cardNumber) is reported lost until"))
        // The temporary report lapses after the region's days (5).
        #expect(try person(f, c, day: 6).infcode == "0")
        _ = try f.counter().reportLoss(card: c.cardNumber, account: .social, temporary: false)
        #expect(try person(f, c, day: 400).errorMessage.hasPrefix("卡已正式挂失"))
        // The bank account's report is separate.
        let bankLost = try f.counter().reportLoss(card: c.cardNumber, account: .bank, temporary: false)
        #expect(bankLost["report"]?.string == "formal")
        _ = try f.counter().releaseLoss(card: c.cardNumber, account: .social)
        #expect(try person(f, c, day: 1).infcode == "0")
        do {
            _ = try f.counter().releaseLoss(card: c.cardNumber, account: .social)
            Issue.record("released a report that is not there")
        } catch {
            #expect(error.code == .refused)
        }
        let card = try f.counter().card(c.cardNumber)
        #expect(card.at("bank", "usable") == .bool(false))
        #expect(card.at("social", "usable") == .bool(true))
    }

    @Test func replacementCarriesTheBalanceAndVoidsTheOldCard() throws {
        let f = try BackOfficeFixture()
        let c = f.card("default")
        let medical = try f.balance(c.psnNo)
        _ = try f.counter().reportLoss(card: c.cardNumber, account: .social, temporary: false)
        let r = try f.counter().replace(card: c.cardNumber, newCardNumber: nil, newCardID: nil, newPAN: nil)
        let newNumber = try #require(r["card_no"]?.string), newID = try #require(r["card_sn"]?.string)
        #expect(r.money("fee") == Money(fen: 2000))
        #expect(r.money("bank_balance") == Money(fen: 1_000_000 - 2000))
        #expect(r.money("personal_account_balance") == medical)
        let new = SeededCard(profile: "default", cardNumber: newNumber, cardID: newID, psnNo: c.psnNo, pan: "", created: true)
        // The new card works from the next day (the region's rule); then the old one is void.
        #expect(try person(f, new, day: 0).errorMessage.hasPrefix("社保功能未激活"))
        let next = try person(f, new, day: 1)
        #expect(next.infcode == "0")
        #expect(next.at("output", "insuinfo", "0")?.money("balc") == medical)
        #expect(try person(f, c, day: 1).errorMessage.hasPrefix("卡已补换: card \(c.cardNumber) was replaced by card \(newNumber)"))
        let old = try f.counter().card(c.cardNumber)
        #expect(old.at("bank", "usable") == .bool(false))
        let journal = try f.counter().journal(card: newNumber, account: .bank, limit: 10)
        #expect(journal["entries"]?.array?.compactMap { $0["kind"]?.string } == ["transfer-in", "replacement-fee"])
        do {
            _ = try f.counter().replace(card: c.cardNumber, newCardNumber: nil, newCardID: nil, newPAN: nil)
            Issue.record("replaced a card twice")
        } catch {
            #expect(error.code == .refused)
        }
    }

    @Test func activationRulesAndTheBankDeadline() throws {
        let f = try BackOfficeFixture()
        // Chongqing (500100): the social function waits for the first PIN
        // change; the bank account, not yet activated, has 30 days.
        let cq = f.card("chongqing")
        #expect(try person(f, cq, day: 2).errorMessage.hasPrefix("社保功能未激活"))
        _ = try f.counter().activate(card: cq.cardNumber, account: .social)
        #expect(try person(f, cq, day: 2).infcode == "0")
        #expect(try person(f, cq, day: 31).errorMessage.hasPrefix("社保功能已暂停"))
        _ = try f.counter(afterDays: 31).activate(card: cq.cardNumber, account: .bank)
        #expect(try person(f, cq, day: 31).infcode == "0")
        // The 130900 card activates at its first read at an institution.
        let first = f.card("cumulative")
        let events = try f.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM card_event WHERE kind = 'social-activated'") }
        #expect(try person(f, first, day: 0).infcode == "0")
        let after = try f.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM card_event WHERE kind = 'social-activated'") }
        #expect(after == events! + 1)
    }

    /// A purchase from the virtual card of a profile, decided by the stored bank.
    func purchase(_ f: BackOfficeFixture, _ profile: String, amount: Int, day: Int = 0, reference: String? = nil) throws -> (PurchaseResult, BankDecision?) {
        let p = try CardProfiles.resolve(profile)
        let state = p.personalize(seed: p.defaultSeed)
        let kernel = EMVKernel(card: TerminalSession(transport: VirtualCardTransport(card: CardFactory.virtualCard(state))))
        let certno = try f.pool.read { db in try Records.person(db, psnNo: f.card(profile).psnNo)!.certno }
        let pin = String(Array(certno)[11..<17])
        let host = RecordingHost(bank: StoredBank(pool: f.pool, clock: CentreClock(today: f.seededOn + day)), reference: reference)
        let result = try kernel.purchase(amount: amount, pin: pin, host: host)
        return (result, host.last)
    }

    @Test func aRefundGivesThePurchaseBackOnceAndBarsAnUnseenReference() throws {
        let f = try BackOfficeFixture()
        let bank = StoredBank(pool: f.pool, clock: CentreClock(today: f.seededOn))
        let (paid, d1) = try purchase(f, "default", amount: 490_000, reference: "POS-R1")
        #expect(paid.approved && d1?.balance == Money(fen: 510_000))
        let refund = try bank.refund(reference: "POS-R1")
        #expect(refund["status"]?.string == "refunded" && refund["balance"] == .money(Money(fen: 1_000_000)))
        let again = try bank.refund(reference: "POS-R1")
        #expect(again["status"]?.string == "already refunded" && again["balance"] == .money(Money(fen: 1_000_000)))
        // The refunded purchase no longer counts against the day's 5,000.00.
        let (second, _) = try purchase(f, "default", amount: 490_000, reference: "POS-R2")
        #expect(second.approved)
        // A reference the bank never saw is barred: the late authorization is declined, nothing debited.
        #expect(try bank.refund(reference: "POS-R3")["status"]?.string == "barred")
        let (late, d3) = try purchase(f, "default", amount: 100, reference: "POS-R3")
        #expect(!late.approved && d3?.response.arc == IssuerHost.invalidCard)
        let balance = try f.pool.read { db in try Int.fetchOne(db, sql: "SELECT balance FROM bank_account WHERE pan = ?", arguments: [f.card("default").pan]) }
        #expect(balance == 510_000)
        // Over HTTP's body: a missing reference is bad input, named.
        let bad = bank.respondRefund(to: Array("{}".utf8))
        #expect(bad.status == 400 && String(decoding: bad.body, as: UTF8.self).contains("reference"))
    }

    @Test func theStoredBankDecidesAgainstTheAccount() throws {
        let f = try BackOfficeFixture()
        let c = f.card("default")
        let (ok, decision) = try purchase(f, "default", amount: 12_345)
        #expect(ok.approved)
        #expect(decision?.balance == Money(fen: 1_000_000 - 12_345))
        // Over the daily limit (5,000.00 with 123.45 spent).
        let (over, d2) = try purchase(f, "default", amount: 490_000)
        #expect(!over.approved)
        #expect(d2?.response.arc == IssuerHost.overLimit)
        // A lost bank account: ARC 41, and the account untouched.
        _ = try f.counter().reportLoss(card: c.cardNumber, account: .bank, temporary: true)
        let (lost, d3) = try purchase(f, "default", amount: 100)
        #expect(!lost.approved)
        #expect(d3?.response.arc == IssuerHost.lostCard)
        #expect(d3?.balance == Money(fen: 1_000_000 - 12_345))
        // An initial PIN not yet changed: 55; this region allows the change at an ATM.
        _ = try f.counter().releaseLoss(card: c.cardNumber, account: .bank)
        try f.pool.write { db in try db.execute(sql: "UPDATE bank_account SET pin_state = 'initial' WHERE pan = ?", arguments: [c.pan]) }
        #expect(try purchase(f, "default", amount: 100).1?.response.arc == IssuerHost.pinMustChange)
        _ = try f.counter().changedPIN(card: c.cardNumber, channel: .atm)
        #expect(try purchase(f, "default", amount: 100).0.approved)
        // The 955330 bank changes an initial PIN at its counters only.
        let cum = f.card("cumulative")
        do {
            _ = try f.counter().changedPIN(card: cum.cardNumber, channel: .atm)
            Issue.record("an ATM changed a counter-only initial PIN")
        } catch {
            #expect(error.code == .refused)
            #expect(error.message == "this bank changes an initial PIN at counter only, not at an ATM")
        }
    }

    @Test func crossBankATMWithdrawalsAfterTheFreeOnesPayAFee() throws {
        let f = try BackOfficeFixture()
        let bank = StoredBank(pool: f.pool, clock: CentreClock(today: f.seededOn))
        let p = try CardProfiles.resolve("default")
        let kernel = EMVKernel(card: TerminalSession(transport: VirtualCardTransport(card: CardFactory.virtualCard(p.personalize(seed: p.defaultSeed)))))
        let certno = try f.pool.read { db in try Records.person(db, psnNo: f.card("default").psnNo)!.certno }
        var fees: [Money] = []
        for _ in 0..<4 {
            let capture = CapturingHost()
            _ = try kernel.purchase(amount: 10_000, pin: String(Array(certno)[11..<17]), host: capture)
            let d = try bank.authorize(capture.request!, channel: .atm, withdrawal: true, crossBank: true)
            #expect(d.response.approved)
            fees.append(d.fee)
        }
        #expect(fees == [.zero, .zero, .zero, Money(fen: 200)])
        let d = try bank.authorize(
            AuthorizationRequest(pan: f.card("default").pan, psn: 0, atc: 1, transactionData: [], aip: [], iad: [], arqc: [0, 0, 0, 0, 0, 0, 0, 0], amount: 1))
        #expect(d.response.arc == IssuerHost.badCryptogram)
        let journal = try f.counter().deposit(card: f.card("default").cardNumber, amount: Money(fen: 300_000), kind: .pension)
        #expect(journal.money("balance") == Money(fen: 1_000_000 - 40_000 - 200 + 300_000))
    }
}

/// The stored bank as the kernel's host, keeping its last decision.
final class RecordingHost: AuthorizationHost {
    let bank: StoredBank
    let reference: String?
    var last: BankDecision?
    init(bank: StoredBank, reference: String? = nil) {
        self.bank = bank
        self.reference = reference
    }
    func authorize(_ r: AuthorizationRequest) throws -> AuthorizationResponse {
        let d = try bank.authorize(r, reference: reference)
        last = d
        return d.response
    }
}

/// A host that keeps the request and declines, so that a test can send it elsewhere.
final class CapturingHost: AuthorizationHost {
    var request: AuthorizationRequest?
    func authorize(_ r: AuthorizationRequest) throws -> AuthorizationResponse {
        request = r
        return AuthorizationResponse(arc: Array("05".utf8), arpc: [0, 0, 0, 0, 0, 0, 0, 0], reason: "captured")
    }
}
