// The kiosk's insertion loop with a card in a PC/SC reader: the virtual
// card served into pcscd (insertion: `sscard serve` starts; removal: it is
// stopped, by PID), the kiosk driven on standard input.

import Foundation
import Testing
import TestSupport

@Suite(.serialized, .enabled(if: PCSCFixture.available, "needs pcscd, vsmartcard-vpcd and root (scripts/ensure-deps.sh)"))
struct KioskThroughPCSCTests {
    @Test func insertionShowsTheHolderAndRemovalGoesBackToWaiting() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        let dir = try temporaryDirectory("pcsc-kiosk")
        let db = dir + "/bo.sqlite"
        #expect(try PCSCFixture.sscard(["backoffice", "init", "--db", db]).status == 0)
        try f.startPCSCD()
        let kiosk = try InteractiveProcess(ProcessRunner.sscard, ["kiosk", "--reader", f.readerName(0), "--db", db, "--input", "-", "--idle", "30"], environment: [:])
        _ = try kiosk.next(startingWith: "== 请插入社会保障卡")
        // Insert: the holder's screen; a query with the PIN.
        let serve = try f.serve("cumulative")
        _ = try kiosk.next(startingWith: "== 欢迎 ")
        kiosk.writeLine("1")
        _ = try kiosk.next(startingWith: "> 请输入社保密码")
        kiosk.writeLine("111111")
        _ = try kiosk.next(startingWith: "== 参保信息")
        kiosk.writeLine("x")
        _ = try kiosk.next(startingWith: "== 欢迎 ")
        // Pulled in the middle of a step: back to waiting, the step cancelled.
        kiosk.writeLine("2")
        _ = try kiosk.next(startingWith: "> 请输入原密码")
        f.stopServe(serve)
        let note = try kiosk.next(startingWith: "! ")
        #expect(note.contains("操作已取消"), "\(note)")
        _ = try kiosk.next(startingWith: "== 请插入社会保障卡")
        // Inserted again: read again.
        try f.serve("cumulative")
        _ = try kiosk.next(startingWith: "== 欢迎 ")
        let r = kiosk.finish()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("111111") && !r.stderr.contains("111111"))
    }
}

@Suite(.serialized, .enabled(if: PCSCFixture.available, "needs pcscd, vsmartcard-vpcd and root (scripts/ensure-deps.sh)"))
struct WebKioskThroughPCSCTests {
    static func screen(_ url: String) throws -> String {
        try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", url + "/screen"], environment: [:]).stdout
    }

    @Test func theReadersInsertionAndRemovalReachThePage() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        let dir = try temporaryDirectory("pcsc-web-kiosk")
        let db = dir + "/bo.sqlite"
        #expect(try PCSCFixture.sscard(["backoffice", "init", "--db", db]).status == 0)
        try f.startPCSCD()
        let web = try ServiceProcess(ProcessRunner.sscard, ["kiosk", "--reader", f.readerName(0), "--db", db, "--web", "127.0.0.1:0"])
        defer { web.stop() }
        let url = "http://127.0.0.1:\(try #require(web.port))"
        #expect(try Self.screen(url).contains(#""kind":"waiting""#) && (try Self.screen(url)).contains(#""simulated_card":false"#))
        let serve = try f.serve("cumulative")
        try f.waitUntil("the page shows the holder") { ((try? Self.screen(url)) ?? "").contains(#""kind":"menu""#) }
        // The page cannot pull a reader's card.
        let pull = try ProcessRunner.run(
            URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-d", #"{"action":"remove"}"#, url + "/card"], environment: [:])
        #expect(pull.stdout == "409")
        f.stopServe(serve)
        try f.waitUntil("the page waits again") { ((try? Self.screen(url)) ?? "").contains(#""kind":"waiting""#) }
    }
}
