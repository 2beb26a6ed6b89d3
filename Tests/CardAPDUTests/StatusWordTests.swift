import CardAPDU
import Testing

@Suite struct StatusWordTests {
    @Test func namedConstantsCarryTheirBytes() {
        #expect(StatusWord.success.rawValue == 0x9000)
        #expect(StatusWord.fileNotFound.sw1 == 0x6A && StatusWord.fileNotFound.sw2 == 0x82)
        #expect(StatusWord.applicationBlocked == StatusWord(0x9303))
        #expect(StatusWord.functionNotSupported == StatusWord(0x6A81))
        #expect(StatusWord.authenticationMethodBlocked == StatusWord(0x6983))
        #expect(StatusWord.selectedFileDeactivated == StatusWord(0x6283))
    }

    @Test func patternViews() {
        #expect(StatusWord(0x63C5).retriesRemaining == 5)
        #expect(StatusWord(0x63C0).retriesRemaining == 0)
        #expect(StatusWord(0x6300).retriesRemaining == nil)
        #expect(StatusWord(0x611E).bytesRemaining == 30)
        #expect(StatusWord(0x6100).bytesRemaining == 256)
        #expect(StatusWord(0x6C27).exactLength == 0x27)
        #expect(StatusWord(0x6C00).exactLength == 256)
        #expect(StatusWord(0x9000).bytesRemaining == nil)
        #expect(StatusWord.verificationFailed(retriesRemaining: 2) == StatusWord(0x63C2))
        #expect(StatusWord.bytesAvailable(0x1E) == StatusWord(0x611E))
        #expect(StatusWord.bytesAvailable(256) == StatusWord(0x6100))
        #expect(StatusWord.wrongLe(exact: 0x12) == StatusWord(0x6C12))
    }

    @Test(arguments: [
        (0x9000, StatusWord.Category.normal), (0x6112, .normal), (0x6283, .warning), (0x63C2, .warning),
        (0x6581, .executionError), (0x6700, .checkingError), (0x6A82, .checkingError), (0x6F00, .checkingError),
        (0x9303, .application), (0x9401, .application), (0x1234, .invalid),
    ] as [(UInt16, StatusWord.Category)])
    func categories(_ raw: UInt16, _ category: StatusWord.Category) {
        #expect(StatusWord(raw).category == category)
    }

    @Test(arguments: [
        (0x9000, "normal processing"), (0x63C3, "verification failed, 3 tries left"),
        (0x6A82, "file or application not found"), (0x9303, "application permanently blocked"),
        (0x6A81, "function not supported (card blocked)"), (0x611E, "30 response byte(s) still available (GET RESPONSE)"),
        (0x6C27, "wrong Le; the exact length is 39"), (0x6983, "authentication method blocked (PIN or key locked)"),
        (0x6A99, "wrong parameters P1-P2"), (0x9999, "application-specific status"),
    ] as [(UInt16, String)])
    func meanings(_ raw: UInt16, _ text: String) {
        #expect(StatusWord(raw).meaning == text)
    }

    @Test func description() {
        #expect(StatusWord(0x6a82).description == "6A82")
    }
}

@Suite struct ResponseAPDUTests {
    @Test func splitsDataAndStatus() throws {
        let r = try ResponseAPDU(bytes: try Hex.decode("0102 9000"))
        #expect(r.data == [1, 2])
        #expect(r.status == .success)
        #expect(r.encoded == [1, 2, 0x90, 0x00])
        let bare = try ResponseAPDU(bytes: [0x6A, 0x83])
        #expect(bare.data.isEmpty && bare.status == .recordNotFound)
    }

    @Test(arguments: [[], [0x90]] as [[UInt8]])
    func needsTwoBytes(_ bytes: [UInt8]) {
        #expect(throws: APDUFormatError.responseTooShort) { try ResponseAPDU(bytes: bytes) }
    }
}

@Suite struct HexTests {
    @Test func decodesWithSeparators() throws {
        #expect(try Hex.decode("00 a4:04 00") == [0x00, 0xA4, 0x04, 0x00])
        #expect(try Hex.decode("") == [])
    }

    @Test func reportsTheOffendingCharacter() {
        let bad = #expect(throws: APDUFormatError.invalidHexDigit) { try Hex.decode("00 A4 0G") }
        #expect(bad?.offset == 2)
        #expect(bad?.reason.contains("character 8") == true)
        #expect(throws: APDUFormatError.oddHexDigitCount) { try Hex.decode("00A") }
        #expect(throws: APDUFormatError.oddHexDigitCount) { try Hex.decode("0 0A") }
    }

    @Test func encodes() {
        #expect(Hex.encode([0x0A, 0xFF]) == "0AFF")
        #expect(Hex.encode([0x0A, 0xFF], separator: " ") == "0A FF")
    }

    @Test func instructionNames() {
        #expect(Instruction.select.name(cla: 0x00) == "SELECT")
        #expect(Instruction(0x24).name(cla: 0x00) == "CHANGE REFERENCE DATA")
        #expect(Instruction(0x24).name(cla: 0x84) == "PIN CHANGE/UNBLOCK")
        #expect(Instruction(0x5E).name(cla: 0x80) == "CHANGE PIN")
        #expect(Instruction(0x2C).name(cla: 0xB0) == "DEBIT FOR PURCHASE")
        #expect(Instruction(0x01).name(cla: 0x00) == nil)
    }
}
