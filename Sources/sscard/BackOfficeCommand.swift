// SSCard — `sscard backoffice …`: the insurance centre and the bank's issuer
// host, one SQLite file.

import ArgumentParser
import BackOffice
import BackOfficeStore
import CardStandards

struct BackOfficeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backoffice",
        abstract: "The medical-insurance centre and the bank's issuer host (one SQLite database).",
        discussion: """
            The database is --db FILE, else $SSCARD_DB, else $XDG_DATA_HOME/sscard/backoffice.sqlite
            (~/.local/share/sscard/ without XDG_DATA_HOME). It is created with mode 0600.
            """,
        subcommands: [
            Init.self, Serve.self, Request.self, PersonShow.self, CardShow.self, ReportLoss.self, ReleaseLoss.self, Replace.self,
            Activate.self, PINChanged.self, Deposit.self, Journal.self, Reconcile.self,
        ]
    )

    struct DatabaseOption: ParsableArguments {
        @Option(help: ArgumentHelp("The back office's database file.", valueName: "FILE"))
        var db: String?

        var path: String { db ?? BackOfficeDatabase.defaultPath() }
    }

    /// The database the back office works on, and its clock.
    struct Context: ParsableArguments {
        @OptionGroup var database: DatabaseOption
        @Option(
            help: ArgumentHelp(
                "Work as if today were this day in China time (for rehearsing life-cycle rules).", valueName: "YYYY-MM-DD"))
        var today: String?

        func clock() throws -> CentreClock {
            guard let today else { return CentreClock() }
            guard let day = LocalDay(today) else { throw CLIError("--today \(today): give a date as YYYY-MM-DD", status: ExitStatus.badInput) }
            return CentreClock(today: day)
        }

        /// Opens the existing database (the counter never creates one).
        func counter() throws -> Counter {
            let clock = try self.clock()
            do throws(BackOfficeError) {
                return Counter(pool: try BackOfficeDatabase.open(path: database.path, create: false), clock: clock)
            } catch {
                throw CLIError(error.message, status: ExitStatus.badInput)
            }
        }

    }

    /// A counter operation's options: the context, and how to print.
    struct Options: ParsableArguments {
        @OptionGroup var context: Context
        @Flag(help: "Print one JSON object.") var json = false

        func clock() throws -> CentreClock { try context.clock() }
        func counter() throws -> Counter { try context.counter() }

        /// Runs a counter operation and prints its answer.
        func perform(_ body: (Counter) throws(BackOfficeError) -> JSON) throws {
            let counter = try self.counter()
            let answer: JSON
            do throws(BackOfficeError) {
                answer = try body(counter)
            } catch {
                throw CLIError(error.message, status: BackOfficeCommand.status(error))
            }
            if json { printLine(answer.serialized) } else { for line in BackOfficeCommand.render(answer) { printLine(line) } }
        }
    }

    /// Exit status of a refusal: 1 when the records forbid it, 2 for bad input or a database that cannot be used.
    static func status(_ e: BackOfficeError) -> Int32 {
        e.code == .notFound || e.code == .refused ? ExitStatus.checkFailed : ExitStatus.badInput
    }

    /// A JSON answer for people: `key: value` lines, nested objects indented.
    static func render(_ value: JSON, indent: String = "") -> [String] {
        guard case .object(let members) = value else { return [indent + (value.scalarText ?? value.serialized)] }
        var lines: [String] = []
        for (k, v) in members {
            switch v {
            case .object:
                lines.append("\(indent)\(k):")
                lines += render(v, indent: indent + "  ")
            case .array(let items):
                if items.isEmpty { lines.append("\(indent)\(k): none") }
                for (i, item) in items.enumerated() {
                    if case .object = item {
                        lines.append("\(indent)\(k) \(i + 1):")
                        lines += render(item, indent: indent + "  ")
                    } else {
                        lines.append("\(indent)\(k) \(i + 1): \(item.scalarText ?? item.serialized)")
                    }
                }
            case .null: lines.append("\(indent)\(k): -")
            default: lines.append("\(indent)\(k): \(v.scalarText ?? v.serialized)")
            }
        }
        return lines
    }

    /// The card and the account a counter operation is about.
    struct CardAccountOptions: ParsableArguments {
        @Option(name: .customLong("card-no"), help: ArgumentHelp("The card number.", valueName: "CARD_NO")) var cardNumber: String
        @Option(help: ArgumentHelp("social or bank.", valueName: "ACCOUNT")) var account: String

        func parsed() throws -> CardAccount { try BackOfficeCommand.account(account) }
    }

    static func account(_ text: String) throws -> CardAccount {
        guard let a = CardAccount(rawValue: text) else { throw CLIError("--account \(text): give social or bank", status: ExitStatus.badInput) }
        return a
    }

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve the centre's platform interface and the bank's authorization over HTTP.",
            discussion: """
                POST a platform request (the envelope with infno, msgid, fixmedins_code, input) to
                /fsi/api/rsfComIfsService/callService (or /mbs/fmi/fsi/api/callFsiService/callService);
                POST an online request to /bank/authorize; GET /health. The first line printed is
                `listening on http://HOST:PORT` (with --http HOST:0, the port the system chose).
                SIGTERM or SIGINT stops it.
                """
        )
        @OptionGroup var options: Options
        @Option(help: ArgumentHelp("Where to listen: a loopback address and a port (0 for any free one).", valueName: "HOST:PORT"))
        var http = "127.0.0.1:8080"
        @Option(help: ArgumentHelp("The centre's area code, at the head of inf_refmsgid.", valueName: "CODE")) var area = "000000"
        @Option(help: ArgumentHelp("Close a connection that sends nothing for this long (a slow or stalled client).", valueName: "SECONDS"))
        var idleTimeout = 30

        func run() throws {
            try reporting {
                guard (1...3600).contains(idleTimeout) else { throw CLIError("--idle-timeout \(idleTimeout): give 1 to 3600 seconds", status: ExitStatus.badInput) }
                let parts = http.split(separator: ":")
                guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port), !parts[0].isEmpty else {
                    throw CLIError("--http \(http): give HOST:PORT, e.g. 127.0.0.1:8080", status: ExitStatus.badInput)
                }
                guard area.count == 6, area.allSatisfy(\.isNumber) else { throw CLIError("--area \(area): give 6 digits", status: ExitStatus.badInput) }
                let clock = try options.clock()
                // The database must exist and open: say so here, with the counter's words.
                _ = try options.counter()
                // The server is its own program (SwiftNIO and Hummingbird stay out of
                // sscard's start-up); exec keeps this PID, so that whoever started
                // `sscard backoffice serve` stops it by that PID.
                let message = System.execSibling(
                    "sscard-backoffice", [options.context.database.path, String(parts[0]), String(port), area, String(clock.offsetMillis), String(idleTimeout)])
                throw CLIError(message, status: ExitStatus.badInput)
            }
        }
    }

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request",
            abstract: "Answer one platform request in process, as the server would (no server needed).",
            discussion: "The request is a JSON file with the envelope (infno, msgid, fixmedins_code, input), or - for standard input."
        )
        @OptionGroup var context: Context
        @Argument(help: ArgumentHelp("The request file, or - for standard input.", valueName: "FILE")) var file: String

        func run() throws {
            try reporting {
                let body: [UInt8]
                if file == "-" {
                    var bytes: [UInt8] = []
                    while let line = readLine(strippingNewline: false) { bytes += Array(line.utf8) }
                    body = bytes
                } else {
                    guard let bytes = readFileBytes(file) else { throw CLIError("\(file): cannot read the file", status: ExitStatus.badInput) }
                    body = bytes
                }
                let centre = InsuranceCentre(pool: try context.counter().pool, clock: try context.clock())
                let answer = centre.respond(to: body)
                printLine(String(decoding: answer, as: UTF8.self))
                if (try? JSON.parse(answer))?["infcode"]?.scalarText != "0" { throw ExitCode(ExitStatus.checkFailed) }
            }
        }
    }

    struct PersonShow: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "person", abstract: "Show a person: accounts, cards, the year so far.",
            discussion: "sscard backoffice person show KEY, where KEY is a psn_no, an ID number or a card number.")
        @Argument(help: ArgumentHelp("show", valueName: "show")) var verb: String
        @Argument(help: ArgumentHelp("A psn_no, an ID number or a card number.", valueName: "KEY")) var key: String
        @OptionGroup var options: Options

        func run() throws {
            try reporting {
                guard verb == "show" else { throw CLIError("person \(verb): the only action is show", status: ExitStatus.badInput) }
                try options.perform { (c) throws(BackOfficeError) in try c.person(key) }
            }
        }
    }

    struct CardShow: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "card", abstract: "Show a card and whether each of its accounts is usable today.",
            discussion: "sscard backoffice card show CARD_NO")
        @Argument(help: ArgumentHelp("show", valueName: "show")) var verb: String
        @Argument(help: ArgumentHelp("The card number (社会保障卡卡号).", valueName: "CARD_NO")) var cardNumber: String
        @OptionGroup var options: Options

        func run() throws {
            try reporting {
                guard verb == "show" else { throw CLIError("card \(verb): the only action is show", status: ExitStatus.badInput) }
                try options.perform { (c) throws(BackOfficeError) in try c.card(cardNumber) }
            }
        }
    }

    struct ReportLoss: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report-loss", abstract: "Report one account of a card lost: temporary (by telephone, lapses) or formal (at a window).")
        @OptionGroup var card: CardAccountOptions
        @Flag(help: "A temporary report, which lapses after the region's days.") var temporary = false
        @Flag(help: "A formal report, which holds until released.") var formal = false
        @OptionGroup var options: Options

        func run() throws {
            try reporting {
                guard temporary != formal else { throw CLIError("give one of --temporary and --formal", status: ExitStatus.badInput) }
                let a = try card.parsed()
                try options.perform { (c) throws(BackOfficeError) in try c.reportLoss(card: card.cardNumber, account: a, temporary: temporary) }
            }
        }
    }

    struct ReleaseLoss: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "release-loss", abstract: "Release a loss report on one account of a card.")
        @OptionGroup var card: CardAccountOptions
        @OptionGroup var options: Options

        func run() throws {
            try reporting {
                let a = try card.parsed()
                try options.perform { (c) throws(BackOfficeError) in try c.releaseLoss(card: card.cardNumber, account: a) }
            }
        }
    }

    struct Replace: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replace",
            abstract: "Replace a card: the old one is void, the new one bound, the bank balance moved over less the fee.",
            discussion: "New numbers are generated unless given (the old card's series; the card ID from the region and the time; the PAN in the old BIN).")
        @Option(name: .customLong("card-no"), help: ArgumentHelp("The card to replace.", valueName: "CARD_NO")) var cardNumber: String
        @Option(name: .customLong("new-card-no"), help: ArgumentHelp("The new card's number.", valueName: "CARD_NO")) var newCardNumber: String?
        @Option(name: .customLong("new-card-sn"), help: ArgumentHelp("The new card's card ID (32 hex digits).", valueName: "HEX")) var newCardID: String?
        @Option(name: .customLong("new-pan"), help: ArgumentHelp("The new card's PAN.", valueName: "PAN")) var newPAN: String?
        @OptionGroup var options: Options

        func run() throws {
            try reporting {
                if let id = newCardID, id.count != 32 || !id.allSatisfy(\.isHexDigit) {
                    throw CLIError("--new-card-sn \(id): give 32 hexadecimal digits", status: ExitStatus.badInput)
                }
                if let pan = newPAN, !(13...19).contains(pan.count) || !pan.allSatisfy(\.isNumber) {
                    throw CLIError("--new-pan: give 13 to 19 digits", status: ExitStatus.badInput)
                }
                try options.perform { (c) throws(BackOfficeError) in
                    try c.replace(card: cardNumber, newCardNumber: newCardNumber, newCardID: newCardID?.uppercased(), newPAN: newPAN)
                }
            }
        }
    }

    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "activate",
            abstract: "Activate one account of a card at the counter (the bank account; or the social function where the rule waits for an event).")
        @OptionGroup var card: CardAccountOptions
        @OptionGroup var options: Options

        func run() throws {
            try reporting {
                let a = try card.parsed()
                try options.perform { (c) throws(BackOfficeError) in try c.activate(card: card.cardNumber, account: a) }
            }
        }
    }

    struct PINChanged: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pin-changed", abstract: "Record that the holder changed the initial bank PIN (refused where the bank allows it only at its counters).")
        @Option(name: .customLong("card-no"), help: ArgumentHelp("The card number.", valueName: "CARD_NO")) var cardNumber: String
        @Option(help: ArgumentHelp("counter, atm or pos.", valueName: "CHANNEL")) var channel = "counter"
        @OptionGroup var options: Options

        func run() throws {
            try reporting {
                guard let ch = BankChannel(rawValue: channel) else { throw CLIError("--channel \(channel): give counter, atm or pos", status: ExitStatus.badInput) }
                try options.perform { (c) throws(BackOfficeError) in try c.changedPIN(card: cardNumber, channel: ch) }
            }
        }
    }

    struct Deposit: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "deposit", abstract: "Credit a card's bank account: cash, or a benefit (pension, unemployment, reimbursement).")
        @Option(name: .customLong("card-no"), help: ArgumentHelp("The card number.", valueName: "CARD_NO")) var cardNumber: String
        @Option(help: ArgumentHelp("The amount in CNY, e.g. 100.00.", valueName: "AMOUNT")) var amount: String
        @Option(help: ArgumentHelp("cash, pension, unemployment or reimbursement.", valueName: "KIND")) var kind = "cash"
        @OptionGroup var options: Options

        func run() throws {
            try reporting {
                guard let m = Money(yuan: amount), m > .zero else { throw CLIError("--amount \(amount): give an amount in CNY with at most two decimals, e.g. 100.00", status: ExitStatus.badInput) }
                guard let k = CreditKind(rawValue: kind) else {
                    throw CLIError("--kind \(kind): give \(CreditKind.allCases.map(\.rawValue).joined(separator: ", "))", status: ExitStatus.badInput)
                }
                try options.perform { (c) throws(BackOfficeError) in try c.deposit(card: cardNumber, amount: m, kind: k) }
            }
        }
    }

    struct Journal: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "journal", abstract: "List a card's bank journal, or its holder's personal-account ledger (--account social).")
        @Option(name: .customLong("card-no"), help: ArgumentHelp("The card number.", valueName: "CARD_NO")) var cardNumber: String
        @Option(help: ArgumentHelp("bank or social.", valueName: "ACCOUNT")) var account = "bank"
        @Option(help: "The number of latest entries.") var last = 20
        @OptionGroup var options: Options

        func run() throws {
            try reporting {
                let a = try BackOfficeCommand.account(account)
                guard last > 0 else { throw CLIError("--last \(last): give a positive number", status: ExitStatus.badInput) }
                try options.perform { (c) throws(BackOfficeError) in try c.journal(card: cardNumber, account: a, limit: last) }
            }
        }
    }

    struct Reconcile: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reconcile",
            abstract: "An institution's settlements in force over days, as reconciliation (3201) totals them.",
            discussion: "With --expect-total and --expect-count, exit 1 unless the centre agrees.")
        @Option(name: .customLong("fixmedins-code"), help: ArgumentHelp("The institution.", valueName: "CODE")) var institution: String
        @Option(help: ArgumentHelp("The first day (default today).", valueName: "YYYY-MM-DD")) var from: String?
        @Option(help: ArgumentHelp("The last day (default the first).", valueName: "YYYY-MM-DD")) var to: String?
        @Option(name: .customLong("expect-total"), help: ArgumentHelp("The institution's medfee_sumamt.", valueName: "AMOUNT")) var expectTotal: String?
        @Option(name: .customLong("expect-count"), help: ArgumentHelp("The institution's number of settlements.", valueName: "N")) var expectCount: Int?
        @OptionGroup var options: Options

        func run() throws {
            try reporting {
                let today = try options.clock().now().day
                guard let first = from.map({ LocalDay($0) }) ?? today else { throw CLIError("--from \(from!): give YYYY-MM-DD", status: ExitStatus.badInput) }
                guard let last = to.map({ LocalDay($0) }) ?? first else { throw CLIError("--to \(to!): give YYYY-MM-DD", status: ExitStatus.badInput) }
                let expected = try expectTotal.map { t -> Money in
                    guard let m = Money(yuan: t) else { throw CLIError("--expect-total \(t): give an amount in CNY", status: ExitStatus.badInput) }
                    return m
                }
                let counter = try options.counter()
                let (totals, answer): (Reconciliation, JSON)
                do throws(BackOfficeError) {
                    (totals, answer) = try counter.reconcile(institution: institution, from: first, to: last)
                } catch {
                    throw CLIError(error.message, status: BackOfficeCommand.status(error))
                }
                if options.json { printLine(answer.serialized) } else { for line in BackOfficeCommand.render(answer) { printLine(line) } }
                if let expected, expected != totals.total {
                    throw CLIError("对账不一致: the centre has \(totals.total), the institution \(expected)", status: ExitStatus.checkFailed)
                }
                if let expectCount, expectCount != totals.count {
                    throw CLIError("对账不一致: the centre has \(totals.count) settlements, the institution \(expectCount)", status: ExitStatus.checkFailed)
                }
            }
        }
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create the database and the records of the built-in profiles' cardholders.",
            discussion: """
                Every built-in financial social security profile's card is read as a terminal
                reads it, and its person, personal account, card and bank account are created,
                so that `--card PROFILE` is known to both hosts. Running it again changes nothing.
                """
        )
        @OptionGroup var database: DatabaseOption
        @Option(help: ArgumentHelp("Personalize the cards with this seed instead of each profile's own.", valueName: "N"))
        var seed: UInt64?
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            try reporting {
                let path = database.path
                let cards: [SeededCard]
                do throws(BackOfficeError) {
                    cards = try Seeder.initialize(path: path, seed: seed, today: LocalDay(unixTime: System.unixTime()))
                } catch {
                    throw CLIError(error.message, status: ExitStatus.badInput)
                }
                if json {
                    let list = JSON.array(cards.map { c in
                        .object([
                            ("profile", .string(c.profile)), ("card_no", .string(c.cardNumber)), ("card_sn", .string(c.cardID)),
                            ("psn_no", .string(c.psnNo)), ("pan", .string(PANFormat.masked(c.pan))), ("created", .bool(c.created)),
                        ])
                    })
                    printLine(JSON.object([("database", .string(path)), ("cards", list)]).serialized)
                    return
                }
                for c in cards {
                    printLine("\(c.created ? "created" : "exists ") \(c.profile): card \(c.cardNumber), person \(c.psnNo), bank \(PANFormat.masked(c.pan))")
                }
                printLine("\(cards.filter(\.created).count) created, \(cards.filter { !$0.created }.count) already there, in \(path)")
            }
        }

    }
}

