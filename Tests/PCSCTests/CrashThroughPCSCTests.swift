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
/// send it state-changing commands through pcscd: wrong social PINs, bank
/// purchases (each one GPO's ATC step and a log record) and record updates
/// after external authentication (a script with the `${ea}` helper). After
/// every kill the image loads, and what the clients were told is in it: no
/// try, ATC step, log record or update lost, none applied twice; only the
/// command in flight at the kill may be there or not.
@Suite(.serialized, .enabled(if: PCSCFixture.available, "needs pcscd, vsmartcard-vpcd and root (scripts/ensure-deps.sh)"))
struct CrashThroughPCSCTests {
    /// What the card holds that the clients count.
    struct Counts: Equatable, CustomStringConvertible {
        var socialLeft: Int
        var atc: Int
        var logRecords: Int
        /// The value of EF05's record 02 in the SSSE, which the updates write.
        var updated: UInt8
        var description: String { "social \(socialLeft) left, ATC \(atc), \(logRecords) log record(s), EF05 02 = \(updated)" }

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
            let ef05 = try #require(state.files.index(ofLabel: "ef05"))
            guard case .records(let e)? = state.files[ef05].ef?.content, let record = e.records.first(where: { $0.first == 0x02 }), record.count == 3 else {
                throw FixtureError("no EF05 record 02 in \(image)")
            }
            updated = record[2]
        }
    }

    enum Operation: Equatable { case wrongPIN, purchase, update(UInt8) }

    /// What the clients saw in one round.
    struct Seen {
        var verifiesAnswered = 0
        var lastTriesLeft: Int?
        var purchasesApproved = 0
        var lastATC: Int?
        /// The value of the last update the card acknowledged.
        var lastUpdate: UInt8?
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
        // A record update after external authentication with UKSSSE (key 04), the value a parameter.
        @Sendable func updateScript(_ value: UInt8) throws -> String {
            let path = (image as NSString).deletingLastPathComponent + "/update-\(value).apdu"
            let v = String(value, radix: 16, uppercase: true)
            try """
                \(select)
                00 B2 01 2C 12
                < 01 10 [cardid:16] 90 00
                00 84 00 00 08
                < [original:8] 90 00
                00 84 00 00 08
                < [random:8] 90 00
                00 82 00 04 11 ${ea(03, 12, cardid, original, random)}
                < 90 00
                00 DC 02 2C 03 02 01 \(v.count == 1 ? "0" + v : v)
                < 90 00
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

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
                var wrongPINs = 0
                while !stop.load(ordering: .relaxed) {
                    n += 1
                    // At most 10 wrong PINs a round: the PIN (15 tries) must not block
                    // before the right one gives the tries back between rounds.
                    var op: Operation = n % 3 == 0 ? .wrongPIN : n % 3 == 1 ? .purchase : .update(UInt8(truncatingIfNeeded: n))
                    if op == .wrongPIN {
                        wrongPINs += 1
                        if wrongPINs > 10 { op = .purchase }
                    }
                    seen.withLock { $0.inFlight = op }
                    let r: (status: Int32, stdout: String, stderr: String)
                    switch op {
                    case .wrongPIN: r = (try? PCSCFixture.sscard(["send", "--reader", reader, select, "0020000003999999"])) ?? (-1, "", "")
                    case .purchase:
                        r = (try? PCSCFixture.sscard(["bank", "purchase", "--reader", reader, "--amount", "0.01"], environment: ["SSCARD_PIN": bankPIN])) ?? (-1, "", "")
                    case .update(let value):
                        r = (try? PCSCFixture.sscard(["run", "-q", "--reader", reader, try updateScript(value)])) ?? (-1, "", "")
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
                        case .update(let value):
                            s.lastUpdate = value
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
            var updates: Set<UInt8> = [s.lastUpdate ?? before.updated]
            if case .update(let value)? = s.inFlight { updates.insert(value) }
            #expect(updates.contains(after.updated), "round \(round): an update the terminal saw was lost: \(s), \(before) → \(after)")
            let used = before.socialLeft - after.socialLeft
            #expect((s.verifiesAnswered...(s.verifiesAnswered + mayVerify)).contains(used), "round \(round): \(s), \(before) → \(after)")
            if let left = s.lastTriesLeft { #expect(after.socialLeft <= left, "round \(round): a try the terminal saw was lost") }
            let steps = after.atc - before.atc
            #expect((s.purchasesApproved...(s.purchasesApproved + mayPurchase)).contains(steps), "round \(round): \(s), \(before) → \(after)")
            if let atc = s.lastATC { #expect(after.atc >= atc, "round \(round): an ATC the terminal saw was lost") }
            let logged = min(10, before.logRecords + s.purchasesApproved)...min(10, before.logRecords + s.purchasesApproved + mayPurchase)
            #expect(logged.contains(after.logRecords), "round \(round): \(s), \(before) → \(after)")
            if s.verifiesAnswered + s.purchasesApproved > 0 || s.lastUpdate != nil, s.inFlight != nil { killedWithWorkDone += 1 }
        }
        #expect(killedWithWorkDone > 0, "no round was killed in the middle of its work")
    }
}
