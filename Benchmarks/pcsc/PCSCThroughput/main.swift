// One measurement for pcsc/run.sh: COUNT GET CHALLENGEs through pcscd + vpcd
// to the card in READER with SSCard's PCSCTransport. Prints "COUNT SECONDS"
// and appends each latency (µs) to LATENCYFILE.
//
// Usage: PCSCThroughput READER COUNT LATENCYFILE

import CardTransportPCSC
import Foundation

let args = CommandLine.arguments
guard args.count == 4, let count = Int(args[2]) else {
    FileHandle.standardError.write(Data("usage: PCSCThroughput READER COUNT LATENCYFILE\n".utf8))
    exit(2)
}
let command: [UInt8] = [0x00, 0x84, 0x00, 0x00, 0x08]
let card = PCSCTransport(reader: args[1])
_ = try card.connect()
for _ in 0..<200 { _ = try card.transmit(command) }  // warm up

var latencies: [Double] = []
latencies.reserveCapacity(count)
let start = DispatchTime.now().uptimeNanoseconds
for _ in 0..<count {
    let t0 = DispatchTime.now().uptimeNanoseconds
    let r = try card.transmit(command)
    latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
    precondition(r.suffix(2) == [0x90, 0x00], "unexpected answer \(r)")
}
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
print(count, seconds)
let text = latencies.map { String(format: "%.1f", $0) }.joined(separator: "\n") + "\n"
if let h = FileHandle(forWritingAtPath: args[3]) {
    h.seekToEndOfFile()
    h.write(Data(text.utf8))
    h.closeFile()
} else {
    try text.write(toFile: args[3], atomically: true, encoding: .utf8)
}
