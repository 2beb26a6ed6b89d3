// SSCard — CardCommands
//
// The host side's commands as values (OpenHealthCardKit's command builders,
// OpenSC's sc_format_apdu): each builder names the command and its
// parameters and returns a `CommandAPDU`, whose encoding chooses short or
// extended lengths from Nc and Ne. A builder whose data the caller supplies
// throws `APDUFormatError.valueOutOfRange` past 65,535 bytes instead of
// trapping; fixed-size commands do not throw.
//
// The interindustry commands of ISO/IEC 7816-4 §11.

public import CardAPDU

/// What SELECT answers with (P2 b4–b3).
public enum SelectAnswer: UInt8, Hashable, Sendable {
    /// The FCI template (`6F`).
    case fci = 0x00
    /// The FCP template (`62`).
    case fcp = 0x04
    /// The FMD template (`64`).
    case fmd = 0x08
    /// No data.
    case none = 0x0C
}

/// Which of several files with a matching name SELECT finds (P2 b2–b1).
public enum SelectOccurrence: UInt8, Hashable, Sendable {
    case first = 0x00
    case last = 0x01
    case next = 0x02
    case previous = 0x03
}

/// How SELECT by file identifier reads its FID (P1).
public enum SelectByFID: UInt8, Hashable, Sendable {
    /// MF, DF or EF (P1 `00`).
    case any = 0x00
    /// A DF under the current DF (P1 `01`).
    case childDF = 0x01
    /// An EF under the current DF (P1 `02`).
    case childEF = 0x02
}

/// Which record READ/UPDATE RECORD address (P2 b3–b1).
public enum RecordSelection: Hashable, Sendable {
    /// P1 is a record number (`100`).
    case number
    /// P1 is a record identifier (the first byte of a tagged record), this occurrence.
    case identifier(SelectOccurrence)

    var bits: UInt8 {
        switch self {
        case .number: 0x04
        case .identifier(let o): o.rawValue
        }
    }
}

extension CommandAPDU {
    /// A command with caller-supplied data.
    /// - Throws: ``APDUFormatError/valueOutOfRange`` past 65,535 data bytes.
    static func make(
        _ cla: UInt8, _ ins: UInt8, _ p1: UInt8, _ p2: UInt8, data: [UInt8], ne: Int? = nil
    ) throws(APDUFormatError) -> CommandAPDU {
        try CommandAPDU(cla: cla, ins: ins, p1: p1, p2: p2, data: data, ne: ne)
    }

    // MARK: SELECT (INS A4)

    /// SELECT by DF name (P1 `04`): an application by its AID, or an environment.
    /// - Parameters:
    ///   - ne: the Le field; `nil` sends none (case 3), so that a T=0 card answers `61xx`.
    public static func select(
        name: [UInt8], occurrence: SelectOccurrence = .first, answer: SelectAnswer = .fci, ne: Int? = 256
    ) throws(APDUFormatError) -> CommandAPDU {
        try make(0x00, 0xA4, 0x04, answer.rawValue | occurrence.rawValue, data: name, ne: ne)
    }

    /// SELECT by file identifier (P1 `00`, `01` or `02`).
    public static func select(
        fid: UInt16, _ kind: SelectByFID = .any, answer: SelectAnswer = .fci, ne: Int? = nil
    ) -> CommandAPDU {
        CommandAPDU(
            short: 0x00, 0xA4, kind.rawValue, answer.rawValue, data: [UInt8(fid >> 8), UInt8(fid & 0xFF)], ne: ne)
    }

    /// SELECT by path (P1 `08` from the MF, without the MF's `3F00`; `09` from the current DF).
    public static func select(
        path: [UInt16], fromMF: Bool = true, answer: SelectAnswer = .fci, ne: Int? = nil
    ) throws(APDUFormatError) -> CommandAPDU {
        try make(0x00, 0xA4, fromMF ? 0x08 : 0x09, answer.rawValue, data: path.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }, ne: ne)
    }

    // MARK: Transparent files (INS B0, D6)

    /// P1 P2 of READ/UPDATE BINARY: a 15-bit offset, or an SFI (1…30) and an 8-bit offset.
    static func binaryP1P2(offset: Int, sfi: UInt8?) throws(APDUFormatError) -> (UInt8, UInt8) {
        if let sfi {
            guard (1...30).contains(sfi), (0...255).contains(offset) else {
                throw APDUFormatError(.valueOutOfRange, offset: 0, reason: "SFI \(sfi) offset \(offset): an SFI is 1…30, its offset 0…255")
            }
            return (0x80 | sfi, UInt8(offset))
        }
        guard (0...0x7FFF).contains(offset) else {
            throw APDUFormatError(.valueOutOfRange, offset: 0, reason: "offset \(offset) is not in 0…32767")
        }
        return (UInt8(offset >> 8), UInt8(offset & 0xFF))
    }

    /// READ BINARY of the current EF, or of the EF with `sfi`.
    public static func readBinary(offset: Int = 0, sfi: UInt8? = nil, ne: Int = 256) throws(APDUFormatError) -> CommandAPDU {
        let (p1, p2) = try binaryP1P2(offset: offset, sfi: sfi)
        return try CommandAPDU(cla: 0x00, ins: 0xB0, p1: p1, p2: p2, ne: ne)
    }

    /// UPDATE BINARY of the current EF, or of the EF with `sfi`.
    public static func updateBinary(offset: Int = 0, sfi: UInt8? = nil, data: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        let (p1, p2) = try binaryP1P2(offset: offset, sfi: sfi)
        return try make(0x00, 0xD6, p1, p2, data: data)
    }

    // MARK: Record files (INS B2, DC, E2)

    /// P2 of the record commands: the SFI (or 0, the current EF) and the mode.
    static func recordP2(sfi: UInt8?, _ selection: RecordSelection) -> UInt8 {
        (sfi ?? 0) << 3 | selection.bits
    }

    /// READ RECORD: record `p1` (a number, or an identifier) of the current EF or of the EF with `sfi` (1…30).
    public static func readRecord(
        _ p1: UInt8, sfi: UInt8? = nil, _ selection: RecordSelection = .number, ne: Int = 256
    ) -> CommandAPDU {
        CommandAPDU(short: 0x00, 0xB2, p1, recordP2(sfi: sfi.map { $0 & 0x1F }, selection), ne: min(max(ne, 1), 256))
    }

    /// UPDATE RECORD.
    public static func updateRecord(
        _ p1: UInt8, sfi: UInt8? = nil, _ selection: RecordSelection = .number, data: [UInt8]
    ) throws(APDUFormatError) -> CommandAPDU {
        try make(0x00, 0xDC, p1, recordP2(sfi: sfi.map { $0 & 0x1F }, selection), data: data)
    }

    /// APPEND RECORD.
    public static func appendRecord(sfi: UInt8? = nil, data: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        try make(0x00, 0xE2, 0x00, ((sfi ?? 0) & 0x1F) << 3, data: data)
    }

    // MARK: Security (INS 20, 24, 2C, 84, 88, 82; GET RESPONSE is in CardAPDU, for the transport)

    /// VERIFY of the reference data `reference` (P2) with `pin` as it travels (BCD, ASCII, a PIN block).
    public static func verify(reference: UInt8, pin: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        try make(0x00, 0x20, 0x00, reference, data: pin)
    }

    /// VERIFY without data: asks whether the PIN is verified, or how many tries are left.
    public static func verifyStatus(reference: UInt8) -> CommandAPDU {
        CommandAPDU(short: 0x00, 0x20, 0x00, reference)
    }

    /// CHANGE REFERENCE DATA: P1 `00` with the current and the new value; P1 `01` (no current value) after VERIFY.
    public static func changeReferenceData(
        reference: UInt8, current: [UInt8]?, new: [UInt8]
    ) throws(APDUFormatError) -> CommandAPDU {
        try make(0x00, 0x24, current == nil ? 0x01 : 0x00, reference, data: (current ?? []) + new)
    }

    /// RESET RETRY COUNTER: P1 `00` with the PUK and a new PIN; P1 `01` with the PUK only.
    public static func resetRetryCounter(
        reference: UInt8, puk: [UInt8], new: [UInt8]?
    ) throws(APDUFormatError) -> CommandAPDU {
        try make(0x00, 0x2C, new == nil ? 0x01 : 0x00, reference, data: puk + (new ?? []))
    }

    /// GET CHALLENGE of `length` bytes (1…256).
    public static func getChallenge(length: Int = 8) -> CommandAPDU {
        CommandAPDU(short: 0x00, 0x84, 0x00, 0x00, ne: min(max(length, 1), 256))
    }

    /// INTERNAL AUTHENTICATE with the terminal's data; the card answers its authentication data.
    public static func internalAuthenticate(data: [UInt8], p2: UInt8 = 0x00, ne: Int = 256) throws(APDUFormatError) -> CommandAPDU {
        try make(0x00, 0x88, 0x00, p2, data: data, ne: ne)
    }

    /// EXTERNAL AUTHENTICATE with key `p2` (or P2 `00`: the issuer's ARPC).
    public static func externalAuthenticate(key p2: UInt8, data: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        try make(0x00, 0x82, 0x00, p2, data: data)
    }

    // MARK: Secure messaging of the issuers' commands

    /// The bytes a 4-byte command MAC covers: `CLA INS P1 P2 Lc ‖ data`,
    /// where Lc counts the MAC that will follow (SSC part 4 §8.2, pboc.md §9).
    public func macInput(macLength: Int = 4) -> [UInt8] {
        [cla, ins, p1, p2, UInt8(truncatingIfNeeded: data.count + macLength)] + data
    }

    /// This command with `mac` after its data.
    public func appendingMAC(_ mac: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        try CommandAPDU(cla: cla, ins: ins, p1: p1, p2: p2, data: data + mac, ne: ne, lengthForm: lengthForm)
    }
}
