// SSCard — sscard-backoffice: the back office's HTTP server, the program
// `sscard backoffice serve` becomes (by exec, so it keeps the PID). A
// binary of its own, so that SwiftNIO and Hummingbird are linked here and
// not into `sscard`, whose every start-up would pay for their protocol
// conformances. `sscard backoffice serve` checks the options; this program
// takes them already checked:
//
//   sscard-backoffice DB HOST PORT AREA CLOCK-OFFSET-MS

import BackOffice
import BackOfficeServer
import BackOfficeStore
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to a descriptor at once.
func writeLine(_ fd: Int32, _ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    writeLine(2, "sscard: \(message)")
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 7, let port = Int(arguments[3]), let offset = Int(arguments[5]), let idle = Int(arguments[6]) else {
    fail("sscard-backoffice is started by `sscard backoffice serve`; see `sscard backoffice serve --help`")
}
let clock = CentreClock(offsetMillis: offset)
let pool: DatabasePool
do {
    pool = try BackOfficeDatabase.open(path: arguments[1], create: false)
} catch {
    fail(error.message)
}
let centre = InsuranceCentre(pool: pool, clock: clock, area: arguments[4])
let bank = StoredBank(pool: pool, clock: clock)
do {
    try await BackOfficeServer.run(host: arguments[2], port: port, centre: centre, bank: bank, idleSeconds: idle) { h, p in
        // One line, written at once: a reader of the pipe sees it the moment the port is bound.
        writeLine(1, "listening on http://\(h):\(p)")
    }
} catch {
    fail("\(arguments[2]):\(arguments[3]): \(error)")
}
