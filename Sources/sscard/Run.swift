// SSCard — `sscard run`

import ArgumentParser
import CardAPDU
import CardScript
import CardTransport
import CardImage
import FoundationEssentials

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run APDU scripts with expected answers (conformance runs).",
        discussion: """
            Each SCRIPT is a .apdu file; a DIR is searched for .apdu files. Every script runs
            against a fresh virtual card of the profile, sending exactly the script's bytes
            (--auto-response adds GET RESPONSE on 61xx and the resend on 6Cxx). With --image
            the scripts share the image, and its state persists between runs.

            Script format: '#' comments, 'reset', a command in hex per line, and after it
            '< expected response' with 'XX' any byte, 'X' any nibble, '*' any bytes; text after
            ':' is ignored. A scriptor transcript ('> ' commands) replays as it is. A comment
            line '# @card PROFILE' names the profile a script is written for; --card and
            --image take precedence.

            The last line is 'N passed, N failed' (scripts). Exit status: 0 all passed,
            1 an expectation failed, 2 a bad script or option (file:line: why), 3 a transport failure.
            """
    )

    @OptionGroup var source: CardSourceOptions

    @Flag(help: "Handle 61xx (GET RESPONSE) and 6Cxx (resend with the exact Le) automatically.")
    var autoResponse = false

    @Option(help: ArgumentHelp("Write a JUnit XML report.", valueName: "FILE"))
    var junit: String?

    @Option(help: ArgumentHelp("Write every exchange (PINs and keys masked).", valueName: "FILE"))
    var trace: String?

    @Flag(name: .shortAndLong, help: "Print only failures and the summary.")
    var quiet = false

    @Argument(help: "Scripts (.apdu) or directories of scripts.")
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one script or directory") }
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

    func run() throws {
        try reporting {
            // Parse everything before anything runs.
            var scripts: [Script] = []
            for file in try Self.scriptFiles(paths) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CLIError("\(file): cannot read", status: ExitStatus.badInput)
                }
                guard let text = String(data: data, encoding: .utf8) else {
                    throw CLIError("\(file): not UTF-8 text", status: ExitStatus.badInput)
                }
                do {
                    scripts.append(try ScriptParser.parse(text, name: file))
                } catch {
                    throw CLIError("\(error)", status: ExitStatus.badInput)
                }
            }
            var traceText = ""
            var results: [ScriptResult] = []
            let shared = source.isShared ? try source.makeTransport() : nil
            let start = Date()
            for script in scripts {
                let transport = try shared ?? source.makeTransport(profile: script.cardProfile)
                let session = TerminalSession(
                    transport: transport, autoGetResponse: autoResponse, autoResendOnWrongLe: autoResponse)
                if trace != nil {
                    traceText += "# \(script.name) on \(transport.name)\n"
                    session.traceSink = { entry in
                        traceText += "> \(APDUMask.describe(entry.command))\n< \(Hex.encode(entry.response, separator: " "))\n"
                    }
                }
                let result = ScriptRunner.run(script, on: session)
                results.append(result)
                report(result)
            }
            let passed = results.filter(\.passed).count
            let failed = results.count - passed
            let checks = results.reduce(0) { $0 + $1.checks.count }
            let exchanges = results.reduce(0) { $0 + $1.exchanges }
            if !quiet {
                let ms = Int(Date().timeIntervalSince(start) * 1000)
                printLine("\(scripts.count) script(s), \(checks) check(s), \(exchanges) APDU(s) in \(ms) ms")
            }
            do {
                if let junit { try JUnitReport.xml(results).write(toFile: junit, atomically: true, encoding: .utf8) }
                if let trace { try traceText.write(toFile: trace, atomically: true, encoding: .utf8) }
            } catch {
                throw CLIError("cannot write the report: \(CardImageFile.reason(error))", status: ExitStatus.badInput)
            }
            printLine("\(passed) passed, \(failed) failed")
            if results.contains(where: { $0.transportError != nil }) { throw ExitCode(ExitStatus.transport) }
            if failed > 0 { throw ExitCode(ExitStatus.checkFailed) }
        }
    }

    func report(_ r: ScriptResult) {
        let failures = r.failures
        if r.passed {
            if !quiet { printLine("PASS \(r.script.name) (\(r.checks.count) checks)") }
            return
        }
        printLine("FAIL \(r.script.name) (\(failures.count) of \(r.checks.count) checks failed)")
        for c in failures {
            printLine("  \(r.script.name):\(c.expectationLine): \(c.command)")
            printLine("    expected: \(c.expected)")
            printLine("    actual:   \(Hex.encode(c.actual, separator: " "))")
        }
        if let e = r.transportError { printLine("  transport failure: \(e)") }
    }
}
