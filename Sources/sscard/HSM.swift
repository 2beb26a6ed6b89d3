// SSCard — `sscard hsm`: the virtual HSM (加密机) of the reader driver's
// HSM chains (reader-api.md §3.3), with the test issuer's keys.

import ArgumentParser
import ReaderDriver

struct HSMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hsm",
        abstract: "Answer a reader-driver HSM step: turn a Step1 (or Step2) output into the next step's pKey.",
        discussion: """
            libSSCardDriver without a PSAM answers -2201 to the plain functions; callers then
            run the _HSM_ chains, sending each step's output to the insurance centre's HSM for
            the next step's pKey. This is that HSM, holding the test issuer's master keys.

              sscard hsm bas    STEP1           iReadCardBas_HSM_Step1 output → Step2 pKey
              sscard hsm auth   --card C STEP1  iReadCard / iWriteCard / iReloadPIN / iUnblockPIN
                                                _HSM_Step1 output (算法|密钥地址|随机数|随机数|) → Step2 pKey
              sscard hsm pin    --card C STEP2  iReloadPIN / iUnblockPIN_HSM_Step2 output → Step3 pKey
              sscard hsm debit  --card C STEP1  iDoDebit_HSM_Step1 output → Step2 pKey

            C, the card, is its iReadCardBas output or its iReadCardBas_HSM_Step1 output: the
            HSM diversifies the card's keys from its region and ATR historical bytes. A STEP of
            "-" is read from standard input; a reload's Step2 output carries the new PIN in
            clear, as the standard has it, and is refused on the command line. The pKey is printed
            alone on one line. Bad input: one line on standard error with the driver's code,
            exit status 2.
            """)

    @Argument(help: "bas, auth, pin or debit.")
    var kind: String

    @Option(help: "The card: its iReadCardBas output, or its iReadCardBas_HSM_Step1 output.")
    var card: String?

    @Argument(help: "The step's output, or - for standard input.")
    var step: String

    func validate() throws {
        guard ["bas", "auth", "pin", "debit"].contains(kind) else { throw ValidationError("the kind is bas, auth, pin or debit, not \(kind)") }
        if kind != "bas" && card == nil { throw ValidationError("hsm \(kind) needs --card (the iReadCardBas output)") }
    }

    func run() throws {
        try reporting {
            var text = step
            if kind == "pin", step != "-", step.split(separator: "|", omittingEmptySubsequences: false).count > 4,
                !step.split(separator: "|", omittingEmptySubsequences: false)[4].isEmpty
            {
                throw CLIError("hsm pin: the Step2 output carries the new PIN; give it on standard input (-), never as an argument", status: ExitStatus.badInput)
            }
            if step == "-" {
                text = readLine(strippingNewline: true) ?? ""
            }
            do throws(DriverFailure) {
                let key: String
                switch kind {
                case "bas": key = try VirtualHSM.readCardBasKey(step1: text)
                case "auth": key = try VirtualHSM.authenticationKey(card: try HSMCard(basicInfo: card ?? ""), step1: text)
                case "pin": key = try VirtualHSM.pinKey(card: try HSMCard(basicInfo: card ?? ""), step2: text)
                default: key = try VirtualHSM.debitKey(card: try HSMCard(basicInfo: card ?? ""), step1: text)
                }
                print(key)
            } catch {
                throw CLIError("hsm \(kind): \(error.code) \(error.text)", status: ExitStatus.badInput)
            }
        }
    }
}
