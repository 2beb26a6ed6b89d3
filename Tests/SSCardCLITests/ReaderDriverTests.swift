// libSSCardDriver.so as HIS software uses it: a C program (built here with
// the system cc) dlopens it, resolves the names and calls them with
// 1024-byte buffers, configured by an INI file and the environment.

import Foundation
import Testing
import TestSupport

@Suite struct ReaderDriverTests {
    let utf8 = ["SSCARD_DRIVER_ENCODING": "utf-8", "SSCARD_DRIVER_CONF": "/dev/null"]

    @Test func iReadCardBasEqualsTheSocialReadLine() throws {
        let line = try SSCardProcess.run(["social", "read", "--card", "default"]).stdoutLines.last { $0.hasPrefix("iReadCardBas: ") }
        let expected = try #require(line).dropFirst("iReadCardBas: ".count)
        let r = try DriverCaller.run(["bas:1", "bas:3", "bas:4"], environment: utf8)
        #expect(r.map(\.code) == [0, 0, 0])
        #expect(r[0].text == String(expected))
        #expect(r[0].bytes.count < 256, "a caller's 256-byte buffer holds it")
        // GBK by default: the name is two bytes a character.
        let gbk = try DriverCaller.run(["bas:1"], environment: ["SSCARD_DRIVER_CONF": "/dev/null"])
        #expect(gbk[0].code == 0 && gbk[0].bytes.count == r[0].bytes.count - 3 && gbk[0].bytes != r[0].bytes)
    }

    @Test func pythonCtypesReadsTheGBKLine() throws {
        let script = """
            import ctypes, sys
            lib = ctypes.CDLL(sys.argv[1])
            lib.iReadCardBas.restype = ctypes.c_long
            out = ctypes.create_string_buffer(1024)
            code = lib.iReadCardBas(1, out)
            sys.stdout.buffer.write((str(code) + " " + out.value.decode("gbk") + "\\n").encode("utf-8"))
            """
        let r = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", script, DriverCaller.library], environment: ["SSCARD_DRIVER_CONF": "/dev/null"])
        let line = try SSCardProcess.run(["social", "read", "--card", "default"]).stdoutLines.last { $0.hasPrefix("iReadCardBas: ") }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "0 " + String(try #require(line).dropFirst("iReadCardBas: ".count)) + "\n")
    }

    @Test func badCallsAnswerACodeAndAText() throws {
        let r = try DriverCaller.run(["bas:0", "bas:9", "bas:2", "bas-null:1"], environment: utf8)
        #expect(r.map(\.code) == [-1, -1, -1, -14])
        #expect(r[0].text.hasPrefix("卡类型不对"))
        // Not a social-security card; no PSAM (the HSM path); no such reader.
        var env = utf8
        env["SSCARD_DRIVER_CARD"] = "profile:iso-test"
        #expect(try DriverCaller.run(["bas:1"], environment: env)[0].code == -1)
        env["SSCARD_DRIVER_CARD"] = "profile:default"
        env["SSCARD_DRIVER_PSAM"] = "none"
        let hsm = try DriverCaller.run(["bas:1", "reader:1"], environment: env)
        #expect(hsm[0].code == -2201 && hsm[0].text == "无PSAM卡")
        env["SSCARD_DRIVER_PSAM"] = "virtual"
        env["SSCARD_DRIVER_CARD"] = "bogus"
        let bad = try DriverCaller.run(["bas:1"], environment: env)
        #expect(bad[0].code == -14 && bad[0].text.contains("$SSCARD_DRIVER_CARD"))
    }

    @Test func theINIFileConfiguresAndNamesItsBadLines() throws {
        let dir = try temporaryDirectory("driver-ini")
        let ini = dir + "/SSCardDriver.ini"
        try "[driver]\ncard = profile:cumulative   ; the 130900 card\nencoding = utf-8\nterminal = 130900000009\n".write(toFile: ini, atomically: true, encoding: .utf8)
        let r = try DriverCaller.run(["bas:1", "reader:1", "type:1"], environment: ["SSCARD_DRIVER_CONF": ini])
        #expect(r[0].code == 0 && r[0].text.hasPrefix("130900|") && r[0].text.hasSuffix("|130900000009||"))
        try "[driver]\ncard = profile:default\npsam virtual\n".write(toFile: ini, atomically: true, encoding: .utf8)
        let bad = try DriverCaller.run(["bas:1"], environment: ["SSCARD_DRIVER_CONF": ini, "SSCARD_DRIVER_ENCODING": "utf-8"])
        #expect(bad[0].code == -14 && bad[0].text.contains("SSCardDriver.ini:3"))
    }

    @Test func pinFunctionsWithTheKeypadFromAFile() throws {
        let dir = try temporaryDirectory("driver-pin")
        let pins = dir + "/pins"
        // The default card: 123456 is initial and must be changed (−35); change it (old, new, new again), then verify.
        try "123456\n123456\n135790\n135790\n135790\n".write(toFile: pins, atomically: true, encoding: .utf8)
        var env = utf8
        env["SSCARD_DRIVER_PIN_SOURCE"] = "file:" + pins
        let r = try DriverCaller.run(["verify:1", "change:1", "verify:1"], environment: env)
        #expect(r.map(\.code) == [-35, 0, 0], "\(r.map(\.text))")
        #expect(r[1].text.isEmpty && r[2].text.isEmpty)
        // The new PIN may not be the initial one (−36); two entries that differ (−34).
        try "135790\n123456\n123456\n135790\n111111\n222222\n".write(toFile: pins, atomically: true, encoding: .utf8)
        let refused = try DriverCaller.run(["change:1", "change:1"], environment: env)
        #expect(refused.map(\.code) == [-36, -34])
    }

    @Test func reloadAndUnblockThroughThePSAM() throws {
        // The cumulative card (111111, three tries): block it, unblock it (the PIN kept), block it, reload a new PIN.
        let bas = try DriverCaller.run(["bas:1"], environment: utf8.merging(["SSCARD_DRIVER_CARD": "profile:cumulative"]) { $1 })[0].text
        let f = bas.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let info = f[3] + "|" + f[2] + "|"
        let dir = try temporaryDirectory("driver-reload")
        let pins = dir + "/pins"
        try "000000\n000000\n000000\n111111\n000000\n000000\n000000\n246810\n246810\n246810\n".write(toFile: pins, atomically: true, encoding: .utf8)
        var env = utf8
        env["SSCARD_DRIVER_CARD"] = "profile:cumulative"
        env["SSCARD_DRIVER_PIN_SOURCE"] = "file:" + pins
        let r = try DriverCaller.run(
            ["verify:1", "verify:1", "verify:1", "unblock=" + info, "verify:1", "verify:1", "verify:1", "verify:1", "reload=" + info, "verify:1"],
            environment: env)
        #expect(r.map(\.code) == [-51, -51, -52, 0, 0, -51, -51, -52, 0, 0], "\(r.map(\.text))")
        // pCardInfo malformed (−20), or another card's (−22); no PSAM (−2201).
        let other = String(repeating: "0", count: 32) + "|" + f[2] + "|"
        let bad = try DriverCaller.run(["unblock=" + f[3], "unblock=" + other, "reload=" + other], environment: env)
        #expect(bad.map(\.code) == [-20, -22, -22])
        env["SSCARD_DRIVER_PSAM"] = "none"
        #expect(try DriverCaller.run(["unblock=" + info], environment: env)[0].code == -2201)
    }

    @Test func iReadCardEchoesTheFileAddressWithTheValues() throws {
        let json = try SSCardProcess.run(["social", "read", "--card", "default", "--json"]).stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let card = object.compactMapValues { $0 as? String }
        let (id, number) = (card["cardID"]!, card["cardNumber"]!)
        let info = id + "|" + number + "|"
        var env = utf8
        env["SSCARD_DRIVER_PIN"] = "123456"
        let r = try DriverCaller.run(
            [
                "read2=\(info)#SSSEEF05|06|07|$SSSEEF06|08|09|4E|$DF01EF05|21|$3F00EF06|08|$",
                "read1=\(info)#DF04EF05|84|8B|$", "read1=\(info)#SSSEEF06|08|$", "read2=\(info)#SSSEEF07|$",
            ], environment: env)
        #expect(r[0].code == 0, "\(r[0].text)")
        #expect(r[0].text.hasPrefix("SSSEEF05|\(card["expiryDate"]!)|\(number)|$SSSEEF06|\(card["citizenID"]!)|\(card["name"]!)||$DF01EF05|人民路"))
        #expect(r[0].text.hasSuffix("$3F00EF06|\(card["citizenID"]!)|$"))
        // With the PIN (iAuthType 1): a DF's PIN-or-RK file opens; EF06 of a 3.00 card needs RK (6982).
        #expect(r[1].code == 0 && r[1].text == "DF04EF05|510100|\(card["citizenID"]!)|$")
        #expect(r[2].code == -27010 && r[2].text == "安全状态不满足")
        // A transparent file read whole is longer than a 1024-byte buffer: −42, unless maxoutput says the buffer is larger.
        #expect(r[3].code == -42 && r[3].text.contains("maxoutput"))
        env["SSCARD_DRIVER_MAX_OUTPUT"] = "4096"
        let photo = try DriverCaller.run(["read2=\(info)#SSSEEF07|$"], environment: env)[0]
        #expect(photo.code == 0 && photo.text == "SSSEEF07|" + String(repeating: "0", count: 0x600) + "|$")
        // Bad input: pFileAddr, pCardInfo, iAuthType; another card; a wrong PIN.
        let other = String(repeating: "0", count: 32) + "|" + number + "|"
        env["SSCARD_DRIVER_PIN"] = "999999"
        let bad = try DriverCaller.run(
            ["read2=\(info)#SSSEEF05|7|$", "read2=\(info)#SSSEEF05|07|", "read2=\(info)#DF09EF05|20|$", "read2=\(id)#SSSEEF05|07|$",
             "read3=\(info)#SSSEEF05|07|$", "read2=\(other)#SSSEEF05|07|$", "read1=\(info)#DF04EF05|84|$"], environment: env)
        #expect(bad.map(\.code) == [-23, -23, -23, -20, -14, -22, -51], "\(bad.map(\.text))")
        #expect(bad[0].text.contains("\"7\" in SSSEEF05: a tag is two hex digits"))
    }

    @Test func wrongAndBlockedPINs() throws {
        // The cumulative card: 111111, three tries in all, no forced change.
        var env = utf8
        env["SSCARD_DRIVER_CARD"] = "profile:cumulative"
        env["SSCARD_DRIVER_PIN"] = "000000"
        let r = try DriverCaller.run(["verify:1", "verify:1", "verify:1", "verify:1"], environment: env)
        #expect(r.map(\.code) == [-51, -51, -52, -52])
        #expect(r[0].text == "PIN校验失败，剩余次数2次" && r[1].text == "PIN校验失败，剩余次数1次" && r[2].text == "PIN锁定")
        env["SSCARD_DRIVER_PIN"] = "111111"
        #expect(try DriverCaller.run(["verify:1"], environment: env)[0].code == 0)
        env["SSCARD_DRIVER_PIN"] = "12"
        #expect(try DriverCaller.run(["verify:1"], environment: env)[0].code == -33)
        env["SSCARD_DRIVER_PIN"] = nil
        env["SSCARD_DRIVER_PIN_SOURCE"] = "env:SSCARD_TEST_NO_SUCH_PIN"
        #expect(try DriverCaller.run(["verify:1"], environment: env)[0].code == -31)
    }

    /// The README's C program against the self-contained library of `make
    /// driver`, copied alone into an empty folder, with no Swift on the paths.
    @Test func theSelfContainedLibraryReadsTheDefaultCard() throws {
        let built = repositoryRoot + "/.build-driver/release/libSSCardDriver.so"
        try #require(FileManager.default.fileExists(atPath: built), "make driver builds \(built) (make test does)")
        let dir = try temporaryDirectory("driver-static")
        try FileManager.default.copyItem(atPath: built, toPath: dir + "/libSSCardDriver.so")
        let source = """
            #include <dlfcn.h>
            #include <stdio.h>
            int main(void) {
                void *h = dlopen("./libSSCardDriver.so", RTLD_NOW);
                if (!h) { printf("%s\\n", dlerror()); return 1; }
                long (*bas)(int, char *) = (long (*)(int, char *))dlsym(h, "iReadCardBas");
                char out[1024];
                long r = bas(1, out);
                printf("%ld %s\\n", r, out);
                return 0;
            }
            """
        try source.write(toFile: dir + "/readbas.c", atomically: true, encoding: .utf8)
        let cc = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/cc"), ["-o", dir + "/readbas", dir + "/readbas.c", "-ldl"])
        #expect(cc.status == 0, "\(cc.stderr)")
        let readelf = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/readelf"), ["-d", dir + "/libSSCardDriver.so"])
        #expect(!readelf.stdout.lowercased().contains("swift"), "no Swift library or path needed: \(readelf.stdout)")
        let r = try ProcessRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["-i", "SSCARD_DRIVER_ENCODING=utf-8", "SSCARD_DRIVER_CONF=/dev/null", "sh", "-c", "cd '\(dir)' && ./readbas"],
            environment: [:])
        let line = try SSCardProcess.run(["social", "read", "--card", "default"]).stdoutLines.last { $0.hasPrefix("iReadCardBas: ") }
        #expect(r.stdout == "0 " + String(try #require(line).dropFirst("iReadCardBas: ".count)) + "\n", "\(r.stdout)\(r.stderr)")
    }
}
