// SSCard — Terminal
//
// The medical purse of DF04 from the terminal's side (spec/ssc.md §2.1,
// §3.4; the layouts in SocialSecurityApplet/MedicalPurse.swift): the
// balance; a purchase (INITIALIZE FOR PURCHASE on the card, INIT SAM FOR
// PURCHASE in the PSAM for the serial and MAC1, DEBIT FOR PURCHASE, the
// card's MAC2 checked by the PSAM); a lost DEBIT answer recovered with GET
// TRANSACTION PROOF, so that a debit is never repeated nor silently lost;
// and the last record of the purse's log (EF08).

import CardAPDU
import CardCommands
import CardCrypto
import CardStandards

/// What INITIALIZE FOR PURCHASE answered.
public struct PurseInitialization: Hashable, Sendable {
    public var balance: UInt32
    public var offlineATC: UInt16
    public var overdraftLimit: UInt32
    public var keyVersion: UInt8
    public var algorithm: UInt8
    public var random: [UInt8]
}

/// A debit the card made.
public struct PurseDebit: Hashable, Sendable {
    /// In fen.
    public var amount: UInt32
    public var billTotal: UInt32
    /// The balance after the debit, in fen.
    public var balance: UInt32
    /// The card's offline ATC of this debit.
    public var offlineATC: UInt16
    public var terminal: [UInt8]
    public var terminalSerial: [UInt8]
    /// `YYYYMMDDhhmmss` as 7 BCD bytes.
    public var dateTime: [UInt8]
    public var tac: [UInt8]
    public var mac2: [UInt8]
    /// The DEBIT's answer was lost and GET TRANSACTION PROOF showed the debit done.
    public var recovered: Bool

    public init(
        amount: UInt32, billTotal: UInt32, balance: UInt32, offlineATC: UInt16, terminal: [UInt8], terminalSerial: [UInt8],
        dateTime: [UInt8], tac: [UInt8], mac2: [UInt8], recovered: Bool
    ) {
        self.amount = amount
        self.billTotal = billTotal
        self.balance = balance
        self.offlineATC = offlineATC
        self.terminal = terminal
        self.terminalSerial = terminalSerial
        self.dateTime = dateTime
        self.tac = tac
        self.mac2 = mac2
        self.recovered = recovered
    }
}

/// A record of the purse's log (DF04 EF08, 28 bytes) [INFERRED layout].
public struct PurseLogRecord: Hashable, Sendable {
    public var offlineATC: UInt16
    public var overdraftLimit: UInt32
    public var amount: UInt32
    public var type: UInt8
    public var terminal: [UInt8]
    public var dateTime: [UInt8]
    public var billTotal: UInt32

    public init?(_ b: [UInt8]) {
        guard b.count == 28 else { return nil }
        func uint(_ r: Range<Int>) -> UInt32 { MedicalPurse.integer(b[r]) }
        offlineATC = UInt16(uint(0..<2))
        overdraftLimit = uint(2..<5)
        amount = uint(5..<9)
        type = b[9]
        terminal = Array(b[10..<16])
        dateTime = Array(b[16..<23])
        billTotal = uint(23..<27)
    }
}

extension SocialTerminal {
    /// DF04, the medical application with the purse.
    static let purseDF: UInt16 = 0xDF04

    /// Selects DF04 from the SSSE.
    public func selectPurse() throws(TerminalError) { try selectDF(Self.purseDF) }

    /// GET BALANCE: the purse's balance in fen.
    public func purseBalance() throws(TerminalError) -> UInt32 {
        try start()
        try selectPurse()
        let r = try cardOK("GET BALANCE") { .purseBalance() }
        guard r.count == 4 else { throw TerminalError(.malformedResponse, step: "GET BALANCE") }
        return MedicalPurse.integer(r)
    }

    /// The PSAM's terminal number (EF 0016 of its environment, 6 bytes).
    public func psamTerminalNumber() throws(TerminalError) -> [UInt8] {
        let environment = SocialSecurity.environmentName(algorithm)
        try psamOK("PSAM SELECT environment") { try .select(name: environment, ne: nil) }
        psamEnvironment = nil
        let number = try psamOK("PSAM READ BINARY 0016") { try .readBinary(sfi: 0x16, ne: 6) }
        guard number.count == 6 else { throw TerminalError(.malformedResponse, step: "PSAM READ BINARY 0016") }
        try selectPSAM()
        return number
    }

    /// INITIALIZE FOR PURCHASE in DF04 (selected).
    public func initializePurchase(amount: UInt32, billTotal: UInt32, terminal: [UInt8]) throws(TerminalError) -> PurseInitialization {
        let step = "INITIALIZE FOR PURCHASE"
        let r = try cardOK(step) {
            try .purseInitializeForPurchase(keyIndex: SocialSecurity.purchaseKeyIndex, amount: amount, terminal: terminal, billTotal: billTotal)
        }
        guard r.count >= 15 else { throw TerminalError(.malformedResponse, step: step) }
        func uint(_ range: Range<Int>) -> UInt32 { MedicalPurse.integer(r[range]) }
        return PurseInitialization(
            balance: uint(0..<4), offlineATC: UInt16(uint(4..<6)), overdraftLimit: uint(6..<9), keyVersion: r[9],
            algorithm: r[10], random: Array(r[11..<15]))
    }

    /// DEBIT FOR PURCHASE: TAC and MAC2.
    public func debitPurchase(terminalSerial: [UInt8], dateTime: [UInt8], mac1: [UInt8]) throws(TerminalError) -> (tac: [UInt8], mac2: [UInt8]) {
        let r = try cardOK("DEBIT FOR PURCHASE") { try .purseDebitForPurchase(terminalSerial: terminalSerial, dateTime: dateTime, mac1: mac1) }
        guard r.count == 8 else { throw TerminalError(.malformedResponse, step: "DEBIT FOR PURCHASE") }
        return (Array(r[0..<4]), Array(r[4..<8]))
    }

    /// GET TRANSACTION PROOF of the debit with `atc`: MAC2 and TAC, or `nil`
    /// when the card made no such debit (`9406`).
    public func transactionProof(atc: UInt16) throws(TerminalError) -> (mac2: [UInt8], tac: [UInt8])? {
        let r = try card.expect("GET TRANSACTION PROOF", { .purseTransactionProof(atc: atc) }, accepting: [.success, .macUnavailable])
        guard r.status == .success else { return nil }
        guard r.data.count == 8 else { throw TerminalError(.malformedResponse, step: "GET TRANSACTION PROOF") }
        return (Array(r.data[0..<4]), Array(r.data[4..<8]))
    }

    /// A purchase from the purse with the PSAM: `amount` of `billTotal`
    /// (fen) at `dateTime` (7 BCD bytes). When the DEBIT's answer is lost
    /// (the reader fails, the card is pulled and put back), the card is
    /// powered again and asked for the debit's proof: the debit is reported
    /// done (`recovered`) or the failure is thrown; it is never sent twice.
    public func purchase(amount: UInt32, billTotal: UInt32, dateTime: [UInt8]) throws(TerminalError) -> PurseDebit {
        try start()
        try loadCardID()
        let terminal = try psamTerminalNumber()
        try selectPurse()
        let i = try initializePurchase(amount: amount, billTotal: billTotal, terminal: terminal)
        let psamAnswer = try psamOK("PSAM INIT SAM FOR PURCHASE") {
            try .psamInitializeForPurchase(
                random: i.random, atc: i.offlineATC, amount: amount, dateTime: dateTime, keyVersion: i.keyVersion,
                algorithm: i.algorithm, factors: factors)
        }
        guard psamAnswer.count == 8 else { throw TerminalError(.malformedResponse, step: "PSAM INIT SAM FOR PURCHASE") }
        let serial = Array(psamAnswer[0..<4]), mac1 = Array(psamAnswer[4..<8])
        var debit = PurseDebit(
            amount: amount, billTotal: billTotal, balance: i.balance &- amount, offlineATC: i.offlineATC, terminal: terminal,
            terminalSerial: serial, dateTime: dateTime, tac: [], mac2: [], recovered: false)
        do {
            (debit.tac, debit.mac2) = try debitPurchase(terminalSerial: serial, dateTime: dateTime, mac1: mac1)
        } catch where error.code == .transport {
            // The answer is lost: did the card debit?
            _ = try card.powerOn()
            try reselectSSSE()
            try selectPurse()
            guard let proof = try transactionProof(atc: i.offlineATC) else { throw error }
            (debit.mac2, debit.tac, debit.recovered) = (proof.mac2, proof.tac, true)
        }
        try psamOK("PSAM CREDIT SAM FOR PURCHASE (MAC2)") { try .psamCreditForPurchase(mac2: debit.mac2) }
        return debit
    }

    /// The purse log's newest record (DF04 EF08 record 1), after the
    /// external authentication with RKSSSE in DF04; `nil` when the log is empty.
    public func lastPurseRecord() throws(TerminalError) -> PurseLogRecord? {
        try start()
        try loadCardID()
        try selectPurse()
        try externalAuthenticate(number: SocialSecurity.readKey, keyID: PSAM.KeyID.rkSSSE)
        try cardOK("SELECT DF04 EF08") { .select(fid: 0xEF08, .childEF) }
        let r = try card.expect("READ RECORD DF04 EF08 1", { .readRecord(1) }, accepting: [.success, .recordNotFound])
        guard r.status == .success else { return nil }
        guard let record = PurseLogRecord(r.data) else { throw TerminalError(.malformedResponse, step: "READ RECORD DF04 EF08 1") }
        return record
    }
}
