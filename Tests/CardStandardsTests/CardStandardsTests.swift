// The shared vocabulary: one implementation each, checked against known values.

import CardStandards
import Testing

@Suite struct BCDTests {
    @Test(arguments: [
        ("123456", BCD.OddCount.padWithF, [0x12, 0x34, 0x56] as [UInt8]),
        ("12345", .padWithF, [0x12, 0x34, 0x5F]),
        ("12345", .leadingZero, [0x01, 0x23, 0x45]),
        ("6212340000000007D3012", .padWithF, [0x62, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00, 0x07, 0xD3, 0x01, 0x2F]),
        ("", .padWithF, []),
    ])
    func encodesWithAnExplicitOddDigitRule(_ text: String, _ odd: BCD.OddCount, _ bytes: [UInt8]) {
        #expect(BCD.encode(text, odd: odd) == bytes)
    }

    @Test func refusesWhatIsNotADigit() {
        #expect(BCD.encode("12a4", odd: .padWithF) == nil)
        #expect(BCD.encode("12 4", odd: .padWithF) == nil)
    }

    @Test func numericIsRightJustified() {
        #expect(BCD.numeric(1234, digits: 12) == [0, 0, 0, 0, 0x12, 0x34])
        #expect(BCD.numeric(0, digits: 4) == [0, 0])
        #expect(BCD.numeric(123, digits: 3) == [0x01, 0x23])
        #expect(BCD.value([0x00, 0x00, 0x12, 0x34]) == 1234)
        #expect(BCD.value([0x1A]) == nil)
    }
}

@Suite struct PINBlockTests {
    @Test func format2() {
        #expect(PINBlock.format2("123456") == [0x26, 0x12, 0x34, 0x56, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(PINBlock.format2("12345") == [0x25, 0x12, 0x34, 0x5F, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(PINBlock.format2("123456789012") == [0x2C, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0xFF])
        #expect(PINBlock.format2(digits: [1, 2, 3, 4]) == PINBlock.format2("1234"))
    }

    @Test(arguments: ["", "123", "1234567890123", "12a4"])
    func refusesWhatNoBlockCarries(_ pin: String) {
        #expect(PINBlock.format2(pin) == nil)
    }

    @Test func decodes() {
        #expect(PINBlock.digits(ofFormat2: [0x26, 0x12, 0x34, 0x56, 0xFF, 0xFF, 0xFF, 0xFF]) == [1, 2, 3, 4, 5, 6])
        #expect(PINBlock.digits(ofFormat2: [0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == nil, "an empty PIN is no PIN")
        #expect(PINBlock.digits(ofFormat2: [0x26, 0x12, 0x34, 0x56, 0xFF, 0xFF, 0xFF, 0x0F]) == nil, "padding is F")
        #expect(PINBlock.digits(ofFormat2: [0x16, 0x12, 0x34, 0x56, 0xFF, 0xFF, 0xFF, 0xFF]) == nil, "control field 2")
    }
}

@Suite struct ConstantTimeTests {
    @Test func comparesWholeStrings() {
        #expect(constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 3, 0] as [UInt8]))
        #expect(!constantTimeEquals([] as [UInt8], [0] as [UInt8]))
        #expect(constantTimeEquals(([9, 1, 2] as [UInt8]).dropFirst(), [1, 2] as [UInt8]))
    }

    @Test func randomBytesHaveTheirLength() {
        #expect(randomBytes(0).isEmpty)
        #expect(randomBytes(4).count == 4 && randomBytes(13).count == 13)
        #expect(randomBytes(16) != randomBytes(16))
    }
}

@Suite struct GBKTests {
    @Test func roundTrips() {
        #expect(GBK.encode("李磊") == [0xC0, 0xEE, 0xC0, 0xDA])
        #expect(GBK.decode([0xC0, 0xEE, 0xC0, 0xDA]) == "李磊")
        #expect(GBK.encode("社会保障") == Array(SocialSecurity.ssseName.suffix(8)))
        #expect(GBK.encode("") == [] && GBK.decode([]) == "")
        #expect(GBK.encode("sx1") == Array("sx1".utf8))
    }

    @Test func refusesWhatIsNotGBK() {
        #expect(GBK.decode([0xC0]) == nil, "half a character")
        #expect(GBK.decode([0xFF, 0xFF]) == nil)
    }
}

@Suite struct NamesTests {
    @Test func environmentsDifferInOneDigit() {
        #expect(SocialSecurity.ssseName == SocialSecurity.environmentName(.des))
        #expect(SocialSecurity.environmentName(.sm4)[2] == 0x33)
        #expect(PSAM.aid == [0xD1, 0x56, 0x00, 0x00, 0x05, 0x90])
        #expect(PBOC.knownAIDs.first == PBOC.debitAID)
        #expect(CryptogramType(cid: 0x80) == .arqc && CryptogramType(cid: 0x41) == .tc && CryptogramType(cid: 0xC0) == nil)
    }

    @Test func checkCharacters() {
        #expect(CheckCharacters.citizenID("51072319870627311") == "5")
        #expect(CheckCharacters.cardNumber("HA104692") == "4")
        #expect(CheckCharacters.luhn("621234000000000") == "1")
        #expect(!CheckCharacters.isValidPAN("6212340000000007"))
    }
}
