// SSCard — running a terminal flow from the CLI.

import CardTransport
import CardTransportPCSC
import Terminal

/// Runs a terminal flow: inside a PC/SC transaction on a real reader, so that
/// no other program interleaves its APDUs; a card or transport failure
/// becomes one line on stderr with its exit status (1 the card said no, 3
/// the transport failed).
func terminalFlow<T>(_ transport: any CardTransport, _ body: () throws(TerminalError) -> T) throws(CLIError) -> T {
    do throws(TerminalError) {
        if let reader = transport as? PCSCTransport {
            do {
                return try reader.transaction { () throws -> T in try body() }
            } catch let e as TerminalError {
                throw e
            } catch let e as TransportError {
                throw TerminalError(kind: .transport(e), step: "PC/SC transaction")
            } catch {
                throw TerminalError(kind: .malformed, step: "\(error)")
            }
        }
        return try body()
    } catch {
        if case .transport = error.kind { throw CLIError("\(error)", status: ExitStatus.transport) }
        throw CLIError("\(error)", status: ExitStatus.checkFailed)
    }
}
