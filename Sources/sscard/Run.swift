// SSCard — `sscard run`

import ArgumentParser
import CardAPDU
import CardScript
import CardStandards
import CardTransport
import CardImage
import Dispatch
import FoundationEssentials
import Synchronization

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run APDU scripts with expected answers (conformance runs).",
        discussion: """
            Each SCRIPT is a .apdu file; a DIR is searched for .apdu files. Every script
            runs against a fresh virtual card of the profile, sending exactly the
            script's bytes (--auto-response adds GET RESPONSE on 61xx and the resend on
            6Cxx). With --image the scripts share the image, and its state persists
            between runs.

            Script format: '#' comments, 'reset', a command in hex per line, and after
            it '< expected response' with 'XX' any byte, 'X' any nibble, '*' any bytes;
            text after ':' is ignored. A scriptor transcript ('> ' commands) replays as
            it is. A comment line '# @card PROFILE' names the profile a script is
            written for; --card and --image take precedence. '# @destructive WHY' marks
            a script that leaves the card changed for good: with --image or --reader it
            runs only with --destructive. '[name:N]' in an expected answer keeps N
            bytes; '${name}' and the helpers ${ea(…)}, ${mac(…)}, ${pin(…)},
            ${pinblock(…)}, ${arpc(…)} build later commands (see the README).

            An apdutool (Java Card, jCardSim) script — 'powerup;', '0x00 0xA4 … 0x7F;',
            '//' comments — runs too, its commands unchecked. Directories are searched
            recursively; --jobs N runs scripts in parallel on independent virtual cards
            (the same verdicts as one at a time), --shard K/N a stable part of them
            (join the shards' JUnit files with `sscard report merge`); --html writes a
            report people look at.

            The last line is 'N passed, N failed' (scripts). Exit status: 0 all passed,
            1 an expectation failed, 2 a bad script or option (file:line: why), 3 a
            transport failure.
            """
    )

    @OptionGroup var source: CardSourceOptions
    @OptionGroup var pins: PINOptions

    @Flag(help: "Handle 61xx (GET RESPONSE) and 6Cxx (resend with the exact Le) automatically.")
    var autoResponse = false

    @Option(help: ArgumentHelp("Write a JUnit XML report.", valueName: "FILE"))
    var junit: String?

    @Option(help: ArgumentHelp("Write every exchange (PINs and keys masked).", valueName: "FILE"))
    var trace: String?

    @Option(help: ArgumentHelp("Also write a self-contained HTML report (summary, failures, latency plots).", valueName: "FILE"))
    var html: String?

    @Option(help: ArgumentHelp("Run N scripts at once, each on its own virtual card (not with --image or --reader).", valueName: "N"))
    var jobs = 1

    @Option(help: ArgumentHelp("Run shard K of N: a stable part of the scripts (by a hash of each path), for a CI matrix.", valueName: "K/N"))
    var shard: String?

    @Flag(help: "With --image or --reader, run the scripts marked '# @destructive' too (they leave the card changed for good).")
    var destructive = false

    @Flag(name: .shortAndLong, help: "Print only failures and the summary.")
    var quiet = false

    @Argument(help: "Scripts (.apdu) or directories of scripts.")
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one script or directory") }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs is 1 to 64") }
        if jobs > 1 && source.isShared { throw ValidationError("--jobs runs each script on its own virtual card; --image and --reader share one card") }
        if let shard, Self.shard(shard) == nil { throw ValidationError("--shard \(shard): give K/N with 1 ≤ K ≤ N, e.g. 2/4") }
    }

    /// `K/N` → (K, N).
    static func shard(_ text: String) -> (k: Int, n: Int)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(k) else { return nil }
        return (k, n)
    }

    /// Whether a script is in shard K of N: FNV-1a of its path, so that a
    /// script stays in its shard when others come or go.
    static func inShard(_ path: String, _ k: Int, _ n: Int) -> Bool {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in path.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(h % UInt64(n)) == k - 1
    }

    /// The scripts named by the arguments, directories expanded and sorted.
    static func scriptFiles(_ paths: [String]) throws(CLIError) -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        for path in paths {
            guard let type = (try? fm.attributesOfItem(atPath: path))?[.type] as? FileAttributeType else {
                throw CLIError("\(path): no such file or directory", status: ExitStatus.badInput)
            }
            if type == .typeDirectory {
                guard let all = try? fm.subpathsOfDirectory(atPath: path) else {
                    throw CLIError("\(path): cannot list the directory", status: ExitStatus.badInput)
                }
                let found = all.filter { $0.hasSuffix(".apdu") }.sorted()
                if found.isEmpty { throw CLIError("\(path): no .apdu scripts in it", status: ExitStatus.badInput) }
                files += found.map { (path.hasSuffix("/") ? path : path + "/") + $0 }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// Parses every script before anything runs; `${PIN}`, `${NEW_PIN}` and
    /// `${PIN_BLOCK}` (a recorded session's PINs) from the PIN sources, asked once.
    static func load(_ paths: [String], pins: PINOptions) throws(CLIError) -> [Script] {
        var texts: [(String, String)] = []
        for file in try scriptFiles(paths) {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIError("\(file): cannot read", status: ExitStatus.badInput)
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw CLIError("\(file): not UTF-8 text", status: ExitStatus.badInput)
            }
            texts.append((file, text))
        }
        let wanted = texts.reduce(into: Set<String>()) { $0.formUnion(ScriptPlaceholders.names(in: $1.1)) }
        var values: [String: String] = [:]
        if wanted.contains("PIN") || wanted.contains("PIN_BLOCK") {
            let pin = try pins.pin()
            values["PIN"] = Hex.encode(BCD.encode(pin, odd: .padWithF) ?? [])
            values["PIN_BLOCK"] = Hex.encode(PINBlock.format2(pin) ?? [])
        }
        if wanted.contains("NEW_PIN") { values["NEW_PIN"] = Hex.encode(BCD.encode(try pins.newPIN(), odd: .padWithF) ?? []) }
        var scripts: [Script] = []
        for (file, text) in texts {
            do {
                scripts.append(try ScriptParser.parse(try ScriptPlaceholders.substitute(text, values, name: file), name: file))
            } catch {
                throw CLIError("\(error)", status: ExitStatus.badInput)
            }
        }
        return scripts
    }

    func run() throws {
        try reporting {
            var scripts = try Self.load(paths, pins: pins)
            if let shard, let (k, n) = Self.shard(shard) { scripts = scripts.filter { Self.inShard($0.name, k, n) } }
            // A card that outlives the run is not blocked or rewritten unless asked.
            var skipped: [Script] = []
            if source.isShared && !destructive {
                skipped = scripts.filter { $0.destructive != nil }
                scripts = scripts.filter { $0.destructive == nil }
                for s in skipped where !quiet { printLine("SKIP \(s.name) (destructive: \(s.destructive!); --destructive runs it)") }
            }
            let start = Date()
            let progress = !quiet && System.isTerminal(2)
            var printed = 0
            var results: [ScriptResult?] = Array(repeating: nil, count: scripts.count)
            var traces: [String] = Array(repeating: "", count: scripts.count)
            /// Prints the finished results in script order.
            func flush() {
                while printed < results.count, let r = results[printed] {
                    if progress { writeAll(2, "\u{1B}[2K\r") }
                    report(r)
                    printed += 1
                }
                if progress, printed < results.count {
                    writeAll(2, "\u{1B}[2K\r[\(results.count(where: { $0 != nil }))/\(results.count)] \(scripts[printed].name)")
                }
            }
            // The fault plan is read once, not again for each script's card.
            let faults = try source.faultPlan()
            if jobs == 1 {
                let shared = source.isShared ? try source.spec.makeTransport(faults: faults) : nil
                for (i, script) in scripts.enumerated() {
                    let transport = try shared ?? source.spec.makeTransport(profile: script.cardProfile, faults: faults)
                    (results[i], traces[i]) = Self.run(script, transport, autoResponse: autoResponse, tracing: trace != nil)
                    flush()
                }
            } else {
                let state = Mutex<(results: [ScriptResult?], traces: [String], failure: CLIError?)>((results, traces, nil))
                let next = Atomic<Int>(0)
                let (profile, seed, autoResponse, tracing) = (source.profile, source.seed, autoResponse, trace != nil)
                let all = scripts
                DispatchQueue.concurrentPerform(iterations: jobs) { _ in
                    while true {
                        let i = next.add(1, ordering: .relaxed).oldValue
                        guard i < all.count else { return }
                        do throws(CLIError) {
                            let transport = try CardSourceOptions.virtualCard(
                                profile: profile ?? all[i].cardProfile ?? "default", seed: seed, faults: faults)
                            let (r, t) = Self.run(all[i], transport, autoResponse: autoResponse, tracing: tracing)
                            state.withLock { s in
                                s.results[i] = r
                                s.traces[i] = t
                            }
                        } catch {
                            state.withLock { s in s.failure = s.failure ?? error }
                        }
                    }
                }
                let done = state.withLock { ($0.results, $0.traces, $0.failure) }
                if let failure = done.2 { throw failure }
                (results, traces) = (done.0, done.1)
                flush()
            }
            let finished = results.compactMap { $0 }
            let passed = finished.filter(\.passed).count
            let failed = finished.count - passed
            let checks = finished.reduce(0) { $0 + $1.checks.count }
            let exchanges = finished.reduce(0) { $0 + $1.exchanges }
            if !quiet {
                let groups = HTMLReport.groups(finished)
                if groups.count > 1 {
                    for g in groups {
                        printLine("  \(g.directory): \(g.scripts) script(s), \(g.checks) check(s)\(g.failedChecks > 0 ? ", \(g.failedChecks) failed" : "")")
                    }
                }
                let ms = Int(Date().timeIntervalSince(start) * 1000)
                printLine("\(finished.count) script(s), \(checks) check(s), \(exchanges) APDU(s) in \(ms) ms\(jobs > 1 ? " on \(jobs) jobs" : "")")
            }
            do {
                if let junit {
                    let notRun = skipped.map { ($0, "destructive: \($0.destructive ?? ""); --destructive runs it") }
                    try JUnitReport.xml(finished, skipped: notRun).write(toFile: junit, atomically: true, encoding: .utf8)
                }
                if let trace { try traces.joined().write(toFile: trace, atomically: true, encoding: .utf8) }
                if let html { try HTMLReport.html(finished, source: source.label).write(toFile: html, atomically: true, encoding: .utf8) }
            } catch {
                throw CLIError("cannot write the report: \(CardImageFile.reason(error))", status: ExitStatus.badInput)
            }
            printLine("\(passed) passed, \(failed) failed" + (skipped.isEmpty ? "" : ", \(skipped.count) skipped"))
            if finished.contains(where: { $0.transportError != nil }) { throw ExitCode(ExitStatus.transport) }
            if failed > 0 { throw ExitCode(ExitStatus.checkFailed) }
        }
    }

    /// One script on one card; its trace (PINs and keys masked) when asked.
    static func run(
        _ script: Script, _ transport: any CardTransport, autoResponse: Bool, tracing: Bool, answers: Bool = false
    ) -> (ScriptResult, String) {
        let session = TerminalSession(transport: transport, autoGetResponse: autoResponse, autoResendOnWrongLe: autoResponse)
        var text = ""
        if tracing {
            text = "# \(script.name) on \(transport.name)\n"
            session.traceSink = { entry in
                text += "> \(APDUMask.describe(entry.command))\n< \(Hex.encode(entry.response, separator: " "))\n"
            }
        }
        let result = ScriptRunner.run(script, on: session, helpers: IssuerHelpers(), recordAnswers: answers)
        session.traceSink = nil
        return (result, text)
    }

    func report(_ r: ScriptResult) {
        let failures = r.failures
        if r.passed {
            if !quiet { printLine("PASS \(r.script.name) (\(r.checks.count) checks)") }
            return
        }
        printLine("FAIL \(r.script.name) (\(failures.count) of \(r.checks.count) checks failed\(r.scriptError == nil ? "" : ", stopped"))")
        for c in failures {
            printLine("  \(r.script.name):\(c.expectationLine): \(c.command)")
            printLine("    expected: \(c.expected)")
            printLine("    actual:   \(Hex.encode(c.actual, separator: " "))")
            printLine("    differs:  \(JUnitReport.differenceMarks(c))")
        }
        if let e = r.transportError { printLine("  transport failure: \(e)") }
        if let e = r.scriptError { printLine("  script error: \(e)") }
    }
}
