// SSCard — CardCommands
//
// The social-security application's own commands (spec/ssc.md §2.1) and
// the PSAM's (§3.4). The `84` commands end with a MAC: build the command,
// MAC its `macInput()`, then `appendingMAC(_:)`.

public import CardAPDU
import CardStandards

/// The PSAM's CIPHER DATA operation (P1).
public enum PSAMCipherOperation: UInt8, Hashable, Sendable {
    /// Encrypt under the session key (authentication data, a PIN to load).
    case encrypt = 0x00
    /// A 4-byte MAC under the session key.
    case mac = 0x05
}

extension CommandAPDU {
    /// CHANGE PIN `80 5E 01 00`: the current PIN, `FF`, the new one (BCD);
    /// either side may be empty, to set a PIN where there was none or to remove it.
    public static func socialChangePIN(current: [UInt8], new: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        try make(0x80, 0x5E, 0x01, 0x00, data: current + [0xFF] + new)
    }

    /// PIN CHANGE/UNBLOCK `84 24 00 P2`, before its MAC: P2 `00` resets the
    /// social PIN's counter, P2 `01` also loads `encryptedPIN`.
    public static func socialPINUnblock(encryptedPIN: [UInt8]?) throws(APDUFormatError) -> CommandAPDU {
        try make(0x84, 0x24, 0x00, encryptedPIN == nil ? 0x00 : 0x01, data: encryptedPIN ?? [])
    }

    /// APPLICATION BLOCK `84 1E 00 01`, before its MAC: permanent.
    public static var socialApplicationBlock: CommandAPDU { CommandAPDU(short: 0x84, 0x1E, 0x00, 0x01) }

    /// CARD BLOCK `84 16 00 00`, before its MAC: permanent, the whole card.
    public static var socialCardBlock: CommandAPDU { CommandAPDU(short: 0x84, 0x16, 0x00, 0x00) }

    /// PSAM DELIVERY SESSION KEY `BF DE 48 keyID`: the card's diversification
    /// factors and the session random.
    public static func psamDeliverSessionKey(keyID: UInt8, data: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        try make(0xBF, 0xDE, 0x48, keyID, data: data)
    }

    /// PSAM CIPHER DATA `80 FA P1 00` under the delivered session key.
    public static func psamCipherData(_ operation: PSAMCipherOperation, data: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        try make(0x80, 0xFA, operation.rawValue, 0x00, data: data)
    }
}

// MARK: The medical purse (DF04, CLA B0) and the PSAM's purchase commands

/// What GET BALANCE `B0 26 00 P2` answers besides the balance [INFERRED].
public enum PurseBalanceForm: UInt8, Hashable, Sendable {
    case balance = 0x01
    case withOfflineATC = 0x02
    case withOnlineATC = 0x03
}

extension CommandAPDU {
    /// GET BALANCE `B0 26 00 P2`: the balance (4 bytes), with an ATC (6).
    public static func purseBalance(_ form: PurseBalanceForm = .balance) -> CommandAPDU {
        CommandAPDU(short: 0xB0, 0x26, 0x00, form.rawValue, ne: form == .balance ? 4 : 6)
    }

    /// INITIALIZE FOR PURCHASE `B0 28 01 01 13`: key index ‖ amount ‖
    /// terminal number ‖ bill total ‖ RFU (MedicalPurse.swift) [INFERRED layout].
    public static func purseInitializeForPurchase(
        keyIndex: UInt8, amount: UInt32, terminal: [UInt8], billTotal: UInt32
    ) throws(APDUFormatError) -> CommandAPDU {
        guard terminal.count == 6 else {
            throw APDUFormatError(.valueOutOfRange, offset: 0, reason: "a terminal number is 6 bytes, not \(terminal.count)")
        }
        let data = [keyIndex] + MedicalPurse.bigEndian(amount, 4) + terminal + MedicalPurse.bigEndian(billTotal, 4) + [0, 0, 0, 0]
        return try make(0xB0, 0x28, 0x01, 0x01, data: data, ne: 0x16)
    }

    /// DEBIT FOR PURCHASE `B0 2C 01 00 0F`: terminal serial ‖ date ‖ time ‖ MAC1 → TAC ‖ MAC2.
    public static func purseDebitForPurchase(terminalSerial: [UInt8], dateTime: [UInt8], mac1: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        guard terminalSerial.count == 4, dateTime.count == 7, mac1.count == 4 else {
            throw APDUFormatError(.valueOutOfRange, offset: 0, reason: "DEBIT FOR PURCHASE takes a 4-byte serial, a 7-byte date and time and a 4-byte MAC1")
        }
        return try make(0xB0, 0x2C, 0x01, 0x00, data: terminalSerial + dateTime + mac1, ne: 8)
    }

    /// GET TRANSACTION PROOF `B0 2E 00 06 02 ATC` → MAC2 ‖ TAC of the debit with that offline ATC.
    public static func purseTransactionProof(atc: UInt16) -> CommandAPDU {
        CommandAPDU(short: 0xB0, 0x2E, 0x00, MedicalPurse.purchaseType, data: MedicalPurse.bigEndian(UInt32(atc), 2), ne: 8)
    }

    /// PSAM INIT SAM FOR PURCHASE `80 70 01 00`: the card's random and ATC,
    /// the purchase, the key version and algorithm, the diversification
    /// factors (the card's first) → terminal serial ‖ MAC1.
    public static func psamInitializeForPurchase(
        random: [UInt8], atc: UInt16, amount: UInt32, dateTime: [UInt8], keyVersion: UInt8, algorithm: UInt8, factors: [UInt8]
    ) throws(APDUFormatError) -> CommandAPDU {
        guard random.count == 4, dateTime.count == 7, factors.count % 8 == 0, factors.count <= 24 else {
            throw APDUFormatError(.valueOutOfRange, offset: 0, reason: "INIT SAM FOR PURCHASE takes a 4-byte random, a 7-byte date and time and up to three 8-byte factors")
        }
        let data = random + MedicalPurse.bigEndian(UInt32(atc), 2) + MedicalPurse.bigEndian(amount, 4) + [MedicalPurse.purchaseType] + dateTime
            + [keyVersion, algorithm] + factors
        return try make(0x80, 0x70, 0x01, 0x00, data: data, ne: 8)
    }

    /// PSAM CREDIT SAM FOR PURCHASE `80 72 00 00 04 MAC2`: the card's MAC2 checked.
    public static func psamCreditForPurchase(mac2: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        try make(0x80, 0x72, 0x00, 0x00, data: mac2)
    }
}
