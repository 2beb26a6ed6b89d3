// SSCard — BackOfficeStore
//
// The bank's issuer host over the stored debit accounts: the ARQC check and
// the ARPC as `IssuerHost` computes them, and the decision against the
// account in one transaction: CNY and domestic only, the card's bank life
// cycle (activation, loss reports, replacement), the initial PIN that must
// be changed first, the balance with the fee, the daily limit. Deposits and
// benefits credit the account; each movement is a journal line.

public import BackOffice
import CardAPDU
import CardCrypto
import CardPersonalization
import Foundation
public import GRDB
import Synchronization

/// What the bank decided, and its answer for the card.
public struct BankDecision: Sendable {
    public var response: AuthorizationResponse
    public var balance: Money?
    public var fee: Money
    /// The decision as the bank's HTTP interface answers it.
    public var json: JSON {
        .object([
            ("approved", .bool(response.approved)), ("arc", .string(String(decoding: response.arc, as: UTF8.self))),
            ("arpc", .string(Hex.encode(response.arpc))), ("scripts", .array(response.scripts.map { .string(Hex.encode($0.encoded)) })),
            ("reason", .string(response.reason)), ("balance", balance.map(JSON.money) ?? .null), ("fee", .money(fee)),
        ])
    }
}

/// The bank's issuer host, stored.
public final class StoredBank: Sendable {
    public let pool: DatabasePool
    public let clock: CentreClock
    /// The cryptography (derived card keys are cached there); one caller at a time.
    let host: Mutex<IssuerHost>

    /// - Parameter imkAC: the issuer master key for cryptograms (the test issuer's when `nil`).
    public init(pool: DatabasePool, clock: CentreClock = CentreClock(), imkAC: [UInt8]? = nil) {
        self.pool = pool
        self.clock = clock
        host = Mutex(IssuerHost(imkAC: imkAC ?? TestIssuer.imkAC))
    }

    /// Decides an online request (ARQC) from a card at a terminal.
    /// - Parameters:
    ///   - kind: `purchase` or `withdrawal`.
    ///   - crossBank: an ATM of another bank (the fee rule counts these).
    ///   - reference: the terminal's unique reference; a repeated one returns the first decision.
    public func authorize(
        _ r: AuthorizationRequest, channel: BankChannel = .pos, withdrawal: Bool = false, crossBank: Bool = false, reference: String? = nil
    ) throws(BackOfficeError) -> BankDecision {
        let now = clock.now()
        do {
            // The cryptography and the decision under one lock: a check's
            // session shares the host's cached card key. The database
            // serializes writers anyway.
            return try host.withLock { h throws -> BankDecision in
                let check = try h.check(r)
                return try pool.write { db -> BankDecision in
                    if let reference,
                        let stored = try db.string("SELECT response FROM bank_message WHERE reference = ?", arguments: [reference])
                    {
                        return try self.stored(stored)
                    }
                    let (arc, reason, decidedFee) = try self.decide(
                        db, r, check: check, channel: channel, withdrawal: withdrawal, crossBank: crossBank, now: now)
                    var fee = decidedFee
                    var balance = try db.int("SELECT balance FROM bank_account WHERE pan = ?", arguments: [r.pan]).map(Money.init(fen:))
                    if arc == IssuerHost.approved, let before = balance {
                        let amount = Money(fen: r.amount)
                        let kind = withdrawal ? (channel == .atm ? (crossBank ? "atm-withdrawal-other" : "atm-withdrawal") : "withdrawal") : "purchase"
                        balance = before - amount - fee
                        let today = now.day.description
                        try db.run("""
                                UPDATE bank_account SET balance = ?,
                                    spent_today = CASE WHEN spent_day = ? THEN spent_today + ? ELSE ? END, spent_day = ?
                                WHERE pan = ?
                                """,
                            arguments: [balance!.fen, today, amount.fen, amount.fen, today, r.pan])
                        try db.run("INSERT INTO bank_journal (pan, time, kind, amount, fee, balance_after, reference) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            arguments: [r.pan, now.text, kind, -amount.fen, fee.fen, balance!.fen, reference ?? "ATC \(r.atc)"])
                    } else {
                        fee = .zero
                    }
                    let response = try h.respond(r, check: check, arc: arc, reason: reason)
                    let decision = BankDecision(response: response, balance: balance, fee: fee)
                    if let reference {
                        try db.run("INSERT INTO bank_message (reference, pan, time, response) VALUES (?, ?, ?, ?)",
                            arguments: [reference, r.pan, now.text, decision.json.serialized])
                    }
                    return decision
                }
            }
        } catch let e as BackOfficeError {
            throw e
        } catch let e as CryptoError {
            throw BackOfficeError(.badInput, "the request cannot be checked: \(e)")
        } catch {
            throw BackOfficeError(.database, "the bank could not record the decision: \(error)")
        }
    }

    func stored(_ text: String) throws -> BankDecision {
        let j = try JSON.parse(text)
        let response = AuthorizationResponse(
            arc: Array((j["arc"]?.string ?? "").utf8), arpc: (try? Hex.decode(j["arpc"]?.string ?? "")) ?? [], scripts: [],
            reason: j["reason"]?.string ?? "")
        return BankDecision(
            response: response, balance: j["balance"]?.scalarText.flatMap { Money(yuan: $0) }, fee: j["fee"]?.scalarText.flatMap { Money(yuan: $0) } ?? .zero)
    }

    /// The ARC, its reason and the fee.
    func decide(
        _ db: Database, _ r: AuthorizationRequest, check: IssuerHost.CryptogramCheck, channel: BankChannel, withdrawal: Bool, crossBank: Bool,
        now: FSITime
    ) throws -> ([UInt8], String, Money) {
        guard check.verified else { return (IssuerHost.badCryptogram, "the ARQC does not verify", .zero) }
        guard let account = try db.row("SELECT * FROM bank_account WHERE pan = ?", arguments: [r.pan]),
            let card = try Records.card(db, pan: r.pan)
        else { return (IssuerHost.invalidCard, "no account for this card", .zero) }
        // CDOL1 data: amount 6, other amount 6, country 2, TVR 5, currency 2, date 3, type 1, UN 4.
        let data = r.transactionData
        if data.count >= 21 {
            if data[19] != 0x01 || data[20] != 0x56 { return (IssuerHost.notPermitted, "CNY only: the transaction currency is not 156", .zero) }
            if data[12] != 0x01 || data[13] != 0x56 { return (IssuerHost.notPermitted, "domestic only: the terminal country is not 156", .zero) }
        }
        if let refusal = CardLifecycle.bankRefusal(card.record(replacedBy: card.replacedBy), on: now.day) {
            switch refusal.code {
            case .lostFormally, .lostTemporarily: return (IssuerHost.lostCard, refusal.description, .zero)
            case .notActivated: return (IssuerHost.restrictedCard, refusal.description, .zero)
            default: return (IssuerHost.invalidCard, refusal.description, .zero)
            }
        }
        let pinState: String = account["pin_state"]
        if pinState != "changed" && pinState != "set" {
            return (IssuerHost.pinMustChange, "初始密码须修改: the initial bank PIN must be changed before the account can transact", .zero)
        }
        let amount = Money(fen: r.amount)
        var fee = Money.zero
        if withdrawal && channel == .atm && crossBank {
            let rules = try Self.rules(db, psnNo: card.psnNo)
            let (y, m, _) = now.day.components
            let month = "\(y)-\(m < 10 ? "0" : "")\(m)-%"
            let used = try db.int("SELECT COUNT(*) FROM bank_journal WHERE pan = ? AND kind = 'atm-withdrawal-other' AND time LIKE ?",
                arguments: [r.pan, month]) ?? 0
            if used >= rules.freeWithdrawals { fee = rules.fee }
        }
        let balance = Money(fen: account["balance"])
        if amount + fee > balance { return (IssuerHost.insufficientFunds, "余额不足: insufficient funds", .zero) }
        let spent = (account["spent_day"] as String?) == now.day.description ? Money(fen: account["spent_today"]) : .zero
        let limit = Money(fen: account["daily_limit"])
        if spent + amount > limit {
            return (IssuerHost.overLimit, "超过日限额: \(spent) spent today; the daily limit is \(limit)", .zero)
        }
        return (IssuerHost.approved, fee == .zero ? "approved" : "approved, cross-bank ATM fee \(fee)", fee)
    }

    struct Rules {
        var pinChannels: [String]
        var freeWithdrawals: Int
        var fee: Money
    }

    static func rules(_ db: Database, psnNo: String) throws -> Rules {
        let region = try Records.person(db, psnNo: psnNo)?.region ?? ""
        guard let row = try db.row("SELECT * FROM region WHERE code = ?", arguments: [region]) else {
            return Rules(pinChannels: ["counter", "atm"], freeWithdrawals: 3, fee: Money(fen: 200))
        }
        return Rules(
            pinChannels: (row["pin_change_channels"] as String).split(separator: ",").map(String.init),
            freeWithdrawals: row["atm_free_withdrawals"], fee: Money(fen: row["atm_fee"]))
    }

    /// Answers the bank's HTTP interface: a JSON request, a JSON decision.
    /// `{"pan", "psn", "atc", "transaction_data", "aip", "iad", "arqc" (hex),
    /// "amount" (yuan), "channel" (pos|atm|counter), "withdrawal", "cross_bank", "reference"}`.
    public func respond(to body: [UInt8]) -> (status: Int, body: [UInt8]) {
        Self.answer(body) { f in
            func bytes(_ key: String) throws -> [UInt8] {
                let text = try f.string(key, maxLength: 512)
                do {
                    return try Hex.decode(text)
                } catch {
                    throw FSIFieldError(path: key, reason: "must be hexadecimal (\(error.reason))")
                }
            }
            let psnText = try f.string("psn", maxLength: 3)
            guard let psn = UInt8(psnText) else { throw FSIFieldError(path: "psn", reason: "must be a number from 0 to 255") }
            let atcText = try f.string("atc", maxLength: 5)
            guard let atc = UInt16(atcText) else { throw FSIFieldError(path: "atc", reason: "must be a number from 0 to 65535") }
            let amount = try f.money("amount")
            let channelText = try f.optionalString("channel", maxLength: 10) ?? "pos"
            guard let channel = BankChannel(rawValue: channelText) else {
                throw FSIFieldError(path: "channel", reason: "must be pos, atm or counter")
            }
            let request = AuthorizationRequest(
                pan: try f.string("pan", maxLength: 19), psn: psn, atc: atc, transactionData: try bytes("transaction_data"),
                aip: try bytes("aip"), iad: try bytes("iad"), arqc: try bytes("arqc"), amount: amount.fen)
            let decision = try authorize(
                request, channel: channel, withdrawal: f.value("withdrawal") == .bool(true), crossBank: f.value("cross_bank") == .bool(true),
                reference: try f.optionalString("reference", maxLength: 40))
            return decision.json
        }
    }

    /// One request of the bank's HTTP interface: its body read as JSON
    /// fields and handled; bad input 400, anything else 500, each as
    /// `{"error", "message"}`.
    static func answer(
        _ body: [UInt8], status: (BackOfficeError.Code) -> Int = { $0 == .badInput ? 400 : 500 }, _ handle: (FSIFields) throws -> JSON
    ) -> (status: Int, body: [UInt8]) {
        do {
            return (200, try handle(try FSIFields(root: try JSON.parse(body))).serializedBytes)
        } catch let e as JSONSyntaxError {
            return (400, failure("badInput", e.description))
        } catch let e as FSIFieldError {
            return (400, failure("badInput", e.description))
        } catch let e as BackOfficeError {
            return (status(e.code), failure(e.code.description, e.message))
        } catch {
            return (500, failure("database", "\(error)"))
        }
    }
}

extension StoredBank {
    /// Gives back a purchase by its terminal reference (a settlement
    /// cancelled after the bank paid, a card pulled before the TC): the
    /// amount and its fee are credited once, with a journal line; a second
    /// refund answers what the first did. A reference the bank never saw is
    /// barred, so that an authorization arriving late with it is declined.
    public func refund(reference: String) throws(BackOfficeError) -> JSON {
        let now = clock.now()
        func answer(_ status: String, _ amount: Money, _ balance: Money?) -> JSON {
            .object([
                ("reference", .string(reference)), ("status", .string(status)), ("refunded", .money(amount)),
                ("balance", balance.map(JSON.money) ?? .null),
            ])
        }
        do {
            return try pool.write { db -> JSON in
                if let done = try db.row("SELECT amount, balance_after FROM bank_journal WHERE reference = ? AND kind = 'refund'", arguments: [reference]) {
                    return answer("already refunded", Money(fen: done["amount"]), Money(fen: done["balance_after"]))
                }
                if let paid = try db.row(
                    "SELECT pan, amount, fee FROM bank_journal WHERE reference = ? AND amount < 0 AND kind <> 'refund'", arguments: [reference])
                {
                    let pan: String = paid["pan"]
                    let amount = Money(fen: -(paid["amount"] as Int) + (paid["fee"] as Int))
                    // A purchase given back the same day no longer counts against the daily limit.
                    try db.run("""
                            UPDATE bank_account SET balance = balance + ?,
                                spent_today = CASE WHEN spent_day = ? THEN MAX(0, spent_today - ?) ELSE spent_today END
                            WHERE pan = ?
                            """,
                        arguments: [amount.fen, now.day.description, -(paid["amount"] as Int), pan])
                    let balance = Money(fen: try db.int("SELECT balance FROM bank_account WHERE pan = ?", arguments: [pan]) ?? 0)
                    try db.run("INSERT INTO bank_journal (pan, time, kind, amount, balance_after, reference) VALUES (?, ?, 'refund', ?, ?, ?)",
                        arguments: [pan, now.text, amount.fen, balance.fen, reference])
                    return answer("refunded", amount, balance)
                }
                if try db.bool("SELECT 1 FROM bank_message WHERE reference = ?", arguments: [reference]) ?? false {
                    return answer("nothing debited", .zero, nil)
                }
                let barred = BankDecision(
                    response: AuthorizationResponse(arc: IssuerHost.invalidCard, arpc: [], reason: "reversed (refund \(reference)) before it arrived"),
                    balance: nil, fee: .zero)
                try db.run("INSERT INTO bank_message (reference, pan, time, response) VALUES (?, '', ?, ?)",
                    arguments: [reference, now.text, barred.json.serialized])
                return answer("barred", .zero, nil)
            }
        } catch {
            throw BackOfficeError(.database, "the bank could not record the refund: \(error)")
        }
    }

    /// Answers the bank's refund endpoint: `{"reference"}`.
    public func respondRefund(to body: [UInt8]) -> (status: Int, body: [UInt8]) {
        Self.answer(body) { f in try refund(reference: try f.string("reference", maxLength: 40)) }
    }

    static func failure(_ code: String, _ message: String) -> [UInt8] {
        JSON.object([("error", .string(code)), ("message", .string(message))]).serializedBytes
    }
}

/// The stored bank as a terminal's host, in process.
public struct StoredBankHost: AuthorizationHost {
    public let bank: StoredBank
    public var channel: BankChannel
    public var reference: String?

    public init(bank: StoredBank, channel: BankChannel = .pos, reference: String? = nil) {
        self.bank = bank
        self.channel = channel
        self.reference = reference
    }

    public func authorize(_ r: AuthorizationRequest) throws -> AuthorizationResponse {
        try bank.authorize(r, channel: channel, reference: reference).response
    }
}
