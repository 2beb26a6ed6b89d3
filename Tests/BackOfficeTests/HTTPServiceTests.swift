// The back office as users reach it: `sscard backoffice serve` started by
// PID on a free loopback port, every infno and every kind of bad input over
// HTTP, the bank's endpoint, concurrent settlements on one person, and a
// server killed (SIGKILL) in the middle of settlements.

import BackOffice
import BackOfficeStore
import CardPersonalization
import CardSimulator
import CardTransport
import Foundation
import GRDB
import Synchronization
import HTTPWire
import Terminal
import TestSupport
import Testing

@Suite(.serialized) struct HTTPServiceTests {
    static let path = "/fsi/api/rsfComIfsService/callService"

    /// A seeded database (by the CLI) and a server on it.
    final class Served {
        let dir: String
        let db: String
        let server: ServiceProcess
        let port: Int
        let cards: [String: (cardNo: String, cardSN: String, psnNo: String)]

        init() throws {
            dir = try temporaryDirectory("backoffice-http")
            db = dir + "/bo.sqlite"
            let initResult = try ProcessRunner.run(ProcessRunner.sscard, ["backoffice", "init", "--db", db, "--json"])
            guard initResult.status == 0 else { throw ServiceError(message: "init: \(initResult.stderr)") }
            let list = try JSON.parse(initResult.stdout)["cards"]?.array ?? []
            var cards: [String: (String, String, String)] = [:]
            for c in list { cards[c["profile"]!.string!] = (c["card_no"]!.string!, c["card_sn"]!.string!, c["psn_no"]!.string!) }
            self.cards = cards
            server = try ServiceProcess(ProcessRunner.sscard, ["backoffice", "serve", "--db", db, "--http", "127.0.0.1:0"])
            guard let p = server.port else { throw ServiceError(message: "no port in \(server.firstLine)") }
            port = p
        }

        deinit {
            server.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }

        func post(_ c: HTTPConnection, _ infno: String, _ input: String, msgid: String = BackOfficeFixture.msgid()) throws -> JSON {
            let r = try c.post(HTTPServiceTests.path, json: Array(BackOfficeFixture.envelope(infno, input, msgid: msgid).utf8))
            #expect(r.status == 200)
            return try JSON.parse(r.body)
        }

        func credential(_ profile: String) -> String {
            let c = cards[profile]!
            return #""mdtrt_cert_type":"03","mdtrt_cert_no":"\#(c.cardNo)","card_sn":"\#(c.cardSN)""#
        }

        func drugs(_ profile: String, amount: String) -> String {
            #"{"druginfo":{"psn_no":"\#(cards[profile]!.psnNo)",\#(credential(profile)),"medfee_sumamt":"\#(amount)","acct_used_flag":"1"},"drugdetail":[{"feedetl_sn":"1","med_list_codg":"SSC-XA03","det_item_fee_sumamt":"\#(amount)","cnt":"1","pric":"\#(amount)"}]}"#
        }
    }

    @Test func everyTransactionAndEveryBadInputOverHTTP() throws {
        let s = try Served()
        #expect(s.server.firstLine == "listening on http://127.0.0.1:\(s.port)")
        let c = HTTPConnection(port: s.port)
        let psn = s.cards["default"]!.psnNo
        let sign = try s.post(c, "9001", #"{"signIn":{"opter_no":"001"}}"#).at("output", "signinoutb", "sign_no")?.string
        #expect(sign != nil)
        let person = try s.post(c, "1101", "{\"data\":{\(s.credential("default"))}}")
        #expect(person.at("output", "baseinfo", "psn_no")?.string == psn)
        #expect(try s.post(c, "2101", s.drugs("default", amount: "8.00")).infcode == "0")
        let settled = try s.post(c, "2102", s.drugs("default", amount: "8.00"))
        let setlID = try #require(settled.at("output", "setlinfo", "setl_id")?.string)
        #expect(try s.post(c, "2103", #"{"data":{"setl_id":"\#(setlID)","psn_no":"\#(psn)"}}"#).infcode == "0")
        let reg = try s.post(c, "2201", #"{"data":{"psn_no":"\#(psn)","begntime":"2026-12-03 09:00:00",\#(s.credential("default")),"ipt_otp_no":"MZ9"}}"#)
        let mdtrt = try #require(reg.at("output", "data", "mdtrt_id")?.string)
        #expect(try s.post(c, "2203", #"{"mdtrtinfo":{"mdtrt_id":"\#(mdtrt)","psn_no":"\#(psn)","med_type":"11"}}"#).infcode == "0")
        let fee = #"{"feedetail":[{"feedetl_sn":"1","mdtrt_id":"\#(mdtrt)","psn_no":"\#(psn)","chrg_bchno":"B1","med_list_codg":"SSC-ZL02","det_item_fee_sumamt":"300.00","cnt":"1","pric":"300"}]}"#
        #expect(try s.post(c, "2204", fee).infcode == "0")
        #expect(try s.post(c, "2205", #"{"data":{"mdtrt_id":"\#(mdtrt)","chrg_bchno":"B1","psn_no":"\#(psn)"}}"#).infcode == "0")
        #expect(try s.post(c, "2204", fee).infcode == "0")
        let settle = #"{"data":{"psn_no":"\#(psn)",\#(s.credential("default")),"medfee_sumamt":"300.00","psn_setlway":"01","mdtrt_id":"\#(mdtrt)","chrg_bchno":"B1","acct_used_flag":"1"}}"#
        #expect(try s.post(c, "2206", settle).money("output", "setlinfo", "hifp_pay") == Money(fen: 5000))
        let msgid = BackOfficeFixture.msgid()
        let outpatient = try s.post(c, "2207", settle, msgid: msgid)
        #expect(outpatient.money("output", "setlinfo", "hifp_pay") == Money(fen: 5000))
        #expect(try s.post(c, "2601", #"{"data":{"psn_no":"\#(psn)","omsgid":"\#(msgid)","oinfno":"2207"}}"#).infcode == "0")
        let settled2 = try s.post(c, "2207", settle)
        #expect(try s.post(c, "2208", #"{"data":{"setl_id":"\#(settled2.at("output", "setlinfo", "setl_id")!.string!)","psn_no":"\#(psn)"}}"#).infcode == "0")
        #expect(try s.post(c, "2202", #"{"data":{"mdtrt_id":"\#(mdtrt)","psn_no":"\#(psn)"}}"#).infcode == "0")
        let today = CentreClock().now().day.description
        let rec = try s.post(c, "3201", #"{"data":{"stmt_begndate":"\#(today)","stmt_enddate":"\#(today)","medfee_sumamt":"0.00","fund_pay_sumamt":"0.00","acct_pay":"0.00","fixmedins_setl_cnt":"0"}}"#)
        #expect(rec.at("output", "stmtinfo", "stmt_rslt")?.string == "0")
        #expect(try s.post(c, "9002", #"{"signOut":{"sign_no":"\#(sign!)","opter_no":"001"}}"#).infcode == "0")

        // Bad input: -1 naming the field.
        func raw(_ body: String) throws -> JSON { try JSON.parse(c.post(Self.path, json: Array(body.utf8)).body) }
        #expect(try raw("{\"infno\":").errorMessage.hasPrefix("malformed JSON at byte 9"))
        #expect(try raw(BackOfficeFixture.envelope("1234", "{}")).errorMessage.hasPrefix("infno: \"1234\" is not a transaction"))
        #expect(try s.post(c, "1101", #"{"data":{"mdtrt_cert_type":"03"}}"#).errorMessage == "input.data.mdtrt_cert_no: is mandatory")
        #expect(try s.post(c, "1101", #"{"data":{"mdtrt_cert_type":3,"mdtrt_cert_no":"x"}}"#).errorMessage.hasPrefix("input.data.mdtrt_cert_type: \"3\" is not one of"))
        #expect(try s.post(c, "2102", s.drugs("default", amount: "8.001")).errorMessage.contains("more than two decimals"))
        #expect(try s.post(c, "2102", s.drugs("default", amount: "-8.00")).errorMessage.contains("must not be negative"))
        // Found by the fuzz target of the reader driver's pPayInfo, which parses
        // amounts the same way: an amount of eight or more digits overflowed
        // while it was scaled, and the trap took the whole server down.
        #expect(try s.post(c, "2102", s.drugs("default", amount: "123456789")).errorMessage.contains("exceeds 100000000.00"))
        #expect(try s.post(c, "2102", s.drugs("default", amount: "999999999999999999")).errorMessage.contains("exceeds 100000000.00"))
        func line(cnt: String, pric: String) -> String {
            s.drugs("default", amount: "8.00").replacingOccurrences(of: #""cnt":"1","pric":"8.00""#, with: #""cnt":"\#(cnt)","pric":"\#(pric)""#)
        }
        #expect(line(cnt: "2", pric: "4") != s.drugs("default", amount: "8.00"))
        #expect(try s.post(c, "2102", line(cnt: "1", pric: "99999999999999999")).errorMessage.hasSuffix("pric: is too large"))
        #expect(try s.post(c, "2102", line(cnt: "99999999", pric: "99999999999")).errorMessage.hasSuffix("pric: pric × cnt is too large"))
        #expect(try s.post(c, "1101", #"{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"000"}}"#).errorMessage.contains("no insured person"))
        let big = try c.post(Self.path, json: [UInt8](repeating: 0x20, count: InsuranceCentre.maximumBody + 10))
        #expect(big.status == 413)
        #expect(try JSON.parse(big.body).infcode == "-1")

        // The bank's endpoint: a real card's request, approved; a bad one, 400 naming the field.
        let p = try CardProfiles.resolve("default")
        let kernel = EMVKernel(card: TerminalSession(transport: VirtualCardTransport(card: CardFactory.virtualCard(p.personalize(seed: p.defaultSeed)))))
        let capture = CapturingHost()
        _ = try kernel.purchase(amount: 2000, pin: String(Array(psn)[11..<17]), host: capture)
        let bank = try c.post("/bank/authorize", json: capture.request!.json(reference: "T1").serializedBytes)
        #expect(bank.status == 200)
        let decision = try JSON.parse(bank.body)
        #expect(decision["arc"]?.string == "00")
        #expect(decision.money("balance") == Money(fen: 1_000_000 - 2000))
        let again = try c.post("/bank/authorize", json: capture.request!.json(reference: "T1").serializedBytes)
        #expect(try JSON.parse(again.body).money("balance") == Money(fen: 1_000_000 - 2000))
        let bad = try c.post("/bank/authorize", json: Array(#"{"pan":"1","psn":"x"}"#.utf8))
        #expect(bad.status == 400)
        #expect(try JSON.parse(bad.body)["message"]?.string == "psn: must be a number from 0 to 255")
    }

    /// Several clients settle on one person at once: the balance never goes
    /// below zero, and its drop is the sum of what the answers say the account paid.
    @Test func concurrentSettlementsOnOnePerson() throws {
        let s = try Served()
        let psn = s.cards["default"]!.psnNo
        let start = try s.post(HTTPConnection(port: s.port), "1101", "{\"data\":{\(s.credential("default"))}}")
            .at("output", "insuinfo", "0")!.money("balc")!
        let port = s.port
        let drugs = s.drugs("default", amount: "97.13")
        // Blocking clients on threads of their own, not on the cooperative pool.
        let sums = onThreads(4) { _ -> Int in
            let c = HTTPConnection(port: port)
            var sum = 0
            for _ in 0..<10 {
                guard let r = try? c.post(Self.path, json: Array(BackOfficeFixture.envelope("2102", drugs).utf8)), let a = try? JSON.parse(r.body),
                    a.infcode == "0"
                else { return -1 }
                sum += a.money("output", "setlinfo", "acct_pay")!.fen
            }
            return sum
        }
        #expect(!sums.contains(-1))
        let paid = sums.reduce(0, +)
        let pool = try BackOfficeDatabase.open(path: s.db, create: false)
        let end = try pool.read { db in try Records.balance(db, psnNo: psn) }
        #expect(end >= .zero)
        #expect(start - end == Money(fen: paid))
        // 40 settlements of 97.13 exceed any seeded balance (500 to 2,500): some paid cash.
        #expect(Money(fen: paid) == min(start, Money(fen: 9713 * 40)))
    }

    /// SIGKILL in the middle of settlements, again and again at random
    /// moments: after each kill the database opens, passes its integrity
    /// check, every balance is its ledger's sum, every settlement is whole
    /// (its message, its ledger line) or absent, and the server serves again.
    @Test func killedInTheMiddleOfSettlementsTheDatabaseIsConsistent() throws {
        let s = try Served()
        let drugs = s.drugs("default", amount: "1.23")
        var answered = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<4 {
            let server = round == 0 ? s.server : try ServiceProcess(ProcessRunner.sscard, ["backoffice", "serve", "--db", s.db, "--http", "127.0.0.1:0"])
            let port = try #require(server.port)
            let pid = server.pid
            let delay = UInt32.random(in: 150_000...900_000, using: &generator)
            let counts = onThreads(5) { i -> Int in
                if i == 4 {
                    // The fifth thread kills the server while the others settle.
                    usleep(delay)
                    kill(pid, SIGKILL)
                    return 0
                }
                let c = HTTPConnection(port: port, timeout: 5)
                var done = 0
                while (try? c.post(Self.path, json: Array(BackOfficeFixture.envelope("2102", drugs).utf8))) != nil { done += 1 }
                return done
            }
            server.crash()
            answered += counts.reduce(0, +)
            let pool = try BackOfficeDatabase.open(path: s.db, create: false)
            try pool.read { db in
                #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
                let mismatched = try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM account a
                    WHERE a.balance <> (SELECT COALESCE(SUM(amount), 0) FROM ledger l WHERE l.psn_no = a.psn_no)
                    """)
                #expect(mismatched == 0, "round \(round)")
                let settled = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(account), 0) FROM settlement WHERE infno = '2102'")!
                let ledger = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE kind = 'settlement'")!
                #expect(settled == -ledger, "round \(round)")
                let messages = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE infno = '2102'")!
                let settlements = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM settlement WHERE infno = '2102'")!
                #expect(messages == settlements, "round \(round)")
                #expect(settlements >= answered, "round \(round): an answered settlement is missing")
            }
        }
        #expect(answered > 0)
        // And it serves again.
        let again = try ServiceProcess(ProcessRunner.sscard, ["backoffice", "serve", "--db", s.db, "--http", "127.0.0.1:0"])
        defer { again.stop() }
        let r = try s.post(HTTPConnection(port: again.port!), "1101", "{\"data\":{\(s.credential("default"))}}")
        #expect(r.infcode == "0")
    }
}

/// Runs `body` on `n` threads of their own at once and returns each result, in order.
func onThreads<T: Sendable>(_ n: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = Mutex<[Int: T]>([:])
    let group = DispatchGroup()
    for i in 0..<n {
        group.enter()
        let t = Thread {
            let r = body(i)
            results.withLock { $0[i] = r }
            group.leave()
        }
        t.start()
    }
    group.wait()
    return results.withLock { r in (0..<n).map { r[$0]! } }
}
