// SSCard — CardAPDU

/// The seven command APDU cases of ISO/IEC 7816-3 §12.1 (a closed set).
///
/// `S` is the short form (one-byte Lc/Le), `E` the extended form (Lc as
/// `00 hi lo`, Le as two bytes, or `00 hi lo` when there is no Lc).
public enum APDUCase: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// No data, no Le: `CLA INS P1 P2`.
    case case1
    /// Le only: `CLA INS P1 P2 Le`.
    case case2Short
    /// Data only: `CLA INS P1 P2 Lc data`.
    case case3Short
    /// Data and Le: `CLA INS P1 P2 Lc data Le`.
    case case4Short
    /// Extended Le only: `CLA INS P1 P2 00 Le1 Le2`.
    case case2Extended
    /// Extended data only: `CLA INS P1 P2 00 Lc1 Lc2 data`.
    case case3Extended
    /// Extended data and Le: `CLA INS P1 P2 00 Lc1 Lc2 data Le1 Le2`.
    case case4Extended

    /// The short label used in specs and in `sscard decode --json`: `1`, `2S`, … `4E`.
    public var description: String {
        switch self {
        case .case1: "1"
        case .case2Short: "2S"
        case .case3Short: "3S"
        case .case4Short: "4S"
        case .case2Extended: "2E"
        case .case3Extended: "3E"
        case .case4Extended: "4E"
        }
    }

    /// Whether the command carries a data field.
    public var hasData: Bool {
        switch self {
        case .case3Short, .case4Short, .case3Extended, .case4Extended: true
        default: false
        }
    }

    /// Whether the command carries an Le field.
    public var hasLe: Bool {
        switch self {
        case .case2Short, .case4Short, .case2Extended, .case4Extended: true
        default: false
        }
    }

    /// Whether the lengths use the extended form.
    public var isExtended: Bool {
        switch self {
        case .case2Extended, .case3Extended, .case4Extended: true
        default: false
        }
    }
}
