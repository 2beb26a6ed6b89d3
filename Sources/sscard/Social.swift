// SSCard — `sscard social …`: the social-security application's reader and
// PIN services, with the virtual PSAM as the terminal's security module.

import ArgumentParser
import CardAPDU
import CardInspect
import CardPersonalization
import CardTransport
import CardSimulator
import CardStandards
import Terminal

struct Social: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "social",
        abstract: "Read the social-security application and use its PIN services.",
        discussion: """
            The terminal side uses a virtual PSAM holding the test issuer's master keys, so
            it authenticates to virtual cards of the built-in profiles. PINs come from
            --pin-file, $SSCARD_PIN / $SSCARD_NEW_PIN, or a prompt; never from arguments.
            """,
        subcommands: [Read.self, VerifyPIN.self, ChangePIN.self, ReloadPIN.self, BlockApp.self, BlockCard.self]
    )

    /// The card and a virtual PSAM.
    static func terminal(_ source: CardSourceOptions) throws(CLIError) -> SocialTerminal {
        let card = try source.makeTransport()
        let psam = VirtualCardTransport(card: CardFactory.virtualCard(VirtualPSAM.state()))
        return SocialTerminal(card: TerminalSession(transport: card), psam: TerminalSession(transport: psam))
    }

    static func flow<T>(_ terminal: SocialTerminal, _ body: () throws(TerminalError) -> T) throws(CLIError) -> T {
        try terminalFlow(terminal.card.transport, body)
    }

    /// APPLICATION BLOCK or CARD BLOCK, once confirmed.
    static func block(card wholeCard: Bool, _ source: CardSourceOptions, confirmed: Bool) throws(CLIError) {
        let what = wholeCard ? "card" : "application"
        guard confirmed else { throw CLIError("the \(what) block is permanent: add --yes to confirm", status: ExitStatus.badInput) }
        let terminal = try Social.terminal(source)
        try Social.flow(terminal) { () throws(TerminalError) in try terminal.block(card: wholeCard) }
        printLine("\(what) blocked")
    }

    static func report(_ result: PINResult, success: String) throws(CLIError) {
        switch result {
        case .verified: printLine(success)
        case .wrong(let left): throw CLIError("wrong PIN, \(left) \(left == 1 ? "try" : "tries") left", status: ExitStatus.checkFailed)
        case .blocked: throw CLIError("the PIN is blocked (unblock it at a service hall: sscard social reload-pin)", status: ExitStatus.checkFailed)
        }
    }

    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "read",
            abstract: "Read the cardholder's basic data as iReadCardBas does.",
            discussion: "On 3.00 cards the card is checked with INTERNAL AUTHENTICATE and the terminal authenticates (RKSSSE) before EF06."
        )
        @OptionGroup var source: CardSourceOptions
        @Flag(help: "Print one JSON object.") var json = false
        @Option(help: ArgumentHelp("The terminal number in the iReadCardBas line.", valueName: "DIGITS"))
        var terminalNumber = "510100000001"

        func run() throws {
            try reporting {
                let terminal = try Social.terminal(source)
                let info = try Social.flow(terminal) { () throws(TerminalError) in try terminal.readBasics() }
                let line = info.iReadCardBas(terminalNumber: terminalNumber)
                if json {
                    let object = JSONValue.object([
                        ("name", .string(info.name)), ("citizenID", .string(info.citizenID)),
                        ("cardNumber", .string(info.cardNumber)), ("cardID", .string(Hex.encode(info.cardID))),
                        ("specVersion", .string(info.specVersion)), ("algorithm", .string(info.algorithm.name)),
                        ("issueDate", .string(info.issueDate)), ("expiryDate", .string(info.expiryDate)),
                        ("region", .string(info.region)), ("sex", .string(info.sex)), ("nation", .string(info.nation)),
                        ("birthplace", .string(info.birthplace)), ("birthDate", .string(info.birthDate)),
                        ("cardClass", .string(info.cardClass)), ("atrHistoricalBytes", .string(Hex.encode(info.atrHistoricalBytes))),
                        ("genuine", info.genuine.map { .bool($0) } ?? .null), ("iReadCardBas", .string(line)),
                    ])
                    printLine(object.serialized)
                    return
                }
                let sex = info.sex == "1" ? "male" : info.sex == "2" ? "female" : info.sex
                for (label, value) in [
                    ("姓名 name", info.name), ("社会保障号码 SSN", info.citizenID), ("卡号 card number", info.cardNumber),
                    ("卡识别码 card ID", Hex.encode(info.cardID)),
                    ("规范版本 version", "\(info.specVersion) (\(info.algorithm.name))"),
                    ("发卡日期 issued", dashed(info.issueDate)), ("卡有效期 expires", dashed(info.expiryDate)),
                    ("发卡地区 region", info.region), ("性别 sex", sex), ("出生日期 born", dashed(info.birthDate)),
                    ("genuine", info.genuine.map { $0 ? "yes (INTERNAL AUTHENTICATE)" : "NO" } ?? "not checked (2.00 card)"),
                ] {
                    let width = label.reduce(0) { $0 + ($1.isASCII ? 1 : 2) }
                    printLine(label + String(repeating: " ", count: max(1, 26 - width)) + value)
                }
                printLine("iReadCardBas: " + line)
            }
        }

        func dashed(_ d: String) -> String {
            guard d.count == 8 else { return d }
            let a = Array(d)
            return String(a[0..<4]) + "-" + String(a[4..<6]) + "-" + String(a[6..<8])
        }
    }

    struct VerifyPIN: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify-pin", abstract: "Verify the social PIN (or the query PIN).")
        @OptionGroup var source: CardSourceOptions
        @OptionGroup var pins: PINOptions
        @Flag(help: "Verify the query PIN (reference 01) where the card has one.") var query = false

        func run() throws {
            try reporting {
                let pin = try pins.pin()
                let terminal = try Social.terminal(source)
                let result = try Social.flow(terminal) { () throws(TerminalError) in try terminal.verifyPIN(pin, reference: query ? 0x01 : 0x00) }
                try Social.report(result, success: "PIN verified")
            }
        }
    }

    struct ChangePIN: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "change-pin", abstract: "Change the social PIN (CHANGE PIN 805E).")
        @OptionGroup var source: CardSourceOptions
        @OptionGroup var pins: PINOptions

        func run() throws {
            try reporting {
                let old = try pins.pin("Current PIN")
                let new = try pins.newPIN()
                let terminal = try Social.terminal(source)
                let result = try Social.flow(terminal) { () throws(TerminalError) in try terminal.changePIN(old: old, new: new) }
                try Social.report(result, success: "PIN changed")
            }
        }
    }

    struct ReloadPIN: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reload-pin",
            abstract: "Reload (unblock) the social PIN at a service hall: EXTERNAL AUTHENTICATE with key 06, then 8424 under MAC.")
        @OptionGroup var source: CardSourceOptions
        @OptionGroup var pins: PINOptions

        func run() throws {
            try reporting {
                let new = try pins.newPIN()
                let terminal = try Social.terminal(source)
                try Social.flow(terminal) { () throws(TerminalError) in try terminal.reloadPIN(new) }
                printLine("PIN reloaded")
            }
        }
    }

    struct BlockApp: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "block-app", abstract: "Block the social-security application for good (841E); it then answers 9303.")
        @OptionGroup var source: CardSourceOptions
        @Flag(help: "Confirm: the block cannot be undone.") var yes = false

        func run() throws { try reporting { try Social.block(card: false, source, confirmed: yes) } }
    }

    struct BlockCard: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "block-card", abstract: "Block the whole card for good (8416); it then answers 6A81 to everything.")
        @OptionGroup var source: CardSourceOptions
        @Flag(help: "Confirm: the block cannot be undone.") var yes = false

        func run() throws { try reporting { try Social.block(card: true, source, confirmed: yes) } }
    }
}
