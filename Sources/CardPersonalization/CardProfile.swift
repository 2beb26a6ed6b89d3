// SSCard — CardPersonalization

import CardStandards
import CardAPDU
import CardCrypto
import CardFileSystem
public import CardImage
public import CardRuntime
import FoundationEssentials
import PSAMApplet
import SocialSecurityApplet
import PBOCApplet

/// A recipe for personalizing a card.
public struct CardProfile: Sendable {
    public let name: String
    public let summary: String
    /// The seed used when none is given.
    public let defaultSeed: UInt64
    /// The regional profile of a financial social security card (none for test cards and the PSAM).
    public let socialProfile: SocialSecurityProfile?
    let make: @Sendable (UInt64) -> CardState

    public init(
        name: String, summary: String, defaultSeed: UInt64 = 1, socialProfile: SocialSecurityProfile? = nil,
        make: @escaping @Sendable (UInt64) -> CardState
    ) {
        self.name = name
        self.summary = summary
        self.defaultSeed = defaultSeed
        self.socialProfile = socialProfile
        self.make = make
    }

    /// Builds a fresh card; the same seed always gives the same card.
    public func personalize(seed: UInt64? = nil) -> CardState { make(seed ?? defaultSeed) }
}

/// The built-in profiles and profile files.
public enum CardProfiles {
    /// A profile file's bytes (JSON), checked whole as `resolve` checks a
    /// file; `path` names it in errors (the fuzz target's way in).
    package static func profile(decoding bytes: [UInt8], path: String) throws(CardImageError) -> CardProfile {
        try ProfileFile.decode(Data(bytes), path: path)
    }

    static func social(_ p: SocialSecurityProfile) -> CardProfile {
        CardProfile(name: p.name, summary: p.summary, defaultSeed: p.defaultSeed, socialProfile: p) { seed in p.personalize(seed: seed) }
    }

    static let defaultCard = SocialSecurityProfile(
        name: "default",
        summary: "3.00 card (SM4), T=0 ATR, direct answers; social PIN the region's initial one, 6 consecutive tries, must change; bank PIN from the ID number, 3 tries",
        specVersion: "3.00", region: "510100")

    /// Every built-in profile, by name.
    public static let builtIn: [CardProfile] = {
        var des = defaultCard
        des.name = "default-des"
        des.summary = "the default card as a 2.00 card (DES): EF06 readable without external authentication"
        des.specVersion = "2.00"
        des.region = "330300"
        des.defaultSeed = 2
        var t0 = defaultCard
        t0.name = "default-t0"
        t0.summary = "the default card with T=0 answers: SELECT SSSE gives 611E, GET RESPONSE the FCI"
        t0.answerMode = .t0
        var cumulative = defaultCard
        cumulative.name = "cumulative"
        cumulative.summary = "medical PIN the region's own, change disabled, 3 cumulative tries (a correct PIN does not reset them); bank PIN the bank's fixed one"
        cumulative.region = "130900"
        cumulative.defaultSeed = 3
        cumulative.socialPIN = "111111"
        cumulative.socialPINLimit = 3
        cumulative.socialPINPolicy = .cumulative
        cumulative.mustChange = false
        cumulative.changeAllowed = false
        cumulative.bankPIN = .fixed("955330")
        var chongqing = defaultCard
        chongqing.name = "chongqing"
        chongqing.summary = "three PINs: social (the region's initial one), query PIN = last six characters of the card number, bank PIN set at activation"
        chongqing.region = "500100"
        chongqing.defaultSeed = 4
        chongqing.queryPIN = true
        chongqing.bankPIN = .atActivation
        chongqing.bankActivated = false
        var emvtool = defaultCard
        emvtool.name = "emvtool"
        emvtool.summary = "the default card with the bank data of the published PBOC worked sample (16-digit PAN 6212340000000007, ZHANG/SAN, the sample's bank PIN, GENERATE AC in format 2), which python-emv's emvtool can show"
        emvtool.pbocSample = true
        emvtool.bankPIN = .fixed("123456")
        emvtool.pbocOptions = PBOCOptions(gacFormat2: true)
        emvtool.defaultSeed = 5
        var national = defaultCard
        national.name = "national-crypto"
        national.summary = "the default card with SM4 (national cryptography) bank cryptograms; the SM4 key derivation is inferred from the 3DES one, as no public test vector exists"
        national.pbocOptions = PBOCOptions(sm4: true)
        national.defaultSeed = 6
        return [
            social(defaultCard), social(des), social(t0), social(cumulative), social(chongqing), social(emvtool), social(national),
            CardProfile(
                name: "iso-test",
                summary: "ISO 7816-4 test card: every EF structure, two applications, PIN 01 (6 consecutive), PIN 02 (3 cumulative)"
            ) { _ in ISOTestCard.make(answerMode: .direct) },
            CardProfile(name: "iso-test-t0", summary: "the iso-test card answering with T=0 realism (61xx, 6Cxx)") { _ in
                var s = ISOTestCard.make(answerMode: .t0)
                s.profile = "iso-test-t0"
                return s
            },
            CardProfile(name: "psam", summary: "the virtual PSAM (D15600000590) with the test issuer's master keys, DES and SM4") { _ in
                VirtualPSAM.state()
            },
        ]
    }()

    /// A built-in profile by name, or a profile file (a path, or a name
    /// ending in `.json`).
    /// - Throws: ``CardImageError`` for an unknown name or a bad file.
    /// The initial social PIN of a region's built-in profile and whether a
    /// terminal forces its change ([INFERRED]: the terminal knows its
    /// region's issuing rule; the card does not say).
    public static func initialSocialPIN(region: String?) -> (pin: String, mustChange: Bool)? {
        builtIn.compactMap(\.socialProfile).first { $0.region == region }.map { ($0.socialPIN, $0.mustChange) }
    }

    public static func resolve(_ nameOrPath: String) throws(CardImageError) -> CardProfile {
        if let p = builtIn.first(where: { $0.name == nameOrPath }) { return p }
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".json") || FileManager.default.fileExists(atPath: nameOrPath) {
            return try ProfileFile.load(nameOrPath)
        }
        throw CardImageError(
            .unknownProfile, field: "", "unknown profile \"\(nameOrPath)\" (known: \(builtIn.map(\.name).joined(separator: ", ")); or give a profile file)")
    }
}

/// Makes virtual cards with their applets.
public enum CardFactory {
    /// A virtual card for a state, with the applets its applications need:
    /// the SSSE applet on `sx1.sh.社会保障` (its algorithm from the FCI) and
    /// the PSAM applet on every `D15600000590` ADF.
    public static func virtualCard(_ state: CardState, persistence: (any CardPersistence)? = nil) -> VirtualCard {
        var card = VirtualCard(state: state, persistence: persistence)
        let files = state.files
        for i in files.indices {
            guard let df = files[i].df, let name = df.name else { continue }
            if name == SocialSecurity.ssseName && i != FileSystem.mf {
                let algorithm = algorithmID(df.fciProprietary).flatMap(SocialSecurityAlgorithm.init(rawValue:)) ?? .des
                card.register(SocialSecurityApplet(ssse: i, algorithm: algorithm), at: i)
            } else if name == PSAM.aid {
                card.register(PSAMApplet(), at: i)
            } else if name == PBOC.debitAID {
                card.register(PBOCApplet(adf: i), at: i)
                // In the PSE and at the MF, outside the ADF, GPO and GENERATE AC answer 6985.
                if let pse = files[i].parent, pse != FileSystem.mf { card.register(PBOCApplet(adf: i), at: pse) }
                if !card.hasApplet(at: FileSystem.mf) { card.register(PBOCApplet(adf: i), at: FileSystem.mf) }
            }
        }
        return card
    }

    /// The algorithm identifier in an FCI proprietary template: `9F0C { 86 xx }`
    /// (absent: DES, ssc.md §1.2).
    static func algorithmID(_ proprietary: [UInt8]) -> UInt8? {
        guard let i = proprietary.firstRange(of: [0x9F, 0x0C])?.lowerBound, i + 5 < proprietary.count + 0,
            proprietary.count > i + 5, proprietary[i + 3] == 0x86, proprietary[i + 4] == 0x01
        else { return nil }
        return proprietary[i + 5]
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
    var seed: UInt64?
    /// READ RECORD/BINARY return the whole record for Le 00 or a wrong Le
    /// instead of `6Cxx` (the lenient mode of ssc.md §1.5; off in the built-ins).
    var lenientLe: Bool?
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
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CardImageError(.unreadable, file: path, field: "", "cannot read the profile: \(CardImageFile.reason(error))")
        }
        return try decode(data, path: path)
    }

    /// A profile file's bytes, checked whole; `path` names it in errors.
    static func decode(_ data: Data, path: String) throws(CardImageError) -> CardProfile {
        let doc: ProfileFile
        do {
            doc = try JSONDecoder().decode(ProfileFile.self, from: data)
        } catch let e as DecodingError {
            throw CardImageCodec.describe(e, file: path)
        } catch {
            throw CardImageError(.malformed, file: path, field: "", "not a profile: \(error)")
        }
        guard doc.schemaVersion == 1 else { throw CardImageError(.unsupportedSchema, file: path, field: "schemaVersion", "must be 1") }
        guard let base = CardProfiles.builtIn.first(where: { $0.name == doc.base }) else {
            throw CardImageError(.unknownProfile, file: path, field: "base", "unknown built-in profile \"\(doc.base)\"")
        }
        let mode: AnswerMode? = try CardImageCodec.choice(doc.answerMode, "answerMode", file: path)
        // Check the overrides once now, so that a bad file fails at once.
        _ = try apply(doc, to: base.personalize(seed: doc.seed), mode: mode, path: path)
        let answerMode = mode
        return CardProfile(name: doc.name, summary: "from \(path), based on \(doc.base)", defaultSeed: doc.seed ?? base.defaultSeed) { seed in
            // Checked above: the overrides do not depend on the seed.
            try! apply(doc, to: base.personalize(seed: seed), mode: answerMode, path: path)
        }
    }

    /// Applies the overrides through the image codec, so that they are
    /// validated exactly like an image.
    static func apply(_ doc: ProfileFile, to base: CardState, mode: AnswerMode?, path: String) throws(CardImageError) -> CardState {
        var state = base
        state.profile = doc.name
        if let mode { state.answerMode = mode }
        if doc.lenientLe == true {
            try! state.files.relaxStrictLe()
        }
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
        do {
            return try CardImageCodec.state(image)
        } catch {
            var e = error
            e.file = path
            throw e
        }
    }
}
