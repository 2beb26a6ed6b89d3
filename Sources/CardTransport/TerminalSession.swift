// SSCard — CardTransport
//
// Above every transport: the terminal's automatic GET RESPONSE on 61xx and
// resend with the exact Le on 6Cxx (OpenSC's sc_transmit), each switchable,
// and a trace in which PINs and keys are masked.

public import CardAPDU

/// One command and the answer it finally got, with any automatic exchanges.
public struct Exchange: Sendable {
    /// The command as sent (first attempt).
    public var command: [UInt8]
    /// The final response (data joined across GET RESPONSEs, last SW).
    public var response: [UInt8]
    /// Every raw exchange on the wire, in order.
    public var wire: WireLog
}

/// A line of trace.
public struct TraceEntry: Sendable {
    public var command: [UInt8]
    public var response: [UInt8]
}

/// Every raw exchange of one command, in order.
public typealias WireLog = [(command: [UInt8], response: [UInt8])]

/// A terminal's view of a card.
public final class TerminalSession {
    public let transport: any CardTransport
    /// Send `00 C0 00 00 xx` on `61xx` and join the data.
    public var autoGetResponse: Bool
    /// Resend the command with Le = xx on `6Cxx`.
    public var autoResendOnWrongLe: Bool
    /// Receives every wire exchange (commands masked by the sink itself via ``APDUMask``).
    public var traceSink: ((TraceEntry) -> Void)?

    public init(transport: any CardTransport, autoGetResponse: Bool = false, autoResendOnWrongLe: Bool = false) {
        self.transport = transport
        self.autoGetResponse = autoGetResponse
        self.autoResendOnWrongLe = autoResendOnWrongLe
    }

    public func connect() throws(TransportError) -> [UInt8] { try transport.connect() }
    public func reset(cold: Bool = true) throws(TransportError) -> [UInt8] { try transport.reset(cold: cold) }

    /// One exchange on the wire, traced, and logged when there is a log.
    func wire(_ command: [UInt8], _ log: inout WireLog?) throws(TransportError) -> [UInt8] {
        let response = try transport.transmit(command)
        log?.append((command, response))
        traceSink?(TraceEntry(command: command, response: response))
        return response
    }

    /// Sends a command and returns the card's final answer, handling
    /// `61xx`/`6Cxx` when switched on.
    /// - Throws: ``TransportError`` when the card cannot be reached or its
    ///   answer is not a response APDU; never for a status word.
    public func send(_ command: CommandAPDU) throws(TransportError) -> ResponseAPDU {
        let bytes = command.encoded
        var log: WireLog? = nil
        var response = try wire(bytes, &log)
        let n = response.count
        guard n >= 2 else {
            throw TransportError(.communication, reason: "the card's answer has \(n) byte(s), fewer than SW1 SW2")
        }
        // The common case, without an exchange log: nothing to handle.
        if response[n - 2] == 0x61 || response[n - 2] == 0x6C {
            response = try handle(response, to: bytes, parsed: command, log: &log)
        }
        let status = StatusWord(sw1: response[response.count - 2], sw2: response[response.count - 1])
        response.removeLast(2)
        return ResponseAPDU(data: response, status: status)
    }

    /// Sends command bytes as given (a script's, a user's), handling
    /// `61xx`/`6Cxx` when switched on, and returns every exchange.
    public func exchange(_ command: [UInt8]) throws(TransportError) -> Exchange {
        try exchange(command, parsed: nil)
    }

    func exchange(_ command: [UInt8], parsed: CommandAPDU?) throws(TransportError) -> Exchange {
        var log: WireLog? = []
        var response = try wire(command, &log)
        // The common case: nothing to handle.
        let n = response.count
        if n >= 2 && (response[n - 2] == 0x61 || response[n - 2] == 0x6C) {
            response = try handle(response, to: command, parsed: parsed, log: &log)
        }
        return Exchange(command: command, response: response, wire: log ?? [])
    }

    /// The `6Cxx` resend and the `61xx` GET RESPONSEs after `response`,
    /// as switched on; every wire exchange goes to `log` when there is one.
    func handle(
        _ first: [UInt8], to command: [UInt8], parsed: CommandAPDU?, log: inout WireLog?
    ) throws(TransportError) -> [UInt8] {
        var response = first
        // 6Cxx: resend once with the exact Le (only meaningful for a command
        // that has an Le field or none: case 1/2).
        if autoResendOnWrongLe, response.count == 2, response[0] == 0x6C,
            let original = parsed ?? (try? CommandAPDU(bytes: command)), original.nc == 0
        {
            let exact = response[1] == 0 ? 256 : Int(response[1])
            if let again = try? original.with(ne: exact) {
                response = try wire(again.encoded, &log)
            }
        }
        if autoGetResponse {
            var data: [UInt8] = []
            var rounds = 0
            while response.count >= 2, response[response.count - 2] == 0x61, rounds < 256 {
                data += response.dropLast(2)
                let le = Int(response[response.count - 1])
                let getResponse = CommandAPDU.getResponse(ne: le == 0 ? 256 : le, cla: command.first ?? 0)
                response = try wire(getResponse.encoded, &log)
                rounds += 1
            }
            if !data.isEmpty { response = data + response }
        }
        return response
    }
}
