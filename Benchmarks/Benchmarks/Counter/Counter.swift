// A whole pharmacy sale in process, as `sscard pos pharmacy --db` does it:
// the card read with the PSAM (SELECT, EF05, INTERNAL and EXTERNAL
// AUTHENTICATE, EF06), 9001 once, 1101, VERIFY of the social PIN, 2101,
// 2102, and the PBOC purchase of the cash part with the stored bank (ARQC,
// ARPC, TC), every centre and bank request one SQLite write transaction.
// The bar (issue 11): ≥ 1,000 sales/s; the aim ≥ 5,000/s.

import BackOffice
import BackOfficeStore
import Benchmark
import CardPersonalization
import CardSimulator
import CardTransport
import CardRuntime
import Foundation
import POS
import Terminal

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput], timeUnits: .microseconds, maxDuration: .seconds(3), maxIterations: 20_000)

    let counter = Counter()
    Benchmark("pharmacy sale in process (read with PSAM, PIN, 1101, 2101, 2102, PBOC purchase)") { benchmark in
        for _ in benchmark.scaledIterations { counter.sale() }
    }
    Benchmark("pharmacy sale: allocations", configuration: .init(metrics: [.mallocCountTotal], maxIterations: 300)) { benchmark in
        for _ in benchmark.scaledIterations { counter.sale() }
    }
}

/// The default card's PINs (the forced change is off: the card keeps 123456).
final class Keypad: PINPad {
    let bank: String
    init(bank: String) { self.bank = bank }
    func pin(_ request: PINRequest) throws(POSError) -> String { request == .bank ? bank : "123456" }
}

/// A seeded back office in a temporary folder, and a POS with the default card.
final class Counter: @unchecked Sendable {
    let folder = NSTemporaryDirectory() + "sscard-bench-pos-\(UUID().uuidString)"
    let backOffice: LocalBackOffice
    let state = try! CardProfiles.resolve("default").personalize()
    var pos: POSTerminal
    let keypad: Keypad
    var sales = 0
    // One line for the account (甲) and one the bank pays (丙), a fen each,
    // so that the account, the bank's daily limit and the ATC last every sample.
    let items = [
        SaleItem(code: "SSC-XA01", price: Decimals(scaled: 10_000, fraction: 6), quantity: Decimals(scaled: 10_000, fraction: 4)),
        SaleItem(code: "SSC-XC01", price: Decimals(scaled: 10_000, fraction: 6), quantity: Decimals(scaled: 10_000, fraction: 4)),
    ]

    init() {
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/bo.sqlite"
        _ = try! Seeder.initialize(path: path, seed: nil, today: CentreClock().now().day)
        backOffice = LocalBackOffice(pool: try! BackOfficeDatabase.open(path: path, create: false), area: "510100", location: path)
        // The bank PIN is digits 12–17 of the ID number (the profile's rule): read it off the card.
        let reader = SocialTerminal(
            card: TerminalSession(transport: VirtualCardTransport(card: CardFactory.virtualCard(state))),
            psam: TerminalSession(transport: VirtualCardTransport(card: CardFactory.virtualCard(VirtualPSAM.state()))))
        keypad = Keypad(bank: String(Array(try! reader.readBasics().citizenID)[11..<17]))
        pos = Self.terminal(state, backOffice, keypad)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    static func terminal(_ state: CardState, _ backOffice: LocalBackOffice, _ keypad: Keypad) -> POSTerminal {
        POSTerminal(
            card: TerminalSession(transport: VirtualCardTransport(card: CardFactory.virtualCard(state))),
            psam: TerminalSession(transport: VirtualCardTransport(card: CardFactory.virtualCard(VirtualPSAM.state()))),
            backOffice: backOffice, institution: Institution(code: "P51010000001", name: "SSCARD BENCH", area: "510100"),
            rules: PINRules(initial: ["123456"], mustChange: false), pad: keypad)
    }

    func sale() {
        // The ATC runs out at FFFF: a fresh card now and then.
        sales += 1
        if sales == 60_000 {
            pos = Self.terminal(state, backOffice, keypad)
            sales = 0
        }
        let receipt = try! pos.sale(.pharmacy, items)
        precondition(receipt.status == .paid && receipt.bank != nil, "the sale was not paid by card")
        blackHole(receipt)
    }
}
