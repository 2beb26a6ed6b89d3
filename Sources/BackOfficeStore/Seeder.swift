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
            let pinState: String
            switch social.bankPIN {
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
