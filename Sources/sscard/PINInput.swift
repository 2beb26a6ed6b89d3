// SSCard — how the CLI gets PINs (DESIGN.md): from --pin-file (first line),
// else $SSCARD_PIN ($SSCARD_NEW_PIN for a new PIN), else a prompt without
// echo on the terminal. Never from a plain argument, which `ps` would show.

import ArgumentParser
import FoundationEssentials
import CardStandards

struct PINOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Read the PIN from the first line of FILE (else $SSCARD_PIN, else a prompt).", valueName: "FILE"))
    var pinFile: String?

    @Option(help: ArgumentHelp("Read a new PIN from the first line of FILE (else $SSCARD_NEW_PIN, else a prompt).", valueName: "FILE"))
    var newPinFile: String?

    func pin(_ what: String = "PIN") throws(CLIError) -> String {
        try Self.read(file: pinFile, variable: "SSCARD_PIN", prompt: "\(what): ", option: "--pin-file")
    }

    func newPIN() throws(CLIError) -> String {
        let first = try Self.read(file: newPinFile, variable: "SSCARD_NEW_PIN", prompt: "New PIN: ", option: "--new-pin-file")
        if newPinFile == nil && ProcessInfo.processInfo.environment["SSCARD_NEW_PIN"] == nil {
            let again = try Self.read(file: nil, variable: "", prompt: "New PIN again: ", option: "--new-pin-file")
            guard again == first else { throw CLIError("the two new PINs differ", status: ExitStatus.badInput) }
        }
        return first
    }

    static func read(file: String?, variable: String, prompt: String, option: String) throws(CLIError) -> String {
        let text: String
        if let file {
            guard let data = FileManager.default.contents(atPath: file), let s = String(data: data, encoding: .utf8) else {
                throw CLIError("\(file): cannot read the PIN file", status: ExitStatus.badInput)
            }
            text = String(s.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        } else if !variable.isEmpty, let v = ProcessInfo.processInfo.environment[variable] {
            text = v
        } else {
            guard let typed = System.promptWithoutEcho(prompt) else {
                throw CLIError(
                    "no PIN given and no terminal to ask: use \(option) or $\(variable.isEmpty ? "SSCARD_NEW_PIN" : variable)",
                    status: ExitStatus.badInput)
            }
            text = typed
        }
        let pin = text.trimmingWhitespace
        guard (4...16).contains(pin.count), pin.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw CLIError("a PIN is 4 to 16 digits", status: ExitStatus.badInput)
        }
        return pin
    }
}
