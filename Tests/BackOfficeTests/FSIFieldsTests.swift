// Bad request fields are named by their path.

import BackOffice
import Testing

@Suite struct FSIFieldsTests {
    func fields(_ text: String) throws -> FSIFields { try FSIFields(root: try JSON.parse(text)) }

    @Test(arguments: [
        (#"{"input":{"data":{"medfee_sumamt":1.005}}}"#, "input.data.medfee_sumamt: has more than two decimals"),
        (#"{"input":{"data":{"medfee_sumamt":-1}}}"#, "input.data.medfee_sumamt: must not be negative"),
        (#"{"input":{"data":{"medfee_sumamt":"abc"}}}"#, "input.data.medfee_sumamt: \"abc\" is not an amount"),
        (#"{"input":{"data":{}}}"#, "input.data.medfee_sumamt: is mandatory"),
        (#"{"input":{"data":[]}}"#, "input.data: must be an object"),
    ])
    func amountsAreChecked(text: String, message: String) throws {
        let f = try fields(text)
        do {
            _ = try f.object("input").object("data").money("medfee_sumamt")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func feeLinesMustAddUp() throws {
        let ok = try fields(#"{"feedetl_sn":"1","med_list_codg":"X","det_item_fee_sumamt":"36.00","cnt":3,"pric":12,"chrgitm_lv":"02"}"#)
        let line = try FeeLine(fields: ok)
        #expect(line.amount == Money(fen: 3600))
        #expect(line.declaredClass == .classB)
        let bad = try fields(#"{"feedetl_sn":"1","med_list_codg":"X","det_item_fee_sumamt":35,"cnt":3,"pric":12}"#)
        do {
            _ = try FeeLine(fields: bad)
            Issue.record("accepted a line that does not add up")
        } catch {
            #expect(error.path == "det_item_fee_sumamt")
        }
        let lines = try fields(#"{"drugdetail":[{"feedetl_sn":"1"},{"x":1}]}"#)
        do {
            _ = try FeeLine(fields: lines.objects("drugdetail")[0])
            Issue.record("accepted a line without an amount")
        } catch {
            #expect(error.path == "drugdetail[0].det_item_fee_sumamt")
        }
    }

    @Test func rootMustBeAnObject() {
        #expect(throws: FSIFieldError(path: "(request)", reason: "must be a JSON object")) { try FSIFields(root: .array([])) }
    }
}
