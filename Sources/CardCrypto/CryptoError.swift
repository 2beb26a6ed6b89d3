// SSCard — CardCrypto

/// A computation that could not be done: libcrypto failed, the algorithm is
/// not available (SSF33), or the input has no valid form.
///
/// Equality and hashing look only at ``code``.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: Hashable, Sendable { case libcrypto, unsupportedAlgorithm, invalidInput }
        fileprivate let backing: Backing

        /// A libcrypto call failed (``CryptoError/opensslError`` is `ERR_get_error()`).
        public static let libcrypto = Code(backing: .libcrypto)
        /// The algorithm has no implementation here (SSF33).
        public static let unsupportedAlgorithm = Code(backing: .unsupportedAlgorithm)
        /// The input cannot be computed on (a PIN that no block carries, a command too long).
        public static let invalidInput = Code(backing: .invalidInput)

        public var description: String {
            switch backing {
            case .libcrypto: "libcrypto"
            case .unsupportedAlgorithm: "unsupportedAlgorithm"
            case .invalidInput: "invalidInput"
            }
        }
    }

    public var code: Code
    /// The operation or libcrypto function.
    public var function: String
    /// `ERR_get_error()`, for ``Code/libcrypto``.
    public var opensslError: UInt
    public var detail: String?
    /// Where it was thrown (`#fileID`, `#line`).
    public var sourceLocation: (file: String, line: Int)

    public init(
        _ code: Code, function: String, opensslError: UInt = 0, detail: String? = nil, fileID: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.function = function
        self.opensslError = opensslError
        self.detail = detail
        self.sourceLocation = (fileID, line)
    }

    public static func == (a: CryptoError, b: CryptoError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String {
        switch code {
        case .libcrypto: "\(function) failed (OpenSSL error \(String(opensslError, radix: 16)))"
        case .unsupportedAlgorithm: "\(function) is not available"
        default: "\(function): \(detail ?? "invalid input")"
        }
    }
}
