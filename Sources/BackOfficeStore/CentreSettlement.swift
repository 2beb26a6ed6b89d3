// SSCard — BackOfficeStore
//
// Settlements at the centre: the pharmacy's 2101/2102/2103 and the
// outpatient visit's 2201–2208, through the settlement engine, against the
// person's balance and year-to-date accumulators, each in the request's one
// transaction. A cancellation (2103/2208, or 2601 of a settlement) writes a
// negated record, refunds the account and rolls the accumulators back.

import BackOffice
import GRDB

/// A settlement's amounts, as the `setlinfo` block reports them.
struct Figures {
    var total, fullOwnPay, overLimit, preSelfPay, inScope, deductible, fund, personShare, account, cash: Money
    var poolRatio: Ratio
    var poolEntered: Money

    init(_ s: SettlementSplit) {
        total = s.total
        fullOwnPay = s.fullOwnPay
        overLimit = s.overLimit
        preSelfPay = s.preSelfPay
        inScope = s.inScope
        deductible = s.deductible
        fund = s.fund
        personShare = s.personShare
        account = s.account
        cash = s.cash
        poolRatio = s.poolRatio
        poolEntered = s.segments.reduce(.zero) { $0 + $1.entered }
    }

    init(row: Row) {
        total = Money(fen: row["total"])
        fullOwnPay = Money(fen: row["fulamt"])
        overLimit = Money(fen: row["overlmt"])
        preSelfPay = Money(fen: row["preselfpay"])
        inScope = Money(fen: row["inscp"])
        deductible = Money(fen: row["deductible"])
        fund = Money(fen: row["fund"])
        personShare = Money(fen: row["person_share"])
        account = Money(fen: row["account"])
        cash = Money(fen: row["cash"])
        poolRatio = Ratio(parts: row["pool_ratio"])
        poolEntered = Money(fen: row["pool_entered"])
    }

    var negated: Figures {
        var f = self
        for k in [\Figures.total, \.fullOwnPay, \.overLimit, \.preSelfPay, \.inScope, \.deductible, \.fund, \.personShare, \.account, \.cash, \.poolEntered] {
            f[keyPath: k] = -f[keyPath: k]
        }
        return f
    }
}

/// What a settlement is about, besides its amounts.
struct SettlementContext {
    var person: PersonRecord
    var certType: String
    var mdtrtID: String
    var chrgBatch: String?
    var medType: String
    var insutype: String
}

extension InsuranceCentre {
    // MARK: pharmacy

    /// 2101 (pre-settlement) and 2102 (settlement): `druginfo` + `drugdetail`
    /// (or `data` + `feedetail`).
    func pharmacy(_ x: inout Exchange, commit: Bool) throws -> JSON {
        let info = try x.input.optionalObject("druginfo") ?? x.input.object("data")
        let psnNo = try info.string("psn_no", maxLength: 30)
        let presented = try credential(&x, info, psnNo: psnNo)
        let total = try info.money("medfee_sumamt")
        let useAccount = try info.code("acct_used_flag", in: ["0", "1"]) == "1"
        let medType = try info.optionalString("med_type", maxLength: 6) ?? "41"
        let insutype = try insurance(info, presented.person)
        let key = x.input.value("drugdetail") != nil || x.input.value("feedetail") == nil ? "drugdetail" : "feedetail"
        let lines = try x.input.objects(key).map { (f: FSIFields) throws(FSIFieldError) in try FeeLine(fields: f) }
        try checkLines(lines, total: total, path: info.path, linesPath: "input.\(key)")
        var context = SettlementContext(
            person: presented.person, certType: presented.certType, mdtrtID: "", chrgBatch: nil, medType: medType, insutype: insutype)
        let policy = try Records.policy(x.db, region: presented.person.region, kind: medType == "41" ? "pharmacy" : "outpatient")
        let split = try split(x, lines, policy: policy, person: presented.person, useAccount: useAccount)
        var setlID = ""
        if commit {
            context.mdtrtID = try Self.identifier("PH", x.now, serial: (x.db.int("SELECT MAX(rowid) FROM settlement") ?? 0) + 1)
            setlID = try record(&x, split, context: context)
        }
        return settlementOutput(x, Figures(split), context: context, setlID: setlID, balance: split.balanceAfter, lines: split.lines)
    }

    /// `insutype`, which must be the person's when given.
    func insurance(_ f: FSIFields, _ person: PersonRecord) throws -> String {
        guard let t = try f.optionalString("insutype", maxLength: 6) else { return person.insutype }
        guard t == person.insutype else { throw FSIRefusal("\(f.path).insutype: \(person.psnNo) is insured under \(person.insutype), not \(t)") }
        return t
    }

    /// The lines add up to the total, and their serials are unique.
    func checkLines(_ lines: [FeeLine], total: Money, path: String, linesPath: String) throws {
        var seen = Set<String>()
        for (i, l) in lines.enumerated() where !seen.insert(l.serial).inserted {
            throw FSIFieldError(path: "\(linesPath)[\(i)].feedetl_sn", reason: "\(l.serial) appears twice")
        }
        let sum = lines.reduce(Money.zero) { $0 + $1.amount }
        guard sum == total else {
            throw FSIFieldError(path: "\(path).medfee_sumamt", reason: "\(total) is not the sum of the fee lines (\(sum))")
        }
    }

    /// Classifies the lines against the catalogue and splits the settlement.
    func split(_ x: Exchange, _ lines: [FeeLine], policy: SettlementPolicy, person: PersonRecord, useAccount: Bool) throws -> SettlementSplit {
        var splits: [LineSplit] = []
        splits.reserveCapacity(lines.count)
        for l in lines {
            let item = try x.db.row("SELECT * FROM catalogue WHERE code = ?", arguments: [l.code]).map { r in
                CatalogueItem(
                    code: r["code"], name: r["name"], itemClass: CatalogueClass(rawValue: r["class"]) ?? .classC,
                    selfPay: Ratio(parts: r["selfpay"]), priceCap: (r["price_cap"] as String?).flatMap { Decimals($0, maxFraction: 6) })
            }
            splits.append(SettlementEngine.classify(l, item: item, defaultSelfPay: policy.defaultSelfPay))
        }
        let year = try Records.year(x.db, psnNo: person.psnNo, year: x.day.year)
        let balance = try Records.balance(x.db, psnNo: person.psnNo)
        return SettlementEngine.settle(splits, policy: policy, personType: person.personType, year: year, balance: balance, useAccount: useAccount)
    }

    /// Writes a settlement: the account, its ledger, the accumulators, the record.
    func record(_ x: inout Exchange, _ split: SettlementSplit, context c: SettlementContext) throws -> String {
        let figures = Figures(split)
        let serial = (try x.db.int("SELECT MAX(rowid) FROM settlement") ?? 0) + 1
        let setlID = Self.identifier("ST", x.now, serial: serial)
        try moveAccount(x, psnNo: c.person.psnNo, by: -figures.account, kind: "settlement", reference: setlID)
        try accumulate(x, psnNo: c.person.psnNo, year: x.day.year, figures, visits: 1)
        try insertSettlement(x, setlID: setlID, infno: x.envelope.infno, context: c, figures: figures, status: "settled")
        return setlID
    }

    func insertSettlement(_ x: Exchange, setlID: String, infno: String, context c: SettlementContext, figures f: Figures, status: String) throws {
        try x.db.run("""
                INSERT INTO settlement (setl_id, infno, mdtrt_id, chrg_bchno, psn_no, msgid, fixmedins_code, setl_time, day, year,
                    insutype, med_type, cert_type, total, fulamt, overlmt, preselfpay, inscp, deductible, pool_entered, pool_ratio,
                    fund, person_share, account, cash, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                setlID, infno, c.mdtrtID, c.chrgBatch, c.person.psnNo, x.envelope.msgid, x.envelope.fixmedins, x.now.text,
                x.day.description, x.day.year, c.insutype, c.medType, c.certType, f.total.fen, f.fullOwnPay.fen, f.overLimit.fen,
                f.preSelfPay.fen, f.inScope.fen, f.deductible.fen, f.poolEntered.fen, f.poolRatio.parts, f.fund.fen, f.personShare.fen,
                f.account.fen, f.cash.fen, status,
            ])
    }

    /// Moves the personal account by an amount, with a ledger line; never below zero.
    func moveAccount(_ x: Exchange, psnNo: String, by amount: Money, kind: String, reference: String) throws {
        guard amount != .zero else { return }
        let balance = try Records.balance(x.db, psnNo: psnNo)
        guard balance + amount >= .zero else {
            throw FSIRefusal("账户余额不足: the personal account of \(psnNo) holds \(balance), \(-amount) is needed")
        }
        try x.db.run("UPDATE account SET balance = balance + ? WHERE psn_no = ?", arguments: [amount.fen, psnNo])
        try x.db.run("INSERT INTO ledger (psn_no, time, kind, amount, balance_after, reference) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [psnNo, x.now.text, kind, amount.fen, (balance + amount).fen, reference])
    }

    func accumulate(_ x: Exchange, psnNo: String, year: Int, _ f: Figures, visits: Int) throws {
        try x.db.run("""
                INSERT INTO accumulator (psn_no, year, deductible_used, pool_entered, fund_paid, visits) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (psn_no, year) DO UPDATE SET
                    deductible_used = deductible_used + excluded.deductible_used, pool_entered = pool_entered + excluded.pool_entered,
                    fund_paid = fund_paid + excluded.fund_paid, visits = visits + excluded.visits
                """,
            arguments: [psnNo, year, f.deductible.fen, f.poolEntered.fen, f.fund.fen, visits])
    }

    /// The `setlinfo`, `setldetail` and `detlcutinfo` of an answer.
    func settlementOutput(_ x: Exchange, _ f: Figures, context c: SettlementContext, setlID: String, balance: Money, lines: [LineSplit]) -> JSON {
        let p = c.person
        let zero = JSON.money(.zero)
        let setlinfo = JSON.object([
            ("setl_id", .string(setlID)), ("mdtrt_id", .string(c.mdtrtID)), ("psn_no", .string(p.psnNo)), ("psn_name", .string(p.name)),
            ("psn_cert_type", .string("01")), ("certno", .string(p.certno)), ("gend", .string(p.genderCode)), ("naty", .string("01")),
            ("brdy", .string(p.birthDate)), ("age", .number(String(p.age(on: x.day)))), ("insutype", .string(c.insutype)),
            ("psn_type", .string(p.personType)), ("cvlserv_flag", .string("0")), ("setl_time", .string(x.now.text)),
            ("mdtrt_cert_type", .string(c.certType)), ("med_type", .string(c.medType)), ("medfee_sumamt", .money(f.total)),
            ("fulamt_ownpay_amt", .money(f.fullOwnPay)), ("overlmt_selfpay", .money(f.overLimit)), ("preselfpay_amt", .money(f.preSelfPay)),
            ("inscp_scp_amt", .money(f.inScope)), ("act_pay_dedc", .money(f.deductible)), ("hifp_pay", .money(f.fund)),
            ("pool_prop_selfpay", .number(f.poolRatio.description)), ("cvlserv_pay", zero), ("hifes_pay", zero), ("hifmi_pay", zero),
            ("hifob_pay", zero), ("maf_pay", zero), ("oth_pay", zero), ("fund_pay_sumamt", .money(f.fund)),
            ("psn_part_amt", .money(f.personShare)), ("acct_pay", .money(f.account)), ("psn_cash_pay", .money(f.cash)),
            ("hosp_part_amt", zero), ("balc", .money(balance)), ("acct_mulaid_pay", zero), ("medins_setl_id", .string(x.envelope.msgid)),
            ("clr_optins", .string(p.region)), ("clr_way", .string("1")), ("clr_type", .string(c.medType == "41" ? "41" : "11")),
        ])
        var detail: [JSON] = []
        if f.fund != .zero {
            detail.append(
                .object([
                    ("fund_pay_type", .string("310100")), ("inscp_scp_amt", .money(f.inScope)), ("crt_payb_lmt_amt", .money(f.deductible)),
                    ("fund_payamt", .money(f.fund)), ("fund_pay_type_name", .string("职工基本医疗保险统筹基金")),
                    ("setl_proc_info", .string("segment ratio \(f.poolRatio)")),
                ]))
        }
        return .object([
            ("setlinfo", setlinfo), ("setldetail", .array(detail)), ("detlcutinfo", .array(lines.map(Self.lineOutput))),
        ])
    }

    /// One classified line (the 2204 `result`, 2101/2102 `detlcutinfo`).
    static func lineOutput(_ l: LineSplit) -> JSON {
        .object([
            ("feedetl_sn", .string(l.line.serial)), ("det_item_fee_sumamt", .money(l.line.amount)),
            ("cnt", .number(l.line.quantity.description)), ("pric", .number(l.line.price.description)),
            ("pric_uplmt_amt", l.priceCap.map { .number($0.description) } ?? .null), ("selfpay_prop", .number(l.selfPay.description)),
            ("fulamt_ownpay_amt", .money(l.fullOwnPay)), ("overlmt_amt", .money(l.overLimit)), ("preselfpay_amt", .money(l.preSelfPay)),
            ("inscp_scp_amt", .money(l.inScope)), ("chrgitm_lv", .string(l.itemClass.rawValue)), ("memo", .string(l.memo)),
        ])
    }

    // MARK: cancellation

    /// 2103 and 2208: cancels a settlement by `setl_id`.
    func cancelSettlement(_ x: inout Exchange) throws -> JSON {
        let f = try x.input.object("data")
        let setlID = try f.string("setl_id", maxLength: 30)
        let psnNo = try f.string("psn_no", maxLength: 30)
        let settled = x.envelope.infno == "2103" ? "2102" : "2207"
        guard let s = try x.db.row("SELECT * FROM settlement WHERE setl_id = ?", arguments: [setlID]), (s["infno"] as String) == settled
        else { throw FSIRefusal("\(f.path).setl_id: no \(settled) settlement \(setlID)") }
        guard (s["psn_no"] as String) == psnNo else { throw FSIRefusal("\(f.path).psn_no: \(psnNo) is not the person of settlement \(setlID)") }
        if let mdtrt = try f.optionalString("mdtrt_id", maxLength: 30), mdtrt != s["mdtrt_id"] {
            throw FSIRefusal("\(f.path).mdtrt_id: settlement \(setlID) belongs to visit \(s["mdtrt_id"] as String), not \(mdtrt)")
        }
        return try cancel(&x, settlement: s, path: f.path)
    }

    /// Cancels a settlement in force: a negated record, the refund, the accumulators rolled back.
    func cancel(_ x: inout Exchange, settlement s: Row, path: String) throws -> JSON {
        let setlID: String = s["setl_id"]
        guard (s["status"] as String) == "settled" else {
            throw FSIRefusal("\(path).setl_id: settlement \(setlID) is already cancelled (by \(s["cancelled_by"] as String? ?? "?"))")
        }
        let figures = Figures(row: s).negated
        guard let person = try Records.person(x.db, psnNo: s["psn_no"]) else { throw FSIRefusal("\(path).psn_no: no such person") }
        let context = SettlementContext(
            person: person, certType: s["cert_type"], mdtrtID: s["mdtrt_id"], chrgBatch: s["chrg_bchno"], medType: s["med_type"],
            insutype: s["insutype"])
        let serial = (try x.db.int("SELECT MAX(rowid) FROM settlement") ?? 0) + 1
        let cancelID = Self.identifier("ST", x.now, serial: serial)
        try moveAccount(x, psnNo: person.psnNo, by: -figures.account, kind: "refund", reference: cancelID)
        try accumulate(x, psnNo: person.psnNo, year: s["year"], figures, visits: -1)
        try insertSettlement(x, setlID: cancelID, infno: x.envelope.infno, context: context, figures: figures, status: "cancellation")
        try x.db.run("UPDATE settlement SET status = 'cancelled', cancelled_by = ? WHERE setl_id = ?", arguments: [cancelID, setlID])
        if let batch: String = s["chrg_bchno"] {
            try x.db.run("UPDATE fee SET status = 'uploaded' WHERE mdtrt_id = ? AND chrg_bchno = ? AND status = 'settled'",
                arguments: [s["mdtrt_id"] as String, batch])
        }
        return settlementOutput(x, figures, context: context, setlID: cancelID, balance: try Records.balance(x.db, psnNo: person.psnNo), lines: [])
    }

    /// Undoes a cancellation (2601 of a 2103/2208): the settlement is in force again.
    func restore(_ x: inout Exchange, settlement s: Row, path: String) throws {
        let setlID: String = s["setl_id"]
        let figures = Figures(row: s)
        let psnNo: String = s["psn_no"]
        try moveAccount(x, psnNo: psnNo, by: -figures.account, kind: "settlement", reference: setlID)
        try accumulate(x, psnNo: psnNo, year: s["year"], figures, visits: 1)
        try x.db.run("UPDATE settlement SET status = 'reversed' WHERE setl_id = ?", arguments: [s["cancelled_by"] as String? ?? ""])
        try x.db.run("UPDATE settlement SET status = 'settled', cancelled_by = NULL WHERE setl_id = ?", arguments: [setlID])
        if let batch: String = s["chrg_bchno"] {
            try x.db.run("UPDATE fee SET status = 'settled' WHERE mdtrt_id = ? AND chrg_bchno = ? AND status = 'uploaded'",
                arguments: [s["mdtrt_id"] as String, batch])
        }
    }

    // MARK: outpatient

    /// 2201: registers a visit.
    func register(_ x: inout Exchange) throws -> JSON {
        let f = try x.input.object("data")
        let psnNo = try f.string("psn_no", maxLength: 30)
        let presented = try credential(&x, f, psnNo: psnNo)
        let insutype = try insurance(f, presented.person)
        let begin = try f.string("begntime", maxLength: 19)
        let number = try f.string("ipt_otp_no", maxLength: 30)
        for k in ["atddr_no", "dr_name", "dept_code", "dept_name", "caty"] { _ = try f.optionalString(k, maxLength: 50) }
        let serial = (try x.db.int("SELECT MAX(rowid) FROM visit") ?? 0) + 1
        let mdtrt = Self.identifier("MD", x.now, serial: serial)
        try x.db.run("""
                INSERT INTO visit (mdtrt_id, psn_no, fixmedins_code, ipt_otp_no, insutype, begntime, status)
                VALUES (?, ?, ?, ?, ?, ?, 'registered')
                """,
            arguments: [mdtrt, psnNo, x.envelope.fixmedins, number, insutype, begin])
        return .object([
            ("data", .object([("mdtrt_id", .string(mdtrt)), ("psn_no", .string(psnNo)), ("ipt_otp_no", .string(number)), ("exp_content", .string(""))]))
        ])
    }

    /// An open visit of this institution, by `mdtrt_id`, for the person `psn_no`.
    func visit(_ x: Exchange, _ f: FSIFields) throws -> Row {
        let mdtrt = try f.string("mdtrt_id", maxLength: 30)
        let psnNo = try f.string("psn_no", maxLength: 30)
        guard let v = try x.db.row("SELECT * FROM visit WHERE mdtrt_id = ?", arguments: [mdtrt]),
            (v["fixmedins_code"] as String) == x.envelope.fixmedins
        else { throw FSIRefusal("\(f.path).mdtrt_id: no visit \(mdtrt) at \(x.envelope.fixmedins)") }
        guard (v["psn_no"] as String) == psnNo else { throw FSIRefusal("\(f.path).psn_no: \(psnNo) is not the person of visit \(mdtrt)") }
        guard (v["status"] as String) == "registered" else { throw FSIRefusal("\(f.path).mdtrt_id: visit \(mdtrt) is cancelled") }
        return v
    }

    /// 2202: cancels a registration with nothing settled.
    func cancelRegistration(_ x: inout Exchange) throws -> JSON {
        let f = try x.input.object("data")
        let v = try visit(x, f)
        let mdtrt: String = v["mdtrt_id"]
        if let number = try f.optionalString("ipt_otp_no", maxLength: 30), number != v["ipt_otp_no"] {
            throw FSIRefusal("\(f.path).ipt_otp_no: visit \(mdtrt) was registered as \(v["ipt_otp_no"] as String)")
        }
        if try x.db.bool("SELECT 1 FROM settlement WHERE mdtrt_id = ? AND status = 'settled'", arguments: [mdtrt]) ?? false {
            throw FSIRefusal("\(f.path).mdtrt_id: visit \(mdtrt) has a settlement in force; cancel it first (2208)")
        }
        try x.db.run("UPDATE visit SET status = 'cancelled' WHERE mdtrt_id = ?", arguments: [mdtrt])
        try x.db.run("DELETE FROM fee WHERE mdtrt_id = ? AND status = 'uploaded'", arguments: [mdtrt])
        return .object([])
    }

    /// 2203: the visit's medical type and diagnosis.
    func visitInformation(_ x: inout Exchange) throws -> JSON {
        let f = try x.input.object("mdtrtinfo")
        let v = try visit(x, f)
        let medType = try f.string("med_type", maxLength: 6)
        for k in ["begntime", "main_cond_dscr", "dise_name"] { _ = try f.optionalString(k, maxLength: 200) }
        var disease = try f.optionalString("dise_codg", maxLength: 30)
        if x.input.value("diseinfo") != nil, let first = try x.input.objects("diseinfo", maxCount: 50).first {
            disease = try disease ?? first.optionalString("diag_code", maxLength: 30)
        }
        try x.db.run("UPDATE visit SET med_type = ?, dise_codg = ? WHERE mdtrt_id = ?", arguments: [medType, disease, v["mdtrt_id"] as String])
        return .object([])
    }

    /// 2204: uploads fee lines; answers how each was classified.
    func uploadFees(_ x: inout Exchange) throws -> JSON {
        let items = try x.input.objects("feedetail")
        var results: [JSON] = []
        var policies: [String: SettlementPolicy] = [:]
        for item in items {
            let v = try visit(x, item)
            let mdtrt: String = v["mdtrt_id"]
            let batch = try item.string("chrg_bchno", maxLength: 30)
            let line = try FeeLine(fields: item)
            if try x.db.bool("SELECT 1 FROM fee WHERE mdtrt_id = ? AND feedetl_sn = ?", arguments: [mdtrt, line.serial]) ?? false {
                throw FSIRefusal("\(item.path).feedetl_sn: line \(line.serial) of visit \(mdtrt) is already uploaded")
            }
            try x.db.run("""
                    INSERT INTO fee (mdtrt_id, feedetl_sn, chrg_bchno, code, name, amount, quantity, price, declared_class, status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'uploaded')
                    """,
                arguments: [
                    mdtrt, line.serial, batch, line.code, line.name, line.amount.fen, line.quantity.scaled, line.price.scaled,
                    line.declaredClass?.rawValue,
                ])
            let person = try Records.person(x.db, psnNo: v["psn_no"])!
            let policy = try policies[person.region] ?? Records.policy(x.db, region: person.region, kind: "outpatient")
            policies[person.region] = policy
            results.append(Self.lineOutput(try split(x, [line], policy: policy, person: person, useAccount: false).lines[0]))
        }
        return .object([("result", .array(results))])
    }

    /// 2205: withdraws a batch's unsettled lines (all, or one by `feedetl_sn`; `0000` means all).
    func cancelFees(_ x: inout Exchange) throws -> JSON {
        let f = try x.input.object("data")
        let v = try visit(x, f)
        let mdtrt: String = v["mdtrt_id"]
        let batch = try f.string("chrg_bchno", maxLength: 30)
        let serial = try f.optionalString("feedetl_sn", maxLength: 30).flatMap { $0 == "0000" ? nil : $0 }
        if try x.db.bool("SELECT 1 FROM fee WHERE mdtrt_id = ? AND chrg_bchno = ? AND status = 'settled'", arguments: [mdtrt, batch]) ?? false
        {
            throw FSIRefusal("\(f.path).chrg_bchno: batch \(batch) of visit \(mdtrt) is settled; cancel the settlement first (2208)")
        }
        if let serial {
            try x.db.run("DELETE FROM fee WHERE mdtrt_id = ? AND chrg_bchno = ? AND feedetl_sn = ?", arguments: [mdtrt, batch, serial])
        } else {
            try x.db.run("DELETE FROM fee WHERE mdtrt_id = ? AND chrg_bchno = ?", arguments: [mdtrt, batch])
        }
        guard x.db.changesCount > 0 else { throw FSIRefusal("\(f.path).chrg_bchno: visit \(mdtrt) has no such lines in batch \(batch)") }
        return .object([])
    }

    /// 2206 (pre-settlement) and 2207 (settlement) of a visit's uploaded batch.
    func outpatient(_ x: inout Exchange, commit: Bool) throws -> JSON {
        let f = try x.input.object("data")
        let v = try visit(x, f)
        let mdtrt: String = v["mdtrt_id"]
        let presented = try credential(&x, f, psnNo: v["psn_no"])
        let total = try f.money("medfee_sumamt")
        let batch = try f.string("chrg_bchno", maxLength: 30)
        let useAccount = try f.code("acct_used_flag", in: ["0", "1"]) == "1"
        _ = try f.code("psn_setlway", in: ["01", "02"])
        let medType = try f.optionalString("med_type", maxLength: 6) ?? (v["med_type"] as String?) ?? "11"
        let insutype = try insurance(f, presented.person)
        let rows = try x.db.rows("SELECT * FROM fee WHERE mdtrt_id = ? AND chrg_bchno = ? AND status = 'uploaded' ORDER BY feedetl_sn",
            arguments: [mdtrt, batch])
        guard !rows.isEmpty else { throw FSIRefusal("\(f.path).chrg_bchno: visit \(mdtrt) has no unsettled lines in batch \(batch) (upload them with 2204)") }
        let lines = rows.map { r in
            FeeLine(
                serial: r["feedetl_sn"], code: r["code"], name: r["name"], amount: Money(fen: r["amount"]),
                quantity: Decimals(scaled: r["quantity"], fraction: 4), price: Decimals(scaled: r["price"], fraction: 6),
                declaredClass: (r["declared_class"] as String?).flatMap(CatalogueClass.init(rawValue:)))
        }
        try checkLines(lines, total: total, path: f.path, linesPath: "input.feedetail")
        let policy = try Records.policy(x.db, region: presented.person.region, kind: medType == "41" ? "pharmacy" : "outpatient")
        let split = try split(x, lines, policy: policy, person: presented.person, useAccount: useAccount)
        let context = SettlementContext(
            person: presented.person, certType: presented.certType, mdtrtID: mdtrt, chrgBatch: batch, medType: medType, insutype: insutype)
        var setlID = ""
        if commit {
            setlID = try record(&x, split, context: context)
            try x.db.run("UPDATE fee SET status = 'settled' WHERE mdtrt_id = ? AND chrg_bchno = ? AND status = 'uploaded'", arguments: [mdtrt, batch])
        }
        return settlementOutput(x, Figures(split), context: context, setlID: setlID, balance: split.balanceAfter, lines: split.lines)
    }
}
