import Foundation
import TestSupport

/// Runs the built `sscard` executable, as users do.
enum SSCardProcess {
    typealias Result = ProcessResult

    static var executable: URL { ProcessRunner.sscard }

    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        try ProcessRunner.run(executable, arguments, environment: environment, stdin: stdin)
    }
}
