// SSCard — where the CLI's card comes from: a fresh virtual card of a
// profile, or a card image whose state persists.

import ArgumentParser
import CardImage
import CardRuntime
import CardTransport

struct CardSourceOptions: ParsableArguments {
    @Option(name: .customLong("card"), help: ArgumentHelp("A profile for a fresh virtual card (see `sscard profiles`); default: default.", valueName: "PROFILE"))
    var profile: String?

    @Option(help: ArgumentHelp("A card image; every state change is saved to it.", valueName: "FILE"))
    var image: String?

    func validate() throws {
        if profile != nil && image != nil { throw ValidationError("give --card or --image, not both") }
    }

    /// Describes the source for reports.
    var label: String { image.map { "image \($0)" } ?? "virtual card (\(profile ?? "default"))" }

    /// A new transport to the card (a fresh card for a profile each time).
    func makeTransport() throws(CLIError) -> VirtualCardTransport {
        if let image {
            let file = CardImageFile(path: image)
            do {
                let state = try file.load()
                return VirtualCardTransport(card: VirtualCard(state: state, persistence: file))
            } catch {
                throw CLIError(error.description, status: ExitStatus.badInput)
            }
        }
        do {
            let profile = try CardProfiles.resolve(self.profile ?? "default")
            return VirtualCardTransport(card: VirtualCard(state: profile.personalize()))
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
