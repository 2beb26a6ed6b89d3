// libSSCardDriver.so with the card in a PC/SC reader (`reader:` source):
// the virtual card served into pcscd through vpcd, as a real reader's card
// would be; and the reader with no card in it (−2).

import Foundation
import Testing
import TestSupport

@Suite(.serialized, .enabled(if: PCSCFixture.available, "needs pcscd, vsmartcard-vpcd and root (scripts/ensure-deps.sh)"))
struct DriverThroughPCSCTests {
    @Test func theDriverReadsVerifiesAndDebitsACardInAReader() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        let expected = try PCSCFixture.sscard(["social", "read", "--card", "default"]).stdout
            .split(separator: "\n").last { $0.hasPrefix("iReadCardBas: ") }.map { String($0.dropFirst("iReadCardBas: ".count)) }
        let read = try PCSCFixture.sscard(["social", "read", "--card", "default", "--json"])
        let card = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any]).compactMapValues { $0 as? String }
        let info = card["cardID"]! + "|" + card["cardNumber"]! + "|"
        try f.startPCSCD()
        try f.serve("cumulative")
        try f.serve("default", slot: 1)
        try f.waitForCard(slot: 1, present: true)
        let env = [
            "SSCARD_DRIVER_CONF": "/dev/null", "SSCARD_DRIVER_ENCODING": "utf-8", "SSCARD_DRIVER_CARD": "reader:" + f.readerName(1),
            "SSCARD_DRIVER_PIN": "000000",
        ]
        let r = try DriverCaller.run(
            ["bas:1", "read2=\(info)#SSSEEF06|08|09|$", "verify:1", "debit=\(info)#2.50|2.50|20261203120000|", "debitrecord", "type", "reader"],
            environment: env)
        #expect(r.map(\.code).prefix(6) == [0, 0, -51, 0, 0, 0], "\(r.map(\.text))")
        #expect(r[0].text == expected, "the same line as sscard social read")
        #expect(r[1].text == "SSSEEF06|\(card["citizenID"]!)|\(card["name"]!)|$")
        #expect(r[2].text == "PIN校验失败，剩余次数5次")
        #expect(r[3].text.hasPrefix("2.50|497.50|0000|"))
        #expect(r[4].text.hasPrefix("0000|2.50|06|"))
        // The card pulled (its serve stopped): no card, −2, with the text.
        f.stopServe(f.serves[1])
        try f.waitForCard(slot: 1, present: false)
        let none = try DriverCaller.run(["bas:1", "verify:1", "type"], environment: env)
        #expect(none.map(\.code).prefix(3) == [-2, -2, -2], "\(none.map(\.text))")
        #expect(none[0].text == "无卡")
        // A reader that is not there: −11.
        var missing = env
        missing["SSCARD_DRIVER_CARD"] = "reader:No Such Reader"
        #expect(try DriverCaller.run(["bas:1"], environment: missing)[0].code == -11)
    }
}
