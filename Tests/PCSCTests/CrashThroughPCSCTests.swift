import CardFileSystem
import CardImage
import CardRuntime
import Foundation
import PBOCApplet
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGKILLs `sscard serve --image` at random moments while PC/SC clients
/// send it state-changing commands through pcscd: wrong social PINs and
/// bank purchases (each one GPO's ATC step and a log record). After every
/// kill the image loads, and what the clients were told is in it: no try,
/// ATC step or log record lost, none applied twice; only the command in
/// flight at the kill may be there or not.
@Suite(.serialized, .enabled(if: PCSCFixture.available, "needs pcscd, vsmartcard-vpcd and root (scripts/ensure-deps.sh)"))
struct CrashThroughPCSCTests {
    /// What the card holds that the clients count.
    struct Counts: Equatable, CustomStringConvertible {
        var socialLeft: Int
        var atc: Int
        var logRecords: Int
        var description: String { "social \(socialLeft) left, ATC \(atc), \(logRecords) log record(s)" }

        init(_ image: String) throws {
            let state = try CardImageFile(path: image).load()
            let social = try #require(state.pins.first { $0.label == "social" })
            socialLeft = Int(social.counter.remaining)
            let counters = try #require(state.files.index(ofLabel: PBOCDebit.countersLabel))
            guard case .transparent(let f)? = state.files[counters].ef?.content, let c = PBOCCounters(bytes: f.data) else {
                throw FixtureError("no PBOC counters in \(image)")
            }
            atc = Int(c.atc)
            let log = try #require(state.files.index(ofLabel: "pboc-log"))
            guard case .records(let r)? = state.files[log].ef?.content else { throw FixtureError("no PBOC log in \(image)") }
            logRecords = r.records.count
        }
    }

    enum Operation { case wrongPIN, purchase }

    /// What the clients saw in one round.
    struct Seen {
        var verifiesAnswered = 0
        var lastTriesLeft: Int?
        var purchasesApproved = 0
        var lastATC: Int?
        /// The operation under way when the server died (its effect may be in the image or not).
        var inFlight: Operation?
    }

    @Test func killedServeKeepsEveryAnsweredChange() throws {
        let f = PCSCFixture()
        defer { f.tearDown() }
        try f.startPCSCD()
        let dir = try temporaryDirectory("crash-pcsc")
        let profile = dir + "/many-tries.json"
        try #"{"schemaVersion":1,"name":"many-tries","base":"default","pins":{"social":{"limit":15}}}"#
            .write(toFile: profile, atomically: true, encoding: .utf8)
        let image = try PCSCFixture.newImage(profile, folder: "crash-pcsc")
        let holder = try PCSCFixture.sscard(["social", "read", "--image", image, "--json"]).stdout
        let id = try #require(holder.firstRange(of: #""citizenID":""#).map { holder[$0.upperBound...].prefix(18) })
        let bankPIN = String(id.dropFirst(11).prefix(6))
        let reader = f.readerName(0)
        let select = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"

        var killedWithWorkDone = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<8 {
            // The right PIN gives the tries back (in process, between rounds).
            let reset = try PCSCFixture.sscard(["send", "--image", image, select, "0020000003123456"])
            #expect(reset.stdout.split(separator: "\n").last?.hasPrefix("< 90 00") == true, "\(reset.stdout)\(reset.stderr)")
            let before = try Counts(image)
            let serve = try f.serve("many-tries", image: image)
            let seen = Mutex(Seen())
            let stop = Atomic<Bool>(false)
            let done = DispatchSemaphore(value: 0)
            let client = Thread {
                var n = round
                while !stop.load(ordering: .relaxed) {
                    n += 1
                    let op: Operation = n % 3 == 0 ? .wrongPIN : .purchase
                    seen.withLock { $0.inFlight = op }
                    let r: (status: Int32, stdout: String, stderr: String)
                    switch op {
                    case .wrongPIN: r = (try? PCSCFixture.sscard(["send", "--reader", reader, select, "0020000003999999"])) ?? (-1, "", "")
                    case .purchase:
                        r = (try? PCSCFixture.sscard(["bank", "purchase", "--reader", reader, "--amount", "0.01"], environment: ["SSCARD_PIN": bankPIN])) ?? (-1, "", "")
                    }
                    if r.status != 0 { break }  // the server is gone: this operation is the one in flight
                    seen.withLock { s in
                        s.inFlight = nil
                        switch op {
                        case .wrongPIN:
                            if let line = r.stdout.split(separator: "\n").last, line.hasPrefix("< 63 C") {
                                s.verifiesAnswered += 1
                                s.lastTriesLeft = Int(String(line.dropFirst(6).prefix(1)), radix: 16)
                            }
                        case .purchase:
                            s.purchasesApproved += 1
                            if let atc = r.stdout.firstRange(of: ", ATC ").map({ Int(r.stdout[$0.upperBound...].prefix { $0.isNumber }) }) { s.lastATC = atc }
                        }
                    }
                }
                done.signal()
            }
            client.start()
            usleep(UInt32.random(in: 300_000...1_500_000, using: &generator))
            kill(serve.processIdentifier, SIGKILL)
            serve.waitUntilExit()
            stop.store(true, ordering: .relaxed)
            done.wait()
            f.serves.removeAll { $0 === serve }
            try f.waitForCard(slot: 0, present: false)

            let s = seen.withLock { $0 }
            let after = try Counts(image)  // the image loads
            let mayVerify = s.inFlight == .wrongPIN ? 1 : 0
            let mayPurchase = s.inFlight == .purchase ? 1 : 0
            let used = before.socialLeft - after.socialLeft
            #expect((s.verifiesAnswered...(s.verifiesAnswered + mayVerify)).contains(used), "round \(round): \(s), \(before) → \(after)")
            if let left = s.lastTriesLeft { #expect(after.socialLeft <= left, "round \(round): a try the terminal saw was lost") }
            let steps = after.atc - before.atc
            #expect((s.purchasesApproved...(s.purchasesApproved + mayPurchase)).contains(steps), "round \(round): \(s), \(before) → \(after)")
            if let atc = s.lastATC { #expect(after.atc >= atc, "round \(round): an ATC the terminal saw was lost") }
            let logged = min(10, before.logRecords + s.purchasesApproved)...min(10, before.logRecords + s.purchasesApproved + mayPurchase)
            #expect(logged.contains(after.logRecords), "round \(round): \(s), \(before) → \(after)")
            if s.verifiesAnswered + s.purchasesApproved > 0 && s.inFlight != nil { killedWithWorkDone += 1 }
        }
        #expect(killedWithWorkDone > 0, "no round was killed in the middle of its work")
    }
}
