// SSCard — CardCommands
//
// The social-security application's own commands (spec/ssc.md §2.1) and
// the PSAM's (§3.4). The `84` commands end with a MAC: build the command,
// MAC its `macInput()`, then `appendingMAC(_:)`.

public import CardAPDU

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
