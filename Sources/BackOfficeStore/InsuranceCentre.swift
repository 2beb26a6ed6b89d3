// SSCard — BackOfficeStore
//
// The insurance centre: the national platform's envelope (settlement.md
// §1.2–1.4) over the store. One request is one write transaction: it reads
// what it needs, decides, writes, and stores its answer under the sender's
// `msgid`, so that a repeated message returns the first answer and changes
// nothing. Anything refused (bad input, an unknown person, a lost card)
// answers `infcode` -1 with an `err_msg` that names the field or the rule,
// and the transaction rolls back: nothing is written.

public import BackOffice
import Foundation
public import GRDB
import Synchronization

/// The centre's clock: the system's, shifted by a whole number of seconds
/// (`--today` moves the back office to another day, for life-cycle tests).
public struct CentreClock: Sendable {
    public var offsetMillis: Int

    public init(offsetMillis: Int = 0) { self.offsetMillis = offsetMillis }

    /// A clock whose today is `day`, at the system's time of day.
    public init(today day: LocalDay) {
        let now = Self.systemMillis()
        offsetMillis = (day.index - FSITime(millis: now).day.index) * 86_400_000
    }

    public func now() -> FSITime { FSITime(millis: Self.systemMillis() + offsetMillis) }

    static func systemMillis() -> Int { Int((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// Why the centre refused a request: its `err_msg`.
struct FSIRefusal: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// The request envelope.
struct Envelope {
    var infno: String
    var msgid: String
    var fixmedins: String
    var signNo: String?
    var input: FSIFields
}

/// What a handler has to work with.
struct Exchange {
    let db: Database
    let envelope: Envelope
    let now: FSITime
    /// A note for `warn_msg`.
    var warning = ""
    var day: LocalDay { now.day }
    var input: FSIFields { envelope.input }
}

/// The insurance centre's interface, callable in process and served over HTTP.
public final class InsuranceCentre: Sendable {
    public let pool: DatabasePool
    public let clock: CentreClock
    /// The centre's area code, the head of `inf_refmsgid`.
    public let area: String
    let serial = Atomic<Int>(0)

    /// The largest request body accepted (the server refuses larger ones before reading them).
    public static let maximumBody = 1 << 20

    public init(pool: DatabasePool, clock: CentreClock = CentreClock(), area: String = "000000") {
        self.pool = pool
        self.clock = clock
        self.area = area
    }

    /// Every transaction the centre answers, with its name.
    public static let transactions = FSITransactions.all

    /// Answers one request body (the whole POST body), in process.
    public func respond(to body: [UInt8]) -> [UInt8] {
        let now = clock.now()
        switch parse(body) {
        case .failure(let r): return answer(code: -1, error: r.message, output: .object([]), now: now)
        case .success(let envelope):
            do {
                return try pool.write { db in try self.run(envelope, db: db, now: now) }
            } catch {
                return failureAnswer(error, now: now)
            }
        }
    }

    /// Answers one request body without blocking a thread of the caller's
    /// executor while the database is busy (the HTTP server's way).
    public func respond(to body: [UInt8]) async -> [UInt8] {
        let now = clock.now()
        switch parse(body) {
        case .failure(let r): return answer(code: -1, error: r.message, output: .object([]), now: now)
        case .success(let envelope):
            do {
                return try await pool.write { db in try self.run(envelope, db: db, now: now) }
            } catch {
                return failureAnswer(error, now: now)
            }
        }
    }

    /// The answer to a body over the size limit.
    public func oversizedAnswer(_ size: Int?) -> [UInt8] {
        let what = size.map { "\($0) bytes" } ?? "the body"
        return answer(code: -1, error: "(request): \(what) is over the limit of \(Self.maximumBody) bytes", output: .object([]), now: clock.now())
    }

    func failureAnswer(_ error: any Error, now: FSITime) -> [UInt8] {
        let message: String
        switch error {
        case let r as FSIRefusal: message = r.message
        case let f as FSIFieldError: message = f.description
        case let d as DatabaseError: message = "database: \(d.message ?? "\(d.resultCode)")"
        default: message = "\(error)"
        }
        return answer(code: -1, error: message, output: .object([]), now: now)
    }

    func parse(_ body: [UInt8]) -> Result<Envelope, FSIRefusal> {
        guard body.count <= Self.maximumBody else { return .failure(FSIRefusal("(request): over the limit of \(Self.maximumBody) bytes")) }
        let json: JSON
        do {
            json = try JSON.parse(body)
        } catch {
            return .failure(FSIRefusal(error.description))
        }
        do {
            let f = try FSIFields(root: json)
            let infno = try f.string("infno", maxLength: 6)
            guard Self.transactions.contains(where: { $0.infno == infno }) else {
                return .failure(FSIRefusal("infno: \"\(infno)\" is not a transaction this centre answers (\(Self.transactions.map(\.infno).joined(separator: ", ")))"))
            }
            let msgid = try f.string("msgid", maxLength: 30)
            let fixmedins = try f.string("fixmedins_code", maxLength: 30)
            let signNo = try f.optionalString("sign_no", maxLength: 30)
            let input = try f.object("input")
            return .success(Envelope(infno: infno, msgid: msgid, fixmedins: fixmedins, signNo: signNo, input: input))
        } catch {
            return .failure(FSIRefusal(error.description))
        }
    }

    /// The response envelope (settlement.md §1.3).
    func answer(code: Int, error: String, warning: String = "", output: JSON, now: FSITime) -> [UInt8] {
        let n = serial.add(1, ordering: .relaxed).newValue % 10_000_000_000
        let ref = area + now.compact + String(repeating: "0", count: 10 - String(n).count) + String(n)
        return JSON.object([
            ("infcode", .number(String(code))), ("inf_refmsgid", .string(ref)), ("refmsg_time", .string(now.compactMillis)),
            ("respond_time", .string(clock.now().compactMillis)), ("err_msg", .string(error)), ("warn_msg", .string(warning)),
            ("output", output),
        ]).serializedBytes
    }

    /// Inside the write transaction.
    func run(_ envelope: Envelope, db: Database, now: FSITime) throws -> [UInt8] {
        if let row = try db.row("SELECT infno, response FROM message WHERE msgid = ?", arguments: [envelope.msgid]) {
            let infno: String = row["infno"]
            guard infno == envelope.infno else {
                throw FSIRefusal("msgid: \(envelope.msgid) was already used for a \(infno) message; a new message needs a new msgid")
            }
            return Array((row["response"] as String).utf8)
        }
        var x = Exchange(db: db, envelope: envelope, now: now)
        if let sign = envelope.signNo, envelope.infno != "9001" {
            let open = try db.bool("SELECT 1 FROM signin WHERE sign_no = ? AND fixmedins_code = ? AND signout_time IS NULL",
                arguments: [sign, envelope.fixmedins]) ?? false
            guard open else { throw FSIRefusal("sign_no: \(sign) is not an open sign-in of \(envelope.fixmedins) (send 9001 first)") }
        }
        let output: JSON
        switch envelope.infno {
        case "9001": output = try signIn(&x)
        case "9002": output = try signOut(&x)
        case "1101": output = try personInformation(&x)
        case "2101": output = try pharmacy(&x, commit: false)
        case "2102": output = try pharmacy(&x, commit: true)
        case "2103", "2208": output = try cancelSettlement(&x)
        case "2201": output = try register(&x)
        case "2202": output = try cancelRegistration(&x)
        case "2203": output = try visitInformation(&x)
        case "2204": output = try uploadFees(&x)
        case "2205": output = try cancelFees(&x)
        case "2206": output = try outpatient(&x, commit: false)
        case "2207": output = try outpatient(&x, commit: true)
        case "2601": output = try reverse(&x)
        default: output = try reconcile(&x)
        }
        let bytes = answer(code: 0, error: "", warning: x.warning, output: output, now: now)
        try db.run("INSERT INTO message (msgid, infno, time, fixmedins_code, response) VALUES (?, ?, ?, ?, ?)",
            arguments: [envelope.msgid, envelope.infno, now.text, envelope.fixmedins, String(decoding: bytes, as: UTF8.self)])
        return bytes
    }

    /// A new identifier: a prefix, the time, and a serial from a table's count.
    static func identifier(_ prefix: String, _ now: FSITime, serial: Int) -> String {
        let s = String(serial)
        return prefix + now.compact + String(repeating: "0", count: max(0, 6 - s.count)) + s
    }

    // MARK: sign-in

    func signIn(_ x: inout Exchange) throws -> JSON {
        let f = try x.input.object("signIn")
        let opter = try f.string("opter_no", maxLength: 30)
        _ = try f.optionalString("mac", maxLength: 30)
        _ = try f.optionalString("ip", maxLength: 40)
        let count = try x.db.int("SELECT MAX(rowid) FROM signin") ?? 0
        let sign = Self.identifier("SN", x.now, serial: count + 1)
        try x.db.run("INSERT INTO signin (sign_no, fixmedins_code, opter_no, sign_time) VALUES (?, ?, ?, ?)",
            arguments: [sign, x.envelope.fixmedins, opter, x.now.text])
        return .object([("signinoutb", .object([("sign_time", .string(x.now.text)), ("sign_no", .string(sign))]))])
    }

    func signOut(_ x: inout Exchange) throws -> JSON {
        let f = try x.input.object("signOut")
        let sign = try f.string("sign_no", maxLength: 30)
        _ = try f.string("opter_no", maxLength: 30)
        try x.db.run("UPDATE signin SET signout_time = ? WHERE sign_no = ? AND fixmedins_code = ? AND signout_time IS NULL",
            arguments: [x.now.text, sign, x.envelope.fixmedins])
        guard x.db.changesCount == 1 else {
            throw FSIRefusal("\(f.path).sign_no: \(sign) is not an open sign-in of \(x.envelope.fixmedins)")
        }
        return .object([("signoutoutb", .object([("sign_time", .string(x.now.text))]))])
    }

    // MARK: reversal and reconciliation

    /// 2601: undoes a message by its id. A settlement is cancelled, a
    /// cancellation undone; a message the centre never received is barred,
    /// so that it cannot take effect if it arrives late.
    func reverse(_ x: inout Exchange) throws -> JSON {
        let f = try x.input.object("data")
        let psnNo = try f.string("psn_no", maxLength: 30)
        let omsgid = try f.string("omsgid", maxLength: 30)
        let oinfno = try f.code("oinfno", in: ["2102", "2103", "2207", "2208"])
        guard let row = try x.db.row("SELECT infno, reversed_by FROM message WHERE msgid = ?", arguments: [omsgid]) else {
            let barred = answer(
                code: -1, error: "msgid: \(omsgid) was reversed (2601 \(x.envelope.msgid)) before it arrived", output: .object([]),
                now: x.now)
            try x.db.run("INSERT INTO message (msgid, infno, time, fixmedins_code, response, reversed_by) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [omsgid, oinfno, x.now.text, x.envelope.fixmedins, String(decoding: barred, as: UTF8.self), x.envelope.msgid])
            x.warning = "the centre never received \(omsgid): nothing to reverse, and it is now barred"
            return .object([("data", .object([("omsgid", .string(omsgid)), ("oinfno", .string(oinfno)), ("rever_stas", .string("1"))]))])
        }
        let infno: String = row["infno"]
        guard infno == oinfno else { throw FSIRefusal("\(f.path).oinfno: message \(omsgid) is a \(infno), not a \(oinfno)") }
        if let by: String = row["reversed_by"] { throw FSIRefusal("\(f.path).omsgid: \(omsgid) was already reversed by \(by)") }
        switch infno {
        case "2102", "2207":
            guard let s = try x.db.row("SELECT * FROM settlement WHERE msgid = ? AND infno = ?", arguments: [omsgid, infno]) else {
                throw FSIRefusal("\(f.path).omsgid: \(omsgid) settled nothing")
            }
            guard (s["psn_no"] as String) == psnNo else { throw FSIRefusal("\(f.path).psn_no: \(psnNo) is not the person of \(omsgid)") }
            _ = try cancel(&x, settlement: s, path: f.path)
        default:
            guard let s = try x.db.row("SELECT * FROM settlement WHERE cancelled_by IN (SELECT setl_id FROM settlement WHERE msgid = ?)", arguments: [omsgid]) else {
                throw FSIRefusal("\(f.path).omsgid: \(omsgid) cancelled nothing")
            }
            guard (s["psn_no"] as String) == psnNo else { throw FSIRefusal("\(f.path).psn_no: \(psnNo) is not the person of \(omsgid)") }
            try restore(&x, settlement: s, path: f.path)
        }
        try x.db.run("UPDATE message SET reversed_by = ? WHERE msgid = ?", arguments: [x.envelope.msgid, omsgid])
        return .object([("data", .object([("omsgid", .string(omsgid)), ("oinfno", .string(oinfno)), ("rever_stas", .string("1"))]))])
    }

    /// 3201: the institution's totals for a period against the centre's.
    func reconcile(_ x: inout Exchange) throws -> JSON {
        let f = try x.input.object("data")
        let begin = try day(f, "stmt_begndate")
        let end = try day(f, "stmt_enddate")
        guard begin <= end else { throw FSIRefusal("\(f.path).stmt_enddate: \(end) is before stmt_begndate \(begin)") }
        let insutype = try f.optionalString("insutype", maxLength: 6)
        let total = try f.money("medfee_sumamt")
        let fund = try f.money("fund_pay_sumamt")
        let account = try f.money("acct_pay")
        let countText = try f.string("fixmedins_setl_cnt", maxLength: 10)
        guard let count = Int(countText), count >= 0 else { throw FSIRefusal("\(f.path).fixmedins_setl_cnt: \"\(countText)\" is not a count") }
        let ours = try Reconciliation.totals(x.db, institution: x.envelope.fixmedins, from: begin, to: end, insutype: insutype)
        var differences: [String] = []
        if ours.count != count { differences.append("settlements: centre \(ours.count), institution \(count)") }
        if ours.total != total { differences.append("medfee_sumamt: centre \(ours.total), institution \(total)") }
        if ours.fund != fund { differences.append("fund_pay_sumamt: centre \(ours.fund), institution \(fund)") }
        if ours.account != account { differences.append("acct_pay: centre \(ours.account), institution \(account)") }
        return .object([
            (
                "stmtinfo",
                .object([
                    ("setl_optins", .string(try f.optionalString("setl_optins", maxLength: 6) ?? "")),
                    ("stmt_rslt", .string(differences.isEmpty ? "0" : "1")),
                    ("stmt_rslt_dscr", .string(differences.isEmpty ? "对账一致: \(ours.count) settlements agree" : "对账不一致: " + differences.joined(separator: "; "))),
                ])
            )
        ])
    }

    func day(_ f: FSIFields, _ key: String) throws -> LocalDay {
        let text = try f.string(key, maxLength: 19)
        guard let d = LocalDay(String(text.prefix(10))) else { throw FSIRefusal("\(f.path).\(key): \"\(text)\" is not a date (yyyy-MM-dd)") }
        return d
    }
}

/// The centre's totals of settlements in force.
public struct Reconciliation: Hashable, Sendable {
    public var count: Int
    public var total: Money
    public var fund: Money
    public var account: Money
    public var cash: Money

    /// The settlements of an institution in force, settled between two days (inclusive).
    public static func totals(_ db: Database, institution: String, from: LocalDay, to: LocalDay, insutype: String? = nil) throws -> Reconciliation {
        var sql = """
            SELECT COUNT(*) AS n, COALESCE(SUM(total), 0) AS total, COALESCE(SUM(fund), 0) AS fund,
                   COALESCE(SUM(account), 0) AS account, COALESCE(SUM(cash), 0) AS cash
            FROM settlement WHERE status = 'settled' AND fixmedins_code = ? AND day BETWEEN ? AND ?
            """
        var arguments: StatementArguments = [institution, from.description, to.description]
        if let insutype {
            sql += " AND insutype = ?"
            arguments += [insutype]
        }
        let row = try db.row(sql, arguments: arguments)!
        return Reconciliation(
            count: row["n"], total: Money(fen: row["total"]), fund: Money(fen: row["fund"]), account: Money(fen: row["account"]),
            cash: Money(fen: row["cash"]))
    }
}
