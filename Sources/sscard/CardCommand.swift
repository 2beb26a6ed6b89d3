// SSCard — `sscard card …` and `sscard profiles`

import ArgumentParser
import CardImage
import CardPersonalization
import CardRuntime

struct CardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card",
        abstract: "Personalize and inspect card images.",
        subcommands: [New.self, Show.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new",
            abstract: "Personalize a new card image from a profile.",
            discussion: """
                The image is JSON (mode 0600: it holds PINs and keys). Use it with
                `sscard send --image FILE` and `sscard run --image FILE`; state persists.
                """
        )
        @Option(help: ArgumentHelp("A built-in profile (see `sscard profiles`) or a profile file.", valueName: "NAME"))
        var profile: String = "default"
        @Option(help: ArgumentHelp("The image file to create.", valueName: "FILE"))
        var out: String
        @Flag(help: "Replace an existing file.")
        var force = false
        @Option(help: ArgumentHelp("The seed of the generated cardholder.", valueName: "N"))
        var seed: UInt64?

        func run() throws {
            try reporting {
                do {
                    let p = try CardProfiles.resolve(profile)
                    try CardImageFile(path: out).create(p.personalize(seed: seed), overwrite: force)
                    printLine("created \(out) from profile \(p.name)")
                } catch {
                    throw CLIError("\(error)", status: ExitStatus.badInput)
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Describe a card image (PINs and keys masked).")
        @Argument(help: "The image file.")
        var file: String

        func run() throws {
            try reporting {
                do {
                    let state = try CardImageFile(path: file).load()
                    for line in CardSummary.lines(state) { printLine(line) }
                } catch {
                    throw CLIError("\(error)", status: ExitStatus.badInput)
                }
            }
        }
    }
}

struct Profiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles", abstract: "List the built-in card profiles.",
        discussion: "The PINs a profile's cards are issued with are not printed unless --show-secrets is given.")

    @Flag(help: "Also print the PINs each profile's cards are issued with (its default cardholder's, for a PIN derived from the ID number).")
    var showSecrets = false

    func run() {
        let width = CardProfiles.builtIn.map(\.name.count).max() ?? 0
        for p in CardProfiles.builtIn {
            printLine(p.name + String(repeating: " ", count: width - p.name.count + 2) + p.summary)
            guard showSecrets else { continue }
            let pins = p.personalize().pins.filter { !$0.digits.isEmpty }.map { "\($0.label) \(String($0.digits.map { Character(Unicode.Scalar($0 + 0x30)) }))" }
            if !pins.isEmpty { printLine(String(repeating: " ", count: width + 2) + "PINs: " + pins.joined(separator: ", ")) }
        }
    }
}
