// SSCard — CardCommands
//
// The PBOC debit application's commands (spec/pboc.md §3–§9): GET
// PROCESSING OPTIONS, GET DATA, GENERATE AC, issuer authentication, and the
// issuer's script commands.

public import CardAPDU
public import CardStandards

extension CommandAPDU {
    /// GET PROCESSING OPTIONS `80 A8 00 00` with the PDOL data in template `83`.
    public static func getProcessingOptions(pdolData: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        guard pdolData.count <= 0x7F else {
            throw APDUFormatError(.valueOutOfRange, offset: 0, reason: "PDOL data of \(pdolData.count) bytes; at most 127")
        }
        return CommandAPDU(short: 0x80, 0xA8, 0x00, 0x00, data: [0x83, UInt8(pdolData.count)] + pdolData, ne: 256)
    }

    /// GET DATA `80 CA` of a one- or two-byte tag (`9F36` the ATC, `9F17` the PIN tries left).
    public static func getData(tag: UInt16) -> CommandAPDU {
        CommandAPDU(short: 0x80, 0xCA, UInt8(tag >> 8), UInt8(tag & 0xFF), ne: 256)
    }

    /// GENERATE AC `80 AE P1 00` asking for `type`, with the CDOL data.
    public static func generateAC(_ type: CryptogramType, cdolData: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        try make(0x80, 0xAE, type.rawValue, 0x00, data: cdolData, ne: 256)
    }

    /// EXTERNAL AUTHENTICATE `00 82 00 00` with the issuer's ARPC and ARC (method 1).
    public static func issuerAuthenticate(arpc: [UInt8], arc: [UInt8]) throws(APDUFormatError) -> CommandAPDU {
        try externalAuthenticate(key: 0x00, data: arpc + arc)
    }

    /// An issuer script command before its MAC (`84 1E` application block,
    /// `84 18` unblock, `84 16` card block, `84 24` PIN unblock/change, `04 DA` PUT DATA).
    public static func issuerScript(
        cla: UInt8, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8] = []
    ) throws(APDUFormatError) -> CommandAPDU {
        try make(cla, ins, p1, p2, data: data)
    }
}
