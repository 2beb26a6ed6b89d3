// libSSCardDriver.so beyond reading: iWriteCard, iDoDebit and
// iReadDebitRecord over the medical purse, the HSM chains against
// `sscard hsm`, a card image whose changes persist, calls from several
// threads, and hostile strings. Through the C caller (and Python ctypes).

import Foundation
import Testing
import TestSupport

@Suite struct ReaderDriverChainTests {
    static let utf8 = ["SSCARD_DRIVER_ENCODING": "utf-8", "SSCARD_DRIVER_CONF": "/dev/null"]

    /// The default card's `pCardInfo` and its `social read` fields.
    static func defaultCard() throws -> (info: String, card: [String: String]) {
        let json = try SSCardProcess.run(["social", "read", "--card", "default", "--json"]).stdout
        let card = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]).compactMapValues { $0 as? String }
        return (card["cardID"]! + "|" + card["cardNumber"]! + "|", card)
    }

    @Test func writeThenReadBack() throws {
        let (info, card) = try Self.defaultCard()
        let addr = "SSSEEF06|09|$DF01EF05|21|$"
        let r = try DriverCaller.run(
            [
                "write=\(info)#\(addr)#SSSEEF06|王小明|$DF01EF05|和平路8号|$", "read2=\(info)#\(addr)", "bas:1",
                // Values that do not match the address (−23), a value its type cannot hold (−41), another card (−22).
                "write=\(info)#\(addr)#SSSEEF06|王小明|$", "write=\(info)#\(addr)#SSSEEF06|a|b|$DF01EF05|x|$",
                "write=\(info)#SSSEEF05|05|$#SSSEEF05|2021XY|$",
                "write=\(String(repeating: "0", count: 32))|\(card["cardNumber"]!)|#\(addr)#SSSEEF06|王|$DF01EF05|x|$",
            ], environment: Self.utf8)
        #expect(r.map(\.code) == [0, 0, 0, -23, -23, -41, -22], "\(r.map(\.text))")
        #expect(r[0].text.isEmpty)
        #expect(r[1].text == "SSSEEF06|王小明|$DF01EF05|和平路8号|$")
        #expect(r[2].text.split(separator: "|")[4] == "王小明")
        // GBK on the way in, as the standard has it: the same write in the default encoding.
        var gbk = Self.utf8
        gbk["SSCARD_DRIVER_ENCODING"] = nil
        #expect(try DriverCaller.run(["write=\(info)#\(addr)#SSSEEF06|王|$DF01EF05|x|$"], environment: gbk)[0].code == 0)
        // Without a PSAM, −2201 (the HSM chain writes).
        var none = Self.utf8
        none["SSCARD_DRIVER_PSAM"] = "none"
        #expect(try DriverCaller.run(["write=\(info)#\(addr)#SSSEEF06|王|$DF01EF05|x|$"], environment: none)[0].code == -2201)
    }

    @Test func debitAndTheLastRecord() throws {
        let (info, _) = try Self.defaultCard()
        let r = try DriverCaller.run(
            [
                "debitrecord", "debit=\(info)#12.34|20.00|20261203103000|", "debit=\(info)#0.66|0.66|20261203103100|", "debitrecord",
                // More than the balance: the card's 9401 (−0x9401).
                "debit=\(info)#9999.00|9999.00|20261203103200|",
                "debit=\(info)#0|1|20261203103200|", "debit=\(info)#1.234|1|20261203103200|", "debit=\(info)#1|1|20261303103200|",
                "debit=\(info)#1|1|", "debit=\(String(repeating: "F", count: 32))|X|#1|1|20261203103200|",
            ], environment: Self.utf8)
        #expect(r.map(\.code) == [-27267, 0, 0, 0, -0x9401, -23, -23, -23, -23, -22], "\(r.map(\.text))")
        let first = r[1].text.split(separator: "|").map(String.init)
        #expect(first.count == 8 && first[0] == "12.34" && first[1] == "487.66" && first[2] == "0000" && first[3] == "510100000001")
        #expect(first[4] == "00000001" && first[5] == "20261203103000" && first[6].count == 8 && first[7].count == 8)
        let second = r[2].text.split(separator: "|").map(String.init)
        #expect(second[1] == "487.00" && second[2] == "0001" && second[4] == "00000002", "the PSAM's serial counts on")
        #expect(r[3].text == "0001|0.66|06|510100000001|20261203103100|0.66|")
        var none = Self.utf8
        none["SSCARD_DRIVER_PSAM"] = "none"
        #expect(try DriverCaller.run(["debit=\(info)#1|1|20261203103200|", "debitrecord"], environment: none).map(\.code) == [-2201, -2201])
    }

    @Test func hsmChainsAgainstTheVirtualHSM() throws {
        let (info, card) = try Self.defaultCard()
        let line = try SSCardProcess.run(["social", "read", "--card", "default"]).stdoutLines.last { $0.hasPrefix("iReadCardBas: ") }
        let expected = String(try #require(line).dropFirst("iReadCardBas: ".count))
        var env = Self.utf8
        env["SSCARD_DRIVER_PSAM"] = "none"
        env["SSCARD_DRIVER_PIN_NEW"] = "246810"
        let (r, keys) = try DriverCaller.calls(
            [
                "bas:1", "hsmbas", "hsmread=\(info)#SSSEEF06|08|09|$", "hsmwrite=\(info)#SSSEEF06|09|$#SSSEEF06|王小明|$",
                "hsmread=\(info)#SSSEEF06|09|$", "hsmdebit=\(info)#1.00|3.00|20261203103500|", "hsmreload=\(info)", "hsmunblock=\(info)",
            ], environment: env)
        // bas −2201; each chain: Step1, (Step2,) the last step.
        #expect(r.map(\.code) == [-2201, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "\(r.map(\.text))")
        #expect(keys.count == 9, "\(keys)")
        let step1 = r[1].text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        #expect(step1.count == 10 && step1[0] == "510100" && step1[2] == "03" && step1[3] == card["cardID"])
        #expect(step1[4].count == 16 && step1[6].count == 16 && step1[8] == "510100000001")
        #expect(keys[0].count == 66, "<IA 32>|<EA 32>|")
        #expect(r[2].text == expected, "Step2 gives the iReadCardBas line")
        #expect(r[3].text.hasPrefix("03|004C0A|") && r[4].text == "SSSEEF06|\(card["citizenID"]!)|\(card["name"]!)|$")
        #expect(r[5].text.hasPrefix("03|009412|") && r[6].text.isEmpty && r[8].text == "SSSEEF06|王小明|$")
        let debit = r[9].text.split(separator: "|").map(String.init)
        #expect(debit.count == 8 && debit[1] == "01A03A" && debit[3] == "0000" && debit[4] == "00000064" && debit[7] == "20261203103500")
        #expect(keys[4].hasPrefix("00000000|20261203103500|") && keys[4].count == 33, "serial 0000‖ATC, the time, MAC1")
        #expect(r[10].text.hasPrefix("1.00|499.00|0000|510100000001|00000000|20261203103500|"))
        #expect(r[11].text.hasPrefix("03|009010|") && r[13].text.isEmpty, "reload: Step1, Step2, Step3")
        #expect(keys[6].count == 40, "SM4: the enciphered PIN (16) and the MAC (4)")
        #expect(keys[8].count == 8, "unblock: the MAC alone")
        // The reloaded PIN verifies (the driver needs no PSAM to verify).
        env["SSCARD_DRIVER_PIN"] = "246810"
        let after = try DriverCaller.run(["hsmbas", "hsmreload=\(info)", "verify:1"], environment: env)
        #expect(after.last?.code == 0, "\(after.map(\.text))")
    }

    @Test func hsmChainRefusals() throws {
        let (info, _) = try Self.defaultCard()
        var env = Self.utf8
        env["SSCARD_DRIVER_PSAM"] = "none"
        let zeros = String(repeating: "0", count: 32)
        let r = try DriverCaller.run(
            [
                // A Step2 with no Step1; a Step2 after another call closed the chain; the wrong chain's Step2.
                "step=iReadCardBas_HSM_Step2#\(zeros)|\(zeros)|", "hsmbas", "bas:1", "step=iReadCardBas_HSM_Step2#\(zeros)|\(zeros)|",
                "step=iReadCard_HSM_Step2#\(zeros)",
                // An HSM that disagrees with the card: −25; a free file needs no HSM: −2204; files in two DFs: −23.
                "hsmread=\(info)#SSSEEF05|07|$", "hsmread=\(info)#SSSEEF06|08|$DF01EF05|21|$",
            ], environment: env)
        #expect(r.map(\.code) == [-12, 0, 0, -2201, -12, -12, -2204, -23], "\(r.map(\.text))")
        // An HSM that disagrees with the card's IA: −25, and the chain is closed after;
        // another call closes a waiting chain too.
        let wrong = try DriverCaller.run(
            ["bas1", "step=iReadCardBas_HSM_Step2#\(zeros)|\(zeros)|", "step=iReadCardBas_HSM_Step2#\(zeros)|\(zeros)|", "bas1", "bas:1",
             "step=iReadCardBas_HSM_Step2#\(zeros)|\(zeros)|", "bas1", "step=iReadCardBas_HSM_Step2#123|"], environment: env)
        #expect(wrong.map(\.code) == [0, -25, -12, 0, -2201, -12, 0, -23], "\(wrong.map(\.text))")
        #expect(wrong[1].text == "内部认证与加密机不一致")
    }

    @Test func theHSMCommandLine() throws {
        let bad = try SSCardProcess.run(["hsm", "auth", "--card", "nonsense", "03|004C0A|00|00|"])
        #expect(bad.status == 2 && bad.stderr.contains("-23"), "\(bad.stderr)")
        let usage = try SSCardProcess.run(["hsm", "pin", "03|0173|00|8424000114|"])
        #expect(usage.status == 2 && usage.stderr.contains("--card"))
        let pinInArgv = try SSCardProcess.run(["hsm", "pin", "--card", "x", "03|0173|0000000000000000|8424000114|246810|"])
        #expect(pinInArgv.status == 2 && pinInArgv.stderr.contains("standard input") && !pinInArgv.stderr.contains("246810"))
        let step = try SSCardProcess.run(["hsm", "bas", "510100|00|03|\(String(repeating: "0", count: 32))|XYZ|00|||0|"])
        #expect(step.status == 2 && step.stderr.contains("-41"), "\(step.stderr)")
    }

    @Test func aCardImageKeepsTheDebitAcrossProcesses() throws {
        let dir = try temporaryDirectory("driver-image")
        let image = dir + "/card.json"
        let made = try SSCardProcess.run(["card", "new", "--profile", "default", "--out", image])
        #expect(made.status == 0, "\(made.stderr)")
        let (info, _) = try Self.defaultCard()
        var env = Self.utf8
        env["SSCARD_DRIVER_CARD"] = "image:" + image
        let one = try DriverCaller.run(["debit=\(info)#10.00|10.00|20261203110000|"], environment: env)
        let two = try DriverCaller.run(["debit=\(info)#10.00|10.00|20261203110100|", "debitrecord"], environment: env)
        #expect(one[0].code == 0 && one[0].text.hasPrefix("10.00|490.00|0000|"))
        #expect(two[0].code == 0 && two[0].text.hasPrefix("10.00|480.00|0001|"), "the image kept the first debit")
        #expect(two[1].text.hasPrefix("0001|10.00|"))
    }

    @Test func callsFromSeveralThreadsAreSerialized() throws {
        let script = """
            import ctypes, sys, threading
            lib = ctypes.CDLL(sys.argv[1])
            results = []
            lock = threading.Lock()
            def work():
                for _ in range(20):
                    out = ctypes.create_string_buffer(1024)
                    code = lib.iReadCardBas(1, out)
                    info = ctypes.create_string_buffer(1024)
                    code2 = lib.iReadDebitRecord(1, info)
                    with lock:
                        results.append((code, out.value, code2))
            threads = [threading.Thread(target=work) for _ in range(4)]
            for t in threads: t.start()
            for t in threads: t.join()
            print(len(results), len(set(r[1] for r in results)), sorted(set(r[0] for r in results)), sorted(set(r[2] for r in results)))
            """
        let r = try ProcessRunner.run(
            URL(fileURLWithPath: "/usr/bin/python3"), ["-c", script, DriverCaller.library], environment: Self.utf8)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "80 1 [0] [-27267]\n")
    }

    @Test func hostileStrings() throws {
        let (info, _) = try Self.defaultCard()
        let long = String(repeating: "SSSEEF05|07|$", count: 400)
        let r = try DriverCaller.run(
            [
                "read2=\(info)#\(long)", "read2=\(String(repeating: "A", count: 5000))|X|#SSSEEF05|07|$", "read2=\(info)#SSSEEF05|07|$$",
                "read2=\(info)#SSSE|07|$", "read2=\(info)#SSSEEF05||$", "write=\(info)#SSSEEF05|07|$#\(String(repeating: "x|", count: 30000))$",
                "debit=\(info)#\(String(repeating: "9", count: 300))|",
            ], environment: Self.utf8)
        #expect(r.map(\.code) == [-23, -20, -23, -23, -23, -23, -23], "\(r.map(\.text))")
        #expect(r.allSatisfy { !$0.text.isEmpty }, "every refusal has a text")
        // NULL for every string: a code and a text, never a crash.
        let nulls = try DriverCaller.run(["nulls"], environment: Self.utf8)
        #expect(nulls.map(\.code) == [-20, -20, -20, -20, -12, -12], "\(nulls.map(\.text))")
        #expect(nulls.allSatisfy { !$0.text.isEmpty })
        // Strings without their NUL (100,000 bytes of 'A'): read no further
        // than 65,537 bytes, refused as malformed (the caller's buffer is
        // 100,000 bytes, so any read past the bound would be past it too).
        let unterminated = try DriverCaller.run(["unterminated"], environment: Self.utf8)
        #expect(unterminated.map(\.code) == [-20, -20, -20], "\(unterminated.map(\.text))")
    }
}
