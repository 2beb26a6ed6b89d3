import CardAPDU
import CardFaults
import CardTLV
import Testing

@Suite struct FaultPlanTests {
    @Test func readsEveryKindOfRule() throws {
        let plan = try FaultPlan.parse(
            """
            # a plan
            seed 7
            ins 20 nth 2        => sw 6983      # the second VERIFY
            app bank ins AE     => tlv drop 9F26
            prefix 00B2 every 3 => truncate 5
            any chance 1/10     => delay 300
            app social ins DC   => tear 1
            ins A4 always       => remove 50
            app mf              => flip -1 01
            app D15600000504    => extend 9000
            ins B2              => tlv length 5A +2
            ins B2              => tlv duplicate 57
            ins 84              => chain 61 10
            ins B0              => chain 6C 20
            ins 84 chance 1/3 seed 9 => tear
            """, name: "p.faults")
        #expect(plan.rules.count == 13)
        #expect(plan.rules[0].line == 3)
        #expect(plan.rules[0].match == FaultMatch(ins: 0x20))
        #expect(plan.rules[0].trigger == .nth(2))
        #expect(plan.rules[0].fault == .statusWord(StatusWord(0x6983)))
        #expect(plan.rules[0].text == "sw 6983")
        #expect(plan.rules[1].match == FaultMatch(ins: 0xAE, application: .bank))
        #expect(plan.rules[1].fault == .tlvDrop(0x9F26))
        #expect(plan.rules[2].match.prefix == [0x00, 0xB2])
        #expect(plan.rules[2].trigger == .every(3))
        #expect(plan.rules[3].trigger == .chance(oneIn: 10, seed: 7))
        #expect(plan.rules[3].fault == .delay(milliseconds: 300))
        #expect(plan.rules[4].fault == .tear(writes: 1))
        #expect(plan.rules[5].fault == .remove(milliseconds: 50))
        #expect(plan.rules[6].match.application == .masterFile)
        #expect(plan.rules[6].fault == .flip(offset: -1, mask: 0x01))
        #expect(plan.rules[7].match.application == .named([0xD1, 0x56, 0x00, 0x00, 0x05, 0x04]))
        #expect(plan.rules[8].fault == .tlvLength(0x5A, delta: 2))
        #expect(plan.rules[9].fault == .tlvDuplicate(0x57))
        #expect(plan.rules[10].fault == .claimMoreData(count: 0x10))
        #expect(plan.rules[11].fault == .claimWrongLength(count: 0x20))
        #expect(plan.rules[12].trigger == .chance(oneIn: 3, seed: 9))
        #expect(plan.rules[12].fault == .tear(writes: 0))
    }

    struct Bad: Sendable, CustomStringConvertible {
        var text: String
        var line: Int
        var says: String
        var description: String { text }
    }

    static let bad: [Bad] = [
        Bad(text: "ins 20 sw 6983", line: 1, says: "expected 'MATCH [TRIGGER] => FAULT'"),
        Bad(text: "# fine\nins 2 => sw 6983", line: 2, says: "one hex byte"),
        Bad(text: "=> sw 6983", line: 1, says: "nothing to match"),
        Bad(text: "ins 20 =>", line: 1, says: "nothing after '=>'"),
        Bad(text: "ins 20 => sw 69", line: 1, says: "two bytes"),
        Bad(text: "ins 20 => explode", line: 1, says: "not a fault"),
        Bad(text: "ins 20 nth 0 => sw 6983", line: 1, says: "from 1"),
        Bad(text: "ins 20 nth 2 every 3 => sw 6983", line: 1, says: "one trigger a rule"),
        Bad(text: "ins 20 chance 10 => sw 6983", line: 1, says: "'1/N'"),
        Bad(text: "app wallet => sw 6983", line: 1, says: "app wallet"),
        Bad(text: "ins 20 prefix 00B2 => sw 6983", line: 1, says: "can never both hold"),
        Bad(text: "ins 20 => tlv drop 9F", line: 1, says: "not a BER tag"),
        Bad(text: "ins 20 => tlv length 9F26 0", line: 1, says: "non-zero"),
        Bad(text: "ins 20 => chain 62 10", line: 1, says: "expected 61"),
        Bad(text: "ins 20 => delay 999999", line: 1, says: "at most 600000"),
        Bad(text: "ins 20 => flip 2 00", line: 1, says: "non-zero"),
        Bad(text: "seed x", line: 1, says: "'seed' takes"),
        Bad(text: "ins 20 => extend " + String(repeating: "00", count: 1025), line: 1, says: "1 to 1024"),
    ]

    @Test(arguments: bad)
    func namesTheLineAndWhy(_ bad: Bad) {
        #expect(throws: FaultPlanError(.syntax, file: "", line: 0, reason: "")) { try FaultPlan.parse(bad.text, name: "p.faults") }
        do {
            _ = try FaultPlan.parse(bad.text, name: "p.faults")
        } catch {
            #expect(error.line == bad.line)
            #expect(error.description.hasPrefix("p.faults:\(bad.line): "))
            #expect(error.description.contains(bad.says), "\(error)")
        }
    }

    @Test func aPlanWithoutRulesIsRefused() {
        #expect(throws: FaultPlanError(.empty, file: "", line: 0, reason: "")) { try FaultPlan.parse("# nothing\nseed 3\n", name: "p") }
    }

    @Test func anUnreadableFileIsNamed() {
        #expect(throws: FaultPlanError(.unreadable, file: "", line: 0, reason: "")) { try FaultPlan.load("/nonexistent/plan.faults") }
    }
}
