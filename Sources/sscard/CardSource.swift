// SSCard — where the CLI's card comes from: a fresh virtual card of a
// profile, or a card image whose state persists.

import ArgumentParser
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

    func validate() throws {
        if [profile != nil, image != nil, reader != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give one of --card, --image and --reader")
        }
        if seed != nil && reader != nil { throw ValidationError("--seed personalizes a virtual card, not a card in a reader") }
        if seed != nil && image != nil { throw ValidationError("--seed personalizes a fresh card; an image already has its cardholder") }
    }

    /// Describes the source for reports.
    var label: String { reader.map { "reader \($0)" } ?? image.map { "image \($0)" } ?? "virtual card (\(profile ?? "default"))" }

    /// Whether scripts share one card (an image or a reader) rather than each getting a fresh one.
    var isShared: Bool { image != nil || reader != nil }

    /// A new transport to the card (a fresh card for a profile each time).
    func makeTransport(profile defaultProfile: String? = nil) throws(CLIError) -> any CardTransport {
        if let reader {
            do {
                return PCSCTransport(reader: try PCSCReaders.resolve(reader))
            } catch {
                let status = error.code == .readerNotFound || error.code == .ambiguousReader ? ExitStatus.badInput : ExitStatus.transport
                throw CLIError(error.description, status: status)
            }
        }
        if let image {
            let file = CardImageFile(path: image)
            do {
                let state = try file.load()
                return VirtualCardTransport(card: CardFactory.virtualCard(state, persistence: file))
            } catch {
                throw CLIError(error.description, status: ExitStatus.badInput)
            }
        }
        do {
            let profile = try CardProfiles.resolve(self.profile ?? defaultProfile ?? "default")
            return VirtualCardTransport(card: CardFactory.virtualCard(profile.personalize(seed: seed)))
        } catch {
            throw CLIError(error.description, status: ExitStatus.badInput)
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
