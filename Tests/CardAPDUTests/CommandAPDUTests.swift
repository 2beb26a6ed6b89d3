import CardAPDU
import PropertyBased
import Testing

/// One well-formed command encoding and what it must parse to.
struct CommandVector: Sendable, CustomTestStringConvertible {
    let name: String
    let hex: String
    let apduCase: APDUCase
    let nc: Int
    let ne: Int?
    var testDescription: String { name }

    var bytes: [UInt8] { try! Hex.decode(hex) }
}

private func rep(_ byte: String, _ count: Int) -> String { String(repeating: byte, count: count) }

let commandVectors: [CommandVector] = [
    .init(name: "case 1", hex: "00A40000", apduCase: .case1, nc: 0, ne: nil),
    .init(name: "case 2S Le 01", hex: "00B0000001", apduCase: .case2Short, nc: 0, ne: 1),
    .init(name: "case 2S Le FF", hex: "00B00000FF", apduCase: .case2Short, nc: 0, ne: 255),
    .init(name: "case 2S Le 00 = 256", hex: "00B0000000", apduCase: .case2Short, nc: 0, ne: 256),
    .init(name: "case 3S Nc 1", hex: "00A4000001AA", apduCase: .case3Short, nc: 1, ne: nil),
    .init(name: "case 3S Nc 2 (SELECT EF05)", hex: "00A4020002EF05", apduCase: .case3Short, nc: 2, ne: nil),
    .init(name: "case 3S Nc 255", hex: "00D60000FF" + rep("11", 255), apduCase: .case3Short, nc: 255, ne: nil),
    .init(
        name: "case 4S SELECT SSSE Le 00", hex: "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00",
        apduCase: .case4Short, nc: 15, ne: 256),
    .init(name: "case 4S VERIFY with Le", hex: "002000800826123456FFFFFFFF00", apduCase: .case4Short, nc: 8, ne: 256),
    .init(name: "case 4S Nc 255 Ne 256", hex: "00D60000FF" + rep("22", 255) + "00", apduCase: .case4Short, nc: 255, ne: 256),
    .init(name: "case 4S Le 01", hex: "0088000002AABB01", apduCase: .case4Short, nc: 2, ne: 1),
    .init(name: "case 2E Ne 257", hex: "00B00000000101", apduCase: .case2Extended, nc: 0, ne: 257),
    .init(name: "case 2E Le 0000 = 65536", hex: "00B00000000000", apduCase: .case2Extended, nc: 0, ne: 65536),
    .init(name: "case 2E Ne 256 (forced extended)", hex: "00B00000000100", apduCase: .case2Extended, nc: 0, ne: 256),
    .init(name: "case 2E Ne 1", hex: "00B00000000001", apduCase: .case2Extended, nc: 0, ne: 1),
    .init(name: "case 3E Nc 256", hex: "00D6000000" + "0100" + rep("33", 256), apduCase: .case3Extended, nc: 256, ne: nil),
    .init(name: "case 3E Nc 1", hex: "00D6000000" + "0001" + "44", apduCase: .case3Extended, nc: 1, ne: nil),
    .init(
        name: "case 4E Nc 256 Le 0000", hex: "00D6000000" + "0100" + rep("55", 256) + "0000",
        apduCase: .case4Extended, nc: 256, ne: 65536),
    .init(name: "case 4E Nc 1 Ne 257", hex: "00D6000000" + "0001" + "66" + "0101", apduCase: .case4Extended, nc: 1, ne: 257),
    .init(name: "case 4E Nc 2 Ne 2", hex: "00880000000002AABB0002", apduCase: .case4Extended, nc: 2, ne: 2),
]

/// A malformed encoding and the error it must give.
struct MalformedVector: Sendable, CustomTestStringConvertible {
    let name: String
    let hex: String
    let error: APDUFormatError
    let offset: Int
    var testDescription: String { name }
}

let malformedVectors: [MalformedVector] = [
    .init(name: "empty", hex: "", error: .tooShort, offset: 0),
    .init(name: "1 byte", hex: "00", error: .tooShort, offset: 1),
    .init(name: "3 bytes", hex: "00A404", error: .tooShort, offset: 3),
    .init(name: "short data shorter than Lc", hex: "00A40400023F", error: .truncatedData, offset: 6),
    .init(name: "short Lc 0F with 14 bytes", hex: "00A404000F" + rep("AB", 14), error: .truncatedData, offset: 19),
    .init(name: "trailing byte after Le", hex: "00A40400023F000000", error: .trailingBytes, offset: 8),
    .init(name: "two trailing bytes", hex: "00A40400023F00000000", error: .trailingBytes, offset: 8),
    .init(name: "00 then one byte", hex: "00B0000000AA", error: .malformedExtendedLength, offset: 5),
    .init(name: "extended Lc 0000 with data", hex: "00D6000000000011", error: .zeroLc, offset: 5),
    .init(name: "extended Lc 0000 then Le", hex: "00D60000000000" + "0000", error: .zeroLc, offset: 5),
    .init(name: "extended data shorter than Lc", hex: "00D6000000000311" + "22", error: .truncatedData, offset: 9),
    .init(name: "extended one-byte Le", hex: "00D60000000002AABB00", error: .malformedExtendedLength, offset: 9),
    .init(name: "extended trailing", hex: "00D60000000002AABB000000", error: .trailingBytes, offset: 11),
]

@Suite struct CommandAPDUParsingTests {
    @Test(arguments: commandVectors)
    func parsesEveryCase(_ v: CommandVector) throws {
        let view = try CommandAPDUView(v.bytes)
        #expect(view.apduCase == v.apduCase)
        #expect(view.nc == v.nc)
        #expect(view.ne == v.ne)
        #expect(view.data.count == v.nc)
        #expect(view.cla == v.bytes[0] && view.ins == v.bytes[1] && view.p1 == v.bytes[2] && view.p2 == v.bytes[3])

        let owned = try CommandAPDU(bytes: v.bytes)
        #expect(owned.apduCase == v.apduCase)
        #expect(owned.encoded == v.bytes, "parse → encode gives the input back")
        #expect(owned.data == Array(view.data))
    }

    @Test(arguments: malformedVectors)
    func rejectsMalformed(_ v: MalformedVector) throws {
        let bytes = try Hex.decode(v.hex)
        let error = #expect(throws: v.error) { try CommandAPDUView(bytes) }
        #expect(error?.offset == v.offset, "offset of \(v.name)")
        #expect(throws: v.error) { try CommandAPDU(bytes: bytes) }
    }

    @Test func viewSharesTheCallersStorage() throws {
        let bytes: [UInt8] = try Hex.decode("00A4020002EF05")
        let view = try CommandAPDUView(bytes[...])
        #expect(Array(view.data) == [0xEF, 0x05])
        #expect(view.data.startIndex == 5, "the data is a slice of the input, not a copy")
    }

    @Test func viewOfASliceInTheMiddleOfABuffer() throws {
        let buffer: [UInt8] = [0xFF, 0xFF, 0x00, 0xB2, 0x01, 0x2C, 0x00, 0xEE]
        let view = try CommandAPDUView(buffer[2..<7])
        #expect(view.apduCase == .case2Short)
        #expect(view.ins == 0xB2 && view.p2 == 0x2C && view.ne == 256)
    }
}

@Suite struct CommandAPDUEncodingTests {
    @Test func shortWheneverItFits() throws {
        let c = try CommandAPDU(cla: 0, ins: 0xD6, p1: 0, p2: 0, data: Array(repeating: 1, count: 255), ne: 256)
        #expect(c.apduCase == .case4Short)
        #expect(c.encoded.count == 4 + 1 + 255 + 1)
        #expect(c.encoded.last == 0x00)
    }

    @Test func nc256IsExtended() throws {
        let c = try CommandAPDU(cla: 0, ins: 0xD6, p1: 0, p2: 0, data: Array(repeating: 1, count: 256))
        #expect(c.apduCase == .case3Extended)
        #expect(Array(c.encoded[4..<7]) == [0x00, 0x01, 0x00])
    }

    @Test func ne257IsExtendedAndTheDataFollowsSuit() throws {
        let c = try CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, data: [1, 2], ne: 257)
        #expect(c.apduCase == .case4Extended)
        #expect(c.encoded == [0, 0xB0, 0, 0, 0x00, 0x00, 0x02, 1, 2, 0x01, 0x01])
    }

    @Test func ne65536IsLe0000() throws {
        let c = try CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, ne: 65536)
        #expect(c.encoded == [0, 0xB0, 0, 0, 0, 0, 0])
    }

    @Test func forcedExtended() throws {
        let c = try CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, ne: 256, lengthForm: .extended)
        #expect(c.apduCase == .case2Extended)
        #expect(c.encoded == [0, 0xB0, 0, 0, 0x00, 0x01, 0x00])
        let case1 = try CommandAPDU(cla: 0, ins: 0x84, p1: 0, p2: 0, lengthForm: .extended)
        #expect(case1.apduCase == .case1 && case1.encoded.count == 4)
    }

    @Test func rejectsOutOfRangeValues() {
        #expect(throws: APDUFormatError.valueOutOfRange) { try CommandAPDU(cla: 0, ins: 0, p1: 0, p2: 0, ne: 0) }
        #expect(throws: APDUFormatError.valueOutOfRange) { try CommandAPDU(cla: 0, ins: 0, p1: 0, p2: 0, ne: 65537) }
        #expect(throws: APDUFormatError.valueOutOfRange) {
            try CommandAPDU(cla: 0, ins: 0, p1: 0, p2: 0, data: Array(repeating: 0, count: 65536))
        }
    }

    @Test func resendWithExactLe() throws {
        let c = try CommandAPDU(bytes: try Hex.decode("00B2010C00"))
        #expect(try c.with(ne: 0x1E).encoded == (try Hex.decode("00B2010C1E")))
    }
}

/// Random but valid commands: any header, 0–300 data bytes, any Ne or none,
/// either length form.
let commandGenerator = zip(
    Gen.uint8().array(of: 4),
    Gen.uint8().array(of: 0...300),
    Gen.int(in: 1...65536).optional(),
    Gen.bool()
).map { header, data, ne, extended in
    try! CommandAPDU(
        cla: header[0], ins: header[1], p1: header[2], p2: header[3], data: data, ne: ne,
        lengthForm: extended ? .extended : .automatic)
}

@Suite struct CommandAPDUPropertyTests {
    @Test func encodeThenParseRoundTrips() async {
        await propertyCheck(count: 300, input: commandGenerator) { command in
            let bytes = command.encoded
            let parsed = try CommandAPDU(bytes: bytes)
            #expect(parsed.encoded == bytes)
            #expect(parsed.data == command.data)
            #expect(parsed.ne == command.ne)
            #expect(parsed.apduCase == command.apduCase)
            #expect((parsed.cla, parsed.ins, parsed.p1, parsed.p2) == (command.cla, command.ins, command.p1, command.p2))
        }
    }

    /// Every strict prefix of a valid encoding is rejected, except where
    /// ISO/IEC 7816-3 makes the prefix itself a complete command of another
    /// case: the bare header (case 1), header + Le (case 2S), and the body
    /// without its Le (case 3). Those must parse to a different case that
    /// encodes back to exactly the prefix.
    @Test func strictPrefixesAreRejected() async {
        await propertyCheck(count: 150, input: commandGenerator) { command in
            let bytes = command.encoded
            for cut in 0..<bytes.count {
                let prefix = Array(bytes[..<cut])
                if let shorter = try? CommandAPDU(bytes: prefix) {
                    #expect(shorter.apduCase != command.apduCase, "prefix of \(cut) bytes parsed as the same case")
                    #expect(shorter.encoded == prefix)
                    #expect(shorter.nc < command.nc || (shorter.ne == nil) != (command.ne == nil) || shorter.nc == 0)
                }
            }
        }
    }

    /// Whatever random bytes parse as, they encode back to themselves.
    @Test func parseThenEncodeIsIdentity() async {
        await propertyCheck(count: 1000, input: Gen.uint8().array(of: 0...12)) { bytes in
            if let c = try? CommandAPDU(bytes: bytes) {
                #expect(c.encoded == bytes)
            }
        }
    }
}
