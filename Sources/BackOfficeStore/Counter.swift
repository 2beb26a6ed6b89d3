// SSCard — BackOfficeStore
//
// The operations of the centre's and the bank's counters: show a person or
// a card, report a loss and release it (per account, temporary or formal),
// replace a card, activate an account, record a PIN change, credit a
// deposit or a benefit, list a journal, reconcile an institution's day.
// Each is one transaction; each answers a JSON object (the CLI prints it, or
// renders it for people).

public import BackOffice
import CardStandards
public import GRDB

/// A deposit or a benefit credited to a bank account.
public enum CreditKind: String, Sendable, CaseIterable {
    case cash, pension, unemployment, reimbursement
    var journalKind: String {
        switch self {
        case .cash: "deposit"
        case .pension: "benefit-pension"
        case .unemployment: "benefit-unemployment"
        case .reimbursement: "benefit-medical-reimbursement"
        }
    }
}

public struct Counter: Sendable {
    public let pool: DatabasePool
    public let clock: CentreClock

    public init(pool: DatabasePool, clock: CentreClock = CentreClock()) {
        self.pool = pool
        self.clock = clock
    }

    func write<T>(_ body: (Database, FSITime) throws -> T) throws(BackOfficeError) -> T {
        let now = clock.now()
        do {
            return try pool.write { db in try body(db, now) }
        } catch let e as BackOfficeError {
            throw e
        } catch {
            throw BackOfficeError(.database, "\(error)")
        }
    }

    func card(_ db: Database, _ number: String) throws -> StoredCard {
        guard let c = try Records.card(db, number: number) else { throw BackOfficeError(.notFound, "no card \(number)") }
        return c
    }

    func person(_ db: Database, _ psnNo: String) throws -> PersonRecord {
        guard let p = try Records.person(db, psnNo: psnNo) else { throw BackOfficeError(.notFound, "no person \(psnNo)") }
        return p
    }

    // MARK: over the link

    /// One counter operation from its JSON body (`/counter/NAME`): 200 and
    /// the operation's answer, or 400 bad input, 404 no such card, 409
    /// refused, 500 the database, each `{"error", "message"}`.
    public func respond(_ operation: CounterOperation, to body: [UInt8]) -> (status: Int, body: [UInt8]) {
        let statuses: [BackOfficeError.Code: Int] = [.badInput: 400, .notFound: 404, .refused: 409]
        return StoredBank.answer(body, status: { statuses[$0] ?? 500 }) { f in
            let number = try f.string("card_no", maxLength: 20)
            func account() throws -> CardAccount {
                CardAccount(rawValue: try f.code("account", in: CardAccount.allCases.map(\.rawValue)))!
            }
            switch operation {
            case .card: return try card(number)
            case .person: return try person(number)
            case .journal:
                let limit = Int(try f.optionalString("limit", maxLength: 3) ?? "10") ?? 10
                return try journal(card: number, account: try account(), limit: max(1, min(limit, 100)))
            case .reportLoss:
                let temporary = f.value("temporary").map { $0 == .bool(true) } ?? true
                return try reportLoss(card: number, account: try account(), temporary: temporary)
            case .activate: return try activate(card: number, account: try account())
            case .socialPINChanged: return try socialPINChanged(card: number)
            default: throw BackOfficeError(.notFound, "\(operation.path): no such counter operation")
            }
        }
    }

    /// The holder changed the social PIN (at a kiosk or a counter): where
    /// the region activates the social function on the first change, it is activated.
    public func socialPINChanged(card number: String) throws(BackOfficeError) -> JSON {
        try write { db, now in
            let c = try card(db, number)
            var activated = false
            if try Records.lifecycle(db, region: try person(db, c.psnNo).region).socialActivation == .firstPINChange, c.socialActivated == nil {
                try db.run("UPDATE card SET social_activated = ? WHERE card_no = ?", arguments: [now.day.description, number])
                try CardEvents.record(db, card: number, time: now, kind: "social-activated", detail: "first PIN change")
                activated = true
            }
            try CardEvents.record(db, card: number, time: now, kind: "social-pin-changed", detail: "by the holder")
            return .object([("card_no", .string(number)), ("social_activated", .bool(activated))])
        }
    }

    // MARK: show

    /// A person by `psn_no`, ID number or card number: their accounts, cards and year.
    public func person(_ key: String) throws(BackOfficeError) -> JSON {
        try write { db, now in
            var p = try Records.person(db, psnNo: key)
            if p == nil { p = try Records.person(db, certno: key) }
            if p == nil, let c = try Records.card(db, number: key) { p = try Records.person(db, psnNo: c.psnNo) }
            guard let p else { throw BackOfficeError(.notFound, "no person, ID number or card \(key)") }
            let year = try Records.year(db, psnNo: p.psnNo, year: now.day.year)
            let cards = try Records.cards(db, psnNo: p.psnNo)
            return .object([
                ("psn_no", .string(p.psnNo)), ("certno", .string(p.certno)), ("name", .string(p.name)),
                ("gender", .string(p.genderCode == "2" ? "女" : "男")), ("birth_date", .string(p.birthDate)), ("insutype", .string(p.insutype)),
                ("psn_type", .string(p.personType)), ("region", .string(p.region)), ("employer", .string(p.employer)),
                ("balance", .money(try Records.balance(db, psnNo: p.psnNo))),
                (
                    "year", .object([
                        ("year", .number(String(now.day.year))), ("deductible_used", .money(year.deductibleUsed)),
                        ("pool_entered", .money(year.poolEntered)), ("fund_paid", .money(year.fundPaid)), ("visits", .number(String(year.visits))),
                    ])
                ),
                ("cards", .array(try cards.map { try cardJSON(db, $0, on: now.day) })),
            ])
        }
    }

    /// A card: its data and the state of each account today.
    public func card(_ number: String) throws(BackOfficeError) -> JSON {
        try write { db, now in try cardJSON(db, try card(db, number), on: now.day) }
    }

    func cardJSON(_ db: Database, _ c: StoredCard, on day: LocalDay) throws -> JSON {
        let p = try person(db, c.psnNo)
        let social = try Records.socialRefusal(db, c, region: p.region, on: day)
        let bank = CardLifecycle.bankRefusal(c.record(replacedBy: c.replacedBy), on: day)
        let account = try db.row("SELECT * FROM bank_account WHERE pan = ?", arguments: [c.pan])
        let policy = try Records.lifecycle(db, region: p.region)
        let deadline = c.bankActivated == nil ? CardLifecycle.bankDeadline(c.record(replacedBy: c.replacedBy), policy: policy) : nil
        return .object([
            ("card_no", .string(c.cardNumber)), ("card_sn", .string(c.cardID)), ("psn_no", .string(c.psnNo)), ("profile", .string(c.profile)),
            ("spec_version", .string(c.specVersion)), ("issue_date", .string(c.issueDate)), ("expiry_date", .string(c.expiryDate)),
            ("pickup_date", .string(c.pickup.description)), ("pan", .string(PANFormat.masked(c.pan))),
            (
                "social",
                .object([
                    ("usable", .bool(social == nil)), ("status", .string(social?.description ?? "正常: usable")),
                    ("refusal", social.map { .string($0.code.name) } ?? .null),
                    ("activated", c.socialActivated.map { .string($0.description) } ?? .null),
                    ("activation", .string(policy.socialActivation.description)),
                ])
            ),
            (
                "bank",
                .object([
                    ("usable", .bool(bank == nil)), ("status", .string(bank?.description ?? "正常: usable")),
                    ("refusal", bank.map { .string($0.code.name) } ?? .null),
                    ("activated", c.bankActivated.map { .string($0.description) } ?? .null),
                    ("activation_deadline", deadline.map { .string($0.description) } ?? .null),
                    ("balance", (account?["balance"] as Int?).map { .money(Money(fen: $0)) } ?? .null),
                    ("daily_limit", (account?["daily_limit"] as Int?).map { .money(Money(fen: $0)) } ?? .null),
                    ("pin", .string(account?["pin_state"] ?? "")),
                ])
            ),
            ("replaced_by", c.replacedBy.map(JSON.string) ?? .null),
        ])
    }

    // MARK: loss, activation, PIN

    /// Reports a loss on one account: temporary (by telephone, lapsing) or formal (at a window).
    public func reportLoss(card number: String, account: CardAccount, temporary: Bool) throws(BackOfficeError) -> JSON {
        try write { db, now in
            let c = try card(db, number)
            guard c.replacedBy == nil else { throw BackOfficeError(.refused, "card \(number) was replaced by \(c.replacedBy!); it is void") }
            let p = try person(db, c.psnNo)
            let report = CardLifecycle.report(temporary: temporary, on: now.day, policy: try Records.lifecycle(db, region: p.region))
            let (kind, until): (String, String?) =
                switch report {
                case .formal: ("formal", nil)
                case .temporary(let u): ("temporary", u.description)
                }
            switch account {
            case .social:
                try db.run("UPDATE card SET social_loss = ?, social_loss_until = ? WHERE card_no = ?", arguments: [kind, until, number])
            case .bank:
                try db.run("UPDATE bank_account SET loss = ?, loss_until = ? WHERE pan = ?", arguments: [kind, until, c.pan])
            }
            try CardEvents.record(db, card: number, time: now, kind: "loss-\(account)", detail: until.map { "\(kind) until \($0)" } ?? kind)
            return .object([
                ("card_no", .string(number)), ("account", .string(account.rawValue)), ("report", .string(kind)),
                ("until", until.map(JSON.string) ?? .null),
            ])
        }
    }

    /// Releases a loss report on one account.
    public func releaseLoss(card number: String, account: CardAccount) throws(BackOfficeError) -> JSON {
        try write { db, now in
            let c = try card(db, number)
            let report = account == .social ? c.socialLoss : c.bankLoss
            guard CardLifecycle.inForce(report, on: now.day) != nil else {
                throw BackOfficeError(.refused, "the \(account) account of card \(number) is not reported lost")
            }
            switch account {
            case .social: try db.run("UPDATE card SET social_loss = NULL, social_loss_until = NULL WHERE card_no = ?", arguments: [number])
            case .bank: try db.run("UPDATE bank_account SET loss = NULL, loss_until = NULL WHERE pan = ?", arguments: [c.pan])
            }
            try CardEvents.record(db, card: number, time: now, kind: "loss-released-\(account)", detail: "released")
            return .object([("card_no", .string(number)), ("account", .string(account.rawValue)), ("released", .bool(true))])
        }
    }

    /// Activates one account: the social function (for the event rules:
    /// first PIN change, employer list, first read) or the bank account
    /// (`pinSet`: the new PIN was set at activation, where the profile says so).
    public func activate(card number: String, account: CardAccount) throws(BackOfficeError) -> JSON {
        try write { db, now in
            let c = try card(db, number)
            guard c.replacedBy == nil else { throw BackOfficeError(.refused, "card \(number) was replaced by \(c.replacedBy!); it is void") }
            switch account {
            case .social:
                guard c.socialActivated == nil else { throw BackOfficeError(.refused, "the social function of card \(number) is already activated") }
                try db.run("UPDATE card SET social_activated = ? WHERE card_no = ?", arguments: [now.day.description, number])
            case .bank:
                guard c.bankActivated == nil else { throw BackOfficeError(.refused, "the bank account of card \(number) is already activated") }
                // The PIN set at activation counts as changed.
                try db.run("UPDATE bank_account SET activated = ?, pin_state = CASE pin_state WHEN 'unset' THEN 'set' ELSE pin_state END WHERE pan = ?",
                    arguments: [now.day.description, c.pan])
            }
            try CardEvents.record(db, card: number, time: now, kind: "\(account)-activated", detail: "at the counter")
            return .object([("card_no", .string(number)), ("account", .string(account.rawValue)), ("activated", .string(now.day.description))])
        }
    }

    /// Records that the holder changed the initial bank PIN, where the region allows it.
    public func changedPIN(card number: String, channel: BankChannel) throws(BackOfficeError) -> JSON {
        try write { db, now in
            let c = try card(db, number)
            let rules = try StoredBank.rules(db, psnNo: c.psnNo)
            guard rules.pinChannels.contains(channel.rawValue) else {
                throw BackOfficeError(
                    .refused, "this bank changes an initial PIN at \(rules.pinChannels.joined(separator: " or ")) only, not at \(channel.rawValue == "atm" ? "an ATM" : "a \(channel.rawValue)")")
            }
            try db.run("UPDATE bank_account SET pin_state = 'changed' WHERE pan = ?", arguments: [c.pan])
            if try Records.lifecycle(db, region: try person(db, c.psnNo).region).socialActivation == .firstPINChange, c.socialActivated == nil {
                try db.run("UPDATE card SET social_activated = ? WHERE card_no = ?", arguments: [now.day.description, number])
                try CardEvents.record(db, card: number, time: now, kind: "social-activated", detail: "first PIN change")
            }
            try CardEvents.record(db, card: number, time: now, kind: "bank-pin-changed", detail: "at \(channel.rawValue)")
            return .object([("card_no", .string(number)), ("pin", .string("changed")), ("channel", .string(channel.rawValue))])
        }
    }

    // MARK: replacement

    /// Replaces a card: the old one is void (its bank account at once, its
    /// medical function once the new card's is activated), the new one is
    /// bound to the person, the bank balance moves to the new account, and
    /// the fee is taken from it.
    public func replace(card number: String, newCardNumber: String?, newCardID: String?, newPAN: String?) throws(BackOfficeError) -> JSON {
        try write { db, now in
            let old = try card(db, number)
            guard old.replacedBy == nil else { throw BackOfficeError(.refused, "card \(number) was already replaced by \(old.replacedBy!)") }
            let p = try person(db, old.psnNo)
            let policy = try Records.lifecycle(db, region: p.region)
            let serial = (try db.int("SELECT MAX(rowid) FROM card") ?? 0) + 1
            let cardNo = newCardNumber ?? Self.cardNumber(serial: serial, from: number)
            let cardID = newCardID ?? Self.cardID(region: p.region, serial: serial, now: now)
            let pan = newPAN ?? Self.pan(from: old.pan, serial: serial)
            guard try Records.card(db, number: cardNo) == nil else { throw BackOfficeError(.badInput, "--new-card-no: card \(cardNo) exists already") }
            guard try Records.card(db, pan: pan) == nil else { throw BackOfficeError(.badInput, "--new-pan: \(PANFormat.masked(pan)) is another card's") }
            guard let account = try db.row("SELECT * FROM bank_account WHERE pan = ?", arguments: [old.pan]) else {
                throw BackOfficeError(.notFound, "card \(number) has no bank account")
            }
            let balance = Money(fen: account["balance"])
            let fee = min(policy.replacementFee, balance)
            try db.run("""
                    INSERT INTO card (card_no, card_sn, psn_no, profile, spec_version, issue_date, expiry_date, pickup_date, social_activated, pan)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
                    """,
                arguments: [cardNo, cardID, p.psnNo, old.profile, old.specVersion, now.day.description, (now.day + 3652).description, now.day.description, pan])
            // The new bank account is opened activated: the holder is at the counter.
            try db.run("INSERT INTO bank_account (pan, psn_no, balance, daily_limit, activated, pin_state) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [pan, p.psnNo, (balance - fee).fen, account["daily_limit"] as Int, now.day.description, "changed"])
            try db.run("UPDATE bank_account SET balance = 0 WHERE pan = ?", arguments: [old.pan])
            try db.run("UPDATE card SET replaced_by = ? WHERE card_no = ?", arguments: [cardNo, number])
            let journal = "INSERT INTO bank_journal (pan, time, kind, amount, fee, balance_after, reference) VALUES (?, ?, ?, ?, ?, ?, ?)"
            try db.run(journal, arguments: [old.pan, now.text, "transfer-out", -balance.fen, 0, 0, "replaced by \(cardNo)"])
            try db.run(journal, arguments: [pan, now.text, "transfer-in", balance.fen, 0, balance.fen, "from card \(number)"])
            if fee > .zero {
                try db.run(journal, arguments: [pan, now.text, "replacement-fee", -fee.fen, fee.fen, (balance - fee).fen, "card \(cardNo)"])
            }
            try CardEvents.record(db, card: number, time: now, kind: "replaced", detail: "by \(cardNo)")
            try CardEvents.record(db, card: cardNo, time: now, kind: "issued", detail: "replaces \(number); fee \(fee)")
            return .object([
                ("old_card_no", .string(number)), ("card_no", .string(cardNo)), ("card_sn", .string(cardID)), ("pan", .string(PANFormat.masked(pan))),
                ("fee", .money(fee)), ("bank_balance", .money(balance - fee)),
                ("personal_account_balance", .money(try Records.balance(db, psnNo: p.psnNo))),
                ("social_activation", .string(policy.socialActivation.description)),
            ])
        }
    }

    /// A new card number in the old one's series: its letter and the serial, with the check character.
    static func cardNumber(serial: Int, from old: String) -> String {
        let head = old.first.map(String.init) ?? "S"
        let digits = String(serial + 70_000_000)
        let body = head + String(repeating: "0", count: max(0, 7 - digits.count)) + digits.suffix(7)
        return body + (CheckCharacters.cardNumber(body).map(String.init) ?? "0")
    }

    /// A new card ID: the region, the RID-style issuer part, the serial and the time.
    static func cardID(region: String, serial: Int, now: FSITime) -> String {
        let tail = String(serial, radix: 16, uppercase: true)
        let head = region + "D156000005" + now.compact
        let id = head + String(repeating: "0", count: max(0, 32 - head.count - tail.count)) + tail
        return String(id.prefix(32))
    }

    /// A new PAN in the old one's BIN, with its Luhn digit.
    static func pan(from old: String, serial: Int) -> String {
        let body = String(old.prefix(old.count - 1).prefix(old.count - 7)) + String(serial + 500_000).suffix(6)
        return body + (CheckCharacters.luhn(body).map(String.init) ?? "0")
    }

    // MARK: money

    /// Credits a bank account (cash, or a benefit: pension, unemployment, medical reimbursement).
    public func deposit(card number: String, amount: Money, kind: CreditKind) throws(BackOfficeError) -> JSON {
        guard amount > .zero else { throw BackOfficeError(.badInput, "--amount: must be more than 0.00") }
        return try write { db, now in
            let c = try card(db, number)
            guard c.replacedBy == nil else { throw BackOfficeError(.refused, "card \(number) was replaced by \(c.replacedBy!); credit the new card") }
            try db.run("UPDATE bank_account SET balance = balance + ? WHERE pan = ?", arguments: [amount.fen, c.pan])
            let balance = Money(fen: try db.int("SELECT balance FROM bank_account WHERE pan = ?", arguments: [c.pan]) ?? 0)
            try db.run("INSERT INTO bank_journal (pan, time, kind, amount, balance_after, reference) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [c.pan, now.text, kind.journalKind, amount.fen, balance.fen, "counter"])
            return .object([("card_no", .string(number)), ("kind", .string(kind.rawValue)), ("amount", .money(amount)), ("balance", .money(balance))])
        }
    }

    /// The last entries of a card's bank journal or its holder's personal-account ledger.
    public func journal(card number: String, account: CardAccount, limit: Int) throws(BackOfficeError) -> JSON {
        try write { db, _ in
            let c = try card(db, number)
            let rows: [Row]
            switch account {
            case .bank:
                rows = try db.rows("SELECT time, kind, amount, fee, balance_after, reference FROM bank_journal WHERE pan = ? ORDER BY id DESC LIMIT ?",
                    arguments: [c.pan, limit])
            case .social:
                rows = try db.rows("SELECT time, kind, amount, 0 AS fee, balance_after, reference FROM ledger WHERE psn_no = ? ORDER BY id DESC LIMIT ?",
                    arguments: [c.psnNo, limit])
            }
            return .object([
                ("card_no", .string(number)), ("account", .string(account.rawValue)),
                (
                    "entries",
                    .array(rows.reversed().map { r in
                        .object([
                            ("time", .string(r["time"])), ("kind", .string(r["kind"])), ("amount", .money(Money(fen: r["amount"]))),
                            ("fee", .money(Money(fen: r["fee"]))), ("balance", .money(Money(fen: r["balance_after"]))),
                            ("reference", .string(r["reference"] ?? "")),
                        ])
                    })
                ),
            ])
        }
    }

    /// An institution's settlements in force between two days, as 3201 totals them.
    public func reconcile(institution: String, from: LocalDay, to: LocalDay) throws(BackOfficeError) -> (Reconciliation, JSON) {
        try write { db, _ in
            let r = try Reconciliation.totals(db, institution: institution, from: from, to: to)
            return (
                r,
                .object([
                    ("fixmedins_code", .string(institution)), ("from", .string(from.description)), ("to", .string(to.description)),
                    ("settlements", .number(String(r.count))), ("medfee_sumamt", .money(r.total)), ("fund_pay_sumamt", .money(r.fund)),
                    ("acct_pay", .money(r.account)), ("psn_cash_pay", .money(r.cash)),
                ])
            )
        }
    }
}
