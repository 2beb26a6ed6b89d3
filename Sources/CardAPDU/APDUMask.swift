// SSCard — CardAPDU

/// Masks secrets in commands for traces, reports and output: one rule for
/// `sscard send`, `--trace`, JUnit and `sscard decode` (see ``isSecret(cla:ins:)``).
public enum APDUMask {
    /// Whether a command's data field is a secret: PINs and PIN blocks
    /// (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, the social
    /// CHANGE PIN `805E`, PIN CHANGE/UNBLOCK `8424` of either application),
    /// keys (`D4`/`D8`), and what a PSAM enciphers or MACs (CIPHER DATA
    /// `80FA`: during a PIN reload, the new PIN).
    public static func isSecret(cla: UInt8, ins: UInt8) -> Bool {
        switch ins {
        case 0x20, 0x21, 0x24, 0x2C, 0x5E: return true
        case 0xD4, 0xD8: return true  // CREATE/CHANGE KEY, PUT KEY
        case 0xFA: return cla == 0x80  // PSAM CIPHER DATA
        default: return false
        }
    }

    /// The command in spaced hex with secret data bytes shown as `**`.
    public static func describe(_ command: [UInt8]) -> String {
        guard command.count > 5, isSecret(cla: command[0], ins: command[1]) else {
            return Hex.encode(command, separator: " ")
        }
        if let view = try? CommandAPDUView(command), view.nc > 0 {
            let start = view.layout.dataOffset
            let end = start + view.nc
            return command.enumerated().map { i, b in
                (start..<end).contains(i) ? "**" : Hex.encode([b])
            }.joined(separator: " ")
        }
        // Malformed: mask everything after the header.
        return Hex.encode(command.prefix(4), separator: " ") + String(repeating: " **", count: command.count - 4)
    }

    /// The command with its secret bytes masked, still as bytes (for JUnit/trace files).
    public static func isMasked(_ command: [UInt8]) -> Bool {
        command.count > 5 && isSecret(cla: command[0], ins: command[1])
    }
}
