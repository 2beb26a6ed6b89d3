// SSCard — CardScript
//
// The HTML report of a conformance run: one self-contained file (no
// network: styles inline, plots as inline SVG) with the summary per
// directory, every failure with its expected and actual answer and the
// differing bytes marked, the time of each script and of each command as
// plots, and the slowest commands, so that a tester sees at a glance which
// commands are slow on a real card. The numbers are also in the file as
// JSON (`<script id="summary" type="application/json">`), for programs.

import CardAPDU
import CardTransport

/// The report.
public enum HTMLReport {
    /// A directory's totals.
    public struct Group: Hashable, Sendable {
        public var directory: String
        public var scripts = 0
        public var checks = 0
        public var failedChecks = 0
        public var failedScripts = 0
        public var exchanges = 0
        public var seconds = 0.0
    }

    /// The scripts' directories, in the order met, with their totals.
    public static func groups(_ results: [ScriptResult]) -> [Group] {
        var order: [String] = []
        var byDirectory: [String: Group] = [:]
        for r in results {
            let dir = directory(of: r.script.name)
            if byDirectory[dir] == nil {
                order.append(dir)
                byDirectory[dir] = Group(directory: dir)
            }
            byDirectory[dir]!.scripts += 1
            byDirectory[dir]!.checks += r.checks.count
            byDirectory[dir]!.failedChecks += r.failures.count
            byDirectory[dir]!.failedScripts += r.passed ? 0 : 1
            byDirectory[dir]!.exchanges += r.exchanges
            byDirectory[dir]!.seconds += r.seconds
        }
        return order.map { byDirectory[$0]! }
    }

    /// `apdu-scripts/social/x.apdu` → `apdu-scripts/social`.
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    static func esc(_ s: String) -> String { JUnitReport.escapeMarkup(s) }

    static func ms(_ s: Double) -> String {
        let v = (s * 1000 * 100).rounded() / 100
        return String(v)
    }

    static func us(_ s: Double) -> String { String(Int((s * 1e6).rounded())) }

    /// The actual bytes with the ones that differ in `<mark>`.
    static func marked(_ c: Check) -> String {
        let marks = c.expected.mismatches(c.actual)
        return zip(c.actual, marks).map { b, m in
            let h = Hex.encode([b])
            return m ? "<mark>\(h)</mark>" : h
        }.joined(separator: " ")
    }

    /// A horizontal bar chart: one bar a row, labelled, scaled to the largest.
    static func bars(_ rows: [(label: String, value: Double, failed: Bool)], unit: String, id: String) -> String {
        let width = 900.0, labelWidth = 360.0, barArea = width - labelWidth - 90, rowHeight = 18.0
        let top = max(rows.map(\.value).max() ?? 0, 1e-9)
        var svg = "<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(Double(rows.count) * rowHeight + 10))\" role=\"img\">"
        for (i, r) in rows.enumerated() {
            let y = Double(i) * rowHeight + 4
            let w = max(1, r.value / top * barArea)
            svg += "<text x=\"0\" y=\"\(y + 12)\" font-size=\"11\">\(esc(String(r.label.suffix(58))))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(w)\" height=\"\(rowHeight - 4)\" fill=\"\(r.failed ? "#c0392b" : "#2e86c1")\"><title>\(esc(r.label)): \(r.value) \(unit)</title></rect>"
            svg += "<text x=\"\(labelWidth + w + 4)\" y=\"\(y + 12)\" font-size=\"11\">\((r.value * 100).rounded() / 100) \(unit)</text>"
        }
        return svg + "</svg>"
    }

    /// Each command's latency as a point (x: the command in run order; y: µs).
    static func scatter(_ points: [(script: String, line: Int, command: String, micros: Double, failed: Bool)]) -> String {
        let width = 900.0, height = 260.0, left = 50.0, bottom = 20.0
        let top = max(points.map(\.micros).max() ?? 1, 1)
        var svg = "<svg id=\"commands\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">"
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width)\" y2=\"\(height - bottom)\" stroke=\"#888\"/>"
        svg += "<line x1=\"\(left)\" y1=\"0\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"#888\"/>"
        svg += "<text x=\"0\" y=\"12\" font-size=\"11\">\(Int(top)) µs</text><text x=\"0\" y=\"\(height - bottom)\" font-size=\"11\">0</text>"
        let n = max(points.count - 1, 1)
        for (i, p) in points.enumerated() {
            let x = left + Double(i) / Double(n) * (width - left - 10)
            let y = (height - bottom) - p.micros / top * (height - bottom - 10)
            svg += "<circle cx=\"\((x * 10).rounded() / 10)\" cy=\"\((y * 10).rounded() / 10)\" r=\"2\" fill=\"\(p.failed ? "#c0392b" : "#2e86c1")\">"
            svg += "<title>\(esc(p.script)):\(p.line) \(esc(p.command)): \(Int(p.micros)) µs</title></circle>"
        }
        return svg + "</svg>"
    }

    /// The whole report.
    /// - Parameter source: what the scripts ran against ("virtual card (default)", "reader …").
    public static func html(_ results: [ScriptResult], source: String, title: String = "sscard run") -> String {
        let groups = groups(results)
        let checks = results.reduce(0) { $0 + $1.checks.count }
        let failedChecks = results.reduce(0) { $0 + $1.failures.count }
        let failedScripts = results.filter { !$0.passed }.count
        let exchanges = results.reduce(0) { $0 + $1.exchanges }
        let seconds = results.reduce(0.0) { $0 + $1.seconds }
        var h = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(esc(title))</title>\n<style>"
        h += "body{font-family:sans-serif;margin:24px;color:#102030}table{border-collapse:collapse;margin:8px 0 24px}"
        h += "td,th{border:1px solid #ccd;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
        h += ".fail{color:#c0392b}.pass{color:#1e8449}mark{background:#f5b7b1;font-weight:bold}code,pre{font-family:monospace;font-size:12px}"
        h += ".failure{border-left:4px solid #c0392b;padding:4px 12px;margin:8px 0;background:#fdf2f2}</style></head><body>\n"
        let verdict = failedScripts == 0 ? "<span class=\"pass\">all passed</span>" : "<span class=\"fail\">\(failedScripts) script(s) failed</span>"
        h += "<h1>\(esc(title))</h1>\n<p>\(results.count) script(s), \(checks) checked command(s), \(failedChecks) failed check(s), \(exchanges) APDU(s) "
        h += "in \(ms(seconds)) ms against \(esc(source)): \(verdict)</p>\n"
        h += "<h2>By directory</h2>\n<table id=\"directories\"><tr><th>directory</th><th>scripts</th><th>checks</th><th>failed checks</th><th>failed scripts</th><th>APDUs</th><th>ms</th></tr>\n"
        for g in groups {
            h += "<tr><td>\(esc(g.directory))</td><td>\(g.scripts)</td><td>\(g.checks)</td><td class=\"\(g.failedChecks > 0 ? "fail" : "pass")\">\(g.failedChecks)</td>"
            h += "<td>\(g.failedScripts)</td><td>\(g.exchanges)</td><td>\(ms(g.seconds))</td></tr>\n"
        }
        h += "</table>\n<h2>Failures</h2>\n"
        if failedScripts == 0 { h += "<p>none</p>\n" }
        for r in results where !r.passed {
            h += "<div class=\"failure\"><h3>\(esc(r.script.name))</h3>\n"
            for c in r.failures {
                h += "<p><code>\(esc(r.script.name)):\(c.expectationLine)</code> <code>\(esc(c.command))</code></p>\n"
                h += "<pre>expected: \(esc(c.expected.description))\nactual:   \(marked(c))</pre>\n"
            }
            if let e = r.transportError { h += "<p class=\"fail\">transport failure: \(esc(e.description))</p>\n" }
            if let e = r.scriptError { h += "<p class=\"fail\">script error: \(esc(e))</p>\n" }
            h += "</div>\n"
        }
        h += "<h2>Time per script</h2>\n"
        h += bars(results.map { ($0.script.name, $0.seconds * 1000, !$0.passed) }, unit: "ms", id: "scripts")
        var points: [(script: String, line: Int, command: String, micros: Double, failed: Bool)] = []
        for r in results { for c in r.checks { points.append((r.script.name, c.line, c.command, c.seconds * 1e6, !c.passed)) } }
        h += "\n<h2>Time per command</h2>\n<p>Each checked command in the order it ran; hover for the command.</p>\n" + scatter(points)
        h += "\n<h2>The slowest commands</h2>\n<table id=\"slowest\"><tr><th>command</th><th>where</th><th>µs</th></tr>\n"
        for p in points.sorted(by: { $0.micros > $1.micros }).prefix(15) {
            h += "<tr><td><code>\(esc(String(p.command.prefix(60))))</code></td><td>\(esc(p.script)):\(p.line)</td><td>\(Int(p.micros))</td></tr>\n"
        }
        h += "</table>\n"
        // The numbers for programs.
        var json = "{\"scripts\":\(results.count),\"checks\":\(checks),\"failed_checks\":\(failedChecks),\"failed_scripts\":\(failedScripts),\"exchanges\":\(exchanges),\"directories\":["
        json += groups.map { g in
            "{\"directory\":\"\(jsonEscape(g.directory))\",\"scripts\":\(g.scripts),\"checks\":\(g.checks),\"failed_checks\":\(g.failedChecks),\"exchanges\":\(g.exchanges)}"
        }.joined(separator: ",")
        json += "],\"script_times_us\":{" + results.map { "\"\(jsonEscape($0.script.name))\":\(us($0.seconds))" }.joined(separator: ",") + "}}"
        h += "<script id=\"summary\" type=\"application/json\">\(json.replacingAll("</", with: "<\\/"))</script>\n</body></html>\n"
        return h
    }

    static func jsonEscape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where c.value < 0x20: out += " "
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

extension String {
    func replacingAll(_ a: String, with b: String) -> String {
        var out = ""
        var rest = self[...]
        while let r = rest.firstRange(of: a) {
            out += rest[..<r.lowerBound] + b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
