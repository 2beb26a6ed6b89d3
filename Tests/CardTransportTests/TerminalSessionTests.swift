import CardSimulator
import CardAPDU
import CardImage
import CardPersonalization
import CardRuntime
import CardTransport
import Testing

func transport(_ profile: String) throws -> VirtualCardTransport {
    VirtualCardTransport(card: VirtualCard(state: try CardProfiles.resolve(profile).personalize()))
}

@Suite struct TerminalSessionTests {
    @Test func rawByDefault() throws {
        let session = TerminalSession(transport: try transport("iso-test-t0"))
        _ = try session.connect()
        let e = try session.exchange(try Hex.decode("00A4040006A00000999901"))
        #expect(e.response == [0x61, 0x1B])
        #expect(e.wire.count == 1)
    }

    @Test func autoGetResponse() throws {
        let session = TerminalSession(transport: try transport("iso-test-t0"), autoGetResponse: true)
        var trace: [TraceEntry] = []
        session.traceSink = { trace.append($0) }
        _ = try session.connect()
        let e = try session.exchange(try Hex.decode("00A4040006A00000999901"))
        #expect(e.response.count == 0x1B + 2)
        #expect(Array(e.response.suffix(2)) == [0x90, 0x00])
        #expect(e.wire.map(\.command) == [try Hex.decode("00A4040006A00000999901"), [0x00, 0xC0, 0x00, 0x00, 0x1B]])
        #expect(trace.count == 2)
    }

    @Test func autoResendOnWrongLe() throws {
        let session = TerminalSession(transport: try transport("iso-test"), autoResendOnWrongLe: true)
        _ = try session.connect()
        _ = try session.exchange(try Hex.decode("00A4040006A00000999901"))
        _ = try session.exchange(try Hex.decode("00200002021234"))
        let e = try session.exchange(try Hex.decode("00B2013400"))
        #expect(e.response == [0x08, 0x03, 0x31, 0x32, 0x33, 0x90, 0x00])
        #expect(e.wire.last?.command == [0x00, 0xB2, 0x01, 0x34, 0x05])
    }

    @Test func shortCommandsAreATransportError() throws {
        let t = try transport("iso-test")
        #expect(throws: TransportError.invalidAPDU) { try t.transmit([0x00, 0xA4]) }
    }

    @Test func masksSecrets() throws {
        #expect(APDUMask.describe(try Hex.decode("0020000103123456")) == "00 20 00 01 03 ** ** **")
        #expect(APDUMask.describe(try Hex.decode("002000800826123456FFFFFFFF00")) == "00 20 00 80 08 ** ** ** ** ** ** ** ** 00")
        #expect(APDUMask.describe(try Hex.decode("805E01000712345 6FF654321".replacing(" ", with: ""))).contains("12") == false)
        #expect(APDUMask.describe(try Hex.decode("00B2010C00")) == "00 B2 01 0C 00")
        #expect(APDUMask.describe(try Hex.decode("002C0001041234")) == "00 2C 00 01 ** ** **", "malformed: all after the header")
    }
}
