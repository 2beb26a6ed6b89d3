// A pharmacy sale with the card in a PC/SC reader (the virtual card served
// into pcscd through vpcd), and the card pulled between the settlement and
// the card payment: the centre and the bank stay consistent.

import Foundation
import Testing
import TestSupport

@Suite(.serialized, .enabled(if: PCSCFixture.available, "needs pcscd, vsmartcard-vpcd and root (scripts/ensure-deps.sh)"))
struct POSThroughPCSCTests {
    /// A seeded back office; the default card's number and PINs.
    static func backOffice() throws -> (dir: String, db: String, card: String, pins: [String: String]) {
        let dir = try temporaryDirectory("pcsc-pos")
        let db = dir + "/bo.sqlite"
        let seeded = try PCSCFixture.sscard(["backoffice", "init", "--db", db, "--json"])
        let cards = try #require((try JSONSerialization.jsonObject(with: Data(seeded.stdout.utf8)) as? [String: Any])?["cards"] as? [[String: Any]])
        let card = try #require(cards.first { $0["profile"] as? String == "default" }?["card_no"] as? String)
        let read = try PCSCFixture.sscard(["social", "read", "--card", "default", "--json"])
        let id = Array(try #require((try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any])?["citizenID"] as? String))
        return (dir, db, card, ["SSCARD_PIN": "123456", "SSCARD_NEW_PIN": "135790", "SSCARD_BANK_PIN": String(id[11..<17])])
    }

    static func balances(_ db: String, _ card: String) throws -> (account: String, bank: String) {
        let person = try PCSCFixture.sscard(["backoffice", "person", "show", card, "--db", db, "--json"]).stdout
        let account = try #require((try JSONSerialization.jsonObject(with: Data(person.utf8)) as? [String: Any])?["balance"] as? NSNumber)
        let journal = try PCSCFixture.sscard(["backoffice", "journal", "--card-no", card, "--account", "bank", "--last", "1", "--db", db, "--json"]).stdout
        let entries = try #require((try JSONSerialization.jsonObject(with: Data(journal.utf8)) as? [String: Any])?["entries"] as? [[String: Any]])
        return ("\(account)", "\(try #require(entries.last?["balance"] as? NSNumber))")
    }

    @Test func pharmacySaleThroughAReader() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        let b = try Self.backOffice()
        try f.startPCSCD()
        try f.serve("default")
        let r = try PCSCFixture.sscard(
            ["pos", "pharmacy", "--amount", "23.40", "--code", "SSC-XC01", "--reader", "PCD 00 00", "--db", b.db, "--journal", b.dir + "/j.jsonl", "--json"],
            environment: b.pins)
        #expect(r.status == 0, "\(r.stderr)")
        let receipt = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(receipt["status"] as? String == "paid")
        #expect((receipt["bank_paid"] as? NSNumber)?.doubleValue == 23.40)
        #expect(((receipt["bank"] as? [String: Any])?["tc"] as? String)?.count == 16)
        // No card in the reader: exit 3, nothing settled.
        f.stopServe(f.serves[0])
        let none = try PCSCFixture.sscard(
            ["pos", "pharmacy", "--amount", "1", "--reader", "PCD 00 00", "--db", b.db, "--journal", b.dir + "/j.jsonl"], environment: b.pins)
        #expect(none.status == 3 && none.stderr.contains("nothing was settled"), "\(none.stderr)")
    }

    @Test func theCardPulledBeforeTheCardPaymentLeavesNothingHalfDone() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        let b = try Self.backOffice()
        let before = try Self.balances(b.db, b.card)
        try f.startPCSCD()
        let serve = try f.serve("default")
        let journal = b.dir + "/j.jsonl"
        let pos = try InteractiveProcess(
            ProcessRunner.sscard,
            ["pos", "pharmacy", "--amount", "31.00", "--code", "SSC-XC01", "--reader", "PCD 00 00", "--db", b.db, "--journal", journal, "--confirm"],
            environment: b.pins)
        _ = try pos.waitForLine(startingWith: "pay 31.00 with the bank card?")
        f.stopServe(serve)
        pos.writeLine("")
        let r = pos.finish()
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("the card could not be reached") && r.stderr.contains("was cancelled and nothing is owed"), "\(r.stderr)")
        // Both accounts as before; the journal ends with the cancellation.
        let after = try Self.balances(b.db, b.card)
        #expect(after.account == before.account && after.bank == before.bank)
        let last = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("\"status\":\"cancelled\""))
    }
}
