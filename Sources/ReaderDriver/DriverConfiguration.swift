// SSCard — ReaderDriver
//
// What the driver works with, without code (reader-api.md §5): an INI file
// (`SSCardDriver.ini` beside the library, or `$SSCARD_DRIVER_CONF`), each
// key overridable by an environment variable:
//
//   [driver]
//   card = profile:default        ; or image:FILE (changes persist), reader:NAME (PC/SC)
//   psam = virtual                ; or none: the HSM path (−2201)
//   pin = env:SSCARD_DRIVER_PIN   ; the keypad: env:NAME, file:PATH (one PIN a line), pipe:PATH
//   encoding = gbk                ; or utf-8
//   terminal = 510100000001       ; 终端机编号 (12 digits) [INFERRED]
//   device =                      ; 终端设备号
//   maxoutput = 1024              ; the callers' buffer size: a longer output is −42
//
// Environment: SSCARD_DRIVER_CARD, SSCARD_DRIVER_PSAM, SSCARD_DRIVER_PIN_SOURCE,
// SSCARD_DRIVER_ENCODING, SSCARD_DRIVER_TERMINAL, SSCARD_DRIVER_DEVICE,
// SSCARD_DRIVER_MAX_OUTPUT.

import CardStandards

/// Where the card is.
public enum DriverCardSource: Hashable, Sendable {
    case profile(String)
    case image(String)
    case reader(String)
}

/// Where the keypad's PINs come from.
public enum DriverPINSource: Hashable, Sendable {
    /// An environment variable (a new PIN from NAME_NEW, an old one from NAME_OLD when it is set).
    case environment(String)
    /// A file: one PIN a line, taken in order, each line used once.
    case file(String)
    /// A named pipe: a line read for each PIN asked.
    case pipe(String)
}

public enum DriverEncoding: String, Hashable, Sendable {
    case gbk
    case utf8 = "utf-8"
}

public struct DriverConfiguration: Hashable, Sendable {
    public var card: DriverCardSource = .profile("default")
    public var psam = true
    public var pin: DriverPINSource = .environment("SSCARD_DRIVER_PIN")
    public var encoding: DriverEncoding = .gbk
    public var terminal = "510100000001"
    public var device = ""
    /// The bytes a caller's output buffer holds, the NUL included (SDSES: 1024 is enough; a photo is not).
    public var maximumOutput = 1024

    public init() {}

    static let keys: [(ini: String, environment: String)] = [
        ("card", "SSCARD_DRIVER_CARD"), ("psam", "SSCARD_DRIVER_PSAM"), ("pin", "SSCARD_DRIVER_PIN_SOURCE"),
        ("encoding", "SSCARD_DRIVER_ENCODING"), ("terminal", "SSCARD_DRIVER_TERMINAL"), ("device", "SSCARD_DRIVER_DEVICE"),
        ("maxoutput", "SSCARD_DRIVER_MAX_OUTPUT"),
    ]

    /// The configuration from an INI text (`nil`: none) and the environment.
    /// - Throws: ``DriverFailure`` −14 naming the file, line or variable.
    public init(ini: String?, file: String = "SSCardDriver.ini", environment: [String: String]) throws(DriverFailure) {
        var values: [String: (String, String)] = [:]
        if let ini {
            for (n, raw) in ini.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                var line = Substring(raw)
                if let semicolon = line.firstIndex(where: { $0 == ";" || $0 == "#" }) { line = line[..<semicolon] }
                let text = String(line).trimmingWhitespace
                if text.isEmpty || text.hasPrefix("[") { continue }
                guard let eq = text.firstIndex(of: "=") else {
                    throw DriverFailure(-14, "\(file):\(n + 1): 配置格式错 (a line is key = value)")
                }
                let key = String(text[..<eq]).trimmingWhitespace.lowercased()
                guard Self.keys.contains(where: { $0.ini == key }) else {
                    throw DriverFailure(-14, "\(file):\(n + 1): 未知配置项 \(key) (\(Self.keys.map(\.ini).joined(separator: ", ")))")
                }
                values[key] = (String(text[text.index(after: eq)...]).trimmingWhitespace, "\(file):\(n + 1)")
            }
        }
        for (key, variable) in Self.keys {
            if let v = environment[variable], !v.isEmpty { values[key] = (v, "$\(variable)") }
        }
        self.init()
        for (key, (value, place)) in values {
            func bad(_ what: String) -> DriverFailure { DriverFailure(-14, "\(place): \(key) = \(value): \(what)") }
            switch key {
            case "card":
                if value.hasPrefix("profile:") { card = .profile(String(value.dropFirst(8))) }
                else if value.hasPrefix("image:") { card = .image(String(value.dropFirst(6))) }
                else if value.hasPrefix("reader:") { card = .reader(String(value.dropFirst(7))) }
                else { throw bad("give profile:NAME, image:FILE or reader:NAME") }
            case "psam":
                guard value == "virtual" || value == "none" else { throw bad("give virtual or none") }
                psam = value == "virtual"
            case "pin":
                if value.hasPrefix("env:") { pin = .environment(String(value.dropFirst(4))) }
                else if value.hasPrefix("file:") { pin = .file(String(value.dropFirst(5))) }
                else if value.hasPrefix("pipe:") { pin = .pipe(String(value.dropFirst(5))) }
                else { throw bad("give env:NAME, file:PATH or pipe:PATH") }
            case "encoding":
                guard let e = DriverEncoding(rawValue: value.lowercased() == "utf8" ? "utf-8" : value.lowercased()) else { throw bad("give gbk or utf-8") }
                encoding = e
            case "terminal":
                guard value.count == 12, value.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw bad("a terminal number is 12 digits") }
                terminal = value
            case "maxoutput":
                guard let n = Int(value), (256...1_048_576).contains(n) else { throw bad("give the buffer size in bytes, 256 to 1048576") }
                maximumOutput = n
            default:
                guard value.count <= 20 else { throw bad("at most 20 characters") }
                device = value
            }
        }
    }
}

