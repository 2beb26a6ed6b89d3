// SSCard — CardAPDU

/// SW1 SW2, the status a card answers with (ISO/IEC 7816-4 §5.6).
///
/// An open set: every 16-bit value is representable, and the named constants
/// cover the interindustry table plus the words of the social-security
/// (MOHRSS) and PBOC specifications. Parameterised families (`61xx`, `63Cx`,
/// `6Cxx`) are read through ``bytesRemaining``, ``retriesRemaining`` and
/// ``exactLength``.
public struct StatusWord: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt16

    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(sw1: UInt8, sw2: UInt8) { self.rawValue = UInt16(sw1) << 8 | UInt16(sw2) }

    @inlinable public var sw1: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 8) }
    @inlinable public var sw2: UInt8 { UInt8(truncatingIfNeeded: rawValue) }

    /// ISO/IEC 7816-4 groups of SW1 values.
    public enum Category: Hashable, Sendable, CustomStringConvertible {
        /// `9000`, `61xx`.
        case normal
        /// `62xx`, `63xx`.
        case warning
        /// `64xx`–`66xx`.
        case executionError
        /// `67xx`–`6Fxx`.
        case checkingError
        /// `9xxx` other than `9000`: defined by the application (SSC, PBOC).
        case application
        /// Anything else: not a valid status word under ISO/IEC 7816-3.
        case invalid

        public var description: String {
            switch self {
            case .normal: "normal processing"
            case .warning: "warning"
            case .executionError: "execution error"
            case .checkingError: "checking error"
            case .application: "application-specific"
            case .invalid: "not an ISO 7816 status"
            }
        }
    }

    /// The ISO category, from SW1.
    public var category: Category {
        switch sw1 {
        case 0x90 where sw2 == 0x00, 0x61: .normal
        case 0x62, 0x63: .warning
        case 0x64...0x66: .executionError
        case 0x67...0x6F: .checkingError
        case 0x90...0x9F: .application
        default: .invalid
        }
    }

    /// `true` for `9000` and `61xx`.
    @inlinable public var isSuccess: Bool { rawValue == 0x9000 || sw1 == 0x61 }

    /// For `61xx`: how many response bytes are still available (`6100` = 256).
    @inlinable public var bytesRemaining: Int? {
        sw1 == 0x61 ? (sw2 == 0 ? 256 : Int(sw2)) : nil
    }

    /// For `6Cxx`: the exact Le the card wants (`6C00` = 256).
    @inlinable public var exactLength: Int? {
        sw1 == 0x6C ? (sw2 == 0 ? 256 : Int(sw2)) : nil
    }

    /// For `63Cx`: how many verification tries are left.
    @inlinable public var retriesRemaining: Int? {
        sw1 == 0x63 && sw2 & 0xF0 == 0xC0 ? Int(sw2 & 0x0F) : nil
    }

    // MARK: Families

    /// `61xx`: `xx` more bytes are available with GET RESPONSE.
    public static func bytesAvailable(_ count: Int) -> StatusWord {
        StatusWord(sw1: 0x61, sw2: UInt8(truncatingIfNeeded: count >= 256 ? 0 : count))
    }
    /// `6Cxx`: wrong Le; `xx` is the exact length.
    public static func wrongLe(exact count: Int) -> StatusWord {
        StatusWord(sw1: 0x6C, sw2: UInt8(truncatingIfNeeded: count >= 256 ? 0 : count))
    }
    /// `63Cx`: verification failed, `x` tries left (0…15).
    public static func verificationFailed(retriesRemaining x: Int) -> StatusWord {
        StatusWord(sw1: 0x63, sw2: 0xC0 | UInt8(truncatingIfNeeded: min(max(x, 0), 15)))
    }

    // MARK: Normal processing

    /// ISO/IEC 7816-4: `9000`, normal processing.
    public static let success = StatusWord(0x9000)

    // MARK: Warnings (62xx, 63xx)

    /// ISO/IEC 7816-4: `6200`, no information given, non-volatile memory unchanged.
    public static let warningNoInformation = StatusWord(0x6200)
    /// ISO/IEC 7816-4: `6281`, part of returned data may be corrupted.
    public static let dataMayBeCorrupted = StatusWord(0x6281)
    /// ISO/IEC 7816-4: `6282`, end of file or record reached before reading Ne bytes.
    public static let endOfFileReached = StatusWord(0x6282)
    /// ISO/IEC 7816-4: `6283`, selected file deactivated (PBOC: application blocked).
    public static let selectedFileDeactivated = StatusWord(0x6283)
    /// ISO/IEC 7816-4: `6284`, file control information not formatted properly.
    public static let fciNotFormatted = StatusWord(0x6284)
    /// ISO/IEC 7816-4: `6300`, no information given, non-volatile memory changed
    /// (PBOC: EXTERNAL AUTHENTICATE with a wrong ARPC).
    public static let authenticationFailed = StatusWord(0x6300)
    /// ISO/IEC 7816-4: `6381`, file filled up by the last write.
    public static let fileFilledUp = StatusWord(0x6381)

    // MARK: Execution errors (64xx–66xx)

    /// ISO/IEC 7816-4: `6400`, execution error, non-volatile memory unchanged.
    public static let executionError = StatusWord(0x6400)
    /// ISO/IEC 7816-4: `6500`, execution error, non-volatile memory changed.
    public static let memoryChanged = StatusWord(0x6500)
    /// ISO/IEC 7816-4: `6581`, memory failure.
    public static let memoryFailure = StatusWord(0x6581)
    /// ISO/IEC 7816-4: `6600`, security-related issue.
    public static let securityIssue = StatusWord(0x6600)

    // MARK: Checking errors (67xx–6Fxx)

    /// ISO/IEC 7816-4: `6700`, wrong length (Lc or Le).
    public static let wrongLength = StatusWord(0x6700)
    /// ISO/IEC 7816-4: `6800`, functions in CLA not supported.
    public static let claFunctionNotSupported = StatusWord(0x6800)
    /// ISO/IEC 7816-4: `6881`, logical channel not supported.
    public static let logicalChannelNotSupported = StatusWord(0x6881)
    /// ISO/IEC 7816-4: `6882`, secure messaging not supported.
    public static let secureMessagingNotSupported = StatusWord(0x6882)
    /// ISO/IEC 7816-4: `6900`, command not allowed.
    public static let commandNotAllowed = StatusWord(0x6900)
    /// SSC medical purse: `6901`, invalid state (a command out of order).
    public static let invalidState = StatusWord(0x6901)
    /// ISO/IEC 7816-4: `6981`, command incompatible with file structure.
    public static let incompatibleFileStructure = StatusWord(0x6981)
    /// ISO/IEC 7816-4: `6982`, security status not satisfied.
    public static let securityStatusNotSatisfied = StatusWord(0x6982)
    /// ISO/IEC 7816-4: `6983`, authentication method (PIN or key) blocked.
    public static let authenticationMethodBlocked = StatusWord(0x6983)
    /// ISO/IEC 7816-4: `6984`, reference data not usable (e.g. no challenge issued).
    public static let referenceDataNotUsable = StatusWord(0x6984)
    /// ISO/IEC 7816-4: `6985`, conditions of use not satisfied.
    public static let conditionsNotSatisfied = StatusWord(0x6985)
    /// ISO/IEC 7816-4: `6986`, command not allowed (no current EF).
    public static let noCurrentEF = StatusWord(0x6986)
    /// ISO/IEC 7816-4: `6987`, expected secure messaging data objects missing.
    public static let secureMessagingObjectsMissing = StatusWord(0x6987)
    /// ISO/IEC 7816-4: `6988`, incorrect secure messaging data objects (bad MAC).
    public static let secureMessagingObjectsIncorrect = StatusWord(0x6988)
    /// ISO/IEC 7816-4: `6A00`, wrong parameters P1-P2, no information.
    public static let wrongParametersNoInformation = StatusWord(0x6A00)
    /// ISO/IEC 7816-4: `6A80`, incorrect parameters in the data field.
    public static let incorrectData = StatusWord(0x6A80)
    /// ISO/IEC 7816-4: `6A81`, function not supported (SSC: card blocked).
    public static let functionNotSupported = StatusWord(0x6A81)
    /// ISO/IEC 7816-4: `6A82`, file or application not found.
    public static let fileNotFound = StatusWord(0x6A82)
    /// ISO/IEC 7816-4: `6A83`, record not found.
    public static let recordNotFound = StatusWord(0x6A83)
    /// ISO/IEC 7816-4: `6A84`, not enough memory space in the file.
    public static let notEnoughMemory = StatusWord(0x6A84)
    /// ISO/IEC 7816-4: `6A85`, Nc inconsistent with TLV structure.
    public static let lcInconsistentWithTLV = StatusWord(0x6A85)
    /// ISO/IEC 7816-4: `6A86`, incorrect parameters P1-P2.
    public static let incorrectP1P2 = StatusWord(0x6A86)
    /// ISO/IEC 7816-4: `6A87`, Nc inconsistent with P1-P2.
    public static let lcInconsistentWithP1P2 = StatusWord(0x6A87)
    /// ISO/IEC 7816-4: `6A88`, referenced data or key not found.
    public static let referencedDataNotFound = StatusWord(0x6A88)
    /// ISO/IEC 7816-4: `6A89`, file already exists.
    public static let fileAlreadyExists = StatusWord(0x6A89)
    /// ISO/IEC 7816-4: `6A8A`, DF name already exists.
    public static let dfNameAlreadyExists = StatusWord(0x6A8A)
    /// ISO/IEC 7816-4: `6B00`, wrong parameters P1-P2 (SSC: offset beyond the EF).
    public static let wrongParameters = StatusWord(0x6B00)
    /// ISO/IEC 7816-4: `6D00`, instruction code not supported or invalid.
    public static let insNotSupported = StatusWord(0x6D00)
    /// ISO/IEC 7816-4: `6E00`, class not supported.
    public static let claNotSupported = StatusWord(0x6E00)
    /// ISO/IEC 7816-4: `6F00`, no precise diagnosis.
    public static let noPreciseDiagnosis = StatusWord(0x6F00)

    // MARK: Application-specific (SSC part 5 table 5, PBOC)

    /// SSC: `9302`, MAC invalid.
    public static let macInvalid = StatusWord(0x9302)
    /// SSC/PBOC: `9303`, application permanently blocked.
    public static let applicationBlocked = StatusWord(0x9303)
    /// SSC: `9401`, insufficient balance.
    public static let insufficientBalance = StatusWord(0x9401)
    /// SSC: `9402`, transaction counter at its maximum.
    public static let counterAtMaximum = StatusWord(0x9402)
    /// SSC: `9403`, key index not supported.
    public static let keyIndexNotSupported = StatusWord(0x9403)
    /// SSC: `9406`, required MAC unavailable.
    public static let macUnavailable = StatusWord(0x9406)
}

extension StatusWord: CustomStringConvertible {
    /// Four uppercase hex digits, e.g. `6A82`.
    public var description: String { Hex.encode([sw1, sw2]) }
}

extension StatusWord {
    /// A sentence for people, from the ISO/IEC 7816-4 table and the SSC and
    /// PBOC specifications. Parameterised families include their parameter.
    public var meaning: String {
        if let n = bytesRemaining { return "\(n) response byte(s) still available (GET RESPONSE)" }
        if let n = exactLength { return "wrong Le; the exact length is \(n)" }
        if let n = retriesRemaining { return "verification failed, \(n) tries left" }
        if let text = Self.meanings[self] { return text }
        switch sw1 {
        case 0x62: return "warning: non-volatile memory unchanged"
        case 0x63: return "warning: non-volatile memory changed"
        case 0x64: return "execution error: non-volatile memory unchanged"
        case 0x65: return "execution error: non-volatile memory changed"
        case 0x66: return "execution error: security-related issue"
        case 0x67: return "wrong length"
        case 0x68: return "functions in CLA not supported"
        case 0x69: return "command not allowed"
        case 0x6A, 0x6B: return "wrong parameters P1-P2"
        case 0x6D: return "instruction code not supported or invalid"
        case 0x6E: return "class not supported"
        case 0x6F: return "no precise diagnosis"
        case 0x90...0x9F: return "application-specific status"
        default: return "not an ISO 7816 status word"
        }
    }

    private static let meanings: [StatusWord: String] = [
        .success: "normal processing",
        .warningNoInformation: "warning: no information given, non-volatile memory unchanged",
        .dataMayBeCorrupted: "part of the returned data may be corrupted",
        .endOfFileReached: "end of file or record reached before reading Ne bytes",
        .selectedFileDeactivated: "selected file or application deactivated (blocked)",
        .fciNotFormatted: "file control information not formatted properly",
        .authenticationFailed: "warning: no information given, non-volatile memory changed (authentication failed)",
        .fileFilledUp: "file filled up by the last write",
        .executionError: "execution error, non-volatile memory unchanged",
        .memoryChanged: "execution error, non-volatile memory changed",
        .memoryFailure: "memory failure",
        .securityIssue: "security-related issue",
        .wrongLength: "wrong length (Lc or Le)",
        .claFunctionNotSupported: "functions in CLA not supported",
        .logicalChannelNotSupported: "logical channel not supported",
        .secureMessagingNotSupported: "secure messaging not supported",
        .commandNotAllowed: "command not allowed",
        .invalidState: "invalid state (command out of sequence)",
        .incompatibleFileStructure: "command incompatible with file structure",
        .securityStatusNotSatisfied: "security status not satisfied",
        .authenticationMethodBlocked: "authentication method blocked (PIN or key locked)",
        .referenceDataNotUsable: "reference data not usable (e.g. no challenge issued)",
        .conditionsNotSatisfied: "conditions of use not satisfied",
        .noCurrentEF: "command not allowed: no current EF",
        .secureMessagingObjectsMissing: "expected secure messaging data objects missing (MAC missing)",
        .secureMessagingObjectsIncorrect: "incorrect secure messaging data objects (MAC wrong)",
        .wrongParametersNoInformation: "wrong parameters P1-P2",
        .incorrectData: "incorrect parameters in the data field",
        .functionNotSupported: "function not supported (card blocked)",
        .fileNotFound: "file or application not found",
        .recordNotFound: "record not found",
        .notEnoughMemory: "not enough memory space in the file",
        .lcInconsistentWithTLV: "Lc inconsistent with the TLV structure",
        .incorrectP1P2: "incorrect parameters P1-P2",
        .lcInconsistentWithP1P2: "Lc inconsistent with P1-P2",
        .referencedDataNotFound: "referenced data or key not found",
        .fileAlreadyExists: "file already exists",
        .dfNameAlreadyExists: "DF name already exists",
        .wrongParameters: "wrong parameters P1-P2 (offset beyond the end of the EF)",
        .insNotSupported: "instruction code not supported or invalid",
        .claNotSupported: "class not supported",
        .noPreciseDiagnosis: "no precise diagnosis (data invalid)",
        .macInvalid: "MAC invalid",
        .applicationBlocked: "application permanently blocked",
        .insufficientBalance: "insufficient balance",
        .counterAtMaximum: "transaction counter at its maximum",
        .keyIndexNotSupported: "key index not supported",
        .macUnavailable: "required MAC unavailable",
    ]
}
