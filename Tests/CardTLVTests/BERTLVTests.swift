import CardAPDU
import CardTLV
import PropertyBased
import Testing

private func hex(_ s: String) -> [UInt8] { try! Hex.decode(s) }

/// Records from real PBOC/SSC traces (`spec/pboc.md` §12, `spec/ssc.md` §1.2).
enum RealRecords {
    static let pseFCI = hex("6F1E840E315041592E5359532E4444463031A50C8801015F2D027A689F110101")
    static let directory = hex("701B61194F08A000000333010101500A50424F43204445424954870101")
    static let adfFCI = hex(
        "6F458408A000000333010101A539500A50424F43204445424954870101"
            + "9F38099F7A019F02065F2A025F2D027A689F1101019F120A50424F43204445424954BF0C059F4D020B0A")
    static let record1 = hex(
        "703857116212340000000007D301222000000000005F20095A48414E472F53414E"
            + "9F61123131303130313139393030313031313233349F620100")
    static let record2 = hex(
        "704E5A0862123400000000075F24033012315F25032001015F280201565F3401019F0702AB00"
            + "8E100000000000000000420341031E031F009F0D05D86004A8009F0E0500109800009F0F05D86804F800")
    static let record3 = hex(
        "70578C1B9F02069F03069F1A0295055F2A029A039C019F37049F21039F4E14"
            + "8D1D8A029F02069F03069F1A0295055F2A029A039C019F37049F21039F4E14"
            + "9F080200305F300202209F420201569F4401029F1401009F230100")
    static let ssseFCI = hex("6F1C840F7378312E73682EC9E7BBE1B1A3D5CFA50988011E9F0C03860103")
    static let gacFormat2 = hex(
        "772A9F2701809F360200019F26089DD7036A208E8B739F101307010103A40000010A01000000000000000000")
}

@Suite struct BERTLVParseTests {
    @Test func pseFCI() throws {
        let nodes = try BERTLV.parse(RealRecords.pseFCI)
        #expect(nodes.map(\.tag) == [0x6F, 0x84, 0xA5, 0x88, 0x5F2D, 0x9F11])
        #expect(nodes.map(\.depth) == [0, 1, 1, 2, 2, 2])
        let sfi = try #require(nodes.first(0x88))
        #expect(Array(sfi.value) == [0x01])
        #expect(nodes.first(0x5F2D).map { Array($0.value) } == [0x7A, 0x68])
        #expect(nodes.roots.count == 1)
        #expect(nodes.children(of: nodes[0]).map(\.tag) == [0x84, 0xA5])
    }

    @Test func directoryRecord() throws {
        let nodes = try BERTLV.parse(RealRecords.directory)
        let app = try #require(nodes.first(0x61))
        #expect(nodes.children(of: app).map(\.tag) == [0x4F, 0x50, 0x87])
        #expect(nodes.first(0x4F).map { Hex.encode($0.value) } == "A000000333010101")
        #expect(nodes.first(0x50).map { String(decoding: $0.value, as: UTF8.self) } == "PBOC DEBIT")
    }

    @Test func adfFCIWithThreeByteTagsAndBF0C() throws {
        let nodes = try BERTLV.parse(RealRecords.adfFCI)
        let bf0c = try #require(nodes.first(0xBF0C))
        #expect(bf0c.isConstructed)
        #expect(nodes.children(of: bf0c).map(\.tag) == [0x9F4D])
        #expect(nodes.first(0x9F38).map { Hex.encode($0.value) } == "9F7A019F02065F2A02")
    }

    @Test(arguments: [RealRecords.record1, RealRecords.record2, RealRecords.record3, RealRecords.gacFormat2])
    func recordsRoundTripThroughTheBuilder(_ record: [UInt8]) throws {
        let nodes = try BERTLV.parse(record)
        #expect(nodes.roots.count == 1)
        #expect(rebuild(nodes, nodes.roots) == record)
    }

    @Test func record2Values() throws {
        let nodes = try BERTLV.parse(RealRecords.record2)
        #expect(nodes.first(0x5A).map { Hex.encode($0.value) } == "6212340000000007")
        #expect(nodes.first(0x9F07).map { Hex.encode($0.value) } == "AB00")
        #expect(nodes.first(0x8E)?.length == 16)
    }

    @Test func sharesTheInputStorage() throws {
        let buffer = RealRecords.ssseFCI
        let nodes = try BERTLV.parse(buffer[...])
        let dfName = try #require(nodes.first(0x84))
        #expect(dfName.value.startIndex == 4)
        #expect(dfName.encoded.startIndex == 2)
    }

    @Test func parsesASliceWithOffsetsRelativeToIt() throws {
        let buffer = [0xEE, 0xEE] + RealRecords.directory
        let nodes = try BERTLV.parse(buffer[2...])
        #expect(nodes.first(0x87).map { Array($0.value) } == [0x01])
        let error = #expect(throws: TLVFormatError.truncatedValue) { try BERTLV.parse(buffer[2..<10]) }
        #expect(error?.offset == 8)
    }

    @Test func paddingBetweenObjects() throws {
        let bytes = hex("00 5A0162 FF FF 9F360200 01 00 00")
        let nodes = try BERTLV.parse(bytes)
        #expect(nodes.map(\.tag) == [0x5A, 0x9F36])
        #expect(throws: TLVFormatError.invalidTag) { try BERTLV.parse(bytes, options: .strict) }
        let padded = hex("70 06 00 5A0162 FF 00")
        #expect(try BERTLV.parse(padded).map(\.tag) == [0x70, 0x5A])
    }

    @Test func lengthForms() throws {
        let long = [0x90, 0x81, 0x80] + [UInt8](repeating: 0xAB, count: 128)
        #expect(try BERTLV.parse(long).first?.length == 128)
        let two = [0x90, 0x82, 0x01, 0x00] + [UInt8](repeating: 0xAB, count: 256)
        #expect(try BERTLV.parse(two).first?.length == 256)
        let nonMinimal = hex("5A 81 02 1234")
        #expect(try BERTLV.parse(nonMinimal).first?.length == 2)
        #expect(throws: TLVFormatError.nonMinimalLength) { try BERTLV.parse(nonMinimal, options: .strict) }
        #expect(throws: TLVFormatError.nonMinimalLength) { try BERTLV.parse(hex("5A 82 0002 1234"), options: .strict) }
    }

    @Test(arguments: [
        ("9F", TLVFormatError.truncatedTag, 1),
        ("9F81", .truncatedTag, 2),
        ("9F818101", .tagTooLong, 0),
        ("5A", .truncatedLength, 1),
        ("5A81", .truncatedLength, 2),
        ("5A8201", .truncatedLength, 2),
        ("7080", .indefiniteLength, 1),
        ("5A830000", .unsupportedLengthForm, 1),
        ("5A84", .unsupportedLengthForm, 1),
        ("5A0312", .truncatedValue, 3),
        ("7003 5A0212", .truncatedValue, 5),
    ] as [(String, TLVFormatError, Int)])
    func rejectsMalformed(_ text: String, _ expected: TLVFormatError, _ offset: Int) {
        let error = #expect(throws: expected) { try BERTLV.parse(hex(text)) }
        #expect(error?.offset == offset)
    }

    @Test func depthCap() throws {
        // 20 nested 70 templates around one 5A.
        var bytes = hex("5A0101")
        for _ in 0..<20 { bytes = [0x70, UInt8(bytes.count)] + bytes }
        #expect(throws: TLVFormatError.depthExceeded) { try BERTLV.parse(bytes) }
        let deep = try BERTLV.parse(bytes, options: TLVParseOptions(maximumDepth: 20))
        #expect(deep.last?.depth == 20)
    }

    @Test func everyStrictPrefixOfARealRecordIsRejected() {
        for record in [RealRecords.pseFCI, RealRecords.adfFCI, RealRecords.record3, RealRecords.gacFormat2] {
            for cut in 1..<record.count {
                #expect(throws: TLVFormatError.self, "prefix of \(cut) bytes") {
                    try BERTLV.parse(Array(record[..<cut]))
                }
            }
        }
    }
}

@Suite struct BERTagTests {
    @Test func properties() {
        let t: BERTag = 0x9F02
        #expect(t.byteCount == 2 && t.bytes == [0x9F, 0x02])
        #expect(!t.isConstructed && t.tagClass == .contextSpecific && t.number == 2)
        #expect(BERTag(0x70).isConstructed && BERTag(0x70).tagClass == .application)
        #expect(BERTag(0xBF0C).isConstructed && BERTag(0xBF0C).number == 12)
        #expect(BERTag(0x5F2D).description == "5F2D")
        #expect(BERTag(0xDF8101).byteCount == 3)
    }

    @Test func validatesBytes() {
        #expect(BERTag(bytes: [0x9F, 0x02]) == BERTag(0x9F02))
        #expect(BERTag(bytes: [0x9F]) == nil)
        #expect(BERTag(bytes: [0x5A, 0x01]) == nil)
        #expect(BERTag(bytes: [0x9F, 0x81]) == nil)
        #expect(BERTag(bytes: [0xDF, 0x81, 0x01]) == BERTag(0xDF8101))
        #expect(BERTag(bytes: []) == nil)
    }
}

@Suite struct TLVBuilderTests {
    @Test func buildsTheSSSEFCI() {
        var b = TLVBuilder()
        b.appendConstructed(0x6F) { fci in
            fci.append(0x84, hex("7378312E73682EC9E7BBE1B1A3D5CF"))
            fci.appendConstructed(0xA5) { a5 in
                a5.append(0x88, [0x1E])
                a5.append(0x9F0C, hex("860103"))
            }
        }
        #expect(b.bytes == RealRecords.ssseFCI)
    }

    @Test func widensLengthsPastOneByte() throws {
        var b = TLVBuilder()
        b.appendConstructed(0x70) { $0.append(0x90, [UInt8](repeating: 1, count: 300)) }
        #expect(Array(b.bytes[0..<4]) == [0x70, 0x82, 0x01, 0x30])
        let nodes = try BERTLV.parse(b.bytes, options: .strict)
        #expect(nodes.first(0x90)?.length == 300)
    }

    @Test func encodeLength() {
        #expect(BERTLV.encodeLength(0x7F) == [0x7F])
        #expect(BERTLV.encodeLength(0x80) == [0x81, 0x80])
        #expect(BERTLV.encodeLength(0x100) == [0x82, 0x01, 0x00])
    }
}

@Suite struct TagDictionaryTests {
    @Test func names() {
        #expect(TagDictionary.emv[0x9F36]?.name == "Application Transaction Counter (ATC)")
        #expect(TagDictionary.emv[0x5A]?.format == .compressedNumeric)
        #expect(TagDictionary.socialSecurity[0x08]?.name.contains("社会保障号码") == true)
        #expect(TagDictionary.lookup(0x84)?.name == "Dedicated File (DF) Name", "EMV wins where both name a tag")
        #expect(TagDictionary.lookup(0x4E)?.name.contains("姓名扩展") == true)
        #expect(TagDictionary.lookup(0xDF7F) == nil)
    }
}

/// Re-encodes parsed nodes with the builder (structure only, no padding).
func rebuild(_ nodes: TLVNodes, _ list: [TLVNode]) -> [UInt8] {
    var b = TLVBuilder()
    for node in list {
        if node.isConstructed {
            b.appendConstructed(node.tag) { $0.appendEncoded(rebuild(nodes, nodes.children(of: node))) }
        } else {
            b.append(node.tag, node.value)
        }
    }
    return b.bytes
}

/// Builds a random TLV sequence from a tape of random bytes, deterministically.
func randomTLV(_ tape: [UInt8]) -> [UInt8] {
    var i = 0
    func next() -> UInt8? {
        guard i < tape.count else { return nil }
        defer { i += 1 }
        return tape[i]
    }
    let primitiveTags: [BERTag] = [0x5A, 0x50, 0x9F36, 0x9F02, 0x5F2D, 0x84, 0x88, 0xDF8101]
    let constructedTags: [BERTag] = [0x70, 0x6F, 0xA5, 0x61, 0xBF0C, 0x77]
    func build(_ b: inout TLVBuilder, depth: Int) {
        while let op = next() {
            switch op % 5 {
            case 0 where depth > 0:
                return
            case 1 where depth < 6:
                let tag = constructedTags[Int(op / 5) % constructedTags.count]
                b.appendConstructed(tag) { build(&$0, depth: depth + 1) }
            default:
                let tag = primitiveTags[Int(op / 5) % primitiveTags.count]
                let count = Int(next() ?? 0) % 40 + (op % 7 == 0 ? 130 : 0)
                b.append(tag, (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(op)) })
            }
        }
    }
    var b = TLVBuilder()
    build(&b, depth: 0)
    return b.bytes
}

@Suite struct BERTLVPropertyTests {
    @Test func buildParseRebuildIsIdentity() async {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 0...120)) { tape in
            let bytes = randomTLV(tape)
            let nodes = try BERTLV.parse(bytes, options: .strict)
            #expect(rebuild(nodes, nodes.roots) == bytes)
            #expect(nodes.roots.reduce(0) { $0 + $1.encoded.count } == bytes.count)
        }
    }

    @Test func everyStrictPrefixOfOneObjectIsRejected() async {
        await propertyCheck(count: 100, input: Gen.uint8().array(of: 1...60)) { tape in
            var b = TLVBuilder()
            b.appendConstructed(0x70) { $0.appendEncoded(randomTLV(tape)) }
            let bytes = b.bytes
            for cut in 1..<bytes.count {
                #expect(throws: TLVFormatError.self) { try BERTLV.parse(Array(bytes[..<cut]), options: .strict) }
            }
        }
    }

    @Test func randomBytesNeverCrash() async {
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...64)) { bytes in
            if let nodes = try? BERTLV.parse(bytes) {
                for node in nodes { #expect(node.encoded.count >= node.value.count + 2) }
            }
        }
    }
}
