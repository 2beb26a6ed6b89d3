// iReadCardBas through libSSCardDriver.so's entry point, in process, on the
// default 3.00 card with the virtual PSAM (SELECT, EF05, INTERNAL and
// EXTERNAL AUTHENTICATE, EF06, the 11 fields written as GBK into a
// 1024-byte buffer). The bar (issue 12): ≤ 100 µs; the aim ≤ 40 µs.

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
}
