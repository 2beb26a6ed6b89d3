// SSCard — CardScript

import CardAPDU
public import CardTransport

/// The verdict on one expected response.
public struct Check: Sendable {
    /// Line of the command (or reset).
    public var line: Int
    /// Line of the expectation.
    public var expectationLine: Int
    /// The command, secrets masked (`reset` for a reset).
    public var command: String
    public var expected: ResponsePattern
    public var actual: [UInt8]
    public var passed: Bool
    /// The command's round trip, in seconds (with its GET RESPONSE and resends).
    public var seconds: Double = 0
}

/// The outcome of one script.
public struct ScriptResult: Sendable {
    public var script: Script
    public var checks: [Check]
    /// Commands sent, automatic exchanges included.
    public var exchanges: Int
    /// Commands sent without an expected answer (apdutool scripts, bare commands).
    public var unchecked: Int = 0
    /// Every command's answer, checked or not, in order (for `sscard diff`; kept when asked).
    public var answers: [Answer] = []
    var recordsAnswers = false
    /// A transport failure that ended the script early.
    public var transportError: TransportError?
    /// Wall time in seconds.
    public var seconds: Double

    /// A templated command that could not be made (a name never captured, a helper's refusal).
    public var scriptError: String? = nil
    public var failures: [Check] { checks.filter { !$0.passed } }
    public var passed: Bool { transportError == nil && scriptError == nil && failures.isEmpty }
}

/// Runs parsed scripts on a terminal session.
/// One command and what the card answered.
public struct Answer: Hashable, Sendable {
    public var line: Int
    public var command: String
    public var response: [UInt8]
}

public enum ScriptRunner {
    /// Runs a script: powers the card, then each step in order.
    /// - Parameters:
    ///   - clock: seconds on a monotonic clock; the result's ``ScriptResult/seconds``
    ///     is the difference across the run.
    /// - Parameter recordAnswers: keep every command's answer in ``ScriptResult/answers`` (for `sscard diff`).
    public static func run(
        _ script: Script, on session: TerminalSession, helpers: (any ScriptHelpers)? = nil, recordAnswers: Bool = false,
        clock: () -> Double = monotonicSeconds
    ) -> ScriptResult {
        let start = clock()
        var result = ScriptResult(script: script, checks: [], exchanges: 0, transportError: nil, seconds: 0)
        result.recordsAnswers = recordAnswers
        run(script, on: session, helpers: helpers, into: &result)
        // Measured here, not in a `defer`: a `defer` would run after the
        // result had been copied out, and every script would report 0 s.
        result.seconds = clock() - start
        return result
    }

    /// Seconds since an arbitrary origin, on the continuous (monotonic) clock.
    public static func monotonicSeconds() -> Double {
        let d = ContinuousClock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    private static let origin = ContinuousClock.now

    /// A templated command's bytes, from the captures so far and the helpers.
    static func make(_ template: [CommandPart], _ variables: inout [String: [UInt8]], _ helpers: (any ScriptHelpers)?, atr: [UInt8]) throws(ScriptHelperError) -> [UInt8] {
        func value(_ name: String, _ variables: [String: [UInt8]]) throws(ScriptHelperError) -> [UInt8] {
            guard let v = variables[name] else { throw ScriptHelperError("${\(name)}: nothing was captured under that name") }
            return v
        }
        var bytes: [UInt8] = []
        for part in template {
            switch part {
            case .bytes(let b): bytes += b
            case .variable(let name): bytes += try value(name, variables)
            case .helper(let name, let args, let assign):
                guard let helpers else { throw ScriptHelperError("${\(name)(…)}: no helpers here") }
                var values: [[UInt8]] = []
                for a in args {
                    switch a {
                    case .bytes(let b): values.append(b)
                    case .variable(let n): values.append(try value(n, variables))
                    }
                }
                let out = try helpers.call(name, values, atr: atr)
                if let assign { variables[assign] = out }
                bytes += out
            }
        }
        return bytes
    }

    static func run(_ script: Script, on session: TerminalSession, helpers: (any ScriptHelpers)?, into result: inout ScriptResult) {
        var variables: [String: [UInt8]] = [:]
        var atr: [UInt8] = []
        do {
            atr = try session.connect()
            for step in script.steps {
                switch step {
                case .templated(let line, let template, let expected, let expectationLine):
                    let bytes: [UInt8]
                    do throws(ScriptHelperError) {
                        bytes = try make(template, &variables, helpers, atr: atr)
                    } catch {
                        result.scriptError = "\(script.name):\(line): \(error.message)"
                        return
                    }
                    try send(bytes, line: line, expected: expected, expectationLine: expectationLine, session, &result, &variables)
                case .reset(let line, let expected):
                    let atr = try session.reset(cold: true)
                    if let expected {
                        result.checks.append(
                            Check(
                                line: line, expectationLine: line + 1, command: "reset", expected: expected, actual: atr,
                                passed: expected.matches(atr)))
                    }
                case .command(let line, let bytes, let expected, let expectationLine):
                    try send(bytes, line: line, expected: expected, expectationLine: expectationLine, session, &result, &variables)
                }
            }
        } catch {
            result.transportError = error
        }
    }

    /// One command: sent, timed, checked, its captures kept.
    static func send(
        _ bytes: [UInt8], line: Int, expected: ResponsePattern?, expectationLine: Int?, _ session: TerminalSession,
        _ result: inout ScriptResult, _ variables: inout [String: [UInt8]]
    ) throws(TransportError) {
        let sent = monotonicSeconds()
        let exchange = try session.exchange(bytes)
        let took = monotonicSeconds() - sent
        result.exchanges += exchange.wire.count
        result.unchecked += expected == nil ? 1 : 0
        if result.recordsAnswers { result.answers.append(Answer(line: line, command: APDUMask.describe(bytes), response: exchange.response)) }
        guard let expected else { return }
        let passed = expected.matches(exchange.response)
        if passed && !expected.captures.isEmpty { variables.merge(expected.captured(exchange.response)) { $1 } }
        result.checks.append(
            Check(
                line: line, expectationLine: expectationLine ?? line, command: APDUMask.describe(bytes),
                expected: expected, actual: exchange.response, passed: passed, seconds: took))
    }
}

/// JUnit XML for CI dashboards: a test suite per script, a test case per check.
public enum JUnitReport {
    /// Seconds to the microsecond, as JUnit readers expect (`0.000378`).
    static func seconds(_ s: Double) -> String {
        let micros = Int((s * 1e6).rounded())
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// `^^` under each actual byte that differs from the pattern, spaces under the rest.
    public static func differenceMarks(_ c: Check) -> String { marks(c.expected.mismatches(c.actual)) }

    /// `^^` under each byte flagged, spaces under the rest, to sit under `Hex.encode(…, separator: " ")`.
    public static func marks(_ flags: [Bool]) -> String {
        var line = flags.map { $0 ? "^^" : "  " }.joined(separator: " ")
        while line.hasSuffix(" ") { line.removeLast() }
        return line
    }

    /// Text for XML and HTML: the five markup characters as entities, other
    /// control characters (but newline and tab) as spaces.
    static func escapeMarkup(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case _ where c.value < 0x20 && c != "\n" && c != "\t": out += " "
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// - Parameter skipped: scripts not run, with why (a destructive script on a durable card).
    public static func xml(_ results: [ScriptResult], skipped: [(script: Script, why: String)] = []) -> String {
        func esc(_ s: String) -> String { escapeMarkup(s) }
        let tests = results.reduce(0) { $0 + $1.checks.count + ($1.transportError == nil ? 0 : 1) + ($1.scriptError == nil ? 0 : 1) } + skipped.count
        let failures = results.reduce(0) { $0 + $1.failures.count }
        let errors = results.reduce(0) { $0 + ($1.transportError == nil ? 0 : 1) + ($1.scriptError == nil ? 0 : 1) }
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"sscard run\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\"\(skipped.isEmpty ? "" : " skipped=\"\(skipped.count)\"")>\n"
        for r in results {
            let name = esc(r.script.name)
            let errors = (r.transportError == nil ? 0 : 1) + (r.scriptError == nil ? 0 : 1)
            x += "  <testsuite name=\"\(name)\" tests=\"\(r.checks.count + errors)\""
            x += " failures=\"\(r.failures.count)\" errors=\"\(errors)\" time=\"\(seconds(r.seconds))\">\n"
            for c in r.checks {
                x += "    <testcase classname=\"\(name)\" name=\"line \(c.line): \(esc(c.command))\">\n"
                if !c.passed {
                    let actual = Hex.encode(c.actual, separator: " ")
                    x += "      <failure message=\"expected \(esc(c.expected.description)), got \(actual)\">"
                    x += "\(name):\(c.expectationLine): \(esc(c.command))\nexpected: \(esc(c.expected.description))\nactual:   \(actual)"
                    x += "\ndiffers:  \(differenceMarks(c))"
                    x += "</failure>\n"
                }
                x += "    </testcase>\n"
            }
            if let e = r.transportError {
                x += "    <testcase classname=\"\(name)\" name=\"transport\">\n"
                x += "      <error message=\"\(esc(e.description))\"/>\n    </testcase>\n"
            }
            if let e = r.scriptError {
                x += "    <testcase classname=\"\(name)\" name=\"script\">\n"
                x += "      <error message=\"\(esc(e))\"/>\n    </testcase>\n"
            }
            x += "  </testsuite>\n"
        }
        for (script, why) in skipped {
            let name = esc(script.name)
            x += "  <testsuite name=\"\(name)\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\" time=\"0.000000\">\n"
            x += "    <testcase classname=\"\(name)\" name=\"destructive\">\n      <skipped message=\"\(esc(why))\"/>\n    </testcase>\n  </testsuite>\n"
        }
        x += "</testsuites>\n"
        return x
    }
}
