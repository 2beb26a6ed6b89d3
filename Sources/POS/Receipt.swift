// SSCard — POS
//
// The receipt of a sale: what the cashier prints and what the journal
// keeps, one JSON object per line (the journal is read back to cancel).

public import BackOffice
import CardStandards

/// The bank's part of a sale.
public struct BankPayment: Hashable, Sendable {
    public var maskedPAN: String
    /// The transaction certificate (hex).
    public var tc: String
    public var atc: Int
    /// The reference the bank knows the purchase by.
    public var reference: String
    public var amount: Money

    public init(maskedPAN: String, tc: String, atc: Int, reference: String, amount: Money) {
        self.maskedPAN = maskedPAN
        self.tc = tc
        self.atc = atc
        self.reference = reference
        self.amount = amount
    }
}

public struct Receipt: Hashable, Sendable {
    public enum Kind: String, Sendable {
        case pharmacy, hospital
        /// The settlement and its cancellation.
        var transactions: (settle: String, cancel: String) { self == .pharmacy ? ("2102", "2103") : ("2207", "2208") }
    }

    public enum Status: String, Sendable {
        /// Settled at the centre; the rest not yet paid.
        case settled
        /// Settled and paid.
        case paid
        /// Cancelled (and the bank part given back).
        case cancelled
    }

    public var kind: Kind
    public var status: Status
    public var institutionCode: String
    public var institutionName: String
    /// `yyyy-MM-dd HH:mm:ss`.
    public var time: String
    public var personName: String
    public var maskedSSN: String
    public var psnNo: String
    public var cardNumber: String
    public var total: Money
    public var fund: Money
    public var account: Money
    /// `psn_cash_pay`: what the person pays besides the account.
    public var personCash: Money
    public var balanceAfter: Money
    public var setlID: String
    public var mdtrtID: String
    /// The fee batch of a hospital visit.
    public var batch: String
    public var bank: BankPayment?
    /// Paid in cash (no card payment asked, or the bank declined and `--cash-fallback`).
    public var cash: Money
    /// Why the bank did not pay, when the rest was taken in cash.
    public var bankDeclined: String?
    /// The cancellation's settlement id.
    public var cancelID: String?

    public var json: JSON {
        var members: [(String, JSON)] = [
            ("kind", .string(kind.rawValue)), ("status", .string(status.rawValue)), ("institution", .string(institutionCode)),
            ("institution_name", .string(institutionName)), ("time", .string(time)), ("name", .string(personName)),
            ("ssn", .string(maskedSSN)), ("psn_no", .string(psnNo)), ("card_no", .string(cardNumber)), ("total", .money(total)),
            ("fund", .money(fund)), ("account", .money(account)), ("person_cash", .money(personCash)), ("bank_paid", .money(bank?.amount ?? .zero)),
            ("cash_paid", .money(cash)), ("balance_after", .money(balanceAfter)), ("setl_id", .string(setlID)), ("mdtrt_id", .string(mdtrtID)),
            ("batch", .string(batch)),
        ]
        if let b = bank {
            members.append((
                "bank",
                .object([
                    ("pan", .string(b.maskedPAN)), ("tc", .string(b.tc)), ("atc", .number(String(b.atc))), ("reference", .string(b.reference)),
                    ("amount", .money(b.amount)),
                ])
            ))
        }
        if let bankDeclined { members.append(("bank_declined", .string(bankDeclined))) }
        if let cancelID { members.append(("cancel_id", .string(cancelID))) }
        return .object(members)
    }

    /// Reads a journal line back.
    public init?(json j: JSON) {
        func text(_ k: String) -> String? { j[k]?.scalarText }
        func money(_ k: String) -> Money? { text(k).flatMap { Money(yuan: $0) } }
        guard let kind = text("kind").flatMap(Kind.init(rawValue:)), let status = text("status").flatMap(Status.init(rawValue:)),
            let setl = text("setl_id"), let psn = text("psn_no"), let total = money("total"), let fund = money("fund"),
            let account = money("account"), let personCash = money("person_cash")
        else { return nil }
        self.kind = kind
        self.status = status
        institutionCode = text("institution") ?? ""
        institutionName = text("institution_name") ?? ""
        time = text("time") ?? ""
        personName = text("name") ?? ""
        maskedSSN = text("ssn") ?? ""
        psnNo = psn
        cardNumber = text("card_no") ?? ""
        self.total = total
        self.fund = fund
        self.account = account
        self.personCash = personCash
        balanceAfter = money("balance_after") ?? .zero
        setlID = setl
        mdtrtID = text("mdtrt_id") ?? ""
        batch = text("batch") ?? ""
        cash = money("cash_paid") ?? .zero
        bankDeclined = text("bank_declined")
        cancelID = text("cancel_id")
        if let b = j["bank"], let ref = b["reference"]?.string, let amount = b["amount"]?.scalarText.flatMap({ Money(yuan: $0) }) {
            bank = BankPayment(
                maskedPAN: b["pan"]?.string ?? "", tc: b["tc"]?.string ?? "", atc: b["atc"]?.scalarText.flatMap { Int($0) } ?? 0,
                reference: ref, amount: amount)
        }
    }

    init(kind: Kind, institution: Institution, time: String, person: CardholderAtCentre, cardNumber: String, figures: SettlementFigures) {
        self.kind = kind
        status = .settled
        institutionCode = institution.code
        institutionName = institution.name
        self.time = time
        personName = person.name
        maskedSSN = PANFormat.masked(person.certno)
        psnNo = person.psnNo
        self.cardNumber = cardNumber
        total = figures.total
        fund = figures.fund
        account = figures.account
        personCash = figures.cash
        balanceAfter = figures.balanceAfter
        setlID = figures.setlID
        mdtrtID = figures.mdtrtID
        batch = ""
        cash = .zero
    }

    /// The receipt as printed.
    public var lines: [String] {
        var out = [
            "\(institutionName) (\(institutionCode))",
            "\(kind == .pharmacy ? "药店结算 pharmacy settlement" : "门诊结算 outpatient settlement")  \(time)",
            "person        \(personName)  \(maskedSSN)",
            "card          \(cardNumber)",
            "total         \(total)",
            "fund          \(fund)",
            "account       \(account)   (balance after \(balanceAfter))",
        ]
        if let b = bank { out.append("bank card     \(b.amount)   \(b.maskedPAN)  TC \(b.tc)  ATC \(b.atc)") }
        if cash != .zero || (bank == nil && personCash != .zero) { out.append("cash          \(cash)") }
        if let bankDeclined { out.append("              (the bank declined: \(bankDeclined))") }
        out.append("settlement    \(setlID)\(kind == .hospital ? "  visit \(mdtrtID)" : "")")
        if let cancelID { out.append("cancelled     \(cancelID)") }
        return out
    }
}

/// The person as the centre answered 1101.
struct CardholderAtCentre {
    var psnNo: String
    var name: String
    var certno: String
    var insutype: String
    var balance: Money
}

/// A settlement's figures, as the centre answered them (`setlinfo`).
public struct SettlementFigures: Hashable, Sendable {
    public var total, fund, account, cash, balanceAfter: Money
    public var setlID, mdtrtID: String

    init(setlinfo s: JSON, infno: String) throws(POSError) {
        func money(_ k: String) throws(POSError) -> Money {
            guard let m = s[k]?.scalarText.flatMap({ Money(yuan: $0) }) else {
                throw POSError(.malformed, "the centre's answer to \(FSITransactions.name(infno)) has no amount \(k)")
            }
            return m
        }
        total = try money("medfee_sumamt")
        fund = try money("fund_pay_sumamt")
        account = try money("acct_pay")
        cash = try money("psn_cash_pay")
        balanceAfter = try money("balc")
        setlID = s["setl_id"]?.string ?? ""
        mdtrtID = s["mdtrt_id"]?.string ?? ""
        guard total == fund + account + cash else {
            throw POSError(.malformed, "the centre's \(FSITransactions.name(infno)) does not add up: \(total) ≠ \(fund) + \(account) + \(cash)")
        }
    }

    /// `total 58.60 = fund 0.00 + account 50.00 + cash 8.60`.
    public var summary: String { "total \(total) = fund \(fund) + account \(account) + cash \(cash)" }
}
