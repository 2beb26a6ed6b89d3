// SSCard — where the CLI's card comes from: a fresh virtual card of a
// profile, or a card image whose state persists.

import ArgumentParser
import CardFaults
import CardImage
import CardPersonalization
import CardRuntime
import CardSimulator
import CardTransport
import CardTransportPCSC

struct CardSourceOptions: ParsableArguments {
    @Option(name: .customLong("card"), help: ArgumentHelp("A profile for a fresh virtual card (see `sscard profiles`); default: default.", valueName: "PROFILE"))
    var profile: String?

    @Option(help: ArgumentHelp("A card image; every state change is saved to it.", valueName: "FILE"))
    var image: String?

    @Option(help: ArgumentHelp("The seed of the generated cardholder (the same seed gives the same card).", valueName: "N"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("A PC/SC reader, by part of its name (see `sscard readers`).", valueName: "NAME"))
    var reader: String?

    @Option(help: ArgumentHelp("A fault plan: the virtual card misbehaves as it says (README: Fault injection).", valueName: "FILE"))
    var faults: String?

    func validate() throws {
        if faults != nil && reader != nil {
            throw ValidationError("--faults makes the virtual card misbehave; a card in a reader answers for itself")
        }
        if [profile != nil, image != nil, reader != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give one of --card, --image and --reader")
        }
        if seed != nil && reader != nil { throw ValidationError("--seed personalizes a virtual card, not a card in a reader") }
        if seed != nil && image != nil { throw ValidationError("--seed personalizes a fresh card; an image already has its cardholder") }
    }

    /// The source as a value.
    var spec: CardSpec { reader.map(CardSpec.reader) ?? image.map(CardSpec.image) ?? .profile(profile, seed: seed) }

    /// Describes the source for reports.
    var label: String { spec.label }

    /// Whether scripts share one card (an image or a reader) rather than each getting a fresh one.
    var isShared: Bool { spec.isShared }

    /// A new transport to the card (a fresh card for a profile each time).
    func makeTransport(profile defaultProfile: String? = nil) throws(CLIError) -> any CardTransport {
        try spec.makeTransport(profile: defaultProfile, faults: try faultPlan())
    }

    /// The plan of `--faults`, read and checked (exit 2 naming the line).
    func faultPlan() throws(CLIError) -> FaultPlan? { try faults.map(Self.faultPlan) }

    /// A fault plan file, read and checked (exit 2 naming the line).
    static func faultPlan(_ path: String) throws(CLIError) -> FaultPlan {
        do throws(FaultPlanError) {
            return try FaultPlan.load(path)
        } catch {
            throw CLIError(error.description, status: ExitStatus.badInput)
        }
    }

    /// A fresh virtual card of a profile (from any thread: it shares nothing).
    static func virtualCard(profile name: String, seed: UInt64?, faults: FaultPlan? = nil) throws(CLIError) -> any CardTransport {
        do {
            let profile = try CardProfiles.resolve(name)
            return VirtualCardTransport(card: CardFactory.virtualCard(profile.personalize(seed: seed)), faults: faults.map(injector))
        } catch {
            throw CLIError(error.description, status: ExitStatus.badInput)
        }
    }

    /// An injector for `plan` whose faults are told on stderr as they fire.
    static func injector(_ plan: FaultPlan) -> FaultInjector {
        FaultInjector(plan: plan) { event in printError("sscard: \(event)") }
    }
}

/// Where a card is: a reader, an image, or a profile's fresh virtual card.
enum CardSpec {
    case reader(String)
    case image(String)
    /// `nil`: the script's own profile, else `default`.
    case profile(String?, seed: UInt64?)

    var label: String {
        switch self {
        case .reader(let r): "reader \(r)"
        case .image(let i): "image \(i)"
        case .profile(let p, _): "virtual card (\(p ?? "default"))"
        }
    }

    var isShared: Bool {
        if case .profile = self { return false }
        return true
    }

    /// A new transport to the card (a fresh card for a profile each time;
    /// `defaultProfile` when the spec names none).
    func makeTransport(profile defaultProfile: String? = nil, faults: FaultPlan? = nil) throws(CLIError) -> any CardTransport {
        switch self {
        case .reader(let reader):
            do {
                return PCSCTransport(reader: try PCSCReaders.resolve(reader))
            } catch {
                let status = error.code == .readerNotFound || error.code == .ambiguousReader ? ExitStatus.badInput : ExitStatus.transport
                throw CLIError(error.description, status: status)
            }
        case .image(let image):
            let file = CardImageFile(path: image)
            do {
                let state = try file.load()
                return VirtualCardTransport(card: CardFactory.virtualCard(state, persistence: file), faults: faults.map(CardSourceOptions.injector))
            } catch {
                throw CLIError(error.description, status: ExitStatus.badInput)
            }
        case .profile(let p, let seed):
            return try CardSourceOptions.virtualCard(profile: p ?? defaultProfile ?? "default", seed: seed, faults: faults)
        }
    }
}

/// An error the CLI reports as one line on stderr with an exit status.
struct CLIError: Error {
    var message: String
    var status: Int32
    init(_ message: String, status: Int32) {
        self.message = message
        self.status = status
    }
}

extension ParsableCommand {
    /// Runs `body`, turning a ``CLIError`` into its line and exit status.
    func reporting(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as CLIError {
            printError("sscard: " + e.message)
            throw ExitCode(e.status)
        }
    }
}
