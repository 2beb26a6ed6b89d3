// SSCard — the `sscard` command line (thin: the work lives in the libraries).

import ArgumentParser

/// Exit statuses, everywhere (DESIGN.md "Command line").
enum ExitStatus {
    /// A check failed: an expectation, a declined transaction, a wrong PIN.
    static let checkFailed: Int32 = 1
    /// Bad input or usage.
    static let badInput: Int32 = 2
    /// A transport failure.
    static let transport: Int32 = 3
}

struct SSCard: ParsableCommand {
    /// The release: `sscard --version`.
    static let version = "0.2.0"

    static let configuration = CommandConfiguration(
        commandName: "sscard",
        abstract: "Terminal emulator and APDU engine for China's financial social security card.",
        discussion: """
            Exit status: 0 success; 1 a check failed; 2 bad input or usage; 3 a transport failure.
            """,
        version: "sscard \(SSCard.version)",
        subcommands: [Send.self, Run.self, Social.self, Bank.self, Serve.self, Readers.self, CardCommand.self, Profiles.self, Decode.self, BackOfficeCommand.self, POSCommand.self, HSMCommand.self, KioskCommand.self, ReportCommand.self, Diff.self, Proxy.self]
    )
}

@main
enum Main {
    static func main() {
        // `sscard --version` answers before the command tree is built: it is
        // what install checks and scripts call, and building the tree (every
        // command's options, names and help) is most of a trivial call's time.
        if CommandLine.arguments.count == 2 && CommandLine.arguments[1] == "--version" {
            printLine("sscard \(SSCard.version)")
            return
        }
        do {
            var command = try SSCard.parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            System.exit(exit.rawValue)
        } catch {
            let code = SSCard.exitCode(for: error)
            // swift-argument-parser uses EX_USAGE (64) for usage errors; the
            // project's contract is 2 for bad input or usage.
            if code.rawValue == 64 {
                printError(SSCard.fullMessage(for: error))
                System.exit(ExitStatus.badInput)
            }
            SSCard.exit(withError: error)
        }
    }
}
