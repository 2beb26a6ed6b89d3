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
}
