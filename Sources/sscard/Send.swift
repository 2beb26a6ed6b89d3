// SSCard — `sscard send`

import ArgumentParser
import CardAPDU
import CardTransport

struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send APDUs to the card, in order, and print each answer.",
        discussion: """
            Prints '> command' and '< response SW (meaning)' for each APDU. PIN and key
            data are shown as '**'. The exit status is 0 whenever the card answered,
            whatever the status words; 2 for bad hex or options; 3 for a transport failure.
            With --image, every state change is saved to the image before the answer
            is printed.

            Examples:
              sscard send 00A4040006A00000999901 00B2010C00
              sscard send --image card.json 0020000103123456
            """
    )

    @OptionGroup var source: CardSourceOptions

    @Flag(help: "Handle 61xx (GET RESPONSE) and 6Cxx (resend with the exact Le) automatically.")
    var autoResponse = false

    @Argument(help: "Command APDUs in hex (quote an APDU that contains spaces).")
    var apdus: [String]

    func validate() throws {
        if apdus.isEmpty { throw ValidationError("give at least one APDU") }
    }

    func run() throws {
        try reporting {
            var commands: [[UInt8]] = []
            for (i, text) in apdus.enumerated() {
                do {
                    let bytes = try Hex.decode(text)
                    guard bytes.count >= 4 else {
                        throw CLIError("APDU \(i + 1): \(bytes.count) byte(s); a command APDU has at least CLA INS P1 P2", status: ExitStatus.badInput)
                    }
                    commands.append(bytes)
                } catch let e as APDUFormatError {
                    throw CLIError("APDU \(i + 1): byte offset \(e.offset): \(e.reason)", status: ExitStatus.badInput)
                }
            }
            let transport = try source.makeTransport()
            let session = TerminalSession(
                transport: transport, autoGetResponse: autoResponse, autoResendOnWrongLe: autoResponse)
            do {
                _ = try session.connect()
                for command in commands {
                    let exchange = try session.exchange(command)
                    printLine("> " + APDUMask.describe(command))
                    printLine("< " + describeResponse(exchange.response))
                }
            } catch {
                throw CLIError("\(transport.name): \(error)", status: ExitStatus.transport)
            }
        }
    }
}

/// `6F 1C … 90 00 (normal processing)`.
func describeResponse(_ response: [UInt8]) -> String {
    guard let r = try? ResponseAPDU(bytes: response) else { return Hex.encode(response, separator: " ") + " (no status word)" }
    return Hex.encode(response, separator: " ") + " (\(r.status.meaning))"
}
