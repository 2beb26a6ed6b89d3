// SSCard — sscard-kiosk: the web kiosk, the program `sscard kiosk --web`
// becomes (by exec, keeping the PID), so that Hummingbird is linked here and
// not into `sscard`. `sscard kiosk` checks the options; this program takes
// them already checked:
//
//   sscard-kiosk HOST PORT SOURCE BACKOFFICE IDLE-SECONDS
//
// SOURCE is profile:NAME, image:FILE or reader:NAME; BACKOFFICE is
// http://HOST:PORT or db:FILE; the operator key comes in $SSCARD_KIOSK_OPERATOR_KEY.

import BackOffice
import BackOfficeStore
import CardImage
import CardPersonalization
import CardSimulator
import CardTransport
import CardTransportPCSC
import Dispatch
import Kiosk
import KioskWeb
import POS
import Terminal

#if canImport(Glibc)
import Glibc
#endif

func writeLine(_ fd: Int32, _ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    writeLine(2, "sscard: \(message)")
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 6, let port = Int(arguments[2]), let idle = Double(arguments[5]) else {
    fail("sscard-kiosk is started by `sscard kiosk --web`; see `sscard kiosk --help`")
}
let host = arguments[1], source = arguments[3], backOffice = arguments[4]

let card: any CardTransport
var readerName: String? = nil
do {
    if source.hasPrefix("reader:") {
        let name = String(source.dropFirst(7))
        card = PCSCTransport(reader: try PCSCReaders.resolve(name))
        readerName = name
    } else if source.hasPrefix("image:") {
        let file = CardImageFile(path: String(source.dropFirst(6)))
        card = VirtualCardTransport(card: CardFactory.virtualCard(try file.load(), persistence: file))
    } else {
        card = VirtualCardTransport(card: CardFactory.virtualCard(try CardProfiles.resolve(String(source.dropFirst(8))).personalize()))
    }
} catch {
    fail("\(source): \(error)")
}

let link: any BackOfficeLink
do {
    if backOffice.hasPrefix("db:") {
        let path = String(backOffice.dropFirst(3))
        link = LocalBackOffice(pool: try BackOfficeDatabase.open(path: path, create: false), area: "510100", location: "database \(path)")
    } else {
        link = try HTTPBackOffice(url: backOffice)
    }
} catch {
    fail("\(backOffice): \(error)")
}

var configuration = KioskConfiguration()
configuration.idleSeconds = idle
configuration.operatorKey = getenv("SSCARD_KIOSK_OPERATOR_KEY").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
configuration.initialPIN = { region in CardProfiles.initialSocialPIN(region: region) }
let psam = VirtualCardTransport(card: CardFactory.virtualCard(VirtualPSAM.state()))
let engine = KioskEngine(backOffice: link, configuration: configuration) {
    SocialTerminal(card: TerminalSession(transport: card), psam: TerminalSession(transport: psam))
}
engine.log = { writeLine(2, "kiosk: " + $0) }
let hub = KioskHub(engine: engine, simulatedCard: readerName == nil)

// The reader's insertions and removals, on a thread of their own (the monitor blocks).
if let readerName {
    DispatchQueue.global().async {
        let monitor = PCSCMonitor()
        while true {
            do {
                for e in try monitor.next(timeout: 500) {
                    switch e {
                    case .cardInserted(let r, _) where r.contains(readerName): hub.handle(.inserted)
                    case .cardRemoved(let r) where r.contains(readerName): hub.handle(.removed)
                    default: break
                    }
                }
            } catch {
                writeLine(2, "kiosk: the reader: \(error)")
                sleep(1)
            }
        }
    }
}

do {
    try await KioskWebServer.run(host: host, port: port, hub: hub) { h, p in
        writeLine(1, "listening on http://\(h):\(p)")
    }
} catch {
    fail("\(host):\(port): \(error)")
}
