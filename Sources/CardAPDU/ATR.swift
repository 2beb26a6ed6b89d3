// SSCard — CardAPDU

/// An answer-to-reset (ISO/IEC 7816-3 §8.2): built from a protocol choice and
/// historical bytes, or parsed and checked.
public struct ATR: Hashable, Sendable, CustomStringConvertible {
    /// Transmission protocols a card offers.
    public enum TransmissionProtocol: Int, Hashable, Sendable, Comparable {
        case t0 = 0
        case t1 = 1
        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// The encoded ATR.
    public let bytes: [UInt8]
    /// Protocols offered (T=0 when there is no TD1).
    public let protocols: [TransmissionProtocol]
    /// The historical bytes.
    public let historicalBytes: [UInt8]

    /// Builds a direct-convention ATR: `3B`, T0, TB1 = `00` (no Vpp), TC1
    /// (extra guard time), TD bytes for the protocols, historical bytes and,
    /// when a protocol other than T=0 is offered, TCK.
    ///
    /// - T=0 only: `3B 6K 00 TC1 hist` (no TD1, no TCK), as social-security
    ///   and PBOC cards in the field.
    /// - T=1 only: `3B EK 00 TC1 01 hist TCK`.
    /// - T=0 and T=1: `3B EK 00 TC1 80 01 hist TCK` (T=0 first).
    public init(protocols: [TransmissionProtocol], extraGuardTime: UInt8 = 0, historicalBytes: [UInt8]) {
        precondition(historicalBytes.count <= 15, "at most 15 historical bytes")
        let ps = Array(Set(protocols)).sorted()
        precondition(!ps.isEmpty, "an ATR offers at least one protocol")
        let k = UInt8(historicalBytes.count)
        var b: [UInt8] = [0x3B]
        switch ps {
        case [.t0]:
            b += [0x60 | k, 0x00, extraGuardTime]
        case [.t1]:
            b += [0xE0 | k, 0x00, extraGuardTime, 0x01]
        default:
            b += [0xE0 | k, 0x00, extraGuardTime, 0x80, 0x01]
        }
        b += historicalBytes
        if ps != [.t0] {
            b.append(b.dropFirst().reduce(0, ^))
        }
        self.bytes = b
        self.protocols = ps
        self.historicalBytes = historicalBytes
    }

    /// Parses and checks an ATR: TS, the interface bytes, the historical
    /// bytes and TCK (present exactly when a protocol other than T=0 is offered).
    /// - Returns: `nil` when malformed.
    public init?(bytes: [UInt8]) {
        guard bytes.count >= 2, bytes.count <= 33, bytes[0] == 0x3B || bytes[0] == 0x3F else { return nil }
        var i = 1
        var y = bytes[1] >> 4
        let k = Int(bytes[1] & 0x0F)
        i = 2
        var protocols: Set<TransmissionProtocol> = []
        var sawTD = false
        while true {
            for bit: UInt8 in [0x1, 0x2, 0x4] where y & bit != 0 { i += 1 }
            guard y & 0x8 != 0 else { break }
            guard i < bytes.count else { return nil }
            let td = bytes[i]
            i += 1
            sawTD = true
            switch td & 0x0F {
            case 0: protocols.insert(.t0)
            case 1: protocols.insert(.t1)
            default: break
            }
            y = td >> 4
        }
        if !sawTD { protocols.insert(.t0) }
        guard i + k <= bytes.count else { return nil }
        let hist = Array(bytes[i..<i + k])
        let needsTCK = protocols.contains(.t1) || (sawTD && !protocols.isEmpty && protocols != [.t0])
        let expected = i + k + (needsTCK ? 1 : 0)
        guard bytes.count == expected else { return nil }
        if needsTCK, bytes.dropFirst().reduce(0, ^) != 0 { return nil }
        self.bytes = bytes
        self.protocols = protocols.sorted()
        self.historicalBytes = hist
    }

    public var description: String { Hex.encode(bytes, separator: " ") }
}
