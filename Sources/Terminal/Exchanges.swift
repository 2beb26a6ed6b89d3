// SSCard — Terminal
//
// The one place where terminal flows send commands: a command value in, a
// response out, and every failure a ``TerminalError`` that names the step.
// A status word is judged by the step (``TerminalSession/expect(_:_:accepting:device:)``),
// with the accepted ones per command, never by a caught message.

public import CardAPDU
public import CardTransport

/// Whose answer a step judges: the card's or the PSAM's.
public enum Device: Sendable {
    case card
    case psam
}

extension TerminalSession {
    /// Sends the command `build` makes and returns the answer, whatever its status word.
    /// - Parameters:
    ///   - step: names the step in errors; built only when one is thrown.
    ///   - build: makes the command (a builder that throws ``APDUFormatError``
    ///     past what an APDU carries). Untyped, so that a plain
    ///     `{ try .select(name: aid) }` passes without a type annotation.
    /// - Throws: ``TerminalError`` with ``TerminalError/Code/invalidCommand``
    ///   (the command could not be built) or ``TerminalError/Code/transport``.
    public func send(
        _ step: @autoclosure () -> String, _ build: () throws -> CommandAPDU
    ) throws(TerminalError) -> ResponseAPDU {
        let command: CommandAPDU
        do {
            command = try build()
        } catch let e as APDUFormatError {
            throw TerminalError(.invalidCommand, step: step(), detail: e.reason)
        } catch {
            throw TerminalError(.invalidCommand, step: step(), detail: "\(error)")
        }
        do {
            return try send(command)
        } catch {
            throw .transport(error, step: step())
        }
    }

    /// Sends the command and requires one of `accepted` (`9000` by default).
    /// - Returns: the answer.
    /// - Throws: ``TerminalError/Code/cardStatus`` (or `psamStatus`) for any
    ///   other status word, and what ``send(_:_:)`` throws.
    @discardableResult
    public func expect(
        _ step: @autoclosure () -> String, _ build: () throws -> CommandAPDU,
        accepting accepted: Set<StatusWord> = [.success], device: Device = .card
    ) throws(TerminalError) -> ResponseAPDU {
        let r = try send(step(), build)
        guard accepted.contains(r.status) else {
            throw TerminalError(device == .card ? .cardStatus : .psamStatus, step: step(), status: r.status)
        }
        return r
    }

    /// Powers the card; the ATR.
    public func powerOn() throws(TerminalError) -> [UInt8] {
        do {
            return try connect()
        } catch {
            throw .transport(error, step: "power on")
        }
    }
}
