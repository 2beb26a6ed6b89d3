// `sscard kiosk` driven by --input, as testers and demos drive it: every
// flow and failure on the embedded virtual card against a seeded back
// office (in process, and over HTTP).

import Foundation
import Testing
import TestSupport

struct KioskSetup {
    let dir: String
    let db: String

    init() throws {
        dir = try temporaryDirectory("kiosk")
        db = dir + "/bo.sqlite"
        let r = try SSCardProcess.run(["backoffice", "init", "--db", db])
        guard r.status == 0 else { throw ServiceError(message: r.stderr) }
    }

    /// Runs the kiosk on `card` with the entries; (status, stdout lines, stderr).
    func kiosk(_ card: String, _ entries: [String], extra: [String] = [], environment: [String: String] = [:]) throws -> ProcessResult {
        let input = dir + "/input-\(UUID().uuidString)"
        try (entries.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        return try SSCardProcess.run(["kiosk", "--card", card, "--db", db, "--input", input] + extra, environment: environment)
    }

    /// An SQL statement on the back office's database (a region's rule, a card's state).
    func sql(_ statement: String) throws {
        let r = try ProcessRunner.run(
            URL(fileURLWithPath: "/usr/bin/python3"), ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", db, statement],
            environment: [:])
        guard r.status == 0 else { throw ServiceError(message: r.stderr) }
    }
}

extension ProcessResult {
    /// The titles of the screens shown, in order.
    var screens: [String] { stdoutLines.filter { $0.hasPrefix("== ") } }
    var notes: [String] { stdoutLines.filter { $0.hasPrefix("! ") } }
}

@Suite struct KioskCommandTests {
    @Test func forcedPINChangeThenTheInsuranceQuery() throws {
        let k = try KioskSetup()
        let r = try k.kiosk("default", ["insert", "1", "123456", "135790", "135790", "x", "1", "135790", "x", "0", "remove"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.screens.first == "== 请插入社会保障卡 | Please insert your social security card ==")
        #expect(r.stdout.contains("社会保障号码 510100********2749") && r.stdout.contains("卡号 P45416861"))
        #expect(r.notes.contains("! 初始密码须先修改 | the initial PIN must be changed first"))
        #expect(r.screens.contains("== 密码已修改 | the social PIN was changed =="))
        #expect(r.stdout.contains("个人账户余额 966.80 元"))
        #expect(r.screens.suffix(2) == ["== 请取走您的卡 | Please take your card ==", "== 请插入社会保障卡 | Please insert your social security card =="])
        // No PIN in the output or the log; entries at PIN screens echo masked.
        for pin in ["123456", "135790"] { #expect(!r.stdout.contains(pin) && !r.stderr.contains(pin)) }
        #expect(r.stdout.contains("< ******"))
        // The new PIN is on the card: the next session verifies it without a forced change.
        let again = try k.kiosk("default", ["insert", "1", "123456"])
        #expect(again.notes.contains("! 初始密码须先修改 | the initial PIN must be changed first"), "a fresh virtual card each run")
    }

    @Test func aNewPINMayNotBeTheInitialOneAndTwoEntriesMustAgree() throws {
        let k = try KioskSetup()
        let r = try k.kiosk("default", ["insert", "2", "123456", "123456", "246810", "135790", "246810", "246810"])
        #expect(r.notes == ["! 不能改为初始密码 | the new PIN may not be the initial one", "! 两次输入的密码不一致 | the two new PINs differ"])
        #expect(r.screens.last == "== 密码已修改 | the social PIN was changed ==")
        // A wrong current PIN: the card counts it (6 tries on this card).
        let wrong = try k.kiosk("default", ["insert", "2", "000000", "246810", "246810"])
        #expect(wrong.notes.last == "! 密码错误，还可输入5次 | wrong PIN: 5 tries left")
    }

    @Test func wrongPINsBlockAndTheOperatorReloads() throws {
        let k = try KioskSetup()
        let env = ["SSCARD_KIOSK_OPERATOR_KEY": "op-7788"]
        let r = try k.kiosk(
            "cumulative", ["insert", "1", "000000", "000000", "000000", "x", "9", "wrong-key", "9", "op-7788", "246810", "246810", "x", "1", "246810"],
            environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.notes.prefix(2) == ["! 密码错误，还可输入2次 | wrong PIN: 2 tries left", "! 密码错误，还可输入1次 | wrong PIN: 1 tries left"])
        #expect(r.screens.contains("== 密码已锁定 | the PIN is blocked =="))
        #expect(r.stdout.contains("请到社保服务大厅解锁 | unlock it at a service hall"))
        #expect(r.notes.contains("! 柜员密钥错误 | wrong operator key"))
        #expect(r.screens.contains("== 密码已重置 | the social PIN was reloaded =="))
        #expect(r.screens.last == "== 参保信息 | Insurance information ==", "the reloaded PIN opens the query")
        #expect(!r.stdout.contains("op-7788") && !r.stderr.contains("op-7788") && !r.stdout.contains("246810"))
        // No operator key configured: no operator choice.
        let none = try k.kiosk("cumulative", ["insert", "9"])
        #expect(!none.stdout.contains("柜员解锁") && none.notes == ["! 无此选项 | no such choice"])
    }

    @Test func removalCancelsAStepAndALostCardIsRefused() throws {
        let k = try KioskSetup()
        let r = try k.kiosk("cumulative", ["insert", "2", "remove", "insert", "3", "111111", "x", "1", "4", "111111"])
        #expect(r.notes.first == "! 卡已取出，操作已取消 | card removed: the step was cancelled")
        #expect(r.screens.contains("== 社保账户已临时挂失 | the social account is reported lost =="))
        #expect(r.stdout.contains("社保账户 卡已临时挂失"))
        #expect(r.screens.contains("== 此卡不能办理 | this card may not be used =="), "the query is refused while the card is reported lost")
        // The bank account's loss is its own report.
        let card = try SSCardProcess.run(["backoffice", "card", "show", "--db", k.db, "--json", try Self.cardNumber(k, "cumulative")])
        #expect(card.stdout.contains("临时挂失"), "\(card.stdout)")
        // The back office keeps the report: the next insertion shows it.
        let next = try k.kiosk("cumulative", ["insert"])
        #expect(next.stdout.contains("社保账户 卡已临时挂失"))
    }

    /// A field of `sscard social read --json` for a profile's card.
    static func field(_ profile: String, _ key: String) throws -> String {
        let r = try SSCardProcess.run(["social", "read", "--card", profile, "--json"])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        return try #require(o[key] as? String)
    }

    static func cardNumber(_ k: KioskSetup, _ profile: String) throws -> String { try field(profile, "cardNumber") }

    @Test func idleTimeoutsGoBackThenEject() throws {
        let k = try KioskSetup()
        let r = try k.kiosk("cumulative", ["insert", "1", "wait 1.2", "wait 1.2", "1"], extra: ["--idle", "1"])
        #expect(r.notes == ["! 操作超时 | timed out", "! 操作超时 | timed out"])
        #expect(r.screens.suffix(3) == ["== 欢迎 \(try Self.name(k, "cumulative")) | Welcome ==", "== 请取走您的卡 | Please take your card ==", "== 请取走您的卡 | Please take your card =="])
        // An entry after the eject screen does nothing until the card is taken.
        #expect(r.screens.last == "== 请取走您的卡 | Please take your card ==")
    }

    static func name(_ k: KioskSetup, _ profile: String) throws -> String { try field(profile, "name") }

    @Test func activationAtTheKioskWhereTheRegionDoesIt() throws {
        let k = try KioskSetup()
        let number = try Self.cardNumber(k, "cumulative")
        try k.sql("UPDATE region SET social_activation = 'kiosk' WHERE code = '130900'")
        try k.sql("UPDATE card SET social_activated = NULL WHERE card_no = '\(number)'")
        let r = try k.kiosk("cumulative", ["insert", "5", "111111", "x", "5"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("[5] 激活社保功能 | Activate the social function"))
        #expect(r.screens.contains("== 社保功能已激活 | the social function is activated =="))
        #expect(r.notes.last == "! 无此选项 | no such choice", "once activated, the choice is gone")
        // Where the region activates otherwise, there is no such choice.
        let other = try k.kiosk("default", ["insert"])
        #expect(!other.stdout.contains("激活社保功能"))
        #expect(other.stdout.contains("请于") == false || other.stdout.contains("前到银行激活金融功能"))
    }

    @Test func theBankActivationDeadlineIsShown() throws {
        let k = try KioskSetup()
        // chongqing: the bank account is not activated; 30 days from pickup.
        let r = try k.kiosk("chongqing", ["insert"])
        #expect(r.stdout.contains("前到银行激活金融功能 | activate the bank account at the bank by "), "\(r.stdout)")
    }

    @Test func theQueryPINWhereTheRegionHasOne() throws {
        let k = try KioskSetup()
        let number = try Self.cardNumber(k, "chongqing")
        let r = try k.kiosk("chongqing", ["insert", "1", String(number.suffix(6))])
        #expect(r.stdout.contains("> 请输入查询密码 | Enter your query PIN"))
        #expect(r.screens.last == "== 参保信息 | Insurance information ==", "\(r.stdout)")
    }

    @Test func theJSONFaceAndBadInput() throws {
        let k = try KioskSetup()
        let r = try k.kiosk("cumulative", ["insert", "1"], extra: ["--json"])
        let kinds = r.stdoutLines.compactMap { line -> String? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["kind"] as? String
        }
        #expect(kinds == ["waiting", "menu", "pin"])
        let bad = try k.kiosk("cumulative", ["insert", "wait soon"])
        #expect(bad.status == 2 && bad.stderr.contains("wait SECONDS"))
        let noFile = try SSCardProcess.run(["kiosk", "--card", "default", "--db", k.db, "--input", k.dir + "/none"])
        #expect(noFile.status == 2 && noFile.stderr.contains("cannot read"))
        let noDB = try SSCardProcess.run(["kiosk", "--card", "default", "--db", k.dir + "/none.sqlite", "--input", "/dev/null"])
        #expect(noDB.status == 2 && noDB.stderr.contains("sscard backoffice init"))
    }

    @Test func overHTTP() throws {
        let k = try KioskSetup()
        let (server, url) = try POSOverHTTPTests.serve(k.db)
        defer { server.stop() }
        let input = k.dir + "/in"
        try "insert\n3\n111111\n".write(toFile: input, atomically: true, encoding: .utf8)
        let r = try SSCardProcess.run(["kiosk", "--card", "cumulative", "--backoffice", url, "--input", input])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("社保账户 社保功能未激活"), "the state over HTTP: 130900 activates at the first read at an institution")
        #expect(r.screens.last == "== 社保账户已临时挂失 | the social account is reported lost ==")
        // The counter's HTTP interface refuses what it cannot do, with a code.
        let post = try ProcessRunner.run(
            URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-d", #"{"card_no":"NOPE"}"#, url + "/counter/card"], environment: [:])
        #expect(post.stdout == "404")
    }
}
