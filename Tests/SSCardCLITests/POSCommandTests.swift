// `sscard pos` as a cashier runs it: a sale against the back office in
// process (--db) and over HTTP (--backoffice), its receipt and journal,
// cancellation, and every way a sale can fail leaving nothing half-done.

import Foundation
import Testing
import TestSupport

/// A seeded back office, a journal, and the default card's numbers.
final class POSSetup {
    let dir: String
    let db: String
    let journal: String
    var cards: [String: (number: String, psn: String)] = [:]

    init() throws {
        dir = try temporaryDirectory("pos")
        db = dir + "/bo.sqlite"
        journal = dir + "/journal.jsonl"
        let r = try SSCardProcess.run(["backoffice", "init", "--db", db, "--json"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for c in try #require(root["cards"] as? [[String: Any]]) {
            cards[c["profile"] as! String] = (c["card_no"] as! String, c["psn_no"] as! String)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// The PINs of a fresh default card: 123456 (must change), the bank PIN from the ID number.
    func pins(social: String = "123456", new: String = "135790", profile: String = "default") throws -> [String: String] {
        ["SSCARD_PIN": social, "SSCARD_NEW_PIN": new, "SSCARD_BANK_PIN": try BankCommandTests.bankPIN(profile)]
    }

    func pos(_ arguments: [String], environment: [String: String], stdin: String? = nil) throws -> ProcessResult {
        try SSCardProcess.run(["pos"] + arguments + ["--journal", journal], stdin: stdin, environment: environment)
    }

    static func object(_ text: String) throws -> [String: Any] {
        let line = try #require(text.split(separator: "\n").last.map(String.init), "no output")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
    }

    /// An amount as fen, from a JSON number.
    static func fen(_ value: Any?) -> Int? { (value as? NSNumber).map { Int(($0.doubleValue * 100).rounded()) } }

    /// The personal account's balance, in fen.
    func accountBalance(_ profile: String = "default") throws -> Int {
        let r = try SSCardProcess.run(["backoffice", "person", "show", cards[profile]!.number, "--db", db, "--json"])
        return try #require(Self.fen(try Self.object(r.stdout)["balance"]))
    }

    /// The bank account's balance, in fen (its journal's last line).
    func bankBalance(_ profile: String = "default") throws -> Int {
        let r = try SSCardProcess.run(["backoffice", "journal", "--card-no", cards[profile]!.number, "--account", "bank", "--last", "1", "--db", db, "--json"])
        let entries = try #require(try Self.object(r.stdout)["entries"] as? [[String: Any]])
        return try #require(Self.fen(entries.last?["balance"]))
    }

    func journalLines() -> [String] {
        ((try? String(contentsOfFile: journal, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}

@Suite struct POSCommandTests {
    @Test func pharmacySaleWithItemsPaysByAccountThenBankCard() throws {
        let s = try POSSetup()
        let (account, bank) = (try s.accountBalance(), try s.bankBalance())
        let items = s.dir + "/items.csv"
        try "code,name,class,price,quantity\nSSC-XA01,阿莫西林胶囊,甲,12.50,2\nSSC-XC01,\"维生素C, 60 片\",丙,35,1\n".write(toFile: items, atomically: true, encoding: .utf8)
        let r = try s.pos(["pharmacy", "--items", items, "--card", "default", "--db", s.db], environment: try s.pins())
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("the social PIN is still the initial one: it must be changed before the sale"))
        #expect(r.stdout.contains("pre-settlement: total 60.00 = fund 0.00 + account 25.00 + cash 35.00"))
        #expect(r.stdout.contains("2nd GENERATE AC: TC "))
        #expect(r.stdout.contains("bank card     35.00   621700*********"))
        #expect(r.stdout.contains("person        "))
        // (The bank PIN is digits of the ID number, by the profile's rule; the social PINs never show.)
        for secret in ["123456", "135790"] { #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret)) }
        #expect(!r.stdout.contains(s.cards["default"]!.psn), "the person's number is shown masked")
        #expect(try s.accountBalance() == account - 2500)
        #expect(try s.bankBalance() == bank - 3500)
        // The journal: the settlement before the card payment, then the paid receipt.
        let lines = s.journalLines()
        #expect(lines.count == 2)
        #expect(lines.first?.contains("\"status\":\"settled\"") == true && lines.last?.contains("\"status\":\"paid\"") == true)
        let mode = try FileManager.default.attributesOfItem(atPath: s.journal)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func amountSaleJSONReceiptAddsUpAndCancelRefundsBoth() throws {
        let s = try POSSetup()
        let (account, bank) = (try s.accountBalance(), try s.bankBalance())
        let r = try s.pos(["pharmacy", "--amount", "42.80", "--code", "SSC-XC01", "--card", "default", "--db", s.db, "--json"], environment: try s.pins())
        #expect(r.status == 0, "\(r.stderr)")
        let receipt = try POSSetup.object(r.stdout)
        #expect(receipt["status"] as? String == "paid")
        #expect(receipt["ssn"] as? String == "510100********2749" || (receipt["ssn"] as? String)?.contains("********") == true)
        let total = POSSetup.fen(receipt["total"])!
        #expect(total == POSSetup.fen(receipt["fund"])! + POSSetup.fen(receipt["account"])! + POSSetup.fen(receipt["bank_paid"])!)
        let bankPart = try #require(receipt["bank"] as? [String: Any])
        #expect((bankPart["tc"] as? String)?.count == 16)
        #expect((bankPart["pan"] as? String)?.contains("*") == true)
        #expect(try s.bankBalance() == bank - 4280)
        let id = try #require(receipt["setl_id"] as? String)
        let cancel = try s.pos(["cancel", id, "--db", s.db, "--json"], environment: [:])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(try POSSetup.object(cancel.stdout)["status"] as? String == "cancelled")
        #expect(try s.bankBalance() == bank)
        #expect(try s.accountBalance() == account)
        let again = try s.pos(["cancel", id, "--db", s.db], environment: [:])
        #expect(again.status == 1 && again.stderr.contains("already cancelled"))
        let unknown = try s.pos(["cancel", "ST0000", "--db", s.db], environment: [:])
        #expect(unknown.status == 1 && unknown.stderr.contains("no such sale in the journal"))
        let listed = try s.pos(["journal"], environment: [:])
        #expect(listed.stdout.contains("\(id)  pharmacy  cancelled  total 42.80"))
    }

    @Test func hospitalVisitDrawsThePooledFund() throws {
        let s = try POSSetup()
        let account = try s.accountBalance()
        let items = s.dir + "/visit.json"
        try #"{"items":[{"code":"SSC-ZL01","name":"普通门诊诊查费","price":"30","quantity":1},{"code":"SSC-ZL02","name":"血常规检查","price":250,"quantity":"1"},{"code":"SSC-XB01","price":"39.5","quantity":"2"}]}"#
            .write(toFile: items, atomically: true, encoding: .utf8)
        let r = try s.pos(["hospital", "--items", items, "--card", "default", "--db", s.db], environment: try s.pins())
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("visit registered: MD"))
        // In scope 346.10, deductible 200.00, fund 50 % of 146.10 (settlement.md's outpatient rule).
        #expect(r.stdout.contains("pre-settlement: total 359.00 = fund 73.05 + account "))
        #expect(r.stdout.contains("门诊结算 outpatient settlement"))
        #expect(try s.accountBalance() < account)
        let id = try #require(s.journalLines().last.flatMap { try? POSSetup.object($0)["setl_id"] as? String })
        let cancel = try s.pos(["cancel", id, "--db", s.db], environment: [:])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(try s.accountBalance() == account)
        // The visit is closed: its year-to-date counts rolled back.
        let person = try POSSetup.object(try SSCardProcess.run(["backoffice", "person", "show", s.cards["default"]!.number, "--db", s.db, "--json"]).stdout)
        #expect(POSSetup.fen((person["year"] as? [String: Any])?["deductible_used"]) == 0)
    }

    @Test func wrongAndBlockedSocialPINSettleNothing() throws {
        let s = try POSSetup()
        let image = s.dir + "/card.json"
        #expect(try SSCardProcess.run(["card", "new", "--profile", "cumulative", "--out", image]).status == 0)
        let account = try s.accountBalance("cumulative")
        var pins = try s.pins(social: "000000", profile: "cumulative")
        for left in [2, 1] {
            let r = try s.pos(["pharmacy", "--amount", "5", "--image", image, "--db", s.db, "--json"], environment: pins)
            #expect(r.status == 1)
            #expect(r.stderr.contains("wrong social PIN, \(left) tr") && r.stderr.contains("nothing was settled"))
            #expect(POSSetup.fen(try POSSetup.object(r.stdout)["tries_left"]) == left * 100)
        }
        let blocked = try s.pos(["pharmacy", "--amount", "5", "--image", image, "--db", s.db], environment: pins)
        #expect(blocked.status == 1 && blocked.stderr.contains("the social PIN is blocked") && blocked.stderr.contains("service hall"))
        pins["SSCARD_PIN"] = "111111"
        let still = try s.pos(["pharmacy", "--amount", "5", "--image", image, "--db", s.db], environment: pins)
        #expect(still.status == 1 && still.stderr.contains("blocked"))
        #expect(try s.accountBalance("cumulative") == account)
        #expect(s.journalLines().isEmpty)
    }

    @Test func anInitialPINIsNotAcceptedAsTheNewOne() throws {
        let s = try POSSetup()
        let r = try s.pos(["pharmacy", "--amount", "5", "--card", "default", "--db", s.db], environment: try s.pins(new: "123456"))
        #expect(r.status == 2 && r.stderr.contains("the new PIN is an initial PIN"))
        // With --no-forced-change the sale goes on with the initial PIN.
        let allowed = try s.pos(["pharmacy", "--amount", "5", "--card", "default", "--db", s.db, "--no-forced-change"], environment: try s.pins())
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(!allowed.stdout.contains("must be changed"))
    }

    @Test func lostAndReplacedCardsAreRefusedWithTheCentresReason() throws {
        let s = try POSSetup()
        let card = s.cards["default"]!.number
        let account = try s.accountBalance()
        #expect(try SSCardProcess.run(["backoffice", "report-loss", "--card-no", card, "--account", "social", "--formal", "--db", s.db]).status == 0)
        let lost = try s.pos(["pharmacy", "--amount", "5", "--card", "default", "--db", s.db], environment: try s.pins())
        #expect(lost.status == 1 && lost.stderr.contains("1101") && lost.stderr.contains("挂失") && lost.stderr.contains("nothing was settled"))
        #expect(try SSCardProcess.run(["backoffice", "release-loss", "--card-no", card, "--account", "social", "--db", s.db]).status == 0)
        // A replaced card's bank account is void at once: the settlement is cancelled.
        #expect(try SSCardProcess.run(["backoffice", "replace", "--card-no", card, "--db", s.db]).status == 0)
        let bank = try s.pos(["pharmacy", "--amount", "5", "--code", "SSC-XC01", "--card", "default", "--db", s.db], environment: try s.pins())
        #expect(bank.status == 1, "\(bank.stderr)")
        #expect(bank.stderr.contains("was declined") && bank.stderr.contains("was cancelled and nothing is owed"))
        #expect(try s.accountBalance() == account)
    }

    @Test func aDeclineCancelsTheSettlementOrIsTakenInCash() throws {
        let s = try POSSetup()
        let (account, bank) = (try s.accountBalance(), try s.bankBalance())
        let over = try s.pos(["pharmacy", "--amount", "20000", "--code", "SSC-XC01", "--card", "default", "--db", s.db, "--json"], environment: try s.pins())
        #expect(over.status == 1)
        #expect(over.stderr.contains("insufficient funds"))
        let failure = try POSSetup.object(over.stdout)
        #expect(failure["error"] as? String == "declined" && failure["settlement"] as? String == "cancelled")
        #expect(try s.bankBalance() == bank && s.journalLines().last?.contains("\"status\":\"cancelled\"") == true)
        let cash = try s.pos(["pharmacy", "--amount", "20000", "--code", "SSC-XC01", "--card", "default", "--db", s.db, "--cash-fallback", "--json"], environment: try s.pins())
        #expect(cash.status == 0, "\(cash.stderr)")
        let receipt = try POSSetup.object(cash.stdout)
        #expect(POSSetup.fen(receipt["cash_paid"]) == 2_000_000 && (receipt["bank_declined"] as? String)?.contains("insufficient") == true)
        #expect(try s.bankBalance() == bank && (try s.accountBalance()) == account)
        // --cash takes no card payment at all.
        let plain = try s.pos(["pharmacy", "--amount", "3", "--code", "SSC-XC01", "--card", "default", "--db", s.db, "--cash"], environment: try s.pins())
        #expect(plain.status == 0 && plain.stdout.contains("cash          3.00") && !plain.stdout.contains("GENERATE AC"))
    }

    @Test func aCardNotYetActivatedIsRefusedBeforeThePIN() throws {
        let s = try POSSetup()
        // The 500100 card's social function waits for its first PIN change (at a service hall or kiosk).
        let r = try s.pos(["pharmacy", "--amount", "5", "--card", "chongqing", "--db", s.db], environment: try s.pins(profile: "default"))
        #expect(r.status == 1 && r.stderr.contains("未激活") && r.stderr.contains("nothing was settled"))
        #expect(!r.stdout.contains("social PIN verified"))
    }

    @Test func aDeclinedHospitalVisitIsClosedAgain() throws {
        let s = try POSSetup()
        let account = try s.accountBalance()
        let r = try s.pos(["hospital", "--amount", "20000", "--code", "SSC-XC02", "--card", "default", "--db", s.db, "--no-account"], environment: try s.pins())
        #expect(r.status == 1 && r.stderr.contains("was cancelled and nothing is owed"), "\(r.stderr)")
        #expect(try s.accountBalance() == account)
        let person = try POSSetup.object(try SSCardProcess.run(["backoffice", "person", "show", s.cards["default"]!.number, "--db", s.db, "--json"]).stdout)
        let year = person["year"] as? [String: Any]
        #expect((year?["visits"] as? NSNumber)?.intValue == 0 && POSSetup.fen(year?["fund_paid"]) == 0)
    }

    @Test func aDamagedJournalLineIsSkippedAndNamed() throws {
        let s = try POSSetup()
        let r = try s.pos(["pharmacy", "--amount", "5", "--card", "default", "--db", s.db], environment: try s.pins())
        #expect(r.status == 0)
        // A crash in the middle of a write leaves a partial last line.
        try (String(contentsOfFile: s.journal, encoding: .utf8) + #"{"kind":"pharm"#).write(toFile: s.journal, atomically: true, encoding: .utf8)
        let listed = try s.pos(["journal", "--json"], environment: [:])
        #expect(listed.status == 0 && listed.stdoutLines.count == 1)
        #expect(listed.stderr.contains("journal.jsonl:3 is not a journal line; skipped"))
    }

    @Test func badInputIsNamed() throws {
        let s = try POSSetup()
        let items = s.dir + "/bad.csv"
        try "SSC-XA01,药,甲,1.00,1\nSSC-XA02,药,丁,2,1\n".write(toFile: items, atomically: true, encoding: .utf8)
        let r = try s.pos(["pharmacy", "--items", items, "--card", "default", "--db", s.db], environment: try s.pins())
        #expect(r.status == 2 && r.stderr.contains("bad.csv:2: class: \"丁\""))
        let json = s.dir + "/bad.json"
        try #"[{"code":"SSC-XA01","price":"-1","quantity":1}]"#.write(toFile: json, atomically: true, encoding: .utf8)
        let j = try s.pos(["pharmacy", "--items", json, "--card", "default", "--db", s.db], environment: try s.pins())
        #expect(j.status == 2 && j.stderr.contains("bad.json: items[0]: price"))
        let amount = try s.pos(["pharmacy", "--amount", "12.345", "--card", "default", "--db", s.db], environment: try s.pins())
        #expect(amount.status == 2 && amount.stderr.contains("--amount 12.345"))
        let both = try s.pos(["pharmacy", "--card", "default", "--db", s.db], environment: try s.pins())
        #expect(both.status == 2 && both.stderr.contains("give --amount or --items"))
        let noDB = try s.pos(["pharmacy", "--amount", "1", "--card", "default", "--db", s.dir + "/none.sqlite"], environment: try s.pins())
        #expect(noDB.status == 2 && noDB.stderr.contains("none.sqlite"))
        var noPIN = try s.pins()
        noPIN["SSCARD_PIN"] = nil
        let missing = try SSCardProcess.run(
            ["pos", "pharmacy", "--amount", "1", "--card", "default", "--db", s.db, "--journal", s.journal],
            environment: ["SSCARD_PIN": "", "SSCARD_NEW_PIN": "135790"])
        #expect(missing.status == 2 && missing.stderr.contains("PIN"))
        #expect(s.journalLines().isEmpty)
    }
}

/// The same sales against `sscard backoffice serve`, and the server going away in the middle.
@Suite(.serialized) struct POSOverHTTPTests {
    static func serve(_ db: String) throws -> (ServiceProcess, String) {
        let server = try ServiceProcess(ProcessRunner.sscard, ["backoffice", "serve", "--db", db, "--http", "127.0.0.1:0"])
        guard let port = server.port else { throw ServiceError(message: "no port in \(server.firstLine)") }
        return (server, "http://127.0.0.1:\(port)")
    }

    @Test func pharmacyAndHospitalOverHTTP() throws {
        let s = try POSSetup()
        let (server, url) = try Self.serve(s.db)
        defer { server.stop() }
        let bank = try s.bankBalance()
        let r = try s.pos(["pharmacy", "--amount", "18.50", "--code", "SSC-XC01", "--card", "default", "--backoffice", url, "--json"], environment: try s.pins())
        #expect(r.status == 0, "\(r.stderr)")
        let receipt = try POSSetup.object(r.stdout)
        #expect(POSSetup.fen(receipt["bank_paid"]) == 1850)
        #expect(try s.bankBalance() == bank - 1850)
        let h = try s.pos(["hospital", "--amount", "300", "--code", "SSC-ZL02", "--card", "default", "--backoffice", url], environment: try s.pins())
        #expect(h.status == 0, "\(h.stderr)")
        #expect(h.stdout.contains("pre-settlement: total 300.00 = fund 50.00 + "))
        let cancel = try s.pos(["cancel", receipt["setl_id"] as! String, "--backoffice", url], environment: [:])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(try s.bankBalance() == bank - 0)
    }

    @Test func anUnreachableBackOfficeIsExit3() throws {
        let s = try POSSetup()
        let (server, url) = try Self.serve(s.db)
        server.stop()
        let r = try s.pos(["pharmacy", "--amount", "5", "--card", "default", "--backoffice", url], environment: try s.pins())
        #expect(r.status == 3 && r.stderr.contains("unreachable") && r.stderr.contains("nothing was settled"))
        let bad = try s.pos(["pharmacy", "--amount", "5", "--card", "default", "--backoffice", "https://example.org"], environment: try s.pins())
        #expect(bad.status == 2 && bad.stderr.contains("http://HOST:PORT"))
    }

    /// The back office stops between the settlement and the card payment: the
    /// sale cannot be undone then, says so (exit 3), and `pos cancel` undoes it later.
    @Test func theBackOfficeGoneBeforeTheCardPaymentIsUndoneLater() throws {
        let s = try POSSetup()
        var (server, url) = try Self.serve(s.db)
        let (account, bank) = (try s.accountBalance(), try s.bankBalance())
        let pos = try InteractiveProcess(
            ProcessRunner.sscard,
            ["pos", "pharmacy", "--amount", "9.90", "--code", "SSC-XC01", "--card", "default", "--backoffice", url, "--confirm", "--journal", s.journal],
            environment: try s.pins())
        _ = try pos.waitForLine(startingWith: "pay 9.90 with the bank card?")
        server.stop()
        pos.writeLine("")
        let r = pos.finish()
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        let id = try #require(s.journalLines().last.flatMap { try? POSSetup.object($0)["setl_id"] as? String })
        #expect(r.stderr.contains("settlement \(id) is committed: cancel it with `sscard pos cancel \(id)`"))
        (server, url) = try Self.serve(s.db)
        defer { server.stop() }
        let cancel = try s.pos(["cancel", id, "--backoffice", url], environment: [:])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(try s.accountBalance() == account && (try s.bankBalance()) == bank)
        // End of input at the prompt cancels the sale.
        let stopped = try s.pos(["pharmacy", "--amount", "9.90", "--code", "SSC-XC01", "--card", "default", "--backoffice", url, "--confirm"], environment: try s.pins(), stdin: "")
        #expect(stopped.status == 1 && stopped.stderr.contains("the cashier cancelled") && stopped.stderr.contains("was cancelled and nothing is owed"))
    }
}
