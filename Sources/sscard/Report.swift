// SSCard — `sscard report merge`: the JUnit files of a sharded run, joined.

import ArgumentParser
import FoundationEssentials

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Work with run reports.",
        subcommands: [Merge.self])

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge",
            abstract: "Join the JUnit files of the shards of a run (sscard run --shard K/N --junit FILE) into one.",
            discussion: """
                Each FILE's test suites are kept as they are, in the order given; the root's totals
                are summed. A script that appears in two files (a suite of the same name) is an error:
                the shards of one run are disjoint. Writes --out FILE, or standard output.
                """)

        @Option(help: ArgumentHelp("The joined report (default: standard output).", valueName: "FILE"))
        var out: String?

        @Argument(help: "JUnit files.")
        var files: [String]

        func validate() throws {
            if files.isEmpty { throw ValidationError("give the JUnit files to join") }
        }

        /// The `<testsuite …>…</testsuite>` elements of a JUnit text, with their names and counts.
        static func suites(_ text: String, file: String) throws(CLIError) -> [(name: String, tests: Int, failures: Int, errors: Int, skipped: Int, xml: String)] {
            guard text.contains("<testsuites") || text.contains("<testsuite") else {
                throw CLIError("\(file): not a JUnit report (no <testsuites>)", status: ExitStatus.badInput)
            }
            var out: [(String, Int, Int, Int, Int, String)] = []
            var rest = text[...]
            while let open = rest.firstRange(of: "<testsuite ") {
                let after = rest[open.upperBound...]
                guard let headEnd = after.firstIndex(of: ">") else { throw CLIError("\(file): a <testsuite> without its '>'", status: ExitStatus.badInput) }
                let head = String(after[..<headEnd])
                let selfClosing = head.hasSuffix("/")
                let end: String.Index
                if selfClosing {
                    end = after.index(after: headEnd)
                } else {
                    guard let close = after.firstRange(of: "</testsuite>") else {
                        throw CLIError("\(file): a <testsuite> without its </testsuite>", status: ExitStatus.badInput)
                    }
                    end = close.upperBound
                }
                func attribute(_ name: String) -> String? {
                    guard let r = head.firstRange(of: " \(name)=\"") ?? (head.hasPrefix("\(name)=\"") ? head.firstRange(of: "\(name)=\"") : nil) else { return nil }
                    let value = head[r.upperBound...]
                    return value.firstIndex(of: "\"").map { String(value[..<$0]) }
                }
                let name = attribute("name") ?? ""
                guard let tests = Int(attribute("tests") ?? "") else {
                    throw CLIError("\(file): the suite \"\(name)\" has no tests count", status: ExitStatus.badInput)
                }
                out.append((
                    name, tests, Int(attribute("failures") ?? "0") ?? 0, Int(attribute("errors") ?? "0") ?? 0, Int(attribute("skipped") ?? "0") ?? 0,
                    String(rest[open.lowerBound..<end])
                ))
                rest = rest[end...]
            }
            return out
        }

        func run() throws {
            try reporting {
                var all: [(name: String, tests: Int, failures: Int, errors: Int, skipped: Int, xml: String)] = []
                var seen: [String: String] = [:]
                for file in files {
                    guard let bytes = readFileBytes(file) else { throw CLIError("\(file): cannot read", status: ExitStatus.badInput) }
                    for s in try Self.suites(String(decoding: bytes, as: UTF8.self), file: file) {
                        if let other = seen[s.name] {
                            throw CLIError("\(file): the suite \"\(s.name)\" is in \(other) too (the shards of one run are disjoint)", status: ExitStatus.badInput)
                        }
                        seen[s.name] = file
                        all.append(s)
                    }
                }
                let tests = all.reduce(0) { $0 + $1.tests }, failures = all.reduce(0) { $0 + $1.failures }, errors = all.reduce(0) { $0 + $1.errors }
                let skipped = all.reduce(0) { $0 + $1.skipped }
                var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                x += "<testsuites name=\"sscard run\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\"\(skipped > 0 ? " skipped=\"\(skipped)\"" : "")>\n"
                for s in all { x += "  " + s.xml + "\n" }
                x += "</testsuites>\n"
                if let out {
                    do {
                        try x.write(toFile: out, atomically: true, encoding: .utf8)
                    } catch {
                        throw CLIError("\(out): cannot write: \(error)", status: ExitStatus.badInput)
                    }
                    printError("\(all.count) suite(s), \(tests) test(s), \(failures) failure(s), \(errors) error(s) from \(files.count) file(s)")
                } else {
                    writeAll(1, x)
                }
            }
        }
    }
}
