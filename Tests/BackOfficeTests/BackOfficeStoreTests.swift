// The back office's database: created 0600 in WAL mode, seeded from the
// built-in profiles' cards as a terminal reads them, seeding twice changes nothing.

import BackOffice
import BackOfficeStore
import Foundation
import GRDB
import Testing

@Suite struct BackOfficeStoreTests {
    /// A database path in a folder of its own, which the test removes.
    func temporaryPath() -> (root: String, path: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sscard-bo-\(UUID().uuidString)")
        return (dir.path, dir.appendingPathComponent("nested/backoffice.sqlite").path)
    }

    @Test func createdPrivateAndInWAL() throws {
        let (root, path) = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pool = try BackOfficeDatabase.open(path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let journal = try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
    }

    @Test func openingAMissingDatabaseWithoutCreateNamesIt() {
        let (_, path) = temporaryPath()
        do {
            _ = try BackOfficeDatabase.open(path: path, create: false)
            Issue.record("opened a database that does not exist")
        } catch {
            #expect(error.code == .database)
            #expect(error.message.contains(path))
        }
    }

    @Test func defaultPathFollowsTheEnvironment() {
        #expect(BackOfficeDatabase.defaultPath(environment: ["SSCARD_DB": "/x/y.db"]) == "/x/y.db")
        #expect(BackOfficeDatabase.defaultPath(environment: ["XDG_DATA_HOME": "/d", "HOME": "/h"]) == "/d/sscard/backoffice.sqlite")
        #expect(BackOfficeDatabase.defaultPath(environment: ["HOME": "/h"]) == "/h/.local/share/sscard/backoffice.sqlite")
    }

    @Test func seedsEveryProfileOnceWithWhatTheCardSays() throws {
        let (root, path) = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pool = try BackOfficeDatabase.open(path: path)
        let today = LocalDay("2026-12-02")!
        let first = try pool.write { db in try Seeder.seed(db, seed: nil, today: today) }
        #expect(first.contains { $0.profile == "default" && $0.created })
        #expect(first.contains { $0.profile == "chongqing" && $0.created })
        // A 16-byte card ID, as 32 hex characters; a Luhn-valid PAN.
        let d = try #require(first.first { $0.profile == "default" })
        #expect(d.cardID.count == 32)
        let again = try pool.write { db in try Seeder.seed(db, seed: nil, today: today) }
        #expect(again.allSatisfy { !$0.created })
        let counts = try pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM card")!, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bank_account")!)
        }
        #expect(counts.0 == first.filter(\.created).count)
        #expect(counts.1 == counts.0)
        // Chongqing's bank function waits for the bank: picked up today, not activated.
        let cq = try #require(first.first { $0.profile == "chongqing" })
        let row = try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT c.pickup_date, b.activated, b.pin_state FROM card c JOIN bank_account b ON b.pan = c.pan WHERE c.card_no = ?", arguments: [cq.cardNumber])
        }
        #expect(row?["pickup_date"] == "2026-12-02")
        #expect((row?["activated"] as String?) == nil)
        #expect(row?["pin_state"] == "unset")
        // The balance can never go below zero.
        #expect(throws: (any Error).self) {
            try pool.write { db in try db.execute(sql: "UPDATE account SET balance = -1 WHERE psn_no = ?", arguments: [d.psnNo]) }
        }
    }
}
