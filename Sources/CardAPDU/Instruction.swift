// SSCard — CardAPDU

/// An instruction byte (INS), an open set with the names used by ISO/IEC
/// 7816-4, EMV/PBOC and the social-security specification.
public struct Instruction: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    /// ISO/IEC 7816-4: `A4`.
    public static let select = Instruction(0xA4)
    /// ISO/IEC 7816-4: `B0`.
    public static let readBinary = Instruction(0xB0)
    /// ISO/IEC 7816-4: `B2`.
    public static let readRecord = Instruction(0xB2)
    /// ISO/IEC 7816-4: `D6`.
    public static let updateBinary = Instruction(0xD6)
    /// ISO/IEC 7816-4: `DC`.
    public static let updateRecord = Instruction(0xDC)
    /// ISO/IEC 7816-4: `E2`.
    public static let appendRecord = Instruction(0xE2)
    /// ISO/IEC 7816-4: `20`.
    public static let verify = Instruction(0x20)
    /// ISO/IEC 7816-4: `24` (with CLA `84`: SSC/PBOC PIN CHANGE/UNBLOCK).
    public static let changeReferenceData = Instruction(0x24)
    /// ISO/IEC 7816-4: `2C`.
    public static let resetRetryCounter = Instruction(0x2C)
    /// ISO/IEC 7816-4: `84`.
    public static let getChallenge = Instruction(0x84)
    /// ISO/IEC 7816-4: `82`.
    public static let externalAuthenticate = Instruction(0x82)
    /// ISO/IEC 7816-4: `88`.
    public static let internalAuthenticate = Instruction(0x88)
    /// ISO/IEC 7816-4: `C0`.
    public static let getResponse = Instruction(0xC0)
    /// ISO/IEC 7816-4: `CA`.
    public static let getData = Instruction(0xCA)
    /// ISO/IEC 7816-4: `DA`.
    public static let putData = Instruction(0xDA)
    /// EMV: `A8` GET PROCESSING OPTIONS.
    public static let getProcessingOptions = Instruction(0xA8)
    /// EMV: `AE` GENERATE APPLICATION CRYPTOGRAM.
    public static let generateAC = Instruction(0xAE)
    /// SSC: `5E` CHANGE PIN (CLA `80`).
    public static let changePIN = Instruction(0x5E)
    /// SSC/EMV: `1E` APPLICATION BLOCK.
    public static let applicationBlock = Instruction(0x1E)
    /// EMV: `18` APPLICATION UNBLOCK.
    public static let applicationUnblock = Instruction(0x18)
    /// SSC/EMV: `16` CARD BLOCK.
    public static let cardBlock = Instruction(0x16)
    /// SSC PSAM: `DE` DELIVERY SESSION KEY (CLA `BF`).
    public static let deliverySessionKey = Instruction(0xDE)
    /// SSC PSAM: `FA` CIPHER DATA (CLA `80`).
    public static let cipherData = Instruction(0xFA)

    /// The command's name for a given class byte, or `nil` when unknown.
    ///
    /// Some INS values mean different things under proprietary classes: `24`
    /// is CHANGE REFERENCE DATA under CLA `00` and PIN CHANGE/UNBLOCK under
    /// `84`; under CLA `B0` (the SSC medical purse) `26`–`56` are purse commands.
    public func name(cla: UInt8) -> String? {
        if cla == 0xB0 {
            switch rawValue {
            case 0x26: return "GET BALANCE"
            case 0x28: return "INITIALIZE FOR LOAD/PURCHASE"
            case 0x2A: return "CREDIT FOR LOAD"
            case 0x2C: return "DEBIT FOR PURCHASE"
            case 0x2E: return "GET TRANSACTION PROOF"
            case 0x56: return "UPDATE/GET STARTING DAY"
            default: break
            }
        }
        if cla == 0xBF && rawValue == 0xEC { return "INITIALIZE ENVIRONMENT" }
        if cla & 0x0C != 0, rawValue == 0x24 { return "PIN CHANGE/UNBLOCK" }
        if cla == 0x80, rawValue == 0x70 { return "INIT SAM FOR PURCHASE" }
        if cla == 0x80, rawValue == 0xC4 { return "PIN HASH" }
        switch rawValue {
        case 0x04: return "DEACTIVATE FILE"
        case 0x0E: return "ERASE BINARY"
        case 0x10: return "PERFORM SCQL OPERATION"
        case 0x16: return "CARD BLOCK"
        case 0x18: return "APPLICATION UNBLOCK"
        case 0x1E: return "APPLICATION BLOCK"
        case 0x20: return "VERIFY"
        case 0x21: return "VERIFY"
        case 0x22: return "MANAGE SECURITY ENVIRONMENT"
        case 0x24: return "CHANGE REFERENCE DATA"
        case 0x26: return "DISABLE VERIFICATION REQUIREMENT"
        case 0x28: return "ENABLE VERIFICATION REQUIREMENT"
        case 0x2A: return "PERFORM SECURITY OPERATION"
        case 0x2C: return "RESET RETRY COUNTER"
        case 0x44: return "ACTIVATE FILE"
        case 0x46: return "GENERATE ASYMMETRIC KEY PAIR"
        case 0x5E: return "CHANGE PIN"
        case 0x70: return "MANAGE CHANNEL"
        case 0x82: return "EXTERNAL AUTHENTICATE"
        case 0x84: return "GET CHALLENGE"
        case 0x86, 0x87: return "GENERAL AUTHENTICATE"
        case 0x88: return "INTERNAL AUTHENTICATE"
        case 0xA0, 0xA1: return "SEARCH BINARY"
        case 0xA2: return "SEARCH RECORD"
        case 0xA4: return "SELECT"
        case 0xA8: return "GET PROCESSING OPTIONS"
        case 0xAE: return "GENERATE AC"
        case 0xB0, 0xB1: return "READ BINARY"
        case 0xB2, 0xB3: return "READ RECORD"
        case 0xC0: return "GET RESPONSE"
        case 0xC2, 0xC3: return "ENVELOPE"
        case 0xCA, 0xCB: return "GET DATA"
        case 0xD0, 0xD1: return "WRITE BINARY"
        case 0xD2: return "WRITE RECORD"
        case 0xD6, 0xD7: return "UPDATE BINARY"
        case 0xDA, 0xDB: return "PUT DATA"
        case 0xDC, 0xDD: return "UPDATE RECORD"
        case 0xDE: return "DELIVERY SESSION KEY"
        case 0xE0: return "CREATE FILE"
        case 0xE2: return "APPEND RECORD"
        case 0xE4: return "DELETE FILE"
        case 0xE6: return "TERMINATE DF"
        case 0xE8: return "TERMINATE EF"
        case 0xFA: return "CIPHER DATA"
        case 0xFE: return "TERMINATE CARD USAGE"
        default: return nil
        }
    }
}
