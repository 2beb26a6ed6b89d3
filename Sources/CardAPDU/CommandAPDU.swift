// SSCard — CardAPDU

/// A command APDU that owns its bytes (ISO/IEC 7816-4 §5.1).
///
/// Nc and Ne are the semantic values; Lc and Le are the encoded fields:
///
/// | case | encoding                                   | Nc       | Ne               |
/// |------|--------------------------------------------|----------|------------------|
/// | 1    | `CLA INS P1 P2`                            | 0        | absent (`nil`)   |
/// | 2S   | `CLA INS P1 P2 Le`                         | 0        | 1…256 (`00`=256) |
/// | 3S   | `CLA INS P1 P2 Lc data`                    | 1…255    | absent           |
/// | 4S   | `CLA INS P1 P2 Lc data Le`                 | 1…255    | 1…256            |
/// | 2E   | `CLA INS P1 P2 00 Le1 Le2`                 | 0        | 1…65536 (`0000`) |
/// | 3E   | `CLA INS P1 P2 00 Lc1 Lc2 data`            | 1…65535  | absent           |
/// | 4E   | `CLA INS P1 P2 00 Lc1 Lc2 data Le1 Le2`    | 1…65535  | 1…65536          |
///
/// Encoding uses the short form whenever Nc ≤ 255 and Ne ≤ 256, unless
/// ``lengthForm`` is ``LengthForm/extended``. A value parsed from an
/// extended encoding remembers that, so parse → encode gives the input back.
public struct CommandAPDU: Hashable, Sendable {
    /// How the length fields are encoded.
    public enum LengthForm: Hashable, Sendable {
        /// Short when Nc ≤ 255 and Ne ≤ 256, extended otherwise.
        case automatic
        /// Always extended (a case-1 command has no length field either way).
        case extended
    }

    public var cla: UInt8
    public var ins: UInt8
    public var p1: UInt8
    public var p2: UInt8
    /// The data field; Nc is its count (0…65535).
    public private(set) var data: [UInt8]
    /// Ne: `nil` for no Le field, otherwise 1…65536.
    public private(set) var ne: Int?
    /// Short or extended length fields.
    public var lengthForm: LengthForm

    /// Builds a command, checking Nc and Ne.
    ///
    /// - Throws: ``APDUFormatError/valueOutOfRange`` when Nc > 65535 or Ne is
    ///   not in 1…65536.
    public init(
        cla: UInt8, ins: UInt8, p1: UInt8, p2: UInt8,
        data: [UInt8] = [], ne: Int? = nil, lengthForm: LengthForm = .automatic
    ) throws(APDUFormatError) {
        guard data.count <= 65535 else {
            throw APDUFormatError(.valueOutOfRange, offset: 0, reason: "Nc \(data.count) exceeds 65535")
        }
        if let ne, !(1...65536).contains(ne) {
            throw APDUFormatError(.valueOutOfRange, offset: 0, reason: "Ne \(ne) is not in 1…65536")
        }
        self.init(short: cla, ins, p1, p2, data: data, ne: ne)
        self.lengthForm = lengthForm
    }

    /// A command whose Nc and Ne the caller has already checked: the
    /// command builders' fixed-size commands (≤ 255 data bytes, Ne 1…256)
    /// and the checking initializer.
    package init(short cla: UInt8, _ ins: UInt8, _ p1: UInt8, _ p2: UInt8, data: [UInt8] = [], ne: Int? = nil) {
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.ne = ne
        self.lengthForm = .automatic
    }

    /// Parses an encoding strictly; see ``CommandAPDULayout/init(parsing:)``.
    public init(bytes: some Collection<UInt8>) throws(APDUFormatError) {
        let array = Array(bytes)
        self.init(try CommandAPDUView(array))
    }

    /// Copies a parsed view into an owning value.
    public init(_ view: CommandAPDUView) {
        self.cla = view.cla
        self.ins = view.ins
        self.p1 = view.p1
        self.p2 = view.p2
        self.data = Array(view.data)
        self.ne = view.ne
        self.lengthForm = view.apduCase.isExtended ? .extended : .automatic
    }

    /// Nc, the number of data bytes.
    public var nc: Int { data.count }

    /// Whether the encoding uses extended lengths.
    public var usesExtendedLength: Bool {
        if data.isEmpty && ne == nil { return false }
        return lengthForm == .extended || data.count > 255 || (ne ?? 0) > 256
    }

    /// The case this command encodes as.
    public var apduCase: APDUCase {
        let extended = usesExtendedLength
        switch (data.isEmpty, ne == nil) {
        case (true, true): return .case1
        case (true, false): return extended ? .case2Extended : .case2Short
        case (false, true): return extended ? .case3Extended : .case3Short
        case (false, false): return extended ? .case4Extended : .case4Short
        }
    }

    /// The encoded bytes.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4 + 3 + data.count + 3)
        out.append(contentsOf: [cla, ins, p1, p2])
        let extended = usesExtendedLength
        if !data.isEmpty {
            if extended {
                out.append(0)
                out.append(UInt8(truncatingIfNeeded: data.count >> 8))
                out.append(UInt8(truncatingIfNeeded: data.count))
            } else {
                out.append(UInt8(data.count))
            }
            out.append(contentsOf: data)
        }
        if let ne {
            if extended {
                if data.isEmpty { out.append(0) }
                let le = ne == 65536 ? 0 : ne
                out.append(UInt8(truncatingIfNeeded: le >> 8))
                out.append(UInt8(truncatingIfNeeded: le))
            } else {
                out.append(UInt8(truncatingIfNeeded: ne == 256 ? 0 : ne))
            }
        }
        return out
    }

    /// GET RESPONSE `00 C0 00 00` of `ne` bytes (1…256) after `61xx`, on the
    /// logical channel of the command it follows (`cla`).
    public static func getResponse(ne: Int, cla: UInt8 = 0x00) -> CommandAPDU {
        CommandAPDU(short: cla & 0x80 == 0 ? cla & 0x03 : 0x00, 0xC0, 0x00, 0x00, ne: min(max(ne, 1), 256))
    }

    /// A copy with a different Ne (for a resend after `6Cxx`, say).
    public func with(ne newNe: Int?) throws(APDUFormatError) -> CommandAPDU {
        try CommandAPDU(cla: cla, ins: ins, p1: p1, p2: p2, data: data, ne: newNe, lengthForm: lengthForm)
    }
}

extension CommandAPDU: CustomStringConvertible {
    public var description: String { Hex.encode(encoded, separator: " ") }
}
