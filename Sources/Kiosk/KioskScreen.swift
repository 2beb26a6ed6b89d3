// SSCard — Kiosk
//
// What a kiosk shows: one screen at a time, in Chinese with English
// beneath, as values that both faces render (the terminal as text, the web
// page from JSON). A screen never holds a PIN: a PIN prompt says what it
// asks for, and the digits go only to the engine.

public import BackOffice

/// A label in Chinese with its English.
public struct Bilingual: Hashable, Sendable {
    public var zh: String
    public var en: String
    public init(_ zh: String, _ en: String) {
        self.zh = zh
        self.en = en
    }
    public var text: String { en.isEmpty ? zh : zh + " | " + en }
    var json: JSON { .object([("zh", .string(zh)), ("en", .string(en))]) }
}

/// One choice of a menu.
public struct KioskOption: Hashable, Sendable {
    /// What to press or send: `1`, `2`, … `0`.
    public var key: String
    public var label: Bilingual
}

/// A screen.
public struct KioskScreen: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// No card: insert one.
        case waiting
        /// The cardholder's summary and the services.
        case menu
        /// A PIN (or the operator key) on the keypad.
        case pin
        /// An answer or a refusal; any key goes back.
        case message
        /// The card is done with: take it out.
        case eject
    }

    public var kind: Kind
    public var title: Bilingual
    public var lines: [Bilingual] = []
    public var options: [KioskOption] = []
    /// What a PIN screen asks for.
    public var prompt: Bilingual? = nil
    /// A note above the screen: the last step's error, a timeout, a removal.
    public var note: Bilingual? = nil
    /// Whether the entry is a secret (PIN, operator key): the faces mask it.
    public var secret: Bool { kind == .pin }

    public var json: JSON {
        var members: [(String, JSON)] = [
            ("kind", .string(kind.rawValue)), ("title", title.json), ("lines", .array(lines.map(\.json))),
            ("options", .array(options.map { .object([("key", .string($0.key)), ("label", $0.label.json)]) })),
        ]
        if let prompt { members.append(("prompt", prompt.json)) }
        if let note { members.append(("note", note.json)) }
        return .object(members)
    }

    /// Plain lines, for a log or a terminal that is not a TTY.
    public var plainLines: [String] {
        var out: [String] = []
        if let note { out.append("! " + note.text) }
        out.append("== " + title.text + " ==")
        for l in lines { out.append("  " + l.text) }
        for o in options { out.append(o.key.isEmpty ? "  " + o.label.text : "  [\(o.key)] " + o.label.text) }
        if let prompt { out.append("> " + prompt.text) }
        return out
    }
}
