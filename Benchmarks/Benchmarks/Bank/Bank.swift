// A full PBOC purchase in process: select → GPO → records → VERIFY →
// GENERATE AC → issuer host (ARQC check, ARPC) → EXTERNAL AUTHENTICATE →
// GENERATE AC. Budget (DESIGN.md): ≥ 20,000 transactions/s.

import BackOffice
import Benchmark
import CardCrypto
import CardPersonalization
import CardTransport
import Terminal

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .microseconds,
        maxDuration: .seconds(3),
        maxIterations: 50_000
    )

    Benchmark("full PBOC purchase in process (emvtool card)") { benchmark in
        let state = try! CardProfiles.resolve("emvtool").personalize()
        let host = IssuerHost(imkAC: TestIssuer.imkAC)
        var transport = VirtualCardTransport(card: CardFactory.virtualCard(state))
        var kernel = EMVKernel(card: TerminalSession(transport: transport))
        var done = 0
        for _ in benchmark.scaledIterations {
            // The ATC runs out at FFFF: a fresh card now and then.
            if done == 60_000 {
                transport = VirtualCardTransport(card: CardFactory.virtualCard(state))
                kernel = EMVKernel(card: TerminalSession(transport: transport))
                done = 0
            }
            let r = try! kernel.purchase(amount: 1234, pin: "123456", host: host)
            precondition(r.approved, "declined: \(r.reason)")
            done += 1
        }
    }

    Benchmark("3DES block cipher: key setup and one block") { benchmark in
        let key: [UInt8] = Array(0..<16)
        for _ in benchmark.scaledIterations {
            blackHole(try! BlockCipher(.tripleDES, key: key).encrypt([1, 2, 3, 4, 5, 6, 7, 8]))
        }
    }
}
