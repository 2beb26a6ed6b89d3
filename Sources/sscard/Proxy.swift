// SSCard — `sscard proxy`: a virtual reader in pcscd (a vpcd slot) that
// relays a host program's APDUs to a real card in a real reader, and
// records the session as a script that `sscard run` replays against the
// emulator: capture a real terminal's session once, test against it forever.

import ArgumentParser
import CardAPDU
import CardStandards
import CardTransport
import CardTransportPCSC
import Dispatch
import Synchronization
import VPCDBridge

struct Proxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Relay a vpcd reader to a real card in a PC/SC reader, recording the session as a script.",
        discussion: """
            pcscd sees a reader "Virtual PCD 00 0N" (the vpcd slot of --vpcd); a program talks to
            it as to any reader, and each command goes to the card in --reader, its answer back.
            --record FILE gets the session as an .apdu script (commands and expected answers, a
            'reset' at each power-up after the first), written as it goes. PINs are not written:
            VERIFY and CHANGE PIN record ${PIN}, ${NEW_PIN} (BCD) and ${PIN_BLOCK} (ISO 9564
            format 2), which `sscard run` takes from --pin-file, $SSCARD_PIN and --new-pin-file,
            $SSCARD_NEW_PIN (the same PINs, of the same length). Commands whose answers depend on
            a card's randoms (GET CHALLENGE, authentication) replay only against that card.
            Runs until SIGINT or SIGTERM.
            """)

    @Option(help: ArgumentHelp("vpcd's address for the virtual reader's slot: [HOST:]PORT.", valueName: "[HOST:]PORT"))
    var vpcd: String

    @Option(help: ArgumentHelp("The PC/SC reader with the real card, by part of its name.", valueName: "NAME"))
    var reader: String

    @Option(help: ArgumentHelp("Record the session as a script.", valueName: "FILE"))
    var record: String?

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        try reporting {
            let (host, port) = try Serve.endpoint(vpcd)
            let name: String
            do throws(TransportError) {
                name = try PCSCReaders.resolve(reader)
            } catch {
                throw CLIError(error.description, status: error.code == .readerNotFound || error.code == .ambiguousReader ? ExitStatus.badInput : ExitStatus.transport)
            }
            if let record, let why = System.writeNew(record, "# recorded by sscard proxy from reader \"\(name)\"; the PINs as placeholders: replay with sscard run --pin-file FILE\n") {
                throw CLIError("\(record): \(why)", status: ExitStatus.badInput)
            }
            let relay = RelayCard(transport: PCSCTransport(reader: name), record: record, quiet: quiet)
            let quiet = self.quiet
            let bridge = VPCDBridge(host: host, port: port, slot: 0, card: relay) { event in
                guard !quiet else { return }
                switch event {
                case .connected(_, let h, let p): printLine("relaying vpcd \(h):\(p) to \"\(name)\"")
                case .disconnected(_, let reason): printLine("vpcd disconnected (\(reason)); reconnecting")
                case .retrying: break
                }
            }
            let stop = StopSignal()
            stop.fireOnTerminationSignals()
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                bridge.run(until: stop)
                done.signal()
            }
            stop.wait()
            bridge.interrupt()
            done.wait()
            relay.close()
            if !quiet { printLine("stopped: \(relay.exchanges) command(s) relayed" + (record.map { ", recorded in \($0)" } ?? "")) }
        }
    }
}

/// The real card, as the bridge sees a card: each exchange relayed and recorded.
final class RelayCard: VPCDCard {
    let transport: PCSCTransport
    let record: String?
    let quiet: Bool
    var connected = false
    var answerToReset: [UInt8] = []
    var exchanges = 0
    var powerUps = 0

    init(transport: PCSCTransport, record: String?, quiet: Bool) {
        self.transport = transport
        self.record = record
        self.quiet = quiet
    }

    func note(_ line: String) {
        guard let record else { return }
        if let why = System.appendLine(record, line) { printError("sscard: \(record): \(why)") }
    }

    func connect() {
        guard !connected else { return }
        do {
            answerToReset = try transport.connect()
            connected = true
        } catch {
            printError("sscard: the card in \"\(transport.name)\": \(error)")
        }
    }

    var atr: [UInt8] {
        connect()
        return answerToReset
    }

    func powerOn() {
        connect()
        powerUps += 1
        if powerUps > 1 && exchanges > 0 { note("reset") }
    }

    func powerOff() {}

    func reset() {
        do {
            answerToReset = try transport.reset(cold: true)
        } catch {
            printError("sscard: reset: \(error)")
        }
        if exchanges > 0 { note("reset") }
    }

    func transmit(_ apdu: [UInt8]) -> [UInt8] {
        connect()
        let answer: [UInt8]
        do {
            answer = try transport.transmit(apdu)
        } catch {
            printError("sscard: the card in \"\(transport.name)\": \(error)")
            return [0x6F, 0x00]
        }
        exchanges += 1
        let line = Self.recorded(apdu)
        if line.hasPrefix("#") {
            note(line + ", answered " + Hex.encode(answer.suffix(2)))
        } else {
            note(line)
            note("< " + Hex.encode(answer, separator: " "))
        }
        return answer
    }

    func close() {
        if connected { transport.disconnect() }
    }

    /// A command as the script holds it: a PIN as its placeholder.
    static func recorded(_ apdu: [UInt8]) -> String {
        guard apdu.count > 5, let c = try? CommandAPDU(bytes: apdu), !c.data.isEmpty else { return Hex.encode(apdu, separator: " ") }
        let header = Hex.encode(Array(apdu[0..<5]), separator: " ")
        func isBCDPIN(_ d: ArraySlice<UInt8>) -> Bool {
            let nibbles = BCD.nibbles(d)
            let digits = nibbles.last == 0xF ? nibbles.dropLast() : nibbles[...]
            return (4...16).contains(digits.count) && digits.allSatisfy { $0 <= 9 }
        }
        let data = c.data[...]
        let tail = apdu.count > 5 + data.count ? " " + Hex.encode(Array(apdu[(5 + data.count)...]), separator: " ") : ""
        switch (c.cla & 0xF0, c.ins) {
        case (0x00, 0x20):
            if PINBlock.digits(ofFormat2: data) != nil { return header + " ${PIN_BLOCK}" + tail }
            if isBCDPIN(data) { return header + " ${PIN}" + tail }
        case (0x80, 0x5E):
            if let sep = data.firstIndex(of: 0xFF), isBCDPIN(data[..<sep]), isBCDPIN(data[(sep + 1)...]) {
                return header + " ${PIN} FF ${NEW_PIN}" + tail
            }
        default:
            break
        }
        guard !APDUMask.isMasked(apdu) else { return "# (a command with a secret, not recorded: " + APDUMask.describe(apdu) + ")" }
        return Hex.encode(apdu, separator: " ")
    }
}
