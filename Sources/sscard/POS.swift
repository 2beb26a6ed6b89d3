// SSCard — `sscard pos …`: a sale at a designated pharmacy or hospital
// counter, card and back office together, with a receipt and a journal.

import ArgumentParser
import BackOffice
import BackOfficeStore
import CardPersonalization
import CardSimulator
import CardStandards
import CardTransport
import FoundationEssentials
import POS
import Terminal

struct POSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pos",
        abstract: "Settle a sale at a pharmacy or hospital counter: card, insurance centre and bank.",
        discussion: """
            A sale reads the card with the virtual PSAM, checks the person with the centre (1101),
            verifies the social PIN (changing it first while it is the initial one), settles, and pays
            the person's cash part with the card's bank application online. A sale that cannot finish
            is cancelled; the output says where the settlement stands.
            The back office is --backoffice http://HOST:PORT (`sscard backoffice serve`), or the
            database --db FILE in process (else $SSCARD_DB, else the default database).
            PINs: the social PIN from --pin-file or $SSCARD_PIN, a new one from --new-pin-file or
            $SSCARD_NEW_PIN, the bank PIN from --bank-pin-file or $SSCARD_BANK_PIN; else a prompt.
            Exit status: 0 paid; 1 refused, declined or a wrong PIN; 2 bad input; 3 the card or the
            back office could not be reached.
            """,
        subcommands: [Pharmacy.self, Hospital.self, Cancel.self, JournalList.self]
    )

    /// Where the back office is.
    struct BackOfficeOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The back office over HTTP (sscard backoffice serve).", valueName: "URL"))
        var backoffice: String?
        @Option(help: ArgumentHelp("The back office's database, in process.", valueName: "FILE"))
        var db: String?
        @Option(help: ArgumentHelp("The sales journal (JSON lines); default: pos-journal.jsonl beside the default database.", valueName: "FILE"))
        var journal: String?
        @Option(help: ArgumentHelp("The institution's code (fixmedins_code); default: P51010000001, a hospital H51010000001.", valueName: "CODE"))
        var institution: String?
        @Option(help: ArgumentHelp("The institution's name; default: a test pharmacy or hospital.", valueName: "NAME")) var institutionName: String?
        @Option(help: ArgumentHelp("The area the sale is settled in (mdtrtarea_admvs).", valueName: "CODE")) var area = "510100"

        func validate() throws {
            if backoffice != nil && db != nil { throw ValidationError("give --backoffice or --db, not both") }
        }

        func link() throws(CLIError) -> any BackOfficeLink { try POSCommand.link(url: backoffice, db: db, area: area) }

        func institution(_ kind: Receipt.Kind) -> Institution {
            let pharmacy = kind == .pharmacy
            return Institution(
                code: institution ?? (pharmacy ? "P51010000001" : "H51010000001"),
                name: institutionName ?? (pharmacy ? "SSCard 测试药房 SSCARD TEST PHARMACY" : "SSCard 测试医院 SSCARD TEST HOSPITAL"), area: area)
        }

        var journalFile: POSJournal {
            if let journal { return POSJournal(path: journal) }
            if let p = ProcessInfo.processInfo.environment["SSCARD_POS_JOURNAL"], !p.isEmpty { return POSJournal(path: p) }
            let db = BackOfficeDatabase.defaultPath()
            return POSJournal(path: String(db[..<(db.lastIndex(of: "/") ?? db.startIndex)]) + "/pos-journal.jsonl")
        }
    }

    /// What a sale is and how it is paid.
    struct SaleArguments: ParsableArguments {
        @OptionGroup var source: CardSourceOptions
        @OptionGroup var backOffice: BackOfficeOptions
        @OptionGroup var pins: PINOptions
        @Option(help: ArgumentHelp("Read the bank PIN from the first line of FILE (else $SSCARD_BANK_PIN, else a prompt).", valueName: "FILE"))
        var bankPinFile: String?
        @Option(help: ArgumentHelp("The sale's total in CNY, as one line (see --code).", valueName: "AMOUNT")) var amount: String?
        @Option(help: ArgumentHelp("The sale's lines: CSV or JSON (code, name, class, price, quantity; see the README).", valueName: "FILE"))
        var items: String?
        @Option(help: ArgumentHelp("The catalogue code of an --amount sale.", valueName: "CODE")) var code = "SSC-XA01"
        @Flag(help: "Do not let the personal account pay.") var noAccount = false
        @Flag(help: "Take the person's cash part in cash, not with the bank card.") var cash = false
        @Flag(help: "When the bank declines, take the rest in cash instead of cancelling the settlement.") var cashFallback = false
        @Flag(help: "Ask the cashier (a line on standard input) before the card payment.") var confirm = false
        @Option(help: ArgumentHelp("The social PINs that are initial, comma-separated [INFERRED]; default: the card region's profile's.", valueName: "LIST"))
        var initialPins: String?
        @Flag(help: "Do not force a change of an initial social PIN.") var noForcedChange = false
        @Flag(help: "Print the receipt as one JSON object (a failure too).") var json = false

        func validate() throws {
            if (amount == nil) == (items == nil) { throw ValidationError("give --amount or --items") }
            if cash && cashFallback { throw ValidationError("--cash takes no card payment; --cash-fallback is for a declined one") }
        }

        func saleItems() throws(CLIError) -> [SaleItem] {
            if let amount {
                guard let m = Money(yuan: amount), m > .zero, m < Money(fen: 100_000_000) else {
                    throw CLIError("--amount \(amount): give an amount in CNY, e.g. 58.60", status: ExitStatus.badInput)
                }
                return [SaleItem.total(m, code: code)]
            }
            let path = items ?? ""
            guard let bytes = readFileBytes(path) else { throw CLIError("\(path): cannot read the sale's lines", status: ExitStatus.badInput) }
            do {
                return try SaleItems.parse(bytes, file: path)
            } catch {
                throw CLIError(error.message, status: ExitStatus.badInput)
            }
        }

        /// The initial-PIN rule of the card's region: its built-in profile's, unless given.
        func rules(region: String?) -> PINRules {
            let rule = CardProfiles.initialSocialPIN(region: region)
                ?? CardProfiles.builtIn.compactMap(\.socialProfile).first { $0.name == (source.profile ?? "default") }.map { ($0.socialPIN, $0.mustChange) }
            let initial = initialPins.map { Set($0.split(separator: ",").map { String($0.filter { !$0.isWhitespace }) }) }
                ?? Set([rule?.pin ?? "123456"])
            return PINRules(initial: initial, mustChange: !noForcedChange && (rule?.mustChange ?? true))
        }

        func options() -> SaleOptions {
            var o = SaleOptions()
            o.useAccount = !noAccount
            o.payByCard = !cash
            o.cashFallback = cashFallback
            if confirm {
                o.confirmCardPayment = { (due: Money) throws(POSError) in
                    printLine("pay \(due) with the bank card? press Enter (end of input cancels the sale)")
                    guard readLine() != nil else { throw POSError(.cancelledByCashier, "the cashier cancelled the card payment") }
                }
            }
            return o
        }

        func perform(_ kind: Receipt.Kind) throws {
            let lines = try saleItems()
            let link = try backOffice.link()
            let journal = backOffice.journalFile
            let card = try source.makeTransport()
            let psam = VirtualCardTransport(card: CardFactory.virtualCard(VirtualPSAM.state()))
            let pad = CLIPINPad(pins: pins, bankPinFile: bankPinFile)
            let pos = POSTerminal(
                card: TerminalSession(transport: card), psam: TerminalSession(transport: psam), backOffice: link,
                institution: backOffice.institution(kind), rules: rules(region: nil), pad: pad)
            var journalFailure: CLIError?
            var settled: Receipt?
            let quiet = json
            pos.onEvent = { [unowned pos] event in
                if case .cardRead(let info) = event { pos.rules = rules(region: info.region) }
                if case .settled(let r) = event {
                    settled = r
                    do throws(CLIError) { try journal.append(r) } catch { journalFailure = error }
                }
                if !quiet, let line = POSCommand.describe(event) { printLine(line) }
            }
            do {
                let receipt = try card.transaction({ () throws(POSError) in try pos.sale(kind, lines, options: options()) }) {
                    POSError(TerminalError.transport($0, step: "PC/SC transaction"))
                }
                try journal.append(receipt)
                if let journalFailure { printError("sscard: warning: \(journalFailure.message)") }
                if json { printLine(receipt.json.serialized) } else { for l in receipt.lines { printLine(l) } }
            } catch let e as POSError {
                // The journal's last word on the sale it took before the card payment.
                if case .cancelled = e.outcome, var r = settled {
                    r.status = .cancelled
                    try? journal.append(r)
                }
                if json { printLine(POSCommand.failureJSON(e).serialized) }
                throw CLIError(e.description, status: POSCommand.status(e))
            }
        }
    }

    /// The back office over HTTP (`url`), or its database in process (`db`, else the default one).
    static func link(url: String?, db: String?, area: String) throws(CLIError) -> any BackOfficeLink {
        if let url {
            do {
                return try HTTPBackOffice(url: url)
            } catch {
                throw CLIError(error.message, status: ExitStatus.badInput)
            }
        }
        let path = db ?? BackOfficeDatabase.defaultPath()
        do throws(BackOfficeError) {
            return LocalBackOffice(pool: try BackOfficeDatabase.open(path: path, create: false), area: area, location: "database \(path)")
        } catch {
            throw CLIError("\(error.message) (create it with `sscard backoffice init`)", status: ExitStatus.badInput)
        }
    }

    static func describe(_ event: POSEvent) -> String? {
        switch event {
        case .cardRead(let i):
            "card \(i.cardNumber) read: \(i.name), spec \(i.specVersion) (\(i.algorithm.name))\(i.genuine == true ? ", genuine" : "")"
        case .person(let name, let psnNo, let balance): "centre: \(name) (\(PANFormat.masked(psnNo))), personal account \(balance)"
        case .pinVerified: "social PIN verified"
        case .pinChangeRequired: "the social PIN is still the initial one: it must be changed before the sale"
        case .pinChanged: "social PIN changed"
        case .registered(let id): "visit registered: \(id)"
        case .preSettled(let f): "pre-settlement: " + f.summary
        case .settled(let r): "settled: \(r.setlID)"
        case .cardPayment(let due): "card payment of \(due)"
        case .bankStep(let s): "  " + s
        }
    }

    static func status(_ e: POSError) -> Int32 {
        switch e.code {
        case .unreachable, .cardRemoved, .malformed: ExitStatus.transport
        case .pinEntry: ExitStatus.badInput
        case .pinChange where e.terminal == nil: ExitStatus.badInput
        default: ExitStatus.checkFailed
        }
    }

    static func failureJSON(_ e: POSError) -> JSON {
        let (state, id): (String, String) =
            switch e.outcome {
            case .notCommitted: ("not committed", "")
            case .cancelled(let s): ("cancelled", s)
            case .committed(let s): ("committed", s)
            case .unknown(let m): ("unknown", m)
            }
        var members: [(String, JSON)] = [
            ("error", .string(e.code.description)), ("message", .string(e.message)), ("settlement", .string(state)),
            ("id", .string(id)), ("advice", .string(e.advice ?? "")),
        ]
        if let t = e.triesLeft { members.append(("tries_left", .number(String(t)))) }
        return .object(members)
    }

    struct Pharmacy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pharmacy",
            abstract: "A pharmacy sale (2101 pre-settlement, 2102 settlement), the rest paid by bank card.")
        @OptionGroup var sale: SaleArguments
        func run() throws { try reporting { try sale.perform(.pharmacy) } }
    }

    struct Hospital: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hospital",
            abstract: "An outpatient visit (2201 registration, 2203 visit, 2204 fees, 2206/2207 settlement), the rest paid by bank card.")
        @OptionGroup var sale: SaleArguments
        func run() throws { try reporting { try sale.perform(.hospital) } }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel",
            abstract: "Cancel a sale from the journal: the bank part refunded, the settlement cancelled (2103/2208).")
        @Argument(help: ArgumentHelp("The settlement id (setl_id) on the receipt.", valueName: "SETTLEMENT_ID")) var settlement: String
        @OptionGroup var backOffice: BackOfficeOptions
        @Flag(help: "Print the cancelled receipt as one JSON object.") var json = false

        func run() throws {
            try reporting {
                let journal = backOffice.journalFile
                guard let receipt = try journal.find(settlement) else {
                    throw CLIError("\(settlement): no such sale in the journal \(journal.path)", status: ExitStatus.checkFailed)
                }
                // The institution that settled it cancels it.
                var institution = backOffice.institution(receipt.kind)
                if backOffice.institution == nil && !receipt.institutionCode.isEmpty {
                    institution.code = receipt.institutionCode
                    institution.name = receipt.institutionName
                }
                let desk = SettlementDesk(backOffice: try backOffice.link(), institution: institution)
                let cancelled: Receipt
                do throws(POSError) {
                    cancelled = try desk.cancel(receipt)
                } catch {
                    if json { printLine(POSCommand.failureJSON(error).serialized) }
                    throw CLIError(error.description, status: POSCommand.status(error))
                }
                try journal.append(cancelled)
                if json { printLine(cancelled.json.serialized) } else { for l in cancelled.lines { printLine(l) } }
            }
        }
    }

    struct JournalList: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "journal", abstract: "List the sales of the journal, each in its last state.")
        @OptionGroup var backOffice: BackOfficeOptions
        @Flag(help: "One JSON object per sale.") var json = false

        func run() throws {
            try reporting {
                let journal = backOffice.journalFile
                for r in try journal.latest() {
                    if json {
                        printLine(r.json.serialized)
                    } else {
                        printLine("\(r.time)  \(r.setlID)  \(r.kind.rawValue)  \(r.status.rawValue)  total \(r.total)  \(r.personName)")
                    }
                }
            }
        }
    }
}

/// The keypad: the CLI's PIN sources.
final class CLIPINPad: PINPad {
    let pins: PINOptions
    let bankPinFile: String?

    init(pins: PINOptions, bankPinFile: String?) {
        self.pins = pins
        self.bankPinFile = bankPinFile
    }

    func pin(_ request: PINRequest) throws(POSError) -> String {
        do {
            switch request {
            case .social: return try pins.pin("Social PIN")
            case .newSocial: return try pins.newPIN()
            case .bank: return try PINOptions.read(file: bankPinFile, variable: "SSCARD_BANK_PIN", prompt: "Bank PIN: ", option: "--bank-pin-file")
            }
        } catch {
            throw POSError(.pinEntry, error.message)
        }
    }
}

/// The sales journal: one receipt per line, appended (and synced) at each
/// change of a sale's state; the last line of a settlement id is its state.
struct POSJournal {
    let path: String

    func append(_ receipt: Receipt) throws(CLIError) {
        if let problem = System.appendLine(path, receipt.json.serialized) {
            throw CLIError("\(path): cannot write the journal (\(problem))", status: ExitStatus.badInput)
        }
    }

    /// Every sale in its last state, in the order they began.
    func latest() throws(CLIError) -> [Receipt] {
        guard let bytes = readFileBytes(path) else {
            if System.exists(path) { throw CLIError("\(path): cannot read the journal", status: ExitStatus.badInput) }
            return []
        }
        var order: [String] = []
        var last: [String: Receipt] = [:]
        for (n, line) in bytes.split(separator: 0x0A).enumerated() {
            guard let j = try? JSON.parse(Array(line)), let r = Receipt(json: j) else {
                printError("sscard: warning: \(path):\(n + 1) is not a journal line; skipped")
                continue
            }
            if last[r.setlID] == nil { order.append(r.setlID) }
            last[r.setlID] = r
        }
        return order.compactMap { last[$0] }
    }

    func find(_ setlID: String) throws(CLIError) -> Receipt? { try latest().first { $0.setlID == setlID } }
}
