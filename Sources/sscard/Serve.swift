// SSCard — `sscard serve` and `sscard readers`

import ArgumentParser
import CardAPDU
import CardFaults
import CardImage
import CardPersonalization
import CardRuntime
import CardTransport
import CardTransportPCSC
import Dispatch
import VPCDBridge

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Keep virtual cards inserted in pcscd's vpcd reader until SIGINT or SIGTERM.",
        discussion: """
            vpcd (Debian package vsmartcard-vpcd) listens on port 35963 for slot 0 ("Virtual PCD
            00 00") and 35964 for slot 1. Give --vpcd once per slot, and a --card or --image per
            slot (one of them serves every slot). The bridge reconnects by itself when pcscd
            restarts; on SIGINT/SIGTERM it disconnects, and pcscd sees the card removed.
            With --image every state change is saved.

            Example:
              pcscd --foreground &
              sscard serve --vpcd 35963 --card default &
              scriptor -r "Virtual PCD 00 00" script.txt
            """
    )

    @Option(help: ArgumentHelp("vpcd's address for one slot: [HOST:]PORT (host default 127.0.0.1).", valueName: "[HOST:]PORT"))
    var vpcd: [String] = []

    @Option(name: .customLong("card"), help: ArgumentHelp("A profile for a fresh virtual card, per slot.", valueName: "PROFILE"))
    var profiles: [String] = []

    @Option(name: .customLong("image"), help: ArgumentHelp("A card image, per slot; changes are saved.", valueName: "FILE"))
    var images: [String] = []

    @Option(help: ArgumentHelp("The seed of the generated cardholders.", valueName: "N"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("A fault plan: the cards misbehave as it says (README: Fault injection); each slot counts its own commands.", valueName: "FILE"))
    var faults: String?

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if vpcd.isEmpty { throw ValidationError("give --vpcd [HOST:]PORT (vpcd's default is 35963)") }
        if !profiles.isEmpty && !images.isEmpty { throw ValidationError("give --card or --image, not both") }
        let sources = max(profiles.count, images.count)
        if sources > 1 && sources != vpcd.count {
            throw ValidationError("\(vpcd.count) slot(s) but \(sources) cards: give one card, or one per slot")
        }
        if Set(images).count != images.count { throw ValidationError("one image cannot be in two slots") }
    }

    static func endpoint(_ text: String) throws(CLIError) -> (String, UInt16) {
        var host = "127.0.0.1"
        var portText = text
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
        }
        guard let port = UInt16(portText), port > 0, !host.isEmpty else {
            throw CLIError("--vpcd \(text): expected [HOST:]PORT, e.g. 35963 or 127.0.0.1:35963", status: ExitStatus.badInput)
        }
        return (host, port)
    }

    func run() throws {
        try reporting {
            var bridges: [VPCDBridge] = []
            let plan = try faults.map(CardSourceOptions.faultPlan)
            let quiet = self.quiet
            for (slot, text) in vpcd.enumerated() {
                let (host, port) = try Self.endpoint(text)
                let card: VirtualVPCDCard
                let profile: String
                let injector = plan.map { FaultInjector(plan: $0) { event in if !quiet { printLine("slot \(slot): \(event)") } } }
                do {
                    if !images.isEmpty {
                        let file = CardImageFile(path: images.count == 1 ? images[0] : images[slot])
                        let state = try file.load()
                        card = VirtualVPCDCard(CardFactory.virtualCard(state, persistence: file), faults: injector)
                        profile = state.profile
                    } else {
                        // The name is checked now; the card is personalized
                        // when vpcd first asks for it.
                        let name = profiles.isEmpty ? "default" : profiles.count == 1 ? profiles[0] : profiles[slot]
                        let resolved = try CardProfiles.resolve(name)
                        let seed = self.seed
                        card = VirtualVPCDCard(making: { CardFactory.virtualCard(resolved.personalize(seed: seed)) }, faults: injector)
                        profile = resolved.name
                    }
                } catch {
                    throw CLIError("\(error)", status: ExitStatus.badInput)
                }
                bridges.append(
                    VPCDBridge(host: host, port: port, slot: slot, card: card) { event in
                        guard !quiet else { return }
                        switch event {
                        case .connected(let slot, let host, let port):
                            printLine("slot \(slot): card \(profile) inserted (connected to vpcd at \(host):\(port))")
                        case .disconnected(let slot, let reason):
                            printLine("slot \(slot): card removed (\(reason)); reconnecting")
                        case .retrying:
                            break
                        }
                    })
            }
            let stop = StopSignal()
            stop.fireOnTerminationSignals()
            let group = DispatchGroup()
            for bridge in bridges {
                group.enter()
                DispatchQueue.global().async {
                    bridge.run(until: stop)
                    group.leave()
                }
            }
            // Wait for the stop signal, then end every connection at once.
            stop.wait()
            for bridge in bridges { bridge.interrupt() }
            group.wait()
            if !quiet { printLine("stopped: the card\(bridges.count > 1 ? "s are" : " is") removed") }
        }
    }
}

struct Readers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readers",
        abstract: "List PC/SC readers and whether a card is present (with its ATR).",
        discussion: "Exit status 3 when pcscd is not running."
    )

    func run() throws {
        try reporting {
            let readers: [ReaderInfo]
            do {
                readers = try PCSCReaders.list()
            } catch {
                throw CLIError("\(error)", status: ExitStatus.transport)
            }
            if readers.isEmpty { printLine("no readers (is a reader driver such as vpcd installed?)") }
            for r in readers {
                printLine(r.cardPresent ? "\(r.name): card present, ATR \(Hex.encode(r.atr, separator: " "))" : "\(r.name): no card")
            }
        }
    }
}
