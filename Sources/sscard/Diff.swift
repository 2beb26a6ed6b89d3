// SSCard — `sscard diff`: the same scripts against two cards, and every
// command whose answers differ.

import ArgumentParser
import CardAPDU
import CardScript
import CardTransport

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Run the same scripts against two cards and report every command whose answers differ.",
        discussion: """
            The two cards, in this order: those of --reader, then --image, then --card (each may be
            given twice): a real card against a profile (--reader NAME --card PROFILE), two profiles
            (--card A --card B), two images. Expected answers in the scripts are ignored: each
            command's two answers are compared, and a difference is shown with both answers and the
            differing bytes marked. Random answers (GET CHALLENGE) differ by nature.
            Exit status: 0 no difference, 1 some, 2 bad input, 3 a transport failure.
            """)

    @Option(name: .customLong("card"), help: ArgumentHelp("A profile for a fresh virtual card.", valueName: "PROFILE"))
    var cards: [String] = []
    @Option(name: .customLong("image"), help: ArgumentHelp("A card image (its state persists).", valueName: "FILE"))
    var images: [String] = []
    @Option(name: .customLong("reader"), help: ArgumentHelp("A PC/SC reader, by part of its name.", valueName: "NAME"))
    var readers: [String] = []
    @OptionGroup var pins: PINOptions
    @Flag(help: "Handle 61xx and 6Cxx automatically.") var autoResponse = false
    @Argument(help: "Scripts (.apdu) or directories of scripts.") var paths: [String]

    func validate() throws {
        if readers.count + images.count + cards.count != 2 { throw ValidationError("give two cards (--reader, --image, --card; one may be given twice)") }
        if paths.isEmpty { throw ValidationError("give at least one script or directory") }
    }

    /// The two cards, in order.
    var sources: [CardSpec] { readers.map(CardSpec.reader) + images.map(CardSpec.image) + cards.map { .profile($0, seed: nil) } }

    func run() throws {
        try reporting {
            let scripts = try Run.load(paths, pins: pins)
            let (a, b) = (sources[0], sources[1])
            let sharedA = a.isShared ? try a.makeTransport() : nil
            let sharedB = b.isShared ? try b.makeTransport() : nil
            var differences = 0, compared = 0
            var transportFailure = false
            for script in scripts {
                let ra = Run.run(script, try sharedA ?? a.makeTransport(profile: script.cardProfile), autoResponse: autoResponse, tracing: false, answers: true).0
                let rb = Run.run(script, try sharedB ?? b.makeTransport(profile: script.cardProfile), autoResponse: autoResponse, tracing: false, answers: true).0
                for (x, y) in zip(ra.answers, rb.answers) {
                    compared += 1
                    guard x.response != y.response else { continue }
                    differences += 1
                    printLine("\(script.name):\(x.line): \(x.command)")
                    printLine("  A: \(Hex.encode(x.response, separator: " "))")
                    printLine("  B: \(Hex.encode(y.response, separator: " "))")
                    printLine("     \(Self.marks(x.response, y.response))")
                }
                if ra.answers.count != rb.answers.count || ra.transportError != nil || rb.transportError != nil {
                    transportFailure = true
                    printLine("\(script.name): A answered \(ra.answers.count) command(s), B \(rb.answers.count)"
                        + (ra.transportError.map { "; A: \($0)" } ?? "") + (rb.transportError.map { "; B: \($0)" } ?? ""))
                }
            }
            printLine("A: \(a.label); B: \(b.label)")
            printLine("\(scripts.count) script(s), \(compared) command(s) compared, \(differences) differ")
            if transportFailure { throw ExitCode(ExitStatus.transport) }
            if differences > 0 { throw ExitCode(ExitStatus.checkFailed) }
        }
    }

    /// `^^` under each byte position where the two answers differ (or one has no byte).
    static func marks(_ a: [UInt8], _ b: [UInt8]) -> String {
        JUnitReport.marks((0..<max(a.count, b.count)).map { i in !(i < a.count && i < b.count && a[i] == b[i]) })
    }
}
