// SSCard — BackOfficeStore
//
// `sscard backoffice init`: the centre's and the bank's records for the
// built-in profiles' generated cardholders, read off each card the way a
// terminal reads it (the social application through the virtual PSAM, the
// bank application's PAN), so that what a POS later sends matches what the
// centre holds. Seeding again changes nothing.

public import BackOffice
import CardPersonalization
import CardSimulator
import CardTransport
public import GRDB
import Terminal

/// One card the seeder made records for.
public struct SeededCard: Hashable, Sendable {
    public var profile: String
    public var cardNumber: String
    public var cardID: String
    public var psnNo: String
    public var pan: String
    /// Whether the records were new (`false`: they were there already).
    public var created: Bool

    public init(profile: String, cardNumber: String, cardID: String, psnNo: String, pan: String, created: Bool) {
        self.profile = profile
        self.cardNumber = cardNumber
        self.cardID = cardID
        self.psnNo = psnNo
        self.pan = pan
        self.created = created
    }
}

public enum Seeder {
    /// The life-cycle rules of a built-in profile's region [INFERRED: one
    /// rule of the seed documents per region, so that each is exercised].
    public static func lifecycle(for region: String) -> LifecyclePolicy {
        switch region {
        case "330300": LifecyclePolicy(socialActivation: .daysAfterPickup(4), bankActivationDays: 30)
        case "130900": LifecyclePolicy(socialActivation: .firstReadAtInstitution, bankActivationDays: 60)
        case "500100": LifecyclePolicy(socialActivation: .firstPINChange, bankActivationDays: 30)
        default: LifecyclePolicy(socialActivation: .nextDay, bankActivationDays: 60)
        }
    }

    /// Creates the records of every built-in social-security profile's card.
    /// - Parameters:
    ///   - seed: the personalization seed (each profile's own when `nil`).
    ///   - today: the day of pickup for cards whose bank function is not yet activated.
    public static func seed(_ db: Database, seed: UInt64?, today: LocalDay) throws -> [SeededCard] {
        var out: [SeededCard] = []
        for item in catalogue {
            try db.execute(
                sql: "INSERT OR IGNORE INTO catalogue (code, name, class, selfpay, price_cap) VALUES (?, ?, ?, ?, ?)",
                arguments: [item.code, item.name, item.itemClass.rawValue, item.selfPay.parts, item.priceCap?.description])
        }
        for profile in CardProfiles.builtIn {
            guard let social = profile.socialProfile else { continue }
            let s = seed ?? profile.defaultSeed
            let state = profile.personalize(seed: s)
            let card = TerminalSession(transport: VirtualCardTransport(card: CardFactory.virtualCard(state)))
            let psam = TerminalSession(transport: VirtualCardTransport(card: CardFactory.virtualCard(VirtualPSAM.state())))
            let info = try SocialTerminal(card: card, psam: psam).readBasics()
            let pan = try EMVKernel(card: card).readAccount().card.pan
            let cardID = info.cardID.map { String($0, radix: 16, uppercase: true).leftPadded(2) }.joined()
            let psnNo = info.region + info.citizenID.suffix(12)
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM card WHERE card_no = ?", arguments: [info.cardNumber]) != nil {
                out.append(SeededCard(profile: profile.name, cardNumber: info.cardNumber, cardID: cardID, psnNo: psnNo, pan: pan, created: false))
                continue
            }
            let policy = lifecycle(for: info.region)
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO region (code, profile, social_activation, bank_activation_days, temporary_loss_days, replacement_fee)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    info.region, profile.name, policy.socialActivation.description, policy.bankActivationDays,
                    policy.temporaryLossDays, policy.replacementFee.fen,
                ])
            // [INFERRED] The bank of the 955330 region changes an initial PIN at its counters only.
            if case .fixed("955330") = social.bankPIN {
                try db.execute(sql: "UPDATE region SET pin_change_channels = 'counter' WHERE code = ?", arguments: [info.region])
            }
            for (kind, settlement) in [("pharmacy", SettlementPolicy.pharmacy), ("outpatient", SettlementPolicy.outpatient)] {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO policy (region, kind, definition) VALUES (?, ?, ?)",
                    arguments: [info.region, kind, settlement.json.serialized])
            }
            let birth = LocalDay(info.birthDate)
            let age = birth.map { (today.index - $0.index) / 365 } ?? 30
            var g = SeededGenerator(seed: s &* 31 &+ UInt64(out.count))
            let balance = 50_000 + Int(g.next() % 200_000)
            let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM person WHERE psn_no = ?", arguments: [psnNo]) != nil
            if !exists {
                try db.execute(
                    sql: """
                        INSERT INTO person (psn_no, certno, name, gender, birth_date, insutype, psn_type, region, emp_name, insu_date)
                        VALUES (?, ?, ?, ?, ?, '310', ?, ?, ?, ?)
                        """,
                    arguments: [
                        psnNo, info.citizenID, info.name, info.sex, birth?.description ?? info.birthDate, age >= 60 ? "12" : "11",
                        info.region, "SSCard 测试单位", LocalDay(info.issueDate)?.description ?? info.issueDate,
                    ])
                try db.execute(sql: "INSERT INTO account (psn_no, balance) VALUES (?, ?)", arguments: [psnNo, balance])
                try db.execute(
                    sql: "INSERT INTO ledger (psn_no, time, kind, amount, balance_after, reference) VALUES (?, ?, 'opening', ?, ?, 'init')",
                    arguments: [psnNo, today.description, balance, balance])
            }
            // A card whose bank function is still to be activated was picked up today.
            let bankActive = social.bankActivated
            let issue = LocalDay(info.issueDate) ?? today
            let pickup = bankActive ? issue : today
            try db.execute(
                sql: """
                    INSERT INTO card (card_no, card_sn, psn_no, profile, spec_version, issue_date, expiry_date, pickup_date, social_activated, pan)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    info.cardNumber, cardID, psnNo, profile.name, info.specVersion, issue.description,
                    (LocalDay(info.expiryDate) ?? issue + 3650).description, pickup.description,
                    // Date rules activate by themselves; a card issued years ago was activated long since.
                    bankActive && !isEventRule(policy.socialActivation) ? pickup.description : nil, pan,
                ])
            // A card in use for years had its initial PIN changed long since.
            let pinState: String
            switch social.bankPIN {
            case _ where bankActive: pinState = "changed"
            case .atActivation: pinState = "unset"
            default: pinState = "initial"
            }
            try db.execute(
                sql: "INSERT INTO bank_account (pan, psn_no, balance, daily_limit, activated, pin_state) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [pan, psnNo, 1_000_000, 500_000, bankActive ? pickup.description : nil, pinState])
            try db.execute(
                sql: "INSERT INTO bank_journal (pan, time, kind, amount, balance_after, reference) VALUES (?, ?, 'opening', ?, ?, 'init')",
                arguments: [pan, today.description, 1_000_000, 1_000_000])
            try db.execute(
                sql: "INSERT INTO card_event (card_no, time, kind, detail) VALUES (?, ?, 'issued', ?)",
                arguments: [info.cardNumber, today.description, "profile \(profile.name), seed \(s)"])
            out.append(SeededCard(profile: profile.name, cardNumber: info.cardNumber, cardID: cardID, psnNo: psnNo, pan: pan, created: true))
        }
        return out
    }

    /// A small drug and service catalogue [INFERRED: generated codes; the
    /// classes, self-pay shares and caps exercise every rule of the split].
    public static let catalogue: [CatalogueItem] = [
        CatalogueItem(code: "SSC-XA01", name: "阿莫西林胶囊 0.25g×24", itemClass: .classA),
        CatalogueItem(code: "SSC-XA02", name: "布洛芬缓释胶囊 0.3g×20", itemClass: .classA, priceCap: Decimals(scaled: 18_500_000, fraction: 6)),
        CatalogueItem(code: "SSC-XA03", name: "复方甘草片×100", itemClass: .classA),
        CatalogueItem(code: "SSC-XB01", name: "头孢克洛缓释片 0.375g×6", itemClass: .classB, selfPay: Ratio(percent: 10)),
        CatalogueItem(code: "SSC-XB02", name: "阿托伐他汀钙片 20mg×7", itemClass: .classB, selfPay: Ratio(percent: 5), priceCap: Decimals(scaled: 30_000_000, fraction: 6)),
        CatalogueItem(code: "SSC-XB03", name: "蒙脱石散 3g×10", itemClass: .classB, selfPay: Ratio(percent: 20)),
        CatalogueItem(code: "SSC-XC01", name: "维生素C咀嚼片×60", itemClass: .classC),
        CatalogueItem(code: "SSC-XC02", name: "医用护具", itemClass: .classC),
        CatalogueItem(code: "SSC-ZL01", name: "普通门诊诊查费", itemClass: .classA, priceCap: Decimals(scaled: 25_000_000, fraction: 6)),
        CatalogueItem(code: "SSC-ZL02", name: "血常规检查", itemClass: .classA),
        CatalogueItem(code: "SSC-ZL03", name: "彩色多普勒超声", itemClass: .classB, selfPay: Ratio(percent: 10)),
    ]

    static func isEventRule(_ r: SocialActivationRule) -> Bool {
        switch r {
        case .nextDay, .daysAfterPickup: false
        default: true
        }
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

extension Seeder {
    /// Opens (or creates) the database at `path` and seeds it, in one transaction.
    /// - Throws: ``BackOfficeError``: `.database` when the file cannot be opened or written.
    public static func initialize(path: String, seed: UInt64?, today: LocalDay) throws(BackOfficeError) -> [SeededCard] {
        let pool = try BackOfficeDatabase.open(path: path)
        do {
            return try pool.write { db in try Seeder.seed(db, seed: seed, today: today) }
        } catch {
            throw BackOfficeError(.database, "\(path): seeding failed: \(error)")
        }
    }
}
