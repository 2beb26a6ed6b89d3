// SSCard — BackOfficeStore
//
// The centre's records as values, and the credential check of every
// transaction that presents a card (settlement.md §1.9, §5.3): a social
// security card (`mdtrt_cert_type` 03) must carry its card ID (`card_sn`);
// the (card number, card ID) pair must match a card bound to the person, and
// the card's social function must be usable today by the region's rules.

public import BackOffice
public import GRDB

/// A person as the centre holds them.
public struct PersonRecord: Hashable, Sendable {
    public var psnNo: String
    public var certno: String
    public var name: String
    public var gender: String
    public var birthDate: String
    public var insutype: String
    public var personType: String
    public var region: String
    public var employer: String
    public var insuredSince: String

    init(row: Row) {
        psnNo = row["psn_no"]
        certno = row["certno"]
        name = row["name"]
        gender = row["gender"]
        birthDate = row["birth_date"]
        insutype = row["insutype"]
        personType = row["psn_type"]
        region = row["region"]
        employer = row["emp_name"]
        insuredSince = row["insu_date"]
    }

    /// `gend` as the platform codes it: 1 male, 2 female.
    public var genderCode: String { gender == "2" || gender == "女" || gender == "F" ? "2" : "1" }

    public func age(on day: LocalDay) -> Int {
        guard let birth = LocalDay(birthDate) else { return 0 }
        let (by, bm, bd) = birth.components
        let (y, m, d) = day.components
        return y - by - ((m, d) < (bm, bd) ? 1 : 0)
    }
}

/// A card as the centre and the bank hold it.
public struct StoredCard: Hashable, Sendable {
    public var cardNumber: String
    public var cardID: String
    public var psnNo: String
    public var profile: String
    public var specVersion: String
    public var issueDate: String
    public var expiryDate: String
    public var pickup: LocalDay
    public var socialActivated: LocalDay?
    public var socialLoss: LossReport?
    public var replacedBy: String?
    public var pan: String
    public var bankActivated: LocalDay?
    public var bankLoss: LossReport?

    init(row: Row) {
        cardNumber = row["card_no"]
        cardID = row["card_sn"]
        psnNo = row["psn_no"]
        profile = row["profile"]
        specVersion = row["spec_version"]
        issueDate = row["issue_date"]
        expiryDate = row["expiry_date"]
        pickup = LocalDay(row["pickup_date"] as String) ?? LocalDay(index: 0)
        socialActivated = (row["social_activated"] as String?).flatMap(LocalDay.init)
        socialLoss = Self.loss(row["social_loss"], row["social_loss_until"])
        replacedBy = row["replaced_by"]
        pan = row["pan"]
        bankActivated = (row["bank_activated"] as String?).flatMap(LocalDay.init)
        bankLoss = Self.loss(row["bank_loss"], row["bank_loss_until"])
    }

    static func loss(_ kind: String?, _ until: String?) -> LossReport? {
        switch kind {
        case "formal": .formal
        case "temporary": .temporary(until: until.flatMap(LocalDay.init) ?? LocalDay(index: 0))
        default: nil
        }
    }

    /// The life-cycle record. `replacedBy` is what holds for the account
    /// asked about: the bank account of a replaced card is void at once, its
    /// medical function once the new card's is activated (so that the holder
    /// is never without one).
    public func record(replacedBy: String?) -> CardRecord {
        CardRecord(
            cardNumber: cardNumber, pickup: pickup, expiry: LocalDay(expiryDate) ?? pickup + 3650, socialActivated: socialActivated,
            bankActivated: bankActivated, socialLoss: socialLoss, bankLoss: bankLoss, replacedBy: replacedBy)
    }
}

/// Reads of the centre's records.
public enum Records {
    static let cardSelect = """
        SELECT card.*, bank_account.activated AS bank_activated, bank_account.loss AS bank_loss,
               bank_account.loss_until AS bank_loss_until
        FROM card JOIN bank_account ON bank_account.pan = card.pan
        """

    public static func person(_ db: Database, psnNo: String) throws -> PersonRecord? {
        try db.row("SELECT * FROM person WHERE psn_no = ?", arguments: [psnNo]).map(PersonRecord.init)
    }

    public static func person(_ db: Database, certno: String) throws -> PersonRecord? {
        try db.row("SELECT * FROM person WHERE certno = ?", arguments: [certno]).map(PersonRecord.init)
    }

    public static func card(_ db: Database, number: String) throws -> StoredCard? {
        try db.row(cardSelect + " WHERE card.card_no = ?", arguments: [number]).map(StoredCard.init)
    }

    public static func card(_ db: Database, pan: String) throws -> StoredCard? {
        try db.row(cardSelect + " WHERE card.pan = ?", arguments: [pan]).map(StoredCard.init)
    }

    public static func cards(_ db: Database, psnNo: String) throws -> [StoredCard] {
        try db.rows(cardSelect + " WHERE card.psn_no = ? ORDER BY card.issue_date, card.card_no", arguments: [psnNo])
            .map(StoredCard.init)
    }

    public static func balance(_ db: Database, psnNo: String) throws -> Money {
        Money(fen: try db.int("SELECT balance FROM account WHERE psn_no = ?", arguments: [psnNo]) ?? 0)
    }

    public static func lifecycle(_ db: Database, region: String) throws -> LifecyclePolicy {
        guard let row = try db.row("SELECT * FROM region WHERE code = ?", arguments: [region]) else {
            return LifecyclePolicy()
        }
        return LifecyclePolicy(
            socialActivation: SocialActivationRule(name: row["social_activation"]) ?? .nextDay,
            bankActivationDays: row["bank_activation_days"], temporaryLossDays: row["temporary_loss_days"],
            replacementFee: Money(fen: row["replacement_fee"]))
    }

    public static func policy(_ db: Database, region: String, kind: String) throws -> SettlementPolicy {
        guard let text = try db.string("SELECT definition FROM policy WHERE region = ? AND kind = ?", arguments: [region, kind])
        else { return kind == "pharmacy" ? .pharmacy : .outpatient }
        do {
            return try SettlementPolicy(json: try JSON.parse(text))
        } catch {
            throw FSIRefusal("the \(kind) policy of region \(region) in the database is not valid: \(error)")
        }
    }

    public static func year(_ db: Database, psnNo: String, year: Int) throws -> YearToDate {
        guard let row = try db.row("SELECT * FROM accumulator WHERE psn_no = ? AND year = ?", arguments: [psnNo, year]) else {
            return YearToDate()
        }
        return YearToDate(
            deductibleUsed: Money(fen: row["deductible_used"]), poolEntered: Money(fen: row["pool_entered"]),
            fundPaid: Money(fen: row["fund_paid"]), visits: row["visits"])
    }

    /// Whether the social function of the card that replaced this one works on `day`.
    static func replacementActive(_ db: Database, _ card: StoredCard, on day: LocalDay) throws -> String? {
        guard let by = card.replacedBy else { return nil }
        guard let new = try self.card(db, number: by) else { return by }
        let policy = try lifecycle(db, region: try person(db, psnNo: new.psnNo)?.region ?? "")
        return CardLifecycle.socialActive(new.record(replacedBy: nil), policy: policy, on: day) ? by : nil
    }

    /// Why the card's social function may not be used on `day`, if it may not.
    public static func socialRefusal(_ db: Database, _ card: StoredCard, region: String, on day: LocalDay) throws -> CardRefusal? {
        let policy = try lifecycle(db, region: region)
        return CardLifecycle.socialRefusal(card.record(replacedBy: try replacementActive(db, card, on: day)), policy: policy, on: day)
    }
}

/// Who a request is about, and by which credential.
struct Presented {
    var person: PersonRecord
    var card: StoredCard?
    var certType: String
}

extension InsuranceCentre {
    /// The credential of a request: `mdtrt_cert_type`, `mdtrt_cert_no` and,
    /// for a card, `card_sn`; `psn_no` (when the request names it) must be
    /// the credential's person. Activates a first-read card at a designated
    /// institution.
    func credential(_ x: inout Exchange, _ f: FSIFields, psnNo: String?) throws -> Presented {
        let type = try f.code("mdtrt_cert_type", in: ["01", "02", "03", "04"])
        let number = try f.string("mdtrt_cert_no", maxLength: 600)
        var presented: Presented
        switch type {
        case "03":
            guard let cardSN = try f.optionalString("card_sn", maxLength: 64), !cardSN.isEmpty else {
                throw FSIFieldError(path: "\(f.path).card_sn", reason: "is mandatory with a social security card (mdtrt_cert_type 03)")
            }
            // The national DLL route sends 卡号|业务卡串.
            let cardNo = String(number.split(separator: "|", omittingEmptySubsequences: false).first ?? "")
            guard let card = try Records.card(x.db, number: cardNo) else {
                throw FSIRefusal("\(f.path).mdtrt_cert_no: no card \(cardNo) is known to the centre")
            }
            guard card.cardID.uppercased() == cardSN.uppercased() else {
                throw FSIRefusal("\(f.path).card_sn: \(cardSN) is not the card ID of card \(cardNo) (卡号与卡识别码不符)")
            }
            guard let person = try Records.person(x.db, psnNo: card.psnNo) else {
                throw FSIRefusal("\(f.path).mdtrt_cert_no: card \(cardNo) is bound to no person")
            }
            presented = Presented(person: person, card: card, certType: type)
            if let certno = try f.optionalString("certno", maxLength: 30), certno.uppercased() != person.certno.uppercased() {
                throw FSIRefusal("\(f.path).certno: \(certno) is not the social security number of card \(cardNo)'s holder")
            }
            if let name = try f.optionalString("psn_name", maxLength: 50), name != person.name {
                throw FSIRefusal("\(f.path).psn_name: the name does not match card \(cardNo)'s holder")
            }
            if try activateOnFirstRead(&x, card: card, region: person.region) {
                presented.card?.socialActivated = x.day
            }
            if let refusal = try Records.socialRefusal(x.db, presented.card!, region: person.region, on: x.day) {
                throw FSIRefusal(refusal.description)
            }
        case "02":
            guard let person = try Records.person(x.db, certno: number) else {
                throw FSIRefusal("\(f.path).mdtrt_cert_no: no insured person has the ID number \(number)")
            }
            presented = Presented(person: person, card: nil, certType: type)
        default:
            throw FSIRefusal(
                "\(f.path).mdtrt_cert_type: \(type) (\(type == "01" ? "医保电子凭证" : "other credentials")) is not accepted by this centre; present the card (03) or the ID card (02)")
        }
        if let psnNo, psnNo != presented.person.psnNo {
            throw FSIRefusal("\(f.path).psn_no: \(psnNo) is not the person of the credential presented (\(presented.person.psnNo))")
        }
        return presented
    }

    /// The first read at a designated institution activates the social
    /// function, where the region's rule says so.
    /// - Returns: whether it activated the card.
    @discardableResult
    func activateOnFirstRead(_ x: inout Exchange, card: StoredCard, region: String) throws -> Bool {
        guard card.socialActivated == nil, card.replacedBy == nil,
            try Records.lifecycle(x.db, region: region).socialActivation == .firstReadAtInstitution
        else { return false }
        try x.db.run("UPDATE card SET social_activated = ? WHERE card_no = ?", arguments: [x.day.description, card.cardNumber])
        try CardEvents.record(x.db, card: card.cardNumber, time: x.now, kind: "social-activated", detail: "first read at \(x.envelope.fixmedins)")
        return true
    }

    /// The person a request names by `psn_no`.
    func person(_ x: Exchange, _ f: FSIFields) throws -> PersonRecord {
        let psnNo = try f.string("psn_no", maxLength: 30)
        guard let p = try Records.person(x.db, psnNo: psnNo) else { throw FSIRefusal("\(f.path).psn_no: no insured person \(psnNo)") }
        return p
    }

    // MARK: 1101

    func personInformation(_ x: inout Exchange) throws -> JSON {
        let f = try x.input.object("data")
        let presented = try credential(&x, f, psnNo: nil)
        let p = presented.person
        let balance = try Records.balance(x.db, psnNo: p.psnNo)
        return .object([
            (
                "baseinfo",
                .object([
                    ("psn_no", .string(p.psnNo)), ("psn_cert_type", .string("01")), ("certno", .string(p.certno)),
                    ("psn_name", .string(p.name)), ("gend", .string(p.genderCode)), ("naty", .string("01")),
                    ("brdy", .string(p.birthDate)), ("age", .number(String(p.age(on: x.day)))),
                ])
            ),
            (
                "insuinfo",
                .array([
                    .object([
                        ("balc", .money(balance)), ("insutype", .string(p.insutype)), ("psn_type", .string(p.personType)),
                        ("psn_insu_stas", .string("1")), ("psn_insu_date", .string(p.insuredSince)), ("paus_insu_date", .null),
                        ("cvlserv_flag", .string("0")), ("insuplc_admdvs", .string(p.region)), ("emp_name", .string(p.employer)),
                    ])
                ])
            ),
            ("idetinfo", .array([])),
        ])
    }
}

/// The card event log.
enum CardEvents {
    static func record(_ db: Database, card: String, time: FSITime, kind: String, detail: String) throws {
        try db.run("INSERT INTO card_event (card_no, time, kind, detail) VALUES (?, ?, ?, ?)", arguments: [card, time.text, kind, detail])
    }
}
