// SSCard — BackOfficeStore
//
// The back office's one SQLite file, through GRDB: created with mode 0600
// (it holds persons, balances and card data), WAL, the schema by
// migrations, every change one transaction.

public import GRDB
import Foundation

/// Where the database is and how it opens.
public enum BackOfficeDatabase {
    /// `--db FILE`, else `SSCARD_DB`, else `$XDG_DATA_HOME/sscard/backoffice.sqlite`
    /// (`~/.local/share/sscard/` without XDG_DATA_HOME).
    public static func defaultPath(environment: [String: String]? = nil) -> String {
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let p = environment["SSCARD_DB"], !p.isEmpty { return p }
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? "/root") + "/.local/share"
        return data + "/sscard/backoffice.sqlite"
    }

    /// Opens (creating when `create`) the database and brings its schema up to date.
    /// - Throws: ``BackOfficeError`` with ``BackOfficeError/Code/database``.
    public static func open(path: String, create: Bool = true) throws(BackOfficeError) -> DatabasePool {
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard create else { throw BackOfficeError(.database, "\(path): no such database (create it with `sscard backoffice init`)") }
            let dir = (path as NSString).deletingLastPathComponent
            do {
                if !dir.isEmpty { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
            } catch {
                throw BackOfficeError(.database, "\(dir): cannot create the folder (\(error.localizedDescription))")
            }
            // SQLite gives the -wal and -shm files the database file's mode.
            guard fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw BackOfficeError(.database, "\(path): cannot create the database file")
            }
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // WAL with NORMAL: a commit is durable once the WAL is synced at a
            // checkpoint, and the database never corrupts on power loss.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A checkpoint (which syncs the database file) every 8,000 pages
            // of WAL, not every 1,000: under a steady stream of settlements
            // the syncs were most of the slowest answers.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 8000")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            try migrator.migrate(pool)
            return pool
        } catch {
            throw BackOfficeError(.database, "\(path): \(error)")
        }
    }

    /// The schema, one migration per version.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE region (
                    code TEXT PRIMARY KEY,
                    profile TEXT NOT NULL,
                    social_activation TEXT NOT NULL,
                    bank_activation_days INTEGER,
                    temporary_loss_days INTEGER NOT NULL,
                    replacement_fee INTEGER NOT NULL
                );
                CREATE TABLE person (
                    psn_no TEXT PRIMARY KEY,
                    certno TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    gender TEXT NOT NULL,
                    birth_date TEXT NOT NULL,
                    insutype TEXT NOT NULL,
                    psn_type TEXT NOT NULL,
                    region TEXT NOT NULL REFERENCES region(code),
                    emp_name TEXT NOT NULL,
                    insu_date TEXT NOT NULL
                );
                CREATE TABLE card (
                    card_no TEXT PRIMARY KEY,
                    card_sn TEXT NOT NULL,
                    psn_no TEXT NOT NULL REFERENCES person(psn_no),
                    profile TEXT NOT NULL,
                    spec_version TEXT NOT NULL,
                    issue_date TEXT NOT NULL,
                    expiry_date TEXT NOT NULL,
                    pickup_date TEXT NOT NULL,
                    social_activated TEXT,
                    social_loss TEXT,
                    social_loss_until TEXT,
                    replaced_by TEXT,
                    pan TEXT NOT NULL UNIQUE
                );
                CREATE INDEX card_psn ON card(psn_no);
                CREATE TABLE account (
                    psn_no TEXT PRIMARY KEY REFERENCES person(psn_no),
                    balance INTEGER NOT NULL CHECK (balance >= 0)
                );
                CREATE TABLE ledger (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    psn_no TEXT NOT NULL REFERENCES person(psn_no),
                    time TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    amount INTEGER NOT NULL,
                    balance_after INTEGER NOT NULL,
                    reference TEXT
                );
                CREATE TABLE accumulator (
                    psn_no TEXT NOT NULL REFERENCES person(psn_no),
                    year INTEGER NOT NULL,
                    deductible_used INTEGER NOT NULL DEFAULT 0,
                    pool_entered INTEGER NOT NULL DEFAULT 0,
                    fund_paid INTEGER NOT NULL DEFAULT 0,
                    visits INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (psn_no, year)
                );
                CREATE TABLE bank_account (
                    pan TEXT PRIMARY KEY,
                    psn_no TEXT NOT NULL REFERENCES person(psn_no),
                    balance INTEGER NOT NULL CHECK (balance >= 0),
                    daily_limit INTEGER NOT NULL,
                    activated TEXT,
                    pin_state TEXT NOT NULL,
                    loss TEXT,
                    loss_until TEXT
                );
                CREATE TABLE bank_journal (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pan TEXT NOT NULL REFERENCES bank_account(pan),
                    time TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    amount INTEGER NOT NULL,
                    fee INTEGER NOT NULL DEFAULT 0,
                    balance_after INTEGER NOT NULL,
                    reference TEXT
                );
                CREATE TABLE card_event (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    card_no TEXT NOT NULL,
                    time TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                """)
        }
        // The platform's transactions: every message answered, sign-ins,
        // visits and their fee lines, settlements; the catalogue and the
        // settlement policies (JSON, per region and kind of visit).
        m.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE message (
                    msgid TEXT PRIMARY KEY,
                    infno TEXT NOT NULL,
                    time TEXT NOT NULL,
                    fixmedins_code TEXT NOT NULL,
                    response TEXT NOT NULL,
                    reversed_by TEXT
                );
                CREATE TABLE signin (
                    sign_no TEXT PRIMARY KEY,
                    fixmedins_code TEXT NOT NULL,
                    opter_no TEXT NOT NULL,
                    sign_time TEXT NOT NULL,
                    signout_time TEXT
                );
                CREATE TABLE catalogue (
                    code TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    class TEXT NOT NULL CHECK (class IN ('01', '02', '03')),
                    selfpay INTEGER NOT NULL DEFAULT 0,
                    price_cap TEXT
                );
                CREATE TABLE policy (
                    region TEXT NOT NULL REFERENCES region(code),
                    kind TEXT NOT NULL,
                    definition TEXT NOT NULL,
                    PRIMARY KEY (region, kind)
                );
                CREATE TABLE visit (
                    mdtrt_id TEXT PRIMARY KEY,
                    psn_no TEXT NOT NULL REFERENCES person(psn_no),
                    fixmedins_code TEXT NOT NULL,
                    ipt_otp_no TEXT NOT NULL,
                    insutype TEXT NOT NULL,
                    med_type TEXT,
                    dise_codg TEXT,
                    begntime TEXT NOT NULL,
                    status TEXT NOT NULL
                );
                CREATE TABLE fee (
                    mdtrt_id TEXT NOT NULL REFERENCES visit(mdtrt_id),
                    feedetl_sn TEXT NOT NULL,
                    chrg_bchno TEXT NOT NULL,
                    code TEXT NOT NULL,
                    name TEXT NOT NULL,
                    amount INTEGER NOT NULL,
                    quantity INTEGER NOT NULL,
                    price INTEGER NOT NULL,
                    declared_class TEXT,
                    status TEXT NOT NULL,
                    PRIMARY KEY (mdtrt_id, feedetl_sn)
                );
                CREATE TABLE settlement (
                    setl_id TEXT PRIMARY KEY,
                    infno TEXT NOT NULL,
                    mdtrt_id TEXT NOT NULL,
                    chrg_bchno TEXT,
                    psn_no TEXT NOT NULL REFERENCES person(psn_no),
                    msgid TEXT NOT NULL,
                    fixmedins_code TEXT NOT NULL,
                    setl_time TEXT NOT NULL,
                    day TEXT NOT NULL,
                    year INTEGER NOT NULL,
                    insutype TEXT NOT NULL,
                    med_type TEXT NOT NULL,
                    cert_type TEXT NOT NULL,
                    total INTEGER NOT NULL,
                    fulamt INTEGER NOT NULL,
                    overlmt INTEGER NOT NULL,
                    preselfpay INTEGER NOT NULL,
                    inscp INTEGER NOT NULL,
                    deductible INTEGER NOT NULL,
                    pool_entered INTEGER NOT NULL,
                    pool_ratio INTEGER NOT NULL,
                    fund INTEGER NOT NULL,
                    person_share INTEGER NOT NULL,
                    account INTEGER NOT NULL,
                    cash INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    cancelled_by TEXT
                );
                CREATE INDEX settlement_day ON settlement(fixmedins_code, day);
                CREATE TABLE bank_message (
                    reference TEXT PRIMARY KEY,
                    pan TEXT NOT NULL,
                    time TEXT NOT NULL,
                    response TEXT NOT NULL
                );
                CREATE INDEX bank_journal_pan ON bank_journal(pan, time);
                -- The bank's rules per region: where an initial PIN may be
                -- changed, and the cross-bank ATM fee after the free ones.
                ALTER TABLE region ADD COLUMN pin_change_channels TEXT NOT NULL DEFAULT 'counter,atm';
                ALTER TABLE region ADD COLUMN atm_free_withdrawals INTEGER NOT NULL DEFAULT 3;
                ALTER TABLE region ADD COLUMN atm_fee INTEGER NOT NULL DEFAULT 200;
                CREATE INDEX settlement_psn ON settlement(psn_no);
                """)
        }
        // What each bank account spent on its last day of spending, so that
        // the daily limit is one read, not a scan of the account's journal
        // (which grows with every purchase). Seeded from today's journal.
        m.registerMigration("v3") { db in
            try db.execute(sql: """
                ALTER TABLE bank_account ADD COLUMN spent_day TEXT;
                ALTER TABLE bank_account ADD COLUMN spent_today INTEGER NOT NULL DEFAULT 0;
                UPDATE bank_account SET spent_day = date('now', '+8 hours'),
                    spent_today = COALESCE((SELECT -SUM(amount) FROM bank_journal
                        WHERE bank_journal.pan = bank_account.pan AND amount < 0 AND kind IN ('purchase', 'withdrawal', 'atm-withdrawal', 'atm-withdrawal-other')
                        AND substr(time, 1, 10) = date('now', '+8 hours')), 0);
                """)
        }
        return m
    }
}

/// A back-office failure.
public struct BackOfficeError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The database could not be opened, created or written.
        public static let database = Code(name: "database")
        /// No such person, card or account.
        public static let notFound = Code(name: "notFound")
        /// The operation is not allowed in the card's or account's state.
        public static let refused = Code(name: "refused")
        /// Bad input: a field, an amount, an option.
        public static let badInput = Code(name: "badInput")
        public var description: String { name }
    }
    public var code: Code
    public var message: String
    public var sourceLocation: (file: String, line: Int)

    public init(_ code: Code, _ message: String, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        sourceLocation = (fileID, line)
    }

    public var description: String { message }
    public static func == (a: BackOfficeError, b: BackOfficeError) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }
}
