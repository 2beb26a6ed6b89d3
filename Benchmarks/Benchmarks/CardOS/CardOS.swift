// Card OS benchmarks. Budgets (DESIGN.md): in-process SELECT + READ RECORD
// ≥ 1,000,000 APDU/s; a 10,000-APDU script as a whole process < 0.5 s.

import Benchmark
import CardAPDU
import CardPersonalization
import CardRuntime
import Foundation

let selectEF: [UInt8] = try! Hex.decode("00A40200020103")
let readRecord: [UInt8] = try! Hex.decode("00B2011C00")
let rightVerify: [UInt8] = try! Hex.decode("00200001031234 56".replacingOccurrences(of: " ", with: ""))

func freshCard() -> VirtualCard {
    var card = VirtualCard(state: try! CardProfiles.resolve("iso-test").personalize())
    _ = card.powerOn()
    _ = card.transmit(try! Hex.decode("00A4040006A00000999901"))
    return card
}

/// The release `sscard` built by `make bench`.
let sscardBinary: String = {
    let here = URL(fileURLWithPath: #filePath)
    return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/release/sscard").path
}()

/// A 10,000-APDU script: SELECT, then READ RECORD / READ BINARY / VERIFY
/// query, each with its expected answer.
let scriptPath: String = {
    var text = "# @card iso-test\nreset\n00 A4 04 00 06 A0 00 00 99 99 01\n< 6F * 90 00\n"
    for i in 0..<9_999 {
        switch i % 3 {
        case 0: text += "00 B2 01 1C 00\n< 01 04 11 22 33 44 90 00\n"
        case 1: text += "00 B0 81 00 06\n< 53 53 43 41 52 44 90 00\n"
        default: text += "00 20 00 01\n< 63 C6\n"
        }
    }
    let path = NSTemporaryDirectory() + "sscard-bench-10000.apdu"
    try! text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )

    Benchmark("SELECT EF + READ RECORD, in process (2 APDUs)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        var card = freshCard()
        for _ in benchmark.scaledIterations {
            blackHole(card.transmit(selectEF))
            blackHole(card.transmit(readRecord))
        }
    }

    Benchmark("VERIFY loop without persistence (right PIN)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        var card = freshCard()
        for _ in benchmark.scaledIterations {
            blackHole(card.transmit(rightVerify))
        }
    }

    Benchmark(
        "10,000-APDU script, whole process (sscard run)",
        configuration: .init(metrics: [.wallClock], timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: 10)
    ) { benchmark in
        for _ in benchmark.scaledIterations { runSSCard(["run", "-q", scriptPath]) }
    }

    // The conformance suite (apdu-scripts/, 38 scripts, over 800 checks), one
    // script at a time and two at once: the speed-up of --jobs 2 on 2 cores.
    for jobs in [1, 2] {
        Benchmark(
            "the conformance suite, whole process (sscard run apdu-scripts --jobs \(jobs))",
            configuration: .init(metrics: [.wallClock], timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: 20)
        ) { benchmark in
            for _ in benchmark.scaledIterations { runSSCard(["run", "-q", "--jobs", String(jobs), suitePath]) }
        }
    }
}

/// The repository's apdu-scripts/.
let suitePath = URL(fileURLWithPath: sscardBinary).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("apdu-scripts").path

/// The release sscard with `arguments`, to its end; it must pass.
func runSSCard(_ arguments: [String]) {
    guard FileManager.default.isExecutableFile(atPath: sscardBinary) else {
        fatalError("build the release sscard first: swift build -c release --product sscard (make bench does)")
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: sscardBinary)
    p.arguments = arguments
    p.standardOutput = FileHandle.nullDevice
    try! p.run()
    p.waitUntilExit()
    precondition(p.terminationStatus == 0, "sscard \(arguments.joined(separator: " ")) failed")
}
