// Parsing benchmarks. Budgets (DESIGN.md): a short command APDU view parse
// ≤ 30 ns with 0 allocations; a 250-byte EMV record ≤ 1 µs with ≤ 1 allocation.

import Benchmark
import CardAPDU
import CardTLV

/// A 250-byte EMV record (READ RECORD answer of a PBOC debit card, SFI 1):
/// track 2, PAN, name, dates, country, PSN, AUC, CVM list, IACs, CDOL1 and CDOL2.
let emvRecord250: [UInt8] = {
    var b = TLVBuilder()
    b.appendConstructed(0x70) { r in
        r.append(0x57, try! Hex.decode("6212340000000007D30122200000000000"))
        r.append(0x5A, try! Hex.decode("6212340000000007"))
        r.append(0x5F20, Array("ZHANG/SAN".utf8))
        r.append(0x9F61, Array("110101199001011234".utf8))
        r.append(0x9F62, [0x00])
        r.append(0x5F24, [0x30, 0x12, 0x31])
        r.append(0x5F25, [0x20, 0x01, 0x01])
        r.append(0x5F28, [0x01, 0x56])
        r.append(0x5F34, [0x01])
        r.append(0x9F07, [0xAB, 0x00])
        r.append(0x8E, try! Hex.decode("0000000000000000420341031E031F00"))
        r.append(0x9F0D, try! Hex.decode("D86004A800"))
        r.append(0x9F0E, try! Hex.decode("0010980000"))
        r.append(0x9F0F, try! Hex.decode("D86804F800"))
        r.append(0x8C, try! Hex.decode("9F02069F03069F1A0295055F2A029A039C019F37049F21039F4E14"))
        r.append(0x8D, try! Hex.decode("8A029F02069F03069F1A0295055F2A029A039C019F37049F21039F4E14"))
        r.append(0x9F08, [0x00, 0x30])
        r.append(0x5F30, [0x02, 0x20])
        r.append(0x9F42, [0x01, 0x56])
        r.append(0x9F44, [0x02])
        r.append(0x9F14, [0x00])
        r.append(0x9F23, [0x00])
        r.append(0x9F63, [UInt8](repeating: 0, count: 16))
        r.append(0x9F1F, Array("0000".utf8))
    }
    return b.bytes
}()

let shortAPDU: [UInt8] = try! Hex.decode("00A404000F7378312E73682EC9E7BBE1B1A3D5CF00")
let extendedAPDU: [UInt8] = try! Hex.decode("00D6000000" + "0100" + String(repeating: "5A", count: 256) + "0000")

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )

    precondition(emvRecord250.count == 250, "the EMV record is \(emvRecord250.count) bytes, not 250")

    Benchmark("APDU view parse, short (case 4S, 21 bytes)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let bytes = shortAPDU[...]
        for _ in benchmark.scaledIterations {
            blackHole(try! CommandAPDUView(bytes).nc)
        }
    }

    Benchmark("APDU view parse, extended (case 4E, 265 bytes)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let bytes = extendedAPDU[...]
        for _ in benchmark.scaledIterations {
            blackHole(try! CommandAPDUView(bytes).nc)
        }
    }

    Benchmark("CommandAPDU (owning) parse, short", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! CommandAPDU(bytes: shortAPDU))
        }
    }

    Benchmark("TLV parse, 250-byte EMV record", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let bytes = emvRecord250[...]
        for _ in benchmark.scaledIterations {
            blackHole(try! BERTLV.parse(bytes).count)
        }
    }
}
