// A seeded back-office database in a folder of its own, and helpers to
// send the centre platform requests written as JSON text.

import BackOffice
import BackOfficeStore
import Foundation
import GRDB
import Synchronization
import Testing

final class BackOfficeFixture {
    let root: String
    let path: String
    let pool: DatabasePool
    let cards: [SeededCard]
    /// The day the records were created on (cards not yet activated were picked up then).
    let seededOn: LocalDay

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sscard-centre-\(UUID().uuidString)").path
        path = root + "/backoffice.sqlite"
        seededOn = CentreClock().now().day
        cards = try Seeder.initialize(path: path, seed: nil, today: seededOn)
        pool = try BackOfficeDatabase.open(path: path, create: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func card(_ profile: String) -> SeededCard { cards.first { $0.profile == profile }! }

    /// The centre as of `seededOn + days`.
    func centre(afterDays days: Int = 0) -> InsuranceCentre {
        InsuranceCentre(pool: pool, clock: CentreClock(today: seededOn + days), area: "510100")
    }

    func counter(afterDays days: Int = 0) -> Counter { Counter(pool: pool, clock: CentreClock(today: seededOn + days)) }

    static let serial = Atomic<Int>(0)

    /// A new msgid: the institution's code and an 18-digit serial (30 characters).
    static func msgid() -> String {
        let n = String(serial.add(1, ordering: .relaxed).newValue)
        return "H51010000001" + String(repeating: "0", count: max(0, 18 - n.count)) + n
    }

    /// The request envelope around `input` (JSON text).
    static func envelope(_ infno: String, _ input: String, msgid: String = msgid(), fixmedins: String = "H51010000001", extra: String = "") -> String {
        #"{"infno":"\#(infno)","msgid":"\#(msgid)","mdtrtarea_admvs":"510100","recer_sys_code":"YBXT","infver":"V1.0","opter_type":"1","opter":"001","opter_name":"测试","inf_time":"2026-12-03 08:00:00","fixmedins_code":"\#(fixmedins)","fixmedins_name":"SSCard 测试药房"\#(extra),"input":\#(input)}"#
    }

    /// Sends a request and parses the answer.
    @discardableResult
    func call(_ centre: InsuranceCentre, _ infno: String, _ input: String, msgid: String = msgid(), extra: String = "") throws -> JSON {
        try JSON.parse(centre.respond(to: Array(Self.envelope(infno, input, msgid: msgid, extra: extra).utf8)))
    }

    /// The card credential of a seeded card, as JSON members.
    func credential(_ c: SeededCard) -> String {
        #""mdtrt_cert_type":"03","mdtrt_cert_no":"\#(c.cardNumber)","card_sn":"\#(c.cardID)""#
    }

    /// A pharmacy purchase's input: one line per (code, price, count).
    func drugs(_ c: SeededCard, _ lines: [(String, String, String)], useAccount: Bool = true) -> String {
        var total = 0
        var details: [String] = []
        for (i, (code, price, count)) in lines.enumerated() {
            let p = Decimals(price, maxFraction: 6)!.scaled, n = Decimals(count, maxFraction: 4)!.scaled
            let amount = (p * n + 50_000_000) / 100_000_000
            total += amount
            details.append(
                #"{"feedetl_sn":"\#(i + 1)","med_list_codg":"\#(code)","det_item_fee_sumamt":"\#(Money(fen: amount))","cnt":"\#(count)","pric":"\#(price)"}"#)
        }
        return #"{"druginfo":{"psn_no":"\#(c.psnNo)",\#(credential(c)),"medfee_sumamt":"\#(Money(fen: total))","acct_used_flag":"\#(useAccount ? "1" : "0")","med_type":"41"},"drugdetail":[\#(details.joined(separator: ","))]}"#
    }

    func balance(_ psnNo: String) throws -> Money { try pool.read { db in try Records.balance(db, psnNo: psnNo) } }

    /// Counts of every table a request may write, and the balances: equal before and after a refused request.
    func snapshot() throws -> [String: Int] {
        try pool.read { db in
            var out: [String: Int] = [:]
            for t in ["message", "signin", "visit", "fee", "settlement", "ledger", "card_event", "bank_journal", "accumulator"] {
                out[t] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(t)")
            }
            out["balances"] = try Int.fetchOne(db, sql: "SELECT SUM(balance) FROM account")
            return out
        }
    }
}

extension JSON {
    var infcode: String? { self["infcode"]?.scalarText }
    var errorMessage: String { self["err_msg"]?.string ?? "" }
    func at(_ path: String...) -> JSON? {
        var v: JSON? = self
        for p in path {
            if let i = Int(p) { v = v?.array.flatMap { i < $0.count ? $0[i] : nil } } else { v = v?[p] }
        }
        return v
    }
    func money(_ path: String...) -> Money? {
        var v: JSON? = self
        for p in path { v = v?[p] }
        return v?.scalarText.flatMap { Money(yuan: $0) }
    }
}
