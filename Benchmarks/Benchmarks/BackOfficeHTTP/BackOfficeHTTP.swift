// The back office over HTTP: pharmacy settlements (2101 pre-settlement +
// 2102 settlement, one pair per settlement) against the release
// `sscard backoffice serve` on a seeded database, from 1, 4 and 16 clients
// at once, each on its own thread and keep-alive connection. Reported per
// sample: settlements per second, and each request's latency (µs), whose
// p50/p99 the table shows. Budget (issue 10): ≥ 2,000 settlements/s with 4
// clients on a 2-core machine; the aim ≥ 5,000/s.

import Benchmark
import Foundation
import HTTPWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The release `sscard` beside this package, or $SSCARD_BIN.
let sscard: String = {
    if let bin = ProcessInfo.processInfo.environment["SSCARD_BIN"] { return bin }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/release/sscard").path
}()

/// A seeded database and the server on it, for the whole run.
final class BackOffice: Sendable {
    let dir: String
    let process: Process
    let port: Int
    let card: (number: String, id: String, psn: String)

    init() {
        dir = NSTemporaryDirectory() + "sscard-bench-\(UUID().uuidString)"
        let db = dir + "/bo.sqlite"
        let seed = Process()
        seed.executableURL = URL(fileURLWithPath: sscard)
        seed.arguments = ["backoffice", "init", "--db", db, "--json"]
        let out = Pipe()
        seed.standardOutput = out
        try! seed.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        seed.waitUntilExit()
        precondition(seed.terminationStatus == 0, "backoffice init failed")
        func field(_ name: String) -> String {
            let start = text.range(of: "\"\(name)\":\"")!.upperBound
            return String(text[start...].prefix { $0 != "\"" })
        }
        card = (field("card_no"), field("card_sn"), field("psn_no"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: sscard)
        p.arguments = ["backoffice", "serve", "--db", db, "--http", "127.0.0.1:0"]
        let listening = Pipe()
        p.standardOutput = listening
        p.standardError = FileHandle.nullDevice
        try! p.run()
        var line: [UInt8] = []
        while true {
            let d = listening.fileHandleForReading.readData(ofLength: 1)
            if d.isEmpty || d.first == 0x0A { break }
            line.append(d.first!)
        }
        port = Int(String(decoding: line, as: UTF8.self).split(separator: ":").last ?? "") ?? 0
        precondition(port > 0, "serve printed no port")
        process = p
    }

    func stop() {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

let serial = Atomic<Int>(0)

/// A request's bytes: the template of its infno with a new msgid spliced in
/// (the client's work kept small: it shares the two cores with the server).
func request(_ unused: String, _ template: (head: [UInt8], tail: [UInt8])) -> [UInt8] {
    let n = String(serial.add(1, ordering: .relaxed).newValue)
    // The institution's 12 characters and an 18-digit serial: 30 in all.
    var out = template.head
    out.reserveCapacity(template.head.count + 30 + template.tail.count)
    out.append(contentsOf: "H51010000001".utf8)
    for _ in 0..<max(0, 18 - n.count) { out.append(0x30) }
    out.append(contentsOf: n.utf8)
    out.append(contentsOf: template.tail)
    return out
}

func template(_ infno: String, _ card: (number: String, id: String, psn: String)) -> (head: [UInt8], tail: [UInt8]) {
    (
        Array(#"{"infno":"\#(infno)","msgid":""#.utf8),
        Array(
            #"","fixmedins_code":"H51010000001","opter_type":"1","input":{"druginfo":{"psn_no":"\#(card.psn)","mdtrt_cert_type":"03","mdtrt_cert_no":"\#(card.number)","card_sn":"\#(card.id)","medfee_sumamt":"35.70","acct_used_flag":"1","med_type":"41"},"drugdetail":[{"feedetl_sn":"1","med_list_codg":"SSC-XA01","det_item_fee_sumamt":"25.80","cnt":"2","pric":"12.9"},{"feedetl_sn":"2","med_list_codg":"SSC-XC01","det_item_fee_sumamt":"9.90","cnt":"1","pric":"9.9"}]}}"#
                .utf8)
    )
}

let path = "/fsi/api/rsfComIfsService/callService"
let ok = Array(#"{"infcode":0"#.utf8)

/// `clients` threads, each `perClient` settlements; the latencies (µs) and the elapsed time (µs).
func settle(_ office: BackOffice, clients: Int, perClient: Int) -> (latencies: [Int], elapsed: Int) {
    let results = Mutex<[Int]>([])
    let group = DispatchGroup()
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<clients {
        group.enter()
        Thread {
            let c = HTTPConnection(port: office.port)
            var mine: [Int] = []
            mine.reserveCapacity(perClient * 2)
            let templates = [template("2101", office.card), template("2102", office.card)]
            for _ in 0..<perClient {
                for t in templates {
                    let body = request("", t)
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let r = try! c.post(path, json: body)
                    precondition(r.body.starts(with: ok), "refused: \(r.text)")
                    mine.append(Int(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
                }
            }
            results.withLock { $0 += mine }
            group.leave()
        }.start()
    }
    group.wait()
    let elapsed = Int(DispatchTime.now().uptimeNanoseconds - start) / 1000
    return (results.withLock { $0 }, elapsed)
}

let rate = BenchmarkMetric.custom("settlements/s", polarity: .prefersLarger, useScalingFactor: false)
let latency = BenchmarkMetric.custom("request latency (µs)", polarity: .prefersSmaller, useScalingFactor: false)

/// The server of the benchmark running, started in its setup and stopped in its teardown.
let current = Mutex<BackOffice?>(nil)

let benchmarks: @Sendable () -> Void = {
    for clients in [1, 4, 16] {
        Benchmark(
            "pharmacy settlement 2101+2102 over HTTP, \(clients) client\(clients == 1 ? "" : "s")",
            configuration: .init(
                metrics: [rate, latency], maxDuration: .seconds(10), maxIterations: 20,
                setup: { current.withLock { $0 = BackOffice() } },
                teardown: { current.withLock { $0?.stop(); $0 = nil } })
        ) { benchmark in
            let office = current.withLock { $0! }
            for _ in benchmark.scaledIterations {
                let perClient = max(25, 400 / clients)
                let (latencies, elapsed) = settle(office, clients: clients, perClient: perClient)
                benchmark.measurement(rate, clients * perClient * 1_000_000 / max(1, elapsed))
                for l in latencies { benchmark.measurement(latency, l) }
            }
        }
    }
}
