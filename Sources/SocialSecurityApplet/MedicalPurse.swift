// SSCard — SocialSecurityApplet
//
// The medical offline purse of DF04 (spec/ssc.md §2.1, CLA `B0`): GET
// BALANCE, INITIALIZE FOR PURCHASE, DEBIT FOR PURCHASE with MAC1, MAC2 and
// TAC, GET TRANSACTION PROOF for a terminal that lost the answer of a
// debit, and `6901` for a command in the wrong state. The specs give the
// commands' lengths, not their fields; the layouts below follow the PBOC
// electronic purse (JR/T 0025 ED/EP) and are marked [INFERRED]:
//
//   INITIALIZE FOR PURCHASE  B0 28 01 01 13  key index 1 ‖ amount 4 ‖ terminal number 6 ‖ bill total 4 ‖ RFU 4
//     → (16 bytes = 22)   balance 4 ‖ offline ATC 2 ‖ overdraft limit 3 ‖ key version 1 ‖ algorithm 1 ‖ random 4 ‖ RFU 7
//   DEBIT FOR PURCHASE       B0 2C 01 00 0F  terminal serial 4 ‖ date 4 ‖ time 3 ‖ MAC1 4  → TAC 4 ‖ MAC2 4
//   GET TRANSACTION PROOF    B0 2E 00 06 02  offline ATC 2  → MAC2 4 ‖ TAC 4
//   GET BALANCE              B0 26 00 01/02/03  → balance 4 (‖ offline ATC 2 / ‖ online ATC 2)
//
// MAC1, MAC2 and the TAC are MedicalPurseCrypto's (CardCrypto), which the
// PSAM and the virtual HSM use too. A debit changes the
// balance, the ATC, the proof and the log record (EF08, cyclic) in one commit:
// all of it or none of it survives a tear.
//
// The purse itself is an internal EF `0002` of the DF (never readable):
// balance 4 ‖ offline ATC 2 ‖ online ATC 2 ‖ overdraft limit 3 ‖ the last
// debit's offline ATC 2, MAC2 4 and TAC 4 (a proof; all FF before the first).

import CardAPDU
import CardCrypto
public import CardFileSystem
public import CardRuntime
import CardStandards

/// The SSSE applet's volatile state: a purchase between INITIALIZE and DEBIT.
public struct SocialSecuritySession: AppletSession {
    var purchase: PendingPurchase? = nil
    public init() {}
}

/// What INITIALIZE FOR PURCHASE fixed for the DEBIT that follows.
struct PendingPurchase {
    var purse: NodeIndex
    var amount: UInt32
    var terminal: [UInt8]
    var billTotal: UInt32
    var atc: UInt16
    var random: [UInt8]
    var keyIndex: Int
}

/// The purse file's fields.
public struct MedicalPurseRecord: Hashable, Sendable {
    public static let fid = FileID(rawValue: 0x0002)!
    public static let size = 21
    /// The transaction log (`EF08`, cyclic, 28-byte records; ssc.md §1.6).
    public static let logFID = FileID(rawValue: 0xEF08)!

    public var balance: UInt32
    public var offlineATC: UInt16
    public var onlineATC: UInt16
    public var overdraftLimit: UInt32
    public var lastATC: UInt16?
    public var lastMAC2: [UInt8]
    public var lastTAC: [UInt8]

    public init(balance: UInt32, overdraftLimit: UInt32 = 0) {
        self.balance = balance
        offlineATC = 0
        onlineATC = 0
        self.overdraftLimit = overdraftLimit
        lastATC = nil
        lastMAC2 = [0xFF, 0xFF, 0xFF, 0xFF]
        lastTAC = [0xFF, 0xFF, 0xFF, 0xFF]
    }

    public init?(bytes b: [UInt8]) {
        guard b.count == Self.size else { return nil }
        balance = MedicalPurse.integer(b[0..<4])
        offlineATC = UInt16(MedicalPurse.integer(b[4..<6]))
        onlineATC = UInt16(MedicalPurse.integer(b[6..<8]))
        overdraftLimit = MedicalPurse.integer(b[8..<11])
        lastATC = b[11..<13].allSatisfy { $0 == 0xFF } ? nil : UInt16(MedicalPurse.integer(b[11..<13]))
        lastMAC2 = Array(b[13..<17])
        lastTAC = Array(b[17..<21])
    }

    public var bytes: [UInt8] {
        var out = MedicalPurse.bigEndian(balance, 4)
        out += MedicalPurse.bigEndian(UInt32(offlineATC), 2)
        out += MedicalPurse.bigEndian(UInt32(onlineATC), 2)
        out += MedicalPurse.bigEndian(overdraftLimit, 3)
        out += lastATC.map { MedicalPurse.bigEndian(UInt32($0), 2) } ?? [0xFF, 0xFF]
        return out + lastMAC2 + lastTAC
    }

}

extension SocialSecurityApplet {
    /// CLA `B0` in a DF with a purse.
    func purse(_ c: CommandAPDUView, _ card: inout VirtualCard, _ session: inout SocialSecuritySession) throws(CardStatusError) -> CardAnswer {
        guard let node = card.state.files.child(of: card.session.currentDF, fid: MedicalPurseRecord.fid),
            case .transparent(let file)? = card.state.files[node].ef?.content,
            let purse = MedicalPurseRecord(bytes: file.data)
        else { throw .conditionsNotSatisfied }
        switch c.ins {
        case 0x26: return try getBalance(c, purse)
        case 0x28: return try initializeForPurchase(c, &card, &session, node, purse)
        case 0x2C: return try debitForPurchase(c, &card, &session, node, purse)
        case 0x2E: return try transactionProof(c, purse)
        case 0x2A, 0x56:
            // CREDIT FOR LOAD and the starting day are not built: loads are the centre's.
            session.purchase = nil
            throw .insNotSupported
        default:
            throw .insNotSupported
        }
    }

    func getBalance(_ c: CommandAPDUView, _ purse: MedicalPurseRecord) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0, (1...3).contains(c.p2) else { throw .incorrectP1P2 }
        guard c.nc == 0 else { throw .wrongLength }
        let balance = MedicalPurse.bigEndian(purse.balance, 4)
        switch c.p2 {
        case 1: return CardAnswer(balance)
        case 2: return CardAnswer(balance + MedicalPurse.bigEndian(UInt32(purse.offlineATC), 2))
        default: return CardAnswer(balance + MedicalPurse.bigEndian(UInt32(purse.onlineATC), 2))
        }
    }

    func initializeForPurchase(
        _ c: CommandAPDUView, _ card: inout VirtualCard, _ session: inout SocialSecuritySession, _ node: NodeIndex, _ purse: MedicalPurseRecord
    ) throws(CardStatusError) -> CardAnswer {
        session.purchase = nil
        guard c.p1 == 0x01, c.p2 == 0x01 else { throw .incorrectP1P2 }
        guard c.nc == 0x13 else { throw .wrongLength }
        let d = Array(c.data)
        let keyIndex: Int
        do {
            keyIndex = try card.keyIndex(number: d[0], usage: .purchase)
        } catch {
            throw CardStatusError(.keyIndexNotSupported)
        }
        let amount = MedicalPurse.integer(d[1..<5])
        guard purse.offlineATC < 0xFFFF else { throw CardStatusError(.counterAtMaximum) }
        guard UInt64(amount) <= UInt64(purse.balance) + UInt64(purse.overdraftLimit) else { throw CardStatusError(.insufficientBalance) }
        let random = randomBytes(4)
        session.purchase = PendingPurchase(
            purse: node, amount: amount, terminal: Array(d[5..<11]), billTotal: MedicalPurse.integer(d[11..<15]),
            atc: purse.offlineATC, random: random, keyIndex: keyIndex)
        let key = card.state.keys[keyIndex]
        return CardAnswer(
            MedicalPurse.bigEndian(purse.balance, 4) + MedicalPurse.bigEndian(UInt32(purse.offlineATC), 2)
                + MedicalPurse.bigEndian(purse.overdraftLimit, 3) + [key.version, algorithm.rawValue] + random
                + [UInt8](repeating: 0, count: 7))
    }

    func debitForPurchase(
        _ c: CommandAPDUView, _ card: inout VirtualCard, _ session: inout SocialSecuritySession, _ node: NodeIndex, _ purse: MedicalPurseRecord
    ) throws(CardStatusError) -> CardAnswer {
        guard let p = session.purchase, p.purse == node else { throw CardStatusError(.invalidState) }
        // One DEBIT per INITIALIZE, whatever its outcome.
        session.purchase = nil
        guard c.p1 == 0x01, c.p2 == 0x00 else { throw .incorrectP1P2 }
        guard c.nc == 0x0F else { throw .wrongLength }
        let d = Array(c.data)
        let serial = Array(d[0..<4]), dateTime = Array(d[4..<11]), mac1 = Array(d[11..<15])
        let dpk = card.state.keys[p.keyIndex]
        guard let tacIndex = card.state.files.deepest(
            card.state.keys, from: card.session.currentDF, where: { $0.usage == .transactionAuthentication }, df: \.df)
        else { throw .referencedDataNotFound }
        let dtk = card.state.keys[tacIndex]
        let algorithm = self.algorithm
        let (sk, expected) = try crypto { () throws(CryptoError) in
            let sk = try MedicalPurseCrypto.sessionKey(algorithm, purchaseKey: dpk.value, random: p.random, atc: p.atc, terminalSerial: serial)
            return (sk, try MedicalPurseCrypto.mac1(algorithm, sessionKey: sk, amount: p.amount, terminal: p.terminal, dateTime: dateTime))
        }
        guard constantTimeEquals(expected, mac1) else { throw CardStatusError(.macInvalid) }
        let (mac2, tac) = try crypto { () throws(CryptoError) in
            (try MedicalPurseCrypto.mac2(algorithm, sessionKey: sk, amount: p.amount),
             try MedicalPurseCrypto.tac(algorithm, tacKey: dtk.value, amount: p.amount, terminal: p.terminal, terminalSerial: serial, dateTime: dateTime))
        }
        var next = purse
        next.balance = UInt32(truncatingIfNeeded: Int64(purse.balance) - Int64(p.amount))
        next.offlineATC = p.atc + 1
        next.lastATC = p.atc
        next.lastMAC2 = mac2
        next.lastTAC = tac
        // The log record (28 bytes): ATC 2 ‖ overdraft 3 ‖ amount 4 ‖ type 1 ‖
        // terminal 6 ‖ date 4 ‖ time 3 ‖ bill total 4 ‖ RFU 1 [INFERRED: PBOC's 23 bytes and the bill total].
        let record = MedicalPurse.bigEndian(UInt32(p.atc), 2) + MedicalPurse.bigEndian(purse.overdraftLimit, 3)
            + MedicalPurse.bigEndian(p.amount, 4) + [MedicalPurse.purchaseType] + p.terminal + dateTime
            + MedicalPurse.bigEndian(p.billTotal, 4) + [0x00]
        let log = card.state.files.child(of: card.session.currentDF, fid: MedicalPurseRecord.logFID)
        try card.commit { (s: inout CardState) throws(CardStatusError) in
            try s.files.updateEF(node) { ef throws(CardStatusError) in ef.content = .transparent(TransparentFile(data: next.bytes)) }
            if let log {
                try s.files.updateEF(log) { ef throws(CardStatusError) in
                    guard case .records(var records) = ef.content else { return }
                    try records.append(record)
                    ef.content = .records(records)
                }
            }
        }
        return CardAnswer(tac + mac2)
    }

    func transactionProof(_ c: CommandAPDUView, _ purse: MedicalPurseRecord) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0 else { throw .incorrectP1P2 }
        guard c.p2 == MedicalPurse.purchaseType else { throw .incorrectP1P2 }
        guard c.nc == 2 else { throw .wrongLength }
        let atc = UInt16(MedicalPurse.integer(c.data[c.data.startIndex..<c.data.startIndex + 2]))
        guard purse.lastATC == atc else { throw CardStatusError(.macUnavailable) }
        return CardAnswer(purse.lastMAC2 + purse.lastTAC)
    }
}
