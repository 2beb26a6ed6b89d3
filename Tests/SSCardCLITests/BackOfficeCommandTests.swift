// `sscard backoffice init` as users run it: the database from --db or
// SSCARD_DB, mode 0600, the cards a terminal reads, idempotent.

import Foundation
import Testing
import TestSupport

@Suite struct BackOfficeCommandTests {
    @Test func initCreatesThePrivateDatabaseOnce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sscard-cli-bo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bo.sqlite").path
        let first = try SSCardProcess.run(["backoffice", "init", "--json"], environment: ["SSCARD_DB": db])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\"database\":\"\(db)\""))
        #expect(first.stdout.contains("\"profile\":\"default\""))
        #expect(first.stdout.contains("\"created\":true"))
        #expect(first.stdout.contains("\"pan\":\"621700*********"), "the PAN is printed masked")
        let mode = try FileManager.default.attributesOfItem(atPath: db)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = try SSCardProcess.run(["backoffice", "init", "--db", db])
        #expect(again.status == 0)
        #expect(again.stdoutLines.last?.hasPrefix("0 created") == true)
    }

    @Test func anUnwritablePlaceIsBadInputNamed() throws {
        let r = try SSCardProcess.run(["backoffice", "init", "--db", "/proc/sscard-none/bo.sqlite"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("/proc/sscard-none"))
    }

    /// A seeded database and the default card's numbers.
    func seeded() throws -> (dir: URL, db: String, card: String, cardSN: String, psn: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sscard-cli-counter-\(UUID().uuidString)")
        let db = dir.appendingPathComponent("bo.sqlite").path
        let r = try SSCardProcess.run(["backoffice", "init", "--db", db, "--json"])
        let text = r.stdout
        func field(_ name: String) -> String {
            let start = text.range(of: "\"\(name)\":\"")!.upperBound
            return String(text[start...].prefix { $0 != "\"" })
        }
        return (dir, db, field("card_no"), field("card_sn"), field("psn_no"))
    }

    @Test func counterOperationsAsUsersRunThem() throws {
        let (dir, db, card, cardSN, psn) = try seeded()
        defer { try? FileManager.default.removeItem(at: dir) }
        func run(_ args: [String]) throws -> ProcessResult { try SSCardProcess.run(["backoffice"] + args + ["--db", db]) }
        let show = try run(["card", "show", card])
        #expect(show.status == 0)
        #expect(show.stdout.contains("card_no: \(card)"))
        #expect(show.stdout.contains("  status: 正常: usable"))
        #expect(try run(["person", "show", psn, "--json"]).stdout.hasPrefix("{\"psn_no\":\"\(psn)\""))
        #expect(try run(["person", "show", "nobody"]).status == 1)
        // Loss, refused at the centre, released.
        let loss = try run(["report-loss", "--card-no", card, "--account", "social", "--temporary", "--json"])
        #expect(loss.status == 0)
        #expect(loss.stdout.contains("\"report\":\"temporary\""))
        let request = dir.appendingPathComponent("1101.json").path
        try #"{"infno":"1101","msgid":"H51010000001202612030900000001","fixmedins_code":"H51010000001","input":{"data":{"mdtrt_cert_type":"03","mdtrt_cert_no":"\#(card)","card_sn":"\#(cardSN)"}}}"#
            .write(toFile: request, atomically: true, encoding: .utf8)
        let refused = try run(["request", request])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("卡已临时挂失"))
        #expect(try run(["release-loss", "--card-no", card, "--account", "social"]).status == 0)
        #expect(try run(["release-loss", "--card-no", card, "--account", "social"]).status == 1)
        let answered = try run(["request", request])
        #expect(answered.status == 0)
        #expect(answered.stdout.contains("\"infcode\":0"))
        // Usage errors: exit 2, the option named.
        let both = try run(["report-loss", "--card-no", card, "--account", "social", "--temporary", "--formal"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("one of --temporary and --formal"))
        #expect(try run(["report-loss", "--card-no", card, "--account", "purse", "--formal"]).stderr.contains("--account purse: give social or bank"))
        #expect(try run(["deposit", "--card-no", card, "--amount", "1.005"]).status == 2)
        // Money in, journal, replacement, the old card refused.
        let deposit = try run(["deposit", "--card-no", card, "--amount", "1200.50", "--kind", "pension", "--json"])
        #expect(deposit.stdout.contains("\"balance\":11200.50"))
        let journal = try run(["journal", "--card-no", card, "--json"])
        #expect(journal.stdout.contains("\"kind\":\"benefit-pension\""))
        let replaced = try run(["replace", "--card-no", card, "--json"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(replaced.stdout.contains("\"bank_balance\":11180.50"))
        #expect(try run(["replace", "--card-no", card]).status == 1)
        #expect(try run(["activate", "--card-no", card, "--account", "bank"]).status == 1)
        let reconcile = try run(["reconcile", "--fixmedins-code", "H51010000001", "--expect-count", "1"])
        #expect(reconcile.status == 1)
        #expect(reconcile.stderr.contains("对账不一致: the centre has 0 settlements, the institution 1"))
        #expect(try run(["reconcile", "--fixmedins-code", "H51010000001", "--expect-total", "0.00", "--json"]).status == 0)
        #expect(try run(["card", "show", card, "--today", "2026-13-01"]).stderr.contains("--today 2026-13-01: give a date as YYYY-MM-DD"))
        let missing = try SSCardProcess.run(["backoffice", "card", "show", card, "--db", dir.appendingPathComponent("none.sqlite").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such database (create it with `sscard backoffice init`)"))
    }
}
