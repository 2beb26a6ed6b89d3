// SSCard — CardRuntime

import CardAPDU
import CardStandards
public import CardFileSystem

/// A try counter (STYLE.md §3.5).
public struct PINCounter: Hashable, Sendable {
    /// Tries allowed, 1…15.
    public let limit: UInt8
    /// Tries left; 0 means blocked.
    public var remaining: UInt8

    public init(limit: UInt8, remaining: UInt8? = nil) {
        precondition((1...15).contains(limit), "a try limit is 1…15")
        self.limit = limit
        self.remaining = min(remaining ?? limit, limit)
    }

    public var isBlocked: Bool { remaining == 0 }
}

/// When the try counter goes back to its limit.
public enum PINPolicy: String, Hashable, Sendable, CaseIterable {
    /// A correct PIN resets the counter: N *consecutive* wrong tries block.
    case consecutive
    /// Only an unblock resets the counter: N wrong tries in all block.
    case cumulative
}

/// How a PIN travels in the VERIFY data field.
public enum PINFormat: String, Hashable, Sendable, CaseIterable {
    /// Compressed numeric (cn): BCD digits, an odd count padded with `F`
    /// (social security: `0020000003 123456`).
    case bcd
    /// ASCII digits.
    case ascii
    /// The ISO 9564 format-2 block of EMV plaintext offline PIN: `2N`,
    /// digits, `F` padding, 8 bytes (`26 123456 FFFFFFFF`).
    case isoFormat2

    /// Encodes digits (each 0…9).
    public func encode(_ digits: [UInt8]) -> [UInt8] {
        switch self {
        case .ascii: digits.map { $0 + 0x30 }
        case .bcd: BCD.pack(nibbles: digits, odd: .padWithF)
        // An unset PIN (no digits) has no block: nothing a terminal sends matches it.
        case .isoFormat2: PINBlock.format2(digits: digits) ?? []
        }
    }

    /// Decodes a data field into digits, or `nil` when it is not a well-formed PIN.
    public func decode(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        switch self {
        case .ascii:
            guard bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return bytes.map { $0 - 0x30 }
        case .bcd:
            var nibbles = BCD.nibbles(bytes)
            if nibbles.last == 0xF { nibbles.removeLast() }
            guard nibbles.allSatisfy({ $0 <= 9 }) else { return nil }
            return nibbles
        case .isoFormat2:
            return PINBlock.digits(ofFormat2: bytes)
        }
    }
}

/// The unblocking secret of a PIN (PUK) with its own counter.
public struct PUK: Hashable, Sendable {
    public var digits: [UInt8]
    public var counter: PINCounter
    public init(digits: [UInt8], counter: PINCounter) {
        self.digits = digits
        self.counter = counter
    }
}

/// A PIN object (reference data of ISO/IEC 7816-4 §7.5).
public struct PINObject: Hashable, Sendable {
    /// A name for people and card images: `social`, `query`, `bank`.
    public var label: String
    /// The DF the PIN belongs to (a node index); it counts for that DF and below.
    public var df: NodeIndex
    /// The reference: VERIFY's P2.
    public var reference: UInt8
    /// The digits; empty means no PIN is set (VERIFY with no data answers `9000`).
    public var digits: [UInt8]
    public var format: PINFormat
    public var counter: PINCounter
    public var policy: PINPolicy
    /// The PIN is still the issuer's initial one and must be changed.
    public var mustChange: Bool
    /// The card itself refuses a correct VERIFY (`6985`) while ``mustChange``
    /// holds; otherwise only terminals enforce it.
    public var cardEnforcesChange: Bool
    /// Whether CHANGE REFERENCE DATA may change it (some regions disable it).
    public var changeAllowed: Bool
    public var minLength: Int
    public var maxLength: Int
    public var puk: PUK?

    public init(
        label: String, df: NodeIndex, reference: UInt8, digits: [UInt8], format: PINFormat = .bcd,
        counter: PINCounter, policy: PINPolicy = .consecutive, mustChange: Bool = false,
        cardEnforcesChange: Bool = false, changeAllowed: Bool = true, minLength: Int = 4, maxLength: Int = 12,
        puk: PUK? = nil
    ) {
        self.label = label
        self.df = df
        self.reference = reference
        self.digits = digits
        self.format = format
        self.counter = counter
        self.policy = policy
        self.mustChange = mustChange
        self.cardEnforcesChange = cardEnforcesChange
        self.changeAllowed = changeAllowed
        self.minLength = minLength
        self.maxLength = maxLength
        self.puk = puk
    }

    /// The PIN as it travels in VERIFY.
    public var encoded: [UInt8] { format.encode(digits) }
}
