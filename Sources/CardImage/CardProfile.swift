// SSCard — CardImage

import CardAPDU
public import CardFileSystem
public import CardRuntime
import Foundation

/// A recipe for personalizing a card.
public struct CardProfile: Sendable {
    public let name: String
    public let summary: String
    /// Builds a fresh card.
    public let personalize: @Sendable () -> CardState

    public init(name: String, summary: String, personalize: @escaping @Sendable () -> CardState) {
        self.name = name
        self.summary = summary
        self.personalize = personalize
    }
}

/// The built-in profiles and profile files.
public enum CardProfiles {
    /// Every built-in profile, by name.
    public static let builtIn: [CardProfile] = [
        CardProfile(name: "default", summary: "the default card (for now the iso-test card)") {
            var s = ISOTestCard.make(answerMode: .direct)
            s.profile = "default"
            return s
        },
        CardProfile(
            name: "iso-test",
            summary: "ISO 7816-4 test card: every EF structure, two applications, PIN 01 (6 consecutive), PIN 02 (3 cumulative)"
        ) { ISOTestCard.make(answerMode: .direct) },
        CardProfile(name: "iso-test-t0", summary: "the iso-test card answering with T=0 realism (61xx, 6Cxx)") {
            var s = ISOTestCard.make(answerMode: .t0)
            s.profile = "iso-test-t0"
            return s
        },
    ]

    /// A built-in profile by name, or a profile file (a path, or a name
    /// ending in `.json`).
    /// - Throws: ``CardImageError`` for an unknown name or a bad file.
    public static func resolve(_ nameOrPath: String) throws(CardImageError) -> CardProfile {
        if let p = builtIn.first(where: { $0.name == nameOrPath }) { return p }
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".json") || FileManager.default.fileExists(atPath: nameOrPath) {
            return try ProfileFile.load(nameOrPath)
        }
        throw CardImageError(
            field: "", "unknown profile \"\(nameOrPath)\" (known: \(builtIn.map(\.name).joined(separator: ", ")); or give a profile file)")
    }
}

/// A profile file: a built-in base with overrides, in JSON.
///
/// ```json
/// { "schemaVersion": 1, "name": "strict-user", "base": "iso-test",
///   "answerMode": "t0",
///   "pins": { "user": { "value": "111111", "limit": 3, "policy": "cumulative", "mustChange": true } } }
/// ```
struct ProfileFile: Codable {
    var schemaVersion: Int
    var name: String
    var base: String
    var answerMode: String?
    var pins: [String: PINOverride]?

    struct PINOverride: Codable {
        var value: String?
        var limit: Int?
        var policy: String?
        var mustChange: Bool?
        var cardEnforcesChange: Bool?
        var changeAllowed: Bool?
    }

    static func load(_ path: String) throws(CardImageError) -> CardProfile {
        let doc: ProfileFile
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            doc = try JSONDecoder().decode(ProfileFile.self, from: data)
        } catch let e as DecodingError {
            throw CardImageCodec.describe(e, file: path)
        } catch {
            throw CardImageError(file: path, field: "", "cannot read the profile: \(CardImageFile.reason(error))")
        }
        guard doc.schemaVersion == 1 else { throw CardImageError(file: path, field: "schemaVersion", "must be 1") }
        guard let base = CardProfiles.builtIn.first(where: { $0.name == doc.base }) else {
            throw CardImageError(file: path, field: "base", "unknown built-in profile \"\(doc.base)\"")
        }
        var state = base.personalize()
        state.profile = doc.name
        if let m = doc.answerMode {
            guard let mode = AnswerMode(rawValue: m) else {
                throw CardImageError(file: path, field: "answerMode", "must be direct or t0")
            }
            state.answerMode = mode
        }
        // Apply the overrides through the image codec so that they are
        // validated exactly like an image.
        var image = CardImageCodec.document(state)
        for (label, o) in doc.pins ?? [:] {
            guard var pin = image.pins[label] else {
                throw CardImageError(
                    file: path, field: "pins.\(label)",
                    "the base profile has no such PIN (it has \(image.pins.keys.sorted().joined(separator: ", ")))")
            }
            if let v = o.value { pin.value = v }
            if let l = o.limit {
                pin.limit = l
                pin.remaining = l
            }
            if let p = o.policy { pin.policy = p }
            if let m = o.mustChange { pin.mustChange = m }
            if let c = o.cardEnforcesChange { pin.cardEnforcesChange = c }
            if let c = o.changeAllowed { pin.changeAllowed = c }
            image.pins[label] = pin
        }
        let checked: CardState
        do {
            checked = try CardImageCodec.state(image)
        } catch {
            var e = error
            e.file = path
            throw e
        }
        return CardProfile(name: doc.name, summary: "from \(path), based on \(doc.base)") { checked }
    }
}
