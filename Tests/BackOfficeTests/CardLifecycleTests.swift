// The life-cycle rules with a controlled day.

import BackOffice
import Testing

@Suite struct CardLifecycleTests {
    let pickup = LocalDay("2026-12-01")!
    var card: CardRecord { CardRecord(cardNumber: "A12345678", pickup: pickup, expiry: LocalDay("2036-12-01")!, bankActivated: pickup) }

    @Test func daysRoundTrip() {
        #expect(LocalDay("20261202")?.description == "2026-12-02")
        #expect(LocalDay("2024-02-29")?.description == "2024-02-29")
        #expect(LocalDay("2025-02-29") == nil)
        // 2026-12-01 16:00 UTC is 2026-12-02 00:00 in China.
        #expect(LocalDay(unixTime: 1_796_140_800) == LocalDay("2026-12-02"))
        #expect(LocalDay(unixTime: 1_796_140_799) == LocalDay("2026-12-01"))
    }

    @Test func nextDayRule() {
        let p = LifecyclePolicy(socialActivation: .nextDay)
        #expect(CardLifecycle.socialRefusal(card, policy: p, on: pickup)?.code == .notActivated)
        #expect(CardLifecycle.socialRefusal(card, policy: p, on: pickup + 1) == nil)
    }

    @Test func fourDaysAfterPickup() {
        let p = LifecyclePolicy(socialActivation: .daysAfterPickup(4))
        #expect(CardLifecycle.socialRefusal(card, policy: p, on: pickup + 3)?.code == .notActivated)
        #expect(CardLifecycle.socialRefusal(card, policy: p, on: pickup + 4) == nil)
    }

    @Test(arguments: [SocialActivationRule.firstReadAtInstitution, .firstPINChange, .employerList])
    func eventRulesWaitForTheirEvent(rule: SocialActivationRule) {
        let p = LifecyclePolicy(socialActivation: rule)
        #expect(CardLifecycle.socialRefusal(card, policy: p, on: pickup + 100)?.code == .notActivated)
        var activated = card
        activated.socialActivated = pickup + 2
        #expect(CardLifecycle.socialRefusal(activated, policy: p, on: pickup + 2) == nil)
        #expect(SocialActivationRule(name: rule.description) == rule)
    }

    @Test func bankDeadlineSuspendsTheSocialFunction() {
        let p = LifecyclePolicy(socialActivation: .nextDay, bankActivationDays: 30)
        var c = card
        c.bankActivated = nil
        #expect(CardLifecycle.socialRefusal(c, policy: p, on: pickup + 30) == nil)
        #expect(CardLifecycle.socialRefusal(c, policy: p, on: pickup + 31)?.code == .suspended)
        #expect(CardLifecycle.bankRefusal(c, on: pickup + 1)?.code == .notActivated)
        c.bankActivated = pickup + 40
        #expect(CardLifecycle.socialRefusal(c, policy: p, on: pickup + 41) == nil)
    }

    @Test func lossReportsAreSeparatePerAccountAndTemporaryOnesLapse() {
        let p = LifecyclePolicy(temporaryLossDays: 5)
        var c = card
        let day = pickup + 10
        c.socialLoss = CardLifecycle.report(temporary: true, on: day, policy: p)
        #expect(CardLifecycle.socialRefusal(c, policy: p, on: day)?.code == .lostTemporarily)
        #expect(CardLifecycle.bankRefusal(c, on: day) == nil)
        #expect(CardLifecycle.socialRefusal(c, policy: p, on: day + 6) == nil)
        c.bankLoss = .formal
        #expect(CardLifecycle.bankRefusal(c, on: day + 100)?.code == .lostFormally)
        c.bankLoss = nil
        #expect(CardLifecycle.bankRefusal(c, on: day + 100) == nil)
    }

    @Test func replacedAndExpiredCardsAreRefused() {
        let p = LifecyclePolicy()
        var c = card
        c.replacedBy = "B87654321"
        #expect(CardLifecycle.socialRefusal(c, policy: p, on: pickup + 5)?.code == .replaced)
        #expect(CardLifecycle.bankRefusal(c, on: pickup + 5)?.code == .replaced)
        #expect(CardLifecycle.socialRefusal(card, policy: p, on: LocalDay("2036-12-02")!)?.code == .expired)
    }
}
