// SSCard — CardAPDU

/// The card side's error: a command ends with this status word.
///
/// File-system, runtime and applet code throw it with typed throws
/// (`throws(CardStatusError)`); the dispatcher catches it in one place and
/// answers with ``status`` (Java Card's `ISOException`, vsmartcard's `SwError`).
public struct CardStatusError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The status word to answer with; never `9000`.
    public let status: StatusWord

    @inlinable public init(_ status: StatusWord) { self.status = status }

    public var description: String { "\(status) (\(status.meaning))" }

    public static let wrongLength = CardStatusError(.wrongLength)
    public static let incorrectP1P2 = CardStatusError(.incorrectP1P2)
    public static let wrongParameters = CardStatusError(.wrongParameters)
    public static let fileNotFound = CardStatusError(.fileNotFound)
    public static let recordNotFound = CardStatusError(.recordNotFound)
    public static let securityStatusNotSatisfied = CardStatusError(.securityStatusNotSatisfied)
    public static let authenticationMethodBlocked = CardStatusError(.authenticationMethodBlocked)
    public static let conditionsNotSatisfied = CardStatusError(.conditionsNotSatisfied)
    public static let incompatibleFileStructure = CardStatusError(.incompatibleFileStructure)
    public static let noCurrentEF = CardStatusError(.noCurrentEF)
    public static let incorrectData = CardStatusError(.incorrectData)
    public static let notEnoughMemory = CardStatusError(.notEnoughMemory)
    public static let lcInconsistentWithTLV = CardStatusError(.lcInconsistentWithTLV)
    public static let referencedDataNotFound = CardStatusError(.referencedDataNotFound)
    public static let referenceDataNotUsable = CardStatusError(.referenceDataNotUsable)
    public static let insNotSupported = CardStatusError(.insNotSupported)
    public static let claNotSupported = CardStatusError(.claNotSupported)
    public static let memoryFailure = CardStatusError(.memoryFailure)
    public static let noPreciseDiagnosis = CardStatusError(.noPreciseDiagnosis)
}
