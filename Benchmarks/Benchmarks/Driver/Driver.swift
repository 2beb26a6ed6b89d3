// iReadCardBas through libSSCardDriver.so's entry point, in process, on the
// default 3.00 card with the virtual PSAM (SELECT, EF05, INTERNAL and
// EXTERNAL AUTHENTICATE, EF06, the 11 fields written as GBK into a
// 1024-byte buffer). The bar (issue 12): ≤ 100 µs; the aim ≤ 40 µs. And
// iDoDebit of the medical purse.

import Benchmark
import SSCardDriver

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], timeUnits: .microseconds, maxDuration: .seconds(3), maxIterations: 50_000)

    Benchmark("iReadCardBas, 3.00 card with IA and EA through the virtual PSAM (the C entry point, in process)") { benchmark in
        var buffer = [CChar](repeating: 0, count: 1024)
        for _ in benchmark.scaledIterations {
            let code = buffer.withUnsafeMutableBufferPointer { iReadCardBas(1, $0.baseAddress) }
            precondition(code == 0, "iReadCardBas returned \(code)")
            blackHole(buffer[0])
        }
    }
    debitBenchmarks()
}

let debitBenchmarks: @Sendable () -> Void = {
    // iDoDebit of 0.01 on the same card: the purse's INITIALIZE, the PSAM's
    // MAC1, DEBIT (balance, ATC, proof and log record in one commit), MAC2
    // checked by the PSAM. The card holds 500.00: at most 50,000 debits.
    Benchmark(
        "iDoDebit 0.01 from the medical purse, MAC1/MAC2 through the virtual PSAM (the C entry point, in process)",
        configuration: .init(maxIterations: 20_000)
    ) { benchmark in
        var out = [CChar](repeating: 0, count: 1024)
        let code = out.withUnsafeMutableBufferPointer { iReadCardBas(1, $0.baseAddress) }
        precondition(code == 0, "iReadCardBas returned \(code)")
        // The fields before the name (GBK) are ASCII: split the bytes, not Characters
        // (a GBK name read as UTF-8 can make a combining mark that joins a "|").
        let bytes = out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let fields = bytes.split(separator: 0x7C, maxSplits: 5, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var info = Array((fields[3] + "|" + fields[2] + "|").utf8CString)
        var pay = Array("0.01|0.01|20261203120000|".utf8CString)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let r = out.withUnsafeMutableBufferPointer { o in
                info.withUnsafeMutableBufferPointer { i in pay.withUnsafeMutableBufferPointer { p in iDoDebit(1, i.baseAddress, p.baseAddress, o.baseAddress) } }
            }
            if r != 0 { fatalError("iDoDebit returned \(r) for \(String(cString: info))") }
            blackHole(out[0])
        }
    }
}
