// The web kiosk (`sscard kiosk --web`) in a real headless browser: Debian's
// chromium driven by Selenium (make venv installs it from PyPI; nothing
// downloads a browser). Screenshots of each screen go to
// .build/kiosk-screenshots/ for a person to look at.

import Foundation
import Testing
import TestSupport

@Suite(.serialized) struct KioskWebTests {
    static let python = repositoryRoot + "/.build-venv/browser/bin/python"

    static func serve(_ k: KioskSetup, _ card: String, extra: [String] = [], environment: [String: String] = [:]) throws -> (ServiceProcess, String) {
        let server = try ServiceProcess(ProcessRunner.sscard, ["kiosk", "--card", card, "--db", k.db, "--web", "0"] + extra, environment: environment)
        guard let port = server.port, server.firstLine.hasPrefix("listening on http://127.0.0.1:") else {
            throw ServiceError(message: "no loopback port in \(server.firstLine)")
        }
        return (server, "http://127.0.0.1:\(port)")
    }

    static func post(_ url: String, _ body: String) throws -> String {
        try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-d", body, url], environment: [:]).stdout
    }

    @Test func thePageWaitsShowsTheHolderTakesAPINChangeAndWaitsAgain() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.python), "make venv installs Selenium in .build-venv/browser")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "scripts/ensure-deps.sh installs chromium-driver")
        let k = try KioskSetup()
        let (server, url) = try Self.serve(k, "default")
        defer { server.stop() }
        let shots = repositoryRoot + "/.build/kiosk-screenshots"
        try? FileManager.default.removeItem(atPath: shots)
        let r = try ProcessRunner.run(
            URL(fileURLWithPath: Self.python), [repositoryRoot + "/Tests/browser/kiosk_page.py", url, shots, "123456", "135790"], environment: [:])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdoutLines.last == "PASS", "\(r.stdout)")
        #expect(r.stdout.contains("cardholder: 欢迎 郑明明"))
        let files = (try? FileManager.default.contentsOfDirectory(atPath: shots)) ?? []
        #expect(files.filter { $0.hasSuffix(".png") }.count == 7, "\(files)")
        // The PIN changed on the card the server holds: the new one opens the query.
        _ = try Self.post(url + "/card", #"{"action":"insert"}"#)
        _ = try Self.post(url + "/entry", #"{"entry":"1"}"#)
        let answer = try Self.post(url + "/entry", #"{"entry":"135790"}"#)
        #expect(answer.contains("参保信息"), "\(answer)")
    }

    @Test func theWebKioskRefusesBadRequestsAndListensOnLoopback() throws {
        let k = try KioskSetup()
        let (server, url) = try Self.serve(k, "cumulative")
        defer { server.stop() }
        let page = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", url + "/"], environment: [:]).stdout
        #expect(page.contains("<title>社会保障卡自助终端") && !page.contains("http://") && !page.contains("https://"), "no CDN")
        let bad = try ProcessRunner.run(
            URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-d", "{nope", url + "/entry"], environment: [:])
        #expect(bad.stdout == "400")
        let action = try ProcessRunner.run(
            URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-d", #"{"action":"shake"}"#, url + "/card"], environment: [:])
        #expect(action.stdout == "400")
        // An event stream gives the screen at once.
        let events = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-N", "-m", "1", url + "/events"], environment: [:]).stdout
        #expect(events.hasPrefix(#"data: {"kind":"waiting""#), "\(events)")
        // The same flows as the terminal: a wrong PIN with the tries left.
        _ = try Self.post(url + "/card", #"{"action":"insert"}"#)
        _ = try Self.post(url + "/entry", #"{"entry":"1"}"#)
        let wrong = try Self.post(url + "/entry", #"{"entry":"000000"}"#)
        #expect(wrong.contains("还可输入2次"), "\(wrong)")
        // Options checked before exec.
        let both = try SSCardProcess.run(["kiosk", "--card", "default", "--db", k.db, "--web", "0", "--input", "/dev/null"])
        #expect(both.status == 2 && both.stderr.contains("--input"))
        let address = try SSCardProcess.run(["kiosk", "--card", "default", "--db", k.db, "--web", "nowhere"])
        #expect(address.status == 2 && address.stderr.contains("HOST:PORT"))
    }

    @Test func theIdleTimeoutAndTheOperatorOnTheWeb() throws {
        let k = try KioskSetup()
        let (server, url) = try Self.serve(k, "cumulative", extra: ["--idle", "2"], environment: ["SSCARD_KIOSK_OPERATOR_KEY": "op-1"])
        defer { server.stop() }
        _ = try Self.post(url + "/card", #"{"action":"insert"}"#)
        let pin = try Self.post(url + "/entry", #"{"entry":"1"}"#)
        #expect(pin.contains(#""kind":"pin""#))
        Thread.sleep(forTimeInterval: 3)
        let back = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", url + "/screen"], environment: [:]).stdout
        #expect(back.contains(#""kind":"menu""#) && back.contains("操作超时"), "\(back)")
        #expect(back.contains("柜员解锁"), "the operator key came through to the web kiosk")
    }
}
