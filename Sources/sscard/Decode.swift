// SSCard — `sscard decode`

import ArgumentParser
import CardAPDU
import CardInspect
import CardTLV

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Explain a command APDU, a response APDU or a TLV blob.",
        discussion: """
            Each HEX argument is one input; spaces inside it are allowed (quote it).
            Commands show the case, CLA/INS/P1/P2 with the instruction's name, Nc, Ne
            and data; responses the status word and its meaning (and a TLV tree when the
            data is made of known tags); TLV blobs the tree with EMV/PBOC and
            social-security tag names. The data of a command that carries a PIN or a key
            shows as ** unless --show-secrets is given.

            A malformed input prints one line on standard error naming the input, the
            byte offset and the reason, prints nothing on standard output for it, and
            makes the exit status 2; the other inputs are still explained.

            Examples:
              sscard decode 00A404000F7378312E73682EC9E7BBE1B1A3D5CF00
              sscard decode --response "6F 1C 84 0F 7378312E73682EC9E7BBE1B1A3D5CF A5 09 88 01 1E 9F 0C 03 86 01 03 90 00"
              sscard decode --json --tlv 701B61194F08A000000333010101500A50424F43204445424954870101
            """
    )

    @Flag(help: "Print one JSON object per input, one per line.")
    var json = false

    @Flag(help: "Decode the inputs as response APDUs (data followed by SW1 SW2).")
    var response = false

    @Flag(help: "Decode the inputs as BER-TLV data objects.")
    var tlv = false

    @Flag(help: "Show the data of commands that carry a PIN or a key (VERIFY, CHANGE PIN, …); masked by default.")
    var showSecrets = false

    @Argument(help: "Hex inputs (spaces allowed inside a quoted input).")
    var hex: [String]

    func validate() throws {
        if response && tlv { throw ValidationError("--response and --tlv cannot be combined") }
        if hex.isEmpty { throw ValidationError("give at least one HEX input") }
    }

    func run() throws {
        var failed = false
        var printed = false
        for (i, text) in hex.enumerated() {
            let label = "input \(i + 1)"
            let bytes: [UInt8]
            do {
                bytes = try Hex.decode(text)
            } catch {
                printError("\(label): byte offset \(error.offset): \(error.reason)")
                failed = true
                continue
            }
            let explanation: Explanation
            do {
                if tlv {
                    explanation = try Inspector.tlv(bytes)
                } else if response {
                    explanation = try Inspector.response(bytes)
                } else {
                    explanation = try Inspector.command(bytes, showSecrets: showSecrets)
                }
            } catch let error as APDUFormatError {
                printError("\(label): byte offset \(error.offset): \(error.reason)")
                failed = true
                continue
            } catch let error as TLVFormatError {
                printError("\(label): byte offset \(error.offset): \(error.reason)")
                failed = true
                continue
            }
            if json {
                print(explanation.json.serialized)
            } else {
                if printed { print("") }
                for line in explanation.lines { print(line) }
            }
            printed = true
        }
        if failed { throw ExitCode(ExitStatus.badInput) }
    }
}
