// SSCard — `sscard backoffice …`: the insurance centre and the bank's issuer
// host, one SQLite file.

import ArgumentParser
import BackOffice
import BackOfficeStore

struct BackOfficeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backoffice",
        abstract: "The medical-insurance centre and the bank's issuer host (one SQLite database).",
        discussion: """
            The database is --db FILE, else $SSCARD_DB, else $XDG_DATA_HOME/sscard/backoffice.sqlite
            (~/.local/share/sscard/ without XDG_DATA_HOME). It is created with mode 0600.
            """,
        subcommands: [Init.self]
    )

    struct DatabaseOption: ParsableArguments {
        @Option(help: ArgumentHelp("The back office's database file.", valueName: "FILE"))
        var db: String?

        var path: String { db ?? BackOfficeDatabase.defaultPath() }
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
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
                            ("psn_no", .string(c.psnNo)), ("pan", .string(Self.masked(c.pan))), ("created", .bool(c.created)),
                        ])
                    })
                    printLine(JSON.object([("database", .string(path)), ("cards", list)]).serialized)
                    return
                }
                for c in cards {
                    printLine("\(c.created ? "created" : "exists ") \(c.profile): card \(c.cardNumber), person \(c.psnNo), bank \(Self.masked(c.pan))")
                }
                printLine("\(cards.filter(\.created).count) created, \(cards.filter { !$0.created }.count) already there, in \(path)")
            }
        }

        /// A PAN as receipts print it: the first six and the last four digits.
        static func masked(_ pan: String) -> String {
            guard pan.count > 10 else { return pan }
            return String(pan.prefix(6)) + String(repeating: "*", count: pan.count - 10) + String(pan.suffix(4))
        }
    }
}
