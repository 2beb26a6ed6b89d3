// SSCard — `sscard bank …`: the PBOC debit application from a terminal's side.

import ArgumentParser
import BackOffice
import CardAPDU
import CardImage
import CardInspect
import CardPersonalization
import CardRuntime
import CardStandards
import CardTransport
import Terminal

struct Bank: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bank",
        abstract: "Read the bank (PBOC debit) application, verify its PIN, make a purchase, activate it.",
        subcommands: [Read.self, VerifyPIN.self, Purchase.self, Activate.self]
    )

    static func kernel(_ source: CardSourceOptions) throws(CLIError) -> EMVKernel {
        EMVKernel(card: TerminalSession(transport: try source.makeTransport()))
    }

    static func flow<T>(_ kernel: EMVKernel, _ body: () throws(TerminalError) -> T) throws(CLIError) -> T {
        try terminalFlow(kernel.card.transport, body)
    }

    /// `12.34` from fen.
    static func yuan(_ fen: Int) -> String {
        let cents = fen % 100
        return "\(fen / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "read",
            abstract: "Read the bank application: PAN (masked), name, expiry, AID, ATC, PIN tries left, the log.",
            discussion: "It reads without GET PROCESSING OPTIONS, so the ATC does not move.")
        @OptionGroup var source: CardSourceOptions
        @Flag(help: "Print one JSON object.") var json = false
        @Flag(help: "Show the whole PAN.") var showPAN = false

        func run() throws {
            try reporting {
                let kernel = try Bank.kernel(source)
                let info = try Bank.flow(kernel) { () throws(TerminalError) in try kernel.readAccount() }
                let data = info.card
                let pan = showPAN ? data.pan : PANFormat.masked(data.pan)
                let (atc, tries, entries) = (info.atc, info.pinTriesLeft, info.log)
                if json {
                    printLine(JSONValue.object([
                        ("aid", .string(Hex.encode(data.aid))), ("label", .string(data.label)), ("pan", .string(pan)),
                        ("name", .string(data.name)), ("expiry", .string(data.expiry)),
                        ("atc", atc.map { .int($0) } ?? .null), ("pinTriesLeft", tries.map { .int($0) } ?? .null),
                        ("log", .array(entries.map { e in .object([
                            ("date", .string(e.date)), ("time", .string(e.time)), ("amount", .int(e.amount)),
                            ("merchant", .string(e.merchant)), ("atc", .int(e.atc)),
                        ]) })),
                    ]).serialized)
                    return
                }
                printLine("AID           \(Hex.encode(data.aid)) (\(data.label))")
                printLine("PAN           \(pan)")
                printLine("name          \(data.name)")
                printLine("expiry        20\(data.expiry.prefix(2))-\(data.expiry.dropFirst(2).prefix(2))")
                printLine("ATC           \(atc.map(String.init) ?? "unknown")")
                printLine("PIN tries     \(tries.map(String.init) ?? "unknown")")
                printLine("log           \(entries.isEmpty ? "empty" : "\(entries.count) transaction(s)")")
                for e in entries {
                    printLine("  20\(e.date) \(e.time)  \(Bank.yuan(e.amount)) CNY  \(e.merchant)  ATC \(e.atc)")
                }
            }
        }
    }

    struct VerifyPIN: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify-pin", abstract: "Verify the bank PIN (offline plaintext PIN).")
        @OptionGroup var source: CardSourceOptions
        @OptionGroup var pins: PINOptions

        func run() throws {
            try reporting {
                let pin = try pins.pin("Bank PIN")
                let kernel = try Bank.kernel(source)
                let status = try Bank.flow(kernel) { () throws(TerminalError) -> StatusWord in
                    _ = try kernel.selectApplication()
                    return try kernel.verifyOfflinePIN(pin)
                }
                if status == .success { printLine("bank PIN verified"); return }
                if let left = status.retriesRemaining, left > 0 {
                    throw CLIError("wrong bank PIN, \(left) \(left == 1 ? "try" : "tries") left", status: ExitStatus.checkFailed)
                }
                if status.retriesRemaining == 0 || status == .authenticationMethodBlocked {
                    throw CLIError("the bank PIN is blocked (unblock it at the bank)", status: ExitStatus.checkFailed)
                }
                throw CLIError("VERIFY: the card answered \(status) (\(status.meaning))", status: ExitStatus.checkFailed)
            }
        }
    }

    struct Purchase: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "purchase",
            abstract: "A full purchase against the issuer host simulator (ARQC, ARPC, TC).",
            discussion: "The bank PIN comes from --pin-file, $SSCARD_PIN or a prompt. Exit 1 when declined.")
        @OptionGroup var source: CardSourceOptions
        @OptionGroup var pins: PINOptions
        @Option(help: ArgumentHelp("The amount in CNY, e.g. 12.34.", valueName: "AMOUNT")) var amount: String
        @Option(help: "The merchant name and location (up to 20 characters).") var merchant = "SSCARD TEST PHARMACY"
        @Option(help: ArgumentHelp("The issuer host's balance for the card, in CNY.", valueName: "AMOUNT")) var balance = "10000.00"

        static func fen(_ text: String) -> Int? {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let yuan = Int(parts[0]), yuan >= 0 else { return nil }
            var cents = 0
            if parts.count == 2 {
                guard (1...2).contains(parts[1].count), let c = Int(parts[1]) else { return nil }
                cents = parts[1].count == 1 ? c * 10 : c
            }
            return yuan * 100 + cents
        }

        func run() throws {
            try reporting {
                guard let fen = Self.fen(amount), fen > 0, fen < 1_000_000_000 else {
                    throw CLIError("--amount \(amount): give an amount in CNY, e.g. 12.34", status: ExitStatus.badInput)
                }
                guard let balanceFen = Self.fen(balance) else {
                    throw CLIError("--balance \(balance): give an amount in CNY", status: ExitStatus.badInput)
                }
                let pin = try pins.pin("Bank PIN")
                let kernel = try Bank.kernel(source)
                kernel.parameters.merchant = merchant
                let host = IssuerHost(imkAC: TestIssuer.imkAC)
                host.defaultBalance = balanceFen
                let result = try Bank.flow(kernel) { () throws(TerminalError) in try kernel.purchase(amount: fen, pin: pin, host: host) }
                for s in result.steps { printLine(s) }
                let line =
                    result.cryptogramType.map {
                        "\(result.approved ? "approved" : "declined"): \(result.reason); \($0) \(Hex.encode(result.cryptogram)), ATC \(result.atc)"
                    } ?? "declined: \(result.reason)"
                if result.approved { printLine(line) } else { throw CLIError(line, status: ExitStatus.checkFailed) }
            }
        }
    }

    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "activate",
            abstract: "Activate the bank account of a card image, as the bank counter does.",
            discussion: "Where the profile sets the bank PIN at activation, the new PIN comes from --new-pin-file, $SSCARD_NEW_PIN or a prompt.")
        @Option(help: ArgumentHelp("The card image.", valueName: "FILE")) var image: String
        @OptionGroup var pins: PINOptions

        func run() throws {
            try reporting {
                let file = CardImageFile(path: image)
                do {
                    var state = try file.load()
                    try BankCounter.activate(&state, pin: BankCounter.needsPIN(state) ? try pins.newPIN() : nil)
                    try file.save(state)
                    printLine("bank account activated")
                } catch let e as CLIError {
                    throw e
                } catch {
                    throw CLIError("\(error)", status: ExitStatus.badInput)
                }
            }
        }
    }
}
