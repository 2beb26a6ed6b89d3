import CardAPDU
import CardInspect
import Testing

@Suite struct InspectorTests {
    @Test func commandJSONKeysInOrder() throws {
        let e = try Inspector.command(try Hex.decode("00A4040008A00000033301010100"))
        #expect(
            e.json.serialized
                == #"{"kind":"command","case":"4S","cla":"00","ins":"A4","p1":"04","p2":"00","nc":8,"ne":256,"data":"A000000333010101","insName":"SELECT"}"#
        )
    }

    @Test func responseWithUnknownDataHasNoTree() throws {
        let e = try Inspector.response(try Hex.decode("0102030405060708 9000"))
        #expect(e.json["tlv"] == nil)
        let fci = try Inspector.response(try Hex.decode("6F1E840E315041592E5359532E4444463031A50C8801015F2D027A689F110101 9000"))
        #expect(fci.json["tlv"] != nil)
        #expect(fci.lines.contains { $0.contains("5F2D Language Preference (2 bytes): 7A68  \"zh\"") })
    }

    @Test func tlvRendersNumbersAndText() throws {
        let e = try Inspector.tlv(try Hex.decode("5A0A6212340000000000007F 9F420201565F2403301231"))
        #expect(e.lines.contains { $0.contains("\"6212340000000000007\"") })
        #expect(e.lines.contains { $0.contains("Application Currency Code") && $0.contains("\"0156\"") })
    }

    @Test func jsonEscaping() {
        let v = JSONValue.object([("a\"b", .string("line\nbreak\u{01}")), ("n", .null), ("t", .bool(true))])
        #expect(v.serialized == #"{"a\"b":"line\nbreak\u0001","n":null,"t":true}"#)
    }
}
