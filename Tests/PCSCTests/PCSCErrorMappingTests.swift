import TestSupport
import CardTransport
@testable import CardTransportPCSC
import Testing

/// A backend that answers every call with chosen codes: the error mapping
/// is tested without pcscd.
final class FakePCSC: PCSCBackend, @unchecked Sendable {
    var establish = 0
    var list = 0
    var readers = ["Virtual PCD 00 00", "Virtual PCD 00 01", "ACS ACR39U 01 00"]
    var connectCode = 0
    var transmitCodes: [Int] = []
    var reconnects = 0
    var transmitted: [[UInt8]] = []

    func establishContext() -> (code: Int, context: Int) { (establish, 7) }
    func releaseContext(_ context: Int) -> Int { 0 }
    func listReaders(_ context: Int) -> (code: Int, readers: [String]) { (list, list == 0 ? readers : []) }
    func connect(_ context: Int, reader: String, share: UInt, protocols: UInt) -> (code: Int, handle: Int, protocol: UInt) {
        (connectCode, 9, PCSC.protocolT0)
    }
    func reconnect(_ handle: Int, share: UInt, protocols: UInt, initialization: UInt) -> (code: Int, protocol: UInt) {
        reconnects += 1
        return (0, PCSC.protocolT0)
    }
    func disconnect(_ handle: Int, disposition: UInt) -> Int { 0 }
    func status(_ handle: Int) -> (code: Int, atr: [UInt8], protocol: UInt) { (0, [0x3B, 0x00], PCSC.protocolT0) }
    func transmit(_ handle: Int, protocol: UInt, _ command: [UInt8]) -> (code: Int, response: [UInt8]) {
        transmitted.append(command)
        let code = transmitCodes.isEmpty ? 0 : transmitCodes.removeFirst()
        return (code, code == 0 ? [0x90, 0x00] : [])
    }
    func beginTransaction(_ handle: Int) -> Int { 0 }
    func endTransaction(_ handle: Int, disposition: UInt) -> Int { 0 }
    func getStatusChange(_ context: Int, timeout: UInt, states: inout [PCSCReaderState]) -> Int {
        for i in states.indices {
            states[i].eventState = i == 0 ? PCSC.statePresent | PCSC.stateChanged : PCSC.stateEmpty
            states[i].atr = i == 0 ? [0x3B, 0x6D] : []
        }
        return 0
    }
    func cancel(_ context: Int) -> Int { 0 }
    func describe(_ code: Int) -> String { "text for \(String(UInt32(truncatingIfNeeded: code), radix: 16))" }
}

@Suite struct PCSCErrorMappingTests {
    @Test(arguments: [
        (0x8010_001D, TransportError.Code.serviceUnavailable), (0x8010_001E, .serviceUnavailable),
        (0x8010_0069, .cardRemoved), (0x8010_000C, .noCard), (0x8010_0068, .cardReset),
        (0x8010_000F, .protocolMismatch), (0x8010_000B, .sharingViolation), (0x8010_0009, .readerNotFound),
        (0x8010_000A, .timeout), (0x8010_0002, .cancelled), (0x8010_0016, .communication), (0x8010_0099, .other),
    ] as [(Int, TransportError.Code)])
    func mapsEveryCodeKeepingTheRawValueAndText(_ code: Int, _ expected: TransportError.Code) {
        let e = transportError(code, "SCardTransmit", backend: FakePCSC())
        #expect(e.code == expected)
        #expect(e.underlying == code)
        #expect(e.reason.contains("SCardTransmit: text for \(String(code, radix: 16))"))
        #expect(e.description.hasSuffix("(0x\(String(code, radix: 16, uppercase: true)))"))
    }

    @Test func pcscdDownIsAClearErrorNotAHang() {
        let fake = FakePCSC()
        fake.establish = 0x8010_001D
        let e = #expect(throws: TransportError.self) { try PCSCReaders.list(backend: fake) }
        #expect(e?.code == .serviceUnavailable)
        #expect(e?.reason.hasPrefix("pcscd is not running") == true)
    }

    @Test func readerNamesBySubstring() throws {
        let fake = FakePCSC()
        #expect(try PCSCReaders.resolve("ACS", backend: fake) == "ACS ACR39U 01 00")
        #expect(try PCSCReaders.resolve("pcd 00 01", backend: fake) == "Virtual PCD 00 01")
        let many = #expect(throws: TransportError.self) { try PCSCReaders.resolve("Virtual", backend: fake) }
        #expect(many?.code == .ambiguousReader)
        let none = #expect(throws: TransportError.self) { try PCSCReaders.resolve("Gemalto", backend: fake) }
        #expect(none?.code == .readerNotFound && none?.reason.contains("\"Virtual PCD 00 00\"") == true)
        fake.list = 0x8010_002E
        #expect(try PCSCReaders.list(backend: fake).isEmpty)
    }

    @Test func listReportsPresenceAndATR() throws {
        let readers = try PCSCReaders.list(backend: FakePCSC())
        #expect(readers[0].cardPresent && readers[0].atr == [0x3B, 0x6D])
        #expect(!readers[1].cardPresent && readers[1].atr.isEmpty)
    }

    @Test func recoversAfterRemovalAndAfterAResetByAnotherProgram() throws {
        let fake = FakePCSC()
        let t = PCSCTransport(reader: "Virtual PCD 00 00", share: .shared, protocols: 3, backend: fake)
        _ = try t.connect()
        fake.transmitCodes = [0x8010_0069]
        let removed = #expect(throws: TransportError.self) { try t.transmit([0, 0xA4, 0, 0]) }
        #expect(removed?.code == .cardRemoved)
        #expect(try t.transmit([0, 0xA4, 0, 0]) == [0x90, 0x00], "the next command reconnects")
        fake.transmitCodes = [0x8010_0068]
        let reset = #expect(throws: TransportError.self) { try t.transmit([0, 0xA4, 0, 0]) }
        #expect(reset?.code == .cardReset)
        #expect(fake.reconnects == 1, "acknowledged with SCardReconnect(SCARD_LEAVE_CARD)")
        fake.transmitCodes = [0x8010_001D]
        #expect(throws: TransportError.serviceUnavailable) { try t.transmit([0, 0xA4, 0, 0]) }
        #expect(try t.transmit([0, 0xA4, 0, 0]) == [0x90, 0x00], "a new context after pcscd came back")
        #expect(throws: TransportError.invalidAPDU) { try t.transmit([0, 0xA4]) }
    }

    @Test func monitorReportsInsertions() throws {
        let monitor = PCSCMonitor(backend: FakePCSC())
        let events = try monitor.next(timeout: 0)
        #expect(events.contains(.readerAdded("Virtual PCD 00 00")))
        #expect(events.contains(.cardInserted(reader: "Virtual PCD 00 00", atr: [0x3B, 0x6D])))
    }
}
