// SSCard — POS
//
// The back-office half of a sale: the centre's transactions in their order
// and the bank's refund, and the undoing of a sale that cannot finish —
// the bank part given back first, then the settlement cancelled, so that
// nothing is left paid for a settlement that does not stand (or the other
// way round).

public import BackOffice

/// The centre and the bank, for one institution.
public final class SettlementDesk {
    public let backOffice: any BackOfficeLink
    let centre: CentreClient
    let clock: () -> FSITime

    public init(backOffice: any BackOfficeLink, institution: Institution, clock: @escaping () -> FSITime = POSClock.now) {
        self.backOffice = backOffice
        self.clock = clock
        centre = CentreClient(link: backOffice, institution: institution, clock: clock)
    }

    public var institution: Institution { centre.institution }

    /// 1101 by the card's credential: the centre refuses a card it may not settle.
    func person(_ credential: [(String, JSON)]) throws(POSError) -> CardholderAtCentre {
        let out: JSON
        do {
            out = try centre.call("1101", .object([("data", .object(credential))]))
        } catch where error.code == .refused {
            var e = error
            e.advice = "the card cannot settle here; the cardholder sees a social-security service hall"
            throw e
        }
        guard let base = out["baseinfo"], let psnNo = base["psn_no"]?.string, let insurance = out["insuinfo"]?.array?.first else {
            throw POSError(.malformed, "the centre's answer to \(FSITransactions.name("1101")) has no baseinfo or insuinfo")
        }
        return CardholderAtCentre(
            psnNo: psnNo, name: base["psn_name"]?.string ?? "", certno: base["certno"]?.string ?? "",
            insutype: insurance["insutype"]?.string ?? "310", balance: insurance["balc"]?.scalarText.flatMap { Money(yuan: $0) } ?? .zero)
    }

    /// The fee lines as the platform carries them.
    static func lines(_ items: [SaleItem], extra: [(String, JSON)] = []) -> [JSON] {
        items.enumerated().map { i, item in
            var m: [(String, JSON)] = [
                ("feedetl_sn", .string(String(i + 1))), ("med_list_codg", .string(item.code)), ("medins_list_codg", .string(item.code)),
                ("medins_list_name", .string(item.name)), ("det_item_fee_sumamt", .money(item.amount)),
                ("cnt", .number(item.quantity.description)), ("pric", .number(item.price.description)),
            ]
            if let c = item.itemClass { m.append(("chrgitm_lv", .string(c.rawValue))) }
            return .object(m + extra)
        }
    }

    static func total(_ items: [SaleItem]) -> Money { items.reduce(.zero) { $0 + $1.amount } }

    // MARK: pharmacy

    func pharmacy(
        _ items: [SaleItem], person: CardholderAtCentre, credential: [(String, JSON)], options: SaleOptions, events: (POSEvent) -> Void
    ) throws(POSError) -> Receipt {
        let info: [(String, JSON)] =
            [("psn_no", .string(person.psnNo))] + credential + [
                ("medfee_sumamt", .money(Self.total(items))), ("acct_used_flag", .string(options.useAccount ? "1" : "0")),
                ("med_type", .string("41")), ("insutype", .string(person.insutype)),
            ]
        let input = JSON.object([("druginfo", .object(info)), ("drugdetail", .array(Self.lines(items)))])
        let pre = try figures(centre.call("2101", input), "2101")
        events(.preSettled(pre))
        let settled = try settle("2102", input, psnNo: person.psnNo)
        return Receipt(kind: .pharmacy, institution: institution, time: clock().text, person: person, cardNumber: "", figures: settled)
    }

    func figures(_ output: JSON, _ infno: String) throws(POSError) -> SettlementFigures {
        guard let s = output["setlinfo"] else { throw POSError(.malformed, "the centre's answer to \(FSITransactions.name(infno)) has no setlinfo") }
        return try SettlementFigures(setlinfo: s, infno: infno)
    }

    /// The settlement itself. Without an answer it may or may not have
    /// happened: the message is reversed (2601), which also bars it should it arrive later.
    func settle(_ infno: String, _ input: JSON, psnNo: String) throws(POSError) -> SettlementFigures {
        let msgid = centre.newMsgid()
        do {
            return try figures(centre.call(infno, input, msgid: msgid), infno)
        } catch where error.code == .unreachable {
            let reversal = JSON.object([
                ("data", .object([("psn_no", .string(psnNo)), ("omsgid", .string(msgid)), ("oinfno", .string(infno))]))
            ])
            do {
                _ = try centre.call("2601", reversal)
            } catch {
                throw error.with(outcome: .unknown(msgid: msgid))
            }
            throw POSError(.unreachable, "\(FSITransactions.name(infno)) got no answer (\(error.message)); the message was reversed")
        }
    }

    // MARK: hospital

    func hospital(
        _ items: [SaleItem], person: CardholderAtCentre, credential: [(String, JSON)], options: SaleOptions, events: (POSEvent) -> Void
    ) throws(POSError) -> Receipt {
        let now = clock()
        let number = "MZ" + now.compact + String(centre.serial % 1000)
        let registration = JSON.object([
            (
                "data",
                .object(
                    [("psn_no", .string(person.psnNo)), ("insutype", .string(person.insutype)), ("begntime", .string(now.text))] + credential + [
                        ("ipt_otp_no", .string(number)), ("atddr_no", .string("D001")), ("dr_name", .string("SSCard 医生")),
                        ("dept_code", .string("01")), ("dept_name", .string(options.department)), ("caty", .string("A03")),
                    ])
            )
        ])
        let reg = try centre.call("2201", registration)
        guard let mdtrt = reg["data"]?["mdtrt_id"]?.string else { throw POSError(.malformed, "the centre's answer to \(FSITransactions.name("2201")) has no mdtrt_id") }
        events(.registered(mdtrtID: mdtrt))
        let batch = "B" + now.compact
        let visit: [(String, JSON)] = [("mdtrt_id", .string(mdtrt)), ("psn_no", .string(person.psnNo))]
        do {
            _ = try centre.call(
                "2203",
                .object([
                    ("mdtrtinfo", .object(visit + [("med_type", .string("11")), ("begntime", .string(now.text)), ("dise_codg", .string(options.diagnosis)), ("dise_name", .string(options.diagnosisName))])),
                    ("diseinfo", .array([.object([("diag_type", .string("1")), ("diag_srt_no", .string("1")), ("diag_code", .string(options.diagnosis)), ("diag_name", .string(options.diagnosisName))])])),
                ]))
            let extra: [(String, JSON)] = visit + [("chrg_bchno", .string(batch)), ("fee_ocur_time", .string(now.text))]
            _ = try centre.call("2204", .object([("feedetail", .array(Self.lines(items, extra: extra)))]))
            let input = JSON.object([
                (
                    "data",
                    .object(
                        [("psn_no", .string(person.psnNo))] + credential + [
                            ("med_type", .string("11")), ("medfee_sumamt", .money(Self.total(items))), ("psn_setlway", .string("01")),
                            ("mdtrt_id", .string(mdtrt)), ("chrg_bchno", .string(batch)), ("insutype", .string(person.insutype)),
                            ("acct_used_flag", .string(options.useAccount ? "1" : "0")),
                        ])
                )
            ])
            let pre = try figures(centre.call("2206", input), "2206")
            events(.preSettled(pre))
            var settled = try settle("2207", input, psnNo: person.psnNo)
            settled.mdtrtID = mdtrt
            var receipt = Receipt(kind: .hospital, institution: institution, time: clock().text, person: person, cardNumber: "", figures: settled)
            receipt.batch = batch
            return receipt
        } catch {
            // Nothing settled: the visit is closed again (its lines withdrawn, the registration cancelled).
            guard error.outcome == .notCommitted else { throw error }
            closeVisit(mdtrt: mdtrt, batch: batch, psnNo: person.psnNo, number: number)
            throw error
        }
    }

    /// 2205 and 2202, best effort: a visit with nothing settled is not left open.
    func closeVisit(mdtrt: String, batch: String, psnNo: String, number: String?) {
        let ids: [(String, JSON)] = [("mdtrt_id", .string(mdtrt)), ("psn_no", .string(psnNo))]
        _ = try? centre.call("2205", .object([("data", .object(ids + [("chrg_bchno", .string(batch)), ("feedetl_sn", .string("0000"))]))]))
        _ = try? centre.call("2202", .object([("data", .object(ids + (number.map { [("ipt_otp_no", JSON.string($0))] } ?? [])))]))
    }

    // MARK: undoing

    /// Gives a card payment back by its reference (idempotent; a reference the bank never saw is barred).
    public func refund(_ reference: String) throws(POSError) {
        let body = JSON.object([("reference", .string(reference))]).serializedBytes
        let r: (status: Int, body: [UInt8])
        do {
            r = try backOffice.bank(.refund, body)
        } catch {
            throw POSError(error)
        }
        guard r.status == 200 else {
            let message = (try? JSON.parse(r.body))?["message"]?.string ?? "HTTP \(r.status)"
            throw POSError(.malformed, "the bank refused the refund of \(reference): \(message)")
        }
    }

    /// Cancels a settlement at the centre (2103 or 2208); the cancellation's id and the account's balance after.
    @discardableResult
    public func cancelSettlement(_ receipt: Receipt) throws(POSError) -> (id: String, balance: Money?) {
        try centre.signIn()
        var data: [(String, JSON)] = [("setl_id", .string(receipt.setlID)), ("psn_no", .string(receipt.psnNo))]
        if receipt.kind == .hospital { data.append(("mdtrt_id", .string(receipt.mdtrtID))) }
        let out = try centre.call(receipt.kind.transactions.cancel, .object([("data", .object(data))]), outcome: .committed(setlID: receipt.setlID))
        let info = out["setlinfo"]
        return (info?["setl_id"]?.string ?? "", info?["balc"]?.scalarText.flatMap { Money(yuan: $0) })
    }

    /// Undoes a settled sale that cannot be paid: the bank part given back
    /// (when the bank was or may have been asked), then the settlement
    /// cancelled. The error to report, with where the settlement stands.
    func undo(_ receipt: Receipt, bankReference: String? = nil, because cause: POSError) -> POSError {
        var result = cause
        do {
            if let bankReference { try refund(bankReference) }
            try cancelSettlement(receipt)
            if receipt.kind == .hospital {
                closeVisit(mdtrt: receipt.mdtrtID, batch: receipt.batch, psnNo: receipt.psnNo, number: nil)
            }
            result.outcome = .cancelled(setlID: receipt.setlID)
        } catch {
            result.outcome = .committed(setlID: receipt.setlID)
            result.message += "; undoing it failed: \(error.message)"
        }
        return result
    }

    /// `sscard pos cancel`: a sale from the journal reversed — the bank
    /// part refunded, the settlement cancelled; the cancelled receipt.
    public func cancel(_ receipt: Receipt) throws(POSError) -> Receipt {
        guard receipt.status != .cancelled else {
            throw POSError(.refused, "the sale is already cancelled (by \(receipt.cancelID ?? "?"))", outcome: .cancelled(setlID: receipt.setlID))
        }
        // A sale that stopped after its settlement may have reached the bank.
        if let reference = receipt.bank?.reference ?? (receipt.status == .settled ? "POS-" + receipt.setlID : nil) {
            do {
                try refund(reference)
            } catch {
                throw error.with(outcome: .committed(setlID: receipt.setlID))
            }
        }
        var cancelled = receipt
        let (id, balance) = try cancelSettlement(receipt)
        cancelled.cancelID = id
        if let balance { cancelled.balanceAfter = balance }
        if receipt.kind == .hospital { closeVisit(mdtrt: receipt.mdtrtID, batch: receipt.batch, psnNo: receipt.psnNo, number: nil) }
        cancelled.status = .cancelled
        cancelled.time = clock().text
        return cancelled
    }
}
