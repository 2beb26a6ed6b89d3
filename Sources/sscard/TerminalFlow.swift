// SSCard — running a terminal flow from the CLI.

import CardTransport
import Terminal

/// Runs a terminal flow with exclusive access to the card (a PC/SC
/// transaction on a real reader, so that no other program interleaves its
/// APDUs); a failure becomes one line on stderr with its exit status.
func terminalFlow<T>(_ transport: any CardTransport, _ body: () throws(TerminalError) -> T) throws(CLIError) -> T {
    do throws(TerminalError) {
        return try transport.transaction(body) { .transport($0, step: "PC/SC transaction") }
    } catch {
        throw CLIError(error)
    }
}

extension CLIError {
    /// A terminal flow's failure: exit 3 when the transport failed, 1 when
    /// the card (or the issuer) said no; decided on the error's code.
    init(_ error: TerminalError) {
        switch error.code {
        case .transport: self.init("\(error)", status: ExitStatus.transport)
        case .applicationUnavailable: self.init("\(error) (the bank activates it: sscard bank activate)", status: ExitStatus.checkFailed)
        default: self.init("\(error)", status: ExitStatus.checkFailed)
        }
    }
}
