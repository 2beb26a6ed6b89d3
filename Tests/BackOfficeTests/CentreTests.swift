// The insurance centre's platform interface in process: every infno, the
// card check of 1101, refusals by life cycle, idempotent msgids, reversal,
// reconciliation, and bad input that answers -1 and writes nothing.

import BackOffice
import BackOfficeStore
import Foundation
import GRDB
import Testing

@Suite struct CentreTests {
    @Test func signInAndOut() throws {
        let f = try BackOfficeFixture()
        let centre = f.centre()
        let a = try f.call(centre, "9001", #"{"signIn":{"opter_no":"001","mac":"00-11-22-33-44-55","ip":"127.0.0.1"}}"#)
        #expect(a.infcode == "0")
        let sign = try #require(a.at("output", "signinoutb", "sign_no")?.string)
        let c = f.card("default")
        let ok = try f.call(centre, "1101", "{\"data\":{\(f.credential(c))}}", extra: #","sign_no":"\#(sign)""#)
        #expect(ok.infcode == "0")
        #expect(try f.call(centre, "9002", #"{"signOut":{"sign_no":"\#(sign)","opter_no":"001"}}"#).infcode == "0")
        let after = try f.call(centre, "1101", "{\"data\":{\(f.credential(c))}}", extra: #","sign_no":"\#(sign)""#)
        #expect(after.infcode == "-1")
        #expect(after.errorMessage.hasPrefix("sign_no: \(sign) is not an open sign-in"))
        #expect(try f.call(centre, "9002", #"{"signOut":{"sign_no":"\#(sign)","opter_no":"001"}}"#).errorMessage.contains("not an open sign-in"))
    }

    @Test func personInformationByCardAndByIDCard() throws {
        let f = try BackOfficeFixture()
        let centre = f.centre(afterDays: 1)
        let c = f.card("default")
        let a = try f.call(centre, "1101", "{\"data\":{\(f.credential(c)),\"psn_cert_type\":\"01\"}}")
        #expect(a.infcode == "0")
        #expect(a.at("output", "baseinfo", "psn_no")?.string == c.psnNo)
        #expect(a.at("output", "insuinfo", "0")?.money("balc") == (try f.balance(c.psnNo)))
        #expect(a.at("output", "insuinfo", "0", "insuplc_admdvs")?.string == "510100")
        let certno = try #require(a.at("output", "baseinfo", "certno")?.string)
        let byID = try f.call(centre, "1101", #"{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"\#(certno)"}}"#)
        #expect(byID.at("output", "baseinfo", "psn_no")?.string == c.psnNo)
        // The national DLL route: 卡号|业务卡串.
        let dll = try f.call(centre, "1101", #"{"data":{"mdtrt_cert_type":"03","mdtrt_cert_no":"\#(c.cardNumber)|QkFTRTY0","card_sn":"\#(c.cardID)"}}"#)
        #expect(dll.infcode == "0")
    }

    @Test func theCardIDMustMatchTheCardNumber() throws {
        let f = try BackOfficeFixture()
        let centre = f.centre(afterDays: 1)
        let c = f.card("default"), other = f.card("default-des")
        let missing = try f.call(centre, "1101", #"{"data":{"mdtrt_cert_type":"03","mdtrt_cert_no":"\#(c.cardNumber)"}}"#)
        #expect(missing.errorMessage == "input.data.card_sn: is mandatory with a social security card (mdtrt_cert_type 03)")
        let wrong = try f.call(centre, "1101", #"{"data":{"mdtrt_cert_type":"03","mdtrt_cert_no":"\#(c.cardNumber)","card_sn":"\#(other.cardID)"}}"#)
        #expect(wrong.errorMessage.hasPrefix("input.data.card_sn: \(other.cardID) is not the card ID of card \(c.cardNumber)"))
        let unknown = try f.call(centre, "1101", #"{"data":{"mdtrt_cert_type":"03","mdtrt_cert_no":"X00000000","card_sn":"\#(c.cardID)"}}"#)
        #expect(unknown.errorMessage == "input.data.mdtrt_cert_no: no card X00000000 is known to the centre")
        let otherPerson = try f.call(centre, "2101", f.drugs(c, [("SSC-XA01", "12.9", "1")]).replacingOccurrences(of: c.psnNo, with: other.psnNo))
        #expect(otherPerson.errorMessage.contains("psn_no: \(other.psnNo) is not the person of the credential presented"))
    }

    @Test func pharmacyPreSettlementSettlementAndCancel() throws {
        let f = try BackOfficeFixture()
        let centre = f.centre(afterDays: 1)
        let c = f.card("default")
        let before = try f.balance(c.psnNo)
        let input = f.drugs(c, [("SSC-XA01", "12.9", "2"), ("SSC-XB01", "39.5", "1"), ("SSC-XC01", "10", "1")])
        let pre = try f.call(centre, "2101", input)
        #expect(pre.infcode == "0")
        #expect(try f.balance(c.psnNo) == before)
        // 甲 25.80 in scope; 乙 39.50 at 10 % first self-pay: 3.95 + 35.55; 丙 10.00 wholly own pay.
        #expect(pre.money("output", "setlinfo", "preselfpay_amt") == Money(fen: 395))
        #expect(pre.money("output", "setlinfo", "fulamt_ownpay_amt") == Money(fen: 1000))
        #expect(pre.money("output", "setlinfo", "hifp_pay") == .zero)
        #expect(pre.money("output", "setlinfo", "acct_pay") == Money(fen: 6530))
        #expect(pre.money("output", "setlinfo", "psn_cash_pay") == Money(fen: 1000))
        let msgid = BackOfficeFixture.msgid()
        let settled = try f.call(centre, "2102", input, msgid: msgid)
        let setl = try #require(settled.at("output", "setlinfo"))
        #expect(setl.money("acct_pay") == Money(fen: 6530))
        #expect(setl.money("balc") == before - Money(fen: 6530))
        #expect(try f.balance(c.psnNo) == before - Money(fen: 6530))
        // total = fund + person share; person share = account + cash.
        #expect(setl.money("medfee_sumamt") == setl.money("fund_pay_sumamt")! + setl.money("psn_part_amt")!)
        #expect(setl.money("psn_part_amt") == setl.money("acct_pay")! + setl.money("psn_cash_pay")!)
        // The same msgid again: the first answer, nothing changed.
        let snapshot = try f.snapshot()
        let again = centre.respond(to: Array(BackOfficeFixture.envelope("2102", input, msgid: msgid).utf8))
        #expect(again == settled.serializedBytes)
        #expect(try f.snapshot() == snapshot)
        let setlID = try #require(setl["setl_id"]?.string)
        let cancel = try f.call(centre, "2103", #"{"data":{"setl_id":"\#(setlID)","mdtrt_id":"\#(setl["mdtrt_id"]!.string!)","psn_no":"\#(c.psnNo)"}}"#)
        #expect(cancel.infcode == "0")
        #expect(cancel.money("output", "setlinfo", "acct_pay") == Money(fen: -6530))
        #expect(try f.balance(c.psnNo) == before)
        let twice = try f.call(centre, "2103", #"{"data":{"setl_id":"\#(setlID)","psn_no":"\#(c.psnNo)"}}"#)
        #expect(twice.errorMessage.contains("is already cancelled"))
        // The same msgid for another transaction is refused.
        let reused = try f.call(centre, "2101", input, msgid: msgid)
        #expect(reused.errorMessage == "msgid: \(msgid) was already used for a 2102 message; a new message needs a new msgid")
    }

    @Test func theAccountPaysNoMoreThanItsBalance() throws {
        let f = try BackOfficeFixture()
        let centre = f.centre(afterDays: 1)
        let c = f.card("default")
        let balance = try f.balance(c.psnNo)
        let a = try f.call(centre, "2102", f.drugs(c, [("SSC-XA01", "999.99", "3")]))
        #expect(a.money("output", "setlinfo", "acct_pay") == balance)
        #expect(a.money("output", "setlinfo", "psn_cash_pay") == Money(fen: 299_997) - balance)
        #expect(try f.balance(c.psnNo) == .zero)
        let noAccount = try f.call(centre, "2102", f.drugs(c, [("SSC-XA01", "10", "1")], useAccount: false))
        #expect(noAccount.money("output", "setlinfo", "acct_pay") == .zero)
    }

    /// Every bad input answers -1 naming the field, and writes nothing.
    @Test func badInputAnswersMinusOneAndWritesNothing() throws {
        let f = try BackOfficeFixture()
        let centre = f.centre(afterDays: 1)
        let c = f.card("default")
        let good = f.drugs(c, [("SSC-XA01", "12.9", "2")])
        let cases: [(String, String)] = [
            (#"{"infno":"2102","msgid":"#, "malformed JSON at byte 24: unexpected end of input"),
            ("[1,2]", "(request): must be a JSON object"),
            (BackOfficeFixture.envelope("9999", "{}"), "infno: \"9999\" is not a transaction this centre answers"),
            (BackOfficeFixture.envelope("2102", good).replacingOccurrences(of: #""msgid":"H"#, with: #""msgid_":"H"#), "msgid: is mandatory"),
            (BackOfficeFixture.envelope("2102", "[]"), "input: must be an object"),
            (BackOfficeFixture.envelope("2102", good.replacingOccurrences(of: #""medfee_sumamt":"25.80""#, with: #""medfee_sumamt":"25.801""#)),
             "input.druginfo.medfee_sumamt: has more than two decimals"),
            (BackOfficeFixture.envelope("2102", good.replacingOccurrences(of: #""medfee_sumamt":"25.80""#, with: #""medfee_sumamt":"-25.80""#)),
             "input.druginfo.medfee_sumamt: must not be negative"),
            (BackOfficeFixture.envelope("2102", good.replacingOccurrences(of: #""medfee_sumamt":"25.80""#, with: #""medfee_sumamt":true"#)),
             "input.druginfo.medfee_sumamt: must be an amount"),
            (BackOfficeFixture.envelope("2102", good.replacingOccurrences(of: #""medfee_sumamt":"25.80""#, with: #""medfee_sumamt":"30.00""#)),
             "input.druginfo.medfee_sumamt: 30.00 is not the sum of the fee lines (25.80)"),
            (BackOfficeFixture.envelope("2102", good.replacingOccurrences(of: #""cnt":"2""#, with: #""cnt":"3""#)),
             "input.drugdetail[0].det_item_fee_sumamt: 25.80 is not pric × cnt (38.70)"),
            (BackOfficeFixture.envelope("2102", good.replacingOccurrences(of: #","acct_used_flag":"1""#, with: "")), "input.druginfo.acct_used_flag: is mandatory"),
            (BackOfficeFixture.envelope("2102", good.replacingOccurrences(of: c.psnNo, with: "510100000000000000")),
             "psn_no: 510100000000000000 is not the person of the credential presented"),
            (BackOfficeFixture.envelope("2102", #"{"druginfo":{"psn_no":"1"},"drugdetail":[]}"#), "input.druginfo.mdtrt_cert_type: is mandatory"),
            (BackOfficeFixture.envelope("1101", #"{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"110101190001010000"}}"#),
             "input.data.mdtrt_cert_no: no insured person has the ID number 110101190001010000"),
            (BackOfficeFixture.envelope("2103", #"{"data":{"setl_id":"ST0","psn_no":"\#(c.psnNo)"}}"#), "input.data.setl_id: no 2102 settlement ST0"),
        ]
        let before = try f.snapshot()
        for (body, expected) in cases {
            let a = try JSON.parse(centre.respond(to: Array(body.utf8)))
            #expect(a.infcode == "-1", "\(expected)")
            #expect(a.errorMessage.contains(expected), "\(a.errorMessage) should contain \(expected)")
            #expect(a["output"] == .object([]))
        }
        #expect(try f.snapshot() == before)
        let oversized = try JSON.parse(centre.respond(to: [UInt8](repeating: 0x20, count: InsuranceCentre.maximumBody + 1)))
        #expect(oversized.errorMessage.hasPrefix("(request): over the limit"))
        #expect(try f.snapshot() == before)
    }

    @Test func outpatientVisitFromRegistrationToCancel() throws {
        let f = try BackOfficeFixture()
        let centre = f.centre(afterDays: 1)
        let c = f.card("default")
        let before = try f.balance(c.psnNo)
        let reg = try f.call(
            centre, "2201",
            #"{"data":{"psn_no":"\#(c.psnNo)","insutype":"310","begntime":"2026-12-03 09:00:00",\#(f.credential(c)),"ipt_otp_no":"MZ001","atddr_no":"D01","dr_name":"王医生","dept_code":"01","dept_name":"内科","caty":"A03"}}"#)
        let mdtrt = try #require(reg.at("output", "data", "mdtrt_id")?.string)
        #expect(try f.call(centre, "2203", #"{"mdtrtinfo":{"mdtrt_id":"\#(mdtrt)","psn_no":"\#(c.psnNo)","med_type":"11","begntime":"2026-12-03 09:00:00"},"diseinfo":[{"diag_code":"J06.900","diag_name":"上呼吸道感染"}]}"#).infcode == "0")
        let lines = [("1", "SSC-ZL01", "30", "1"), ("2", "SSC-ZL02", "250", "1"), ("3", "SSC-XB01", "39.5", "2")]
        let fees = lines.map { l in
            #"{"feedetl_sn":"\#(l.0)","mdtrt_id":"\#(mdtrt)","psn_no":"\#(c.psnNo)","chrg_bchno":"B1","med_list_codg":"\#(l.1)","det_item_fee_sumamt":"\#(Money(fen: Decimals(l.2, maxFraction: 2)!.scaled * Int(l.3)!))","cnt":"\#(l.3)","pric":"\#(l.2)","fee_ocur_time":"2026-12-03 09:10:00"}"#
        }
        let up = try f.call(centre, "2204", #"{"feedetail":[\#(fees.joined(separator: ","))]}"#)
        #expect(up.infcode == "0")
        // The 诊查费 is capped at 25.00: 5.00 over the limit.
        #expect(up.at("output", "result", "0")?.money("overlmt_amt") == Money(fen: 500))
        #expect(try f.call(centre, "2204", #"{"feedetail":[\#(fees[0])]}"#).errorMessage.contains("is already uploaded"))
        let settle = #"{"data":{"psn_no":"\#(c.psnNo)",\#(f.credential(c)),"med_type":"11","medfee_sumamt":"359.00","psn_setlway":"01","mdtrt_id":"\#(mdtrt)","chrg_bchno":"B1","insutype":"310","acct_used_flag":"1"}}"#
        let pre = try f.call(centre, "2206", settle)
        #expect(pre.infcode == "0")
        // In scope 25.00 + 250.00 + 71.10 = 346.10; deductible 200.00; fund 50 % of 146.10 = 73.05.
        #expect(pre.money("output", "setlinfo", "inscp_scp_amt") == Money(fen: 34_610))
        #expect(pre.money("output", "setlinfo", "act_pay_dedc") == Money(fen: 20_000))
        #expect(pre.money("output", "setlinfo", "hifp_pay") == Money(fen: 7305))
        let done = try f.call(centre, "2207", settle)
        let setl = try #require(done.at("output", "setlinfo"))
        #expect(setl.money("medfee_sumamt") == setl.money("fund_pay_sumamt")! + setl.money("psn_part_amt")!)
        #expect(try f.balance(c.psnNo) == before - setl.money("acct_pay")!)
        #expect(try f.call(centre, "2207", settle).errorMessage.contains("has no unsettled lines in batch B1"))
        #expect(try f.call(centre, "2205", #"{"data":{"mdtrt_id":"\#(mdtrt)","chrg_bchno":"B1","psn_no":"\#(c.psnNo)"}}"#).errorMessage.contains("is settled"))
        #expect(try f.call(centre, "2202", #"{"data":{"mdtrt_id":"\#(mdtrt)","psn_no":"\#(c.psnNo)","ipt_otp_no":"MZ001"}}"#).errorMessage.contains("has a settlement in force"))
        let year = try f.pool.read { db in try Records.year(db, psnNo: c.psnNo, year: (f.seededOn + 1).year) }
        #expect(year.deductibleUsed == Money(fen: 20_000))
        let cancel = try f.call(centre, "2208", #"{"data":{"setl_id":"\#(setl["setl_id"]!.string!)","mdtrt_id":"\#(mdtrt)","psn_no":"\#(c.psnNo)"}}"#)
        #expect(cancel.infcode == "0")
        #expect(try f.balance(c.psnNo) == before)
        let rolledBack = try f.pool.read { db in try Records.year(db, psnNo: c.psnNo, year: (f.seededOn + 1).year) }
        #expect(rolledBack.deductibleUsed == .zero && rolledBack.visits == 0)
        #expect(try f.call(centre, "2205", #"{"data":{"mdtrt_id":"\#(mdtrt)","chrg_bchno":"B1","psn_no":"\#(c.psnNo)","feedetl_sn":"0000"}}"#).infcode == "0")
        #expect(try f.call(centre, "2202", #"{"data":{"mdtrt_id":"\#(mdtrt)","psn_no":"\#(c.psnNo)","ipt_otp_no":"MZ001"}}"#).infcode == "0")
        #expect(try f.call(centre, "2203", #"{"mdtrtinfo":{"mdtrt_id":"\#(mdtrt)","psn_no":"\#(c.psnNo)","med_type":"11"}}"#).errorMessage.contains("is cancelled"))
    }

    @Test func reversalByTheOriginalMessageID() throws {
        let f = try BackOfficeFixture()
        let centre = f.centre(afterDays: 1)
        let c = f.card("default")
        let before = try f.balance(c.psnNo)
        let msgid = BackOfficeFixture.msgid()
        let settled = try f.call(centre, "2102", f.drugs(c, [("SSC-XA01", "20", "1")]), msgid: msgid)
        #expect(try f.balance(c.psnNo) == before - Money(fen: 2000))
        let reversal = #"{"data":{"psn_no":"\#(c.psnNo)","omsgid":"\#(msgid)","oinfno":"2102"}}"#
        #expect(try f.call(centre, "2601", reversal).infcode == "0")
        #expect(try f.balance(c.psnNo) == before)
        #expect(try f.call(centre, "2601", reversal).errorMessage.contains("was already reversed"))
        // A cancellation reversed puts the settlement back in force.
        let second = try f.call(centre, "2102", f.drugs(c, [("SSC-XA01", "30", "1")]))
        let setlID = try #require(second.at("output", "setlinfo", "setl_id")?.string)
        let cancelID = BackOfficeFixture.msgid()
        _ = try f.call(centre, "2103", #"{"data":{"setl_id":"\#(setlID)","psn_no":"\#(c.psnNo)"}}"#, msgid: cancelID)
        #expect(try f.balance(c.psnNo) == before)
        #expect(try f.call(centre, "2601", #"{"data":{"psn_no":"\#(c.psnNo)","omsgid":"\#(cancelID)","oinfno":"2103"}}"#).infcode == "0")
        #expect(try f.balance(c.psnNo) == before - Money(fen: 3000))
        // A message reversed before it arrived never takes effect.
        let late = BackOfficeFixture.msgid()
        let barred = try f.call(centre, "2601", #"{"data":{"psn_no":"\#(c.psnNo)","omsgid":"\#(late)","oinfno":"2102"}}"#)
        #expect(barred.infcode == "0")
        #expect(barred["warn_msg"]?.string?.contains("never received") == true)
        let arrived = try f.call(centre, "2102", f.drugs(c, [("SSC-XA01", "40", "1")]), msgid: late)
        #expect(arrived.infcode == "-1")
        #expect(try f.balance(c.psnNo) == before - Money(fen: 3000))
        #expect(settled.infcode == "0")
    }

    @Test func reconciliationAgreesOrNamesTheDifference() throws {
        let f = try BackOfficeFixture()
        let centre = f.centre(afterDays: 1)
        let c = f.card("default")
        let a = try f.call(centre, "2102", f.drugs(c, [("SSC-XA01", "20", "1")]))
        let b = try f.call(centre, "2102", f.drugs(c, [("SSC-XC01", "5.5", "2")]))
        let account = a.money("output", "setlinfo", "acct_pay")! + b.money("output", "setlinfo", "acct_pay")!
        let day = (f.seededOn + 1).description
        func check(_ total: String, _ count: Int) throws -> JSON {
            try f.call(centre, "3201", #"{"data":{"insutype":"310","clr_type":"41","setl_optins":"510100","stmt_begndate":"\#(day)","stmt_enddate":"\#(day)","medfee_sumamt":"\#(total)","fund_pay_sumamt":"0.00","acct_pay":"\#(account)","fixmedins_setl_cnt":"\#(count)"}}"#)
        }
        #expect(try check("31.00", 2).at("output", "stmtinfo", "stmt_rslt")?.string == "0")
        let off = try check("30.00", 3)
        #expect(off.at("output", "stmtinfo", "stmt_rslt")?.string == "1")
        #expect(off.at("output", "stmtinfo", "stmt_rslt_dscr")?.string == "对账不一致: settlements: centre 2, institution 3; medfee_sumamt: centre 31.00, institution 30.00")
    }
}
