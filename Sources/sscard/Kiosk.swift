// SSCard — `sscard kiosk`: the self-service terminal (自助终端) driven by
// card insertion, on a terminal (a TTY: screens cleared, PINs without echo;
// otherwise plain lines) and, with --web, as a local touch-screen page.

import ArgumentParser
import BackOffice
import BackOfficeStore
import CardPersonalization
import CardSimulator
import CardTransport
import CardTransportPCSC
import FoundationEssentials
import Kiosk
import Terminal
import CardStandards

struct KioskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiosk",
        abstract: "A self-service kiosk: insert a card, see its accounts, query, change the PIN, report a loss, activate.",
        discussion: """
            The card: --reader NAME waits for cards in a PC/SC reader (insertion and removal are the
            reader's); --card PROFILE or --image FILE is a virtual card, inserted at the start (or by
            an `insert` line of --input). The back office: --backoffice URL, or --db FILE in process
            (else $SSCARD_DB, else the default database).

            --input FILE (- for standard input) drives the kiosk unattended, one entry a line:
              insert | remove        put the virtual card in, take it out
              wait N                 N seconds pass (the idle timeout fires when N ≥ --idle)
              cancel                 the cancel key
              1 … 9, 0               a menu choice; at a PIN screen, the PIN's digits
              # …                    a comment
            With --reader, entries are taken only while a card is in. PINs typed on a terminal are
            not echoed, and PINs are never printed or logged. Screens go to standard output (one
            JSON object a screen with --json), the log to standard error. The operator mode (reload
            a blocked PIN through the PSAM) opens with the key in --operator-key-file or
            $SSCARD_KIOSK_OPERATOR_KEY. With --web ADDR (127.0.0.1:PORT) the same kiosk is a web
            page served on that address instead (see the README).
            """)

    @OptionGroup var source: CardSourceOptions

    @Option(help: ArgumentHelp("The back office over HTTP (sscard backoffice serve).", valueName: "URL"))
    var backoffice: String?

    @Option(help: ArgumentHelp("The back office's database, in process.", valueName: "FILE"))
    var db: String?

    @Option(help: ArgumentHelp("The entries, one a line (- for standard input).", valueName: "FILE"))
    var input: String?

    @Option(help: ArgumentHelp("Seconds a screen waits for an entry.", valueName: "SECONDS"))
    var idle: Double = 60

    @Option(help: ArgumentHelp("The operator key (first line of FILE; else $SSCARD_KIOSK_OPERATOR_KEY).", valueName: "FILE"))
    var operatorKeyFile: String?

    @Option(help: ArgumentHelp("Serve the kiosk as a web page on this address (loopback unless told otherwise).", valueName: "HOST:PORT"))
    var web: String?

    @Flag(help: "Print each screen as one JSON object.")
    var json = false

    func validate() throws {
        if backoffice != nil && db != nil { throw ValidationError("give --backoffice or --db, not both") }
        if !(0.05...86_400).contains(idle) { throw ValidationError("--idle is 0.05 to 86400 seconds") }
    }

    func run() throws {
        try reporting {
            if let web { try runWeb(web) } else { try runTerminal() }
        }
    }

    /// `--web`: checks what the web kiosk needs, then becomes `sscard-kiosk`
    /// (Hummingbird stays out of sscard), keeping the PID.
    func runWeb(_ address: String) throws(CLIError) {
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        let host = parts.count == 2 ? String(parts[0]) : "127.0.0.1"
        guard (1...2).contains(parts.count), !host.isEmpty, let port = Int(parts.last!), (0...65_535).contains(port) else {
            throw CLIError("--web \(address): give HOST:PORT or PORT (loopback), e.g. 127.0.0.1:8090", status: ExitStatus.badInput)
        }
        guard input == nil, !json else {
            throw CLIError("--web: the page is driven from the browser; --input and --json are for the terminal face", status: ExitStatus.badInput)
        }
        guard source.seed == nil else { throw CLIError("--web takes a profile's own cardholder; give no --seed", status: ExitStatus.badInput) }
        guard source.faults == nil else {
            throw CLIError("--web: --faults is for the terminal face; for the web kiosk, serve the faulty card in pcscd (sscard serve --faults) and give --reader", status: ExitStatus.badInput)
        }
        let card = source.reader.map { "reader:" + $0 } ?? source.image.map { "image:" + $0 } ?? "profile:" + (source.profile ?? "default")
        _ = try source.makeTransport()
        _ = try POSCommand.link(url: backoffice, db: db, area: "510100")
        let office = backoffice ?? "db:" + (db ?? BackOfficeDatabase.defaultPath())
        if let key = try operatorKey() { System.setEnvironment("SSCARD_KIOSK_OPERATOR_KEY", key) }
        throw CLIError(System.execSibling("sscard-kiosk", [host, String(port), card, office, String(idle)]), status: ExitStatus.badInput)
    }

    func operatorKey() throws(CLIError) -> String? {
        if let operatorKeyFile {
            guard let bytes = readFileBytes(operatorKeyFile) else { throw CLIError("\(operatorKeyFile): cannot read the operator key", status: ExitStatus.badInput) }
            let key = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            guard !key.isEmpty else { throw CLIError("\(operatorKeyFile): the operator key is empty", status: ExitStatus.badInput) }
            return key
        }
        return ProcessInfo.processInfo.environment["SSCARD_KIOSK_OPERATOR_KEY"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func runTerminal() throws {
        let link = try POSCommand.link(url: backoffice, db: db, area: "510100")
        var configuration = KioskConfiguration()
        configuration.idleSeconds = idle
        configuration.operatorKey = try operatorKey()
        configuration.initialPIN = { region in CardProfiles.initialSocialPIN(region: region) }
        let card = try source.makeTransport()
        let psam = VirtualCardTransport(card: CardFactory.virtualCard(VirtualPSAM.state()))
        let engine = KioskEngine(backOffice: link, configuration: configuration) {
            SocialTerminal(card: TerminalSession(transport: card), psam: TerminalSession(transport: psam))
        }
        engine.log = { printError("kiosk: " + $0) }
        let fd: Int32
        if let input {
            guard let f = System.openForLines(input) else { throw CLIError("\(input): cannot read the kiosk's input", status: ExitStatus.badInput) }
            fd = f
        } else {
            fd = 0
        }
        let tty = input == nil && System.isTerminal(0) && System.isTerminal(1)
        let face = TerminalFace(json: json, clear: tty)
        let monitor = source.reader != nil ? PCSCMonitor() : nil
        let readerName = source.reader
        face.show(engine.screen)
        if monitor == nil && input == nil { face.show(engine.handle(.inserted)) }

        /// Applies the reader's insertions and removals; waits up to `ms` for one.
        func pollReader(_ ms: UInt) throws(CLIError) {
            guard let monitor, let readerName else { return }
            let events: [PCSCMonitor.Event]
            do {
                events = try monitor.next(timeout: ms)
            } catch {
                throw CLIError("the reader: \(error)", status: ExitStatus.transport)
            }
            for e in events {
                switch e {
                case .cardInserted(let r, _) where r.contains(readerName): face.show(engine.handle(.inserted))
                case .cardRemoved(let r) where r.contains(readerName): face.show(engine.handle(.removed))
                default: break
                }
            }
        }

        while true {
            if monitor != nil {
                try pollReader(engine.awaitsEntry ? 0 : 250)
                if !engine.awaitsEntry { continue }
            }
            // One entry, within the idle time (in slices, so that a removal is seen meanwhile).
            var read = System.LineRead.timeout
            var waited = 0.0
            let limit = engine.awaitsEntry ? idle : nil
            while true {
                let slice = monitor == nil ? limit : min(0.25, (limit ?? 0.25) - waited)
                read = System.readLine(fd, seconds: slice, secret: engine.screen.secret && tty)
                guard read == .timeout else { break }
                waited += slice ?? 0
                if monitor != nil {
                    try pollReader(0)
                    if !engine.awaitsEntry { break }
                }
                if let limit, waited >= limit - 0.001 { break }
            }
            switch read {
            case .end:
                return
            case .timeout:
                if engine.awaitsEntry { face.show(engine.handle(.timeout)) }
            case .line(let raw):
                let line = raw.trimmingWhitespace
                if line.isEmpty || line.hasPrefix("#") { continue }
                // The log of a session shows menu keys and commands; anything else may be a PIN.
                let shown = !engine.screen.secret && (line.count <= 2 || ["insert", "remove", "cancel"].contains(line) || line.hasPrefix("wait"))
                face.echo(shown ? line : "******")
                if line == "insert" || line == "remove" {
                    guard monitor == nil else {
                        printError("kiosk: \(line): the reader's card comes and goes by itself")
                        continue
                    }
                    face.show(engine.handle(line == "insert" ? .inserted : .removed))
                } else if line.hasPrefix("wait") {
                    guard let n = Double(line.dropFirst(4).trimmingWhitespace), (0...3600).contains(n) else {
                        throw CLIError("\(input ?? "input"): \"\(line)\": give wait SECONDS", status: ExitStatus.badInput)
                    }
                    let awaiting = engine.awaitsEntry
                    var left = n
                    while left > 0 {
                        System.sleep(seconds: min(left, 0.25))
                        left -= 0.25
                        try pollReader(0)
                    }
                    if awaiting && engine.awaitsEntry && n >= idle { face.show(engine.handle(.timeout)) }
                } else if line == "cancel" {
                    face.show(engine.handle(.cancel))
                } else {
                    face.show(engine.handle(.entry(line)))
                }
            }
        }
    }
}

/// The terminal face: each screen as text (cleared first on a TTY), or as JSON.
final class TerminalFace {
    let json: Bool
    let clear: Bool
    init(json: Bool, clear: Bool) {
        self.json = json
        self.clear = clear
    }

    func show(_ screen: KioskScreen) {
        if json {
            printLine(screen.json.serialized)
            return
        }
        if clear { writeAll(1, "\u{1B}[2J\u{1B}[H") }
        for l in screen.plainLines { printLine(l) }
    }

    /// What was entered, as the log of a session shows it (a PIN masked).
    func echo(_ text: String) {
        if !json && !clear { printLine("< " + text) }
    }
}
