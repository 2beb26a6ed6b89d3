// SSCard — Terminal
//
// An EMV kernel-lite for the PBOC debit application: selection through the
// PSE (then a list of AIDs), GPO with the PDOL, the AFL records, offline
// plaintext PIN when the CVM list asks for it, terminal risk checks for a
// domestic, CNY-only debit card, the first GENERATE AC, online authorisation,
// EXTERNAL AUTHENTICATE with the ARPC, the second GENERATE AC.

public import BackOffice
public import CardAPDU
import CardCommands
public import CardStandards
import CardTLV
public import CardTransport

/// What the card told the terminal.
public struct BankCardData: Sendable {
    public var aid: [UInt8]
    public var label: String
    /// Every data object read (FCI, records), by tag.
    public var objects: DataObjects
    public var aip: [UInt8]
    public var afl: [UInt8]
    /// The PAN (`5A`), its BCD digits without the `F` padding.
    public let pan: String

    public init(aid: [UInt8], label: String, objects: DataObjects, aip: [UInt8], afl: [UInt8]) {
        self.aid = aid
        self.label = label
        self.objects = objects
        self.aip = aip
        self.afl = afl
        var digits: [UInt8] = []
        for n in BCD.nibbles(objects[0x5A] ?? []) where n <= 9 { digits.append(0x30 + n) }
        self.pan = String(decoding: digits, as: UTF8.self)
    }

    public var psn: UInt8 { objects[0x5F34]?.first ?? 0 }
    public var name: String { String(decoding: objects[0x5F20] ?? [], as: UTF8.self) }
    /// YYMMDD.
    public var expiry: String { Hex.encode(objects[0x5F24] ?? []) }
}

/// The terminal verification results (`95`, EMV Book 3 annex C5), as flags.
public struct TerminalVerificationResults: OptionSet, Hashable, Sendable {
    /// Byte 1 in bits 39–32, …, byte 5 in bits 7–0.
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue & 0xFF_FFFF_FFFF }

    static func bit(byte: Int, _ mask: UInt8) -> Self { Self(rawValue: UInt64(mask) << UInt64(8 * (5 - byte))) }

    public static let offlineDataAuthenticationNotPerformed = bit(byte: 1, 0x80)
    public static let expiredApplication = bit(byte: 2, 0x40)
    public static let applicationNotYetEffective = bit(byte: 2, 0x20)
    public static let requestedServiceNotAllowed = bit(byte: 2, 0x10)
    public static let cardholderVerificationNotSuccessful = bit(byte: 3, 0x80)
    public static let pinTryLimitExceeded = bit(byte: 3, 0x20)
    public static let pinRequiredButNotEntered = bit(byte: 3, 0x08)

    /// The reasons to decline offline (byte 2's application checks).
    public static let denial: Self = [.expiredApplication, .applicationNotYetEffective, .requestedServiceNotAllowed]

    /// The 5 bytes of tag `95`.
    public var bytes: [UInt8] { (0..<5).map { UInt8(truncatingIfNeeded: rawValue >> UInt64(8 * (4 - $0))) } }
}

/// One step of a purchase, for the receipt and the log (rendered only when shown).
public enum PurchaseStep: Hashable, Sendable, CustomStringConvertible {
    case selected(aid: [UInt8], label: String)
    case offlinePINVerified
    case wrongPIN
    case pinBlocked
    case generateAC(first: Bool, GenerateACResponse)
    case issuer(arc: [UInt8], reason: String)
    case issuerAuthentication(StatusWord)
    case issuerScript(number: Int, cla: UInt8, ins: UInt8, StatusWord)

    public var description: String {
        switch self {
        case .selected(let aid, let label): "selected \(Hex.encode(aid)) \(label)"
        case .offlinePINVerified: "offline PIN verified"
        case .wrongPIN: "wrong PIN"
        case .pinBlocked: "PIN blocked"
        case .generateAC(let first, let r): "\(first ? "1st" : "2nd") GENERATE AC: \(r.type) \(Hex.encode(r.cryptogram))"
        case .issuer(let arc, let reason): "issuer: ARC \(String(decoding: arc, as: UTF8.self)) (\(reason))"
        case .issuerAuthentication(let sw): "issuer authentication: \(sw == .success ? "ok" : "failed \(sw)")"
        case .issuerScript(let n, let cla, let ins, let sw): "issuer script \(n) (\(Hex.encode([cla, ins]))): \(sw)"
        }
    }
}

/// The outcome of a purchase.
public struct PurchaseResult: Sendable {
    public var approved: Bool
    /// The last cryptogram's type; `nil` when the purchase stopped before GENERATE AC (a PIN refused).
    public var cryptogramType: CryptogramType?
    public var cryptogram: [UInt8]
    public var atc: UInt16
    public var arc: String?
    public var reason: String
    public var tvr: TerminalVerificationResults
    /// The PAN the card carries.
    public var pan: String
    public var events: [PurchaseStep]
    /// ``events`` as text.
    public var steps: [String] { events.map(\.description) }
}

/// One GENERATE AC answer, format 1 (`80`) or 2 (`77`).
public struct GenerateACResponse: Hashable, Sendable {
    public var type: CryptogramType
    public var atc: UInt16
    public var cryptogram: [UInt8]
    public var issuerApplicationData: [UInt8]
}

/// One record of the card's transaction log (the `9F4F` format, 45 bytes).
public struct BankLogEntry: Hashable, Sendable {
    /// YYMMDD and HHMMSS.
    public var date: String
    public var time: String
    /// In fen.
    public var amount: Int
    public var merchant: String
    public var atc: Int

    public init?(record r: [UInt8]) {
        guard r.count >= 45 else { return nil }
        date = Hex.encode(r[0..<3])
        time = Hex.encode(r[3..<6])
        amount = BCD.value(r[6..<12]) ?? 0
        merchant = String(decoding: r[22..<42].prefix { $0 != 0 }, as: UTF8.self)
        atc = Int(r[43]) << 8 | Int(r[44])
    }
}

/// What `sscard bank read` shows: the card's data, its counters and its log.
public struct BankAccountInfo: Sendable {
    public var card: BankCardData
    public var atc: Int?
    public var pinTriesLeft: Int?
    public var log: [BankLogEntry]
}

/// Terminal parameters.
public struct TerminalParameters: Sendable {
    public var country: [UInt8] = [0x01, 0x56]
    public var currency: [UInt8] = [0x01, 0x56]
    /// YYMMDD and HHMMSS.
    public var date: [UInt8] = [0x26, 0x11, 0x29]
    public var time: [UInt8] = [0x12, 0x00, 0x00]
    public var merchant = "SSCARD TEST PHARMACY"
    public var transactionType: UInt8 = 0x00
    public init() {}
}

public final class EMVKernel {
    public let card: TerminalSession
    public var parameters = TerminalParameters() { didSet { terminalValues = Self.values(of: parameters) } }
    /// The DOL values that come from the parameters, worked out once.
    private var terminalValues: DOLValues = EMVKernel.values(of: TerminalParameters())

    static func values(of p: TerminalParameters) -> DOLValues {
        [(0x9F03, bcdAmount(0)), (0x9F1A, p.country), (0x5F2A, p.currency), (0x9A, p.date), (0x9C, [p.transactionType]),
         (0x9F21, p.time), (0x9F4E, Array(p.merchant.utf8.prefix(20)))]
    }
    /// Every command's header (CLA INS P1 P2) and status word, newest last.
    public private(set) var exchanges: [(header: UInt32, status: StatusWord)] = []
    /// ``exchanges`` as text.
    public var log: [String] {
        exchanges.map {
            let ins = Instruction(UInt8(truncatingIfNeeded: $0.header >> 16))
            let name = ins.name(cla: UInt8(truncatingIfNeeded: $0.header >> 24)) ?? "INS \(Hex.encode([ins.rawValue]))"
            return "\(name) P1P2 \(Hex.encode([UInt8(truncatingIfNeeded: $0.header >> 8), UInt8(truncatingIfNeeded: $0.header)])): \($0.status)"
        }
    }

    public init(card: TerminalSession) {
        card.autoGetResponse = true
        card.autoResendOnWrongLe = true
        self.card = card
    }

    /// Sends a command and logs its header and status word; `step` names it
    /// in errors (built only when needed).
    public func send(
        _ step: @autoclosure () -> String, _ build: () throws -> CommandAPDU
    ) throws(TerminalError) -> ResponseAPDU {
        var header: UInt32 = 0
        let r = try card.send(step()) {
            let c = try build()
            header = UInt32(c.cla) << 24 | UInt32(c.ins) << 16 | UInt32(c.p1) << 8 | UInt32(c.p2)
            return c
        }
        exchanges.append((header, r.status))
        return r
    }

    /// Sends a command and requires `9000`; the data.
    func ok(_ step: @autoclosure () -> String, _ build: () throws -> CommandAPDU) throws(TerminalError) -> [UInt8] {
        let r = try send(step(), build)
        guard r.status == .success else { throw TerminalError(.cardStatus, step: step(), status: r.status) }
        return r.data
    }

    /// The primitive objects of `bytes`, by tag.
    public static func objects(_ bytes: [UInt8]) -> DataObjects { DataObjects(parsing: bytes) }

    /// The value of the first object with `tag` among parsed `nodes`, at
    /// any depth; `nil` when there is none, it is constructed, or the parse failed.
    static func value(_ tag: BERTag, in nodes: TLVNodes?) -> [UInt8]? {
        guard let node = nodes?.first(tag), !node.isConstructed else { return nil }
        return Array(node.value)
    }

    /// Application selection: the PSE's directory, else the known AIDs.
    public func selectApplication() throws(TerminalError) -> (aid: [UInt8], fci: DataObjects) {
        _ = try card.powerOn()
        var candidates: [[UInt8]] = []
        let r = try send("SELECT PSE") { try .select(name: PBOC.pseName) }
        if r.status == .success, let sfi = Self.value(0x88, in: try? BERTLV.parse(r.data))?.first {
            for record in UInt8(1)...10 {
                let d = try send("READ RECORD directory \(record)") { .readRecord(record, sfi: sfi) }
                guard d.status == .success else { break }
                if let aid = Self.value(0x4F, in: try? BERTLV.parse(d.data)) { candidates.append(aid) }
            }
        }
        if candidates.isEmpty { candidates = PBOC.knownAIDs }
        for aid in candidates {
            let s = try send("SELECT \(Hex.encode(aid))") { try .select(name: aid) }
            if s.status == .success { return (aid, Self.objects(s.data)) }
            if s.status == .selectedFileDeactivated {
                throw TerminalError(.applicationNotFound, step: "SELECT \(Hex.encode(aid))", status: s.status, detail: "the application is blocked")
            }
        }
        throw TerminalError(.applicationNotFound, step: "application selection")
    }

    /// Terminal values for a DOL: a handful, searched in order.
    typealias DOLValues = [(tag: BERTag, value: [UInt8])]

    /// Fills a DOL from terminal values; missing values are zeros.
    static func fill(_ dol: ArraySlice<UInt8>?, _ values: DOLValues) -> [UInt8] {
        guard let dol else { return [] }
        return fill(Array(dol), values)
    }

    static func fill(_ dol: [UInt8], _ values: DOLValues) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        var i = 0
        while i < dol.count {
            var tag = UInt32(dol[i])
            i += 1
            if tag & 0x1F == 0x1F {
                while i < dol.count {
                    tag = tag << 8 | UInt32(dol[i])
                    i += 1
                    if dol[i - 1] & 0x80 == 0 { break }
                }
            }
            guard i < dol.count else { break }
            let length = Int(dol[i])
            i += 1
            let v = (values.first { $0.tag.rawValue == tag }?.value ?? []).suffix(length)
            out.append(contentsOf: repeatElement(0, count: length - v.count))
            out.append(contentsOf: v)
        }
        return out
    }

    /// VERIFY of the offline plaintext PIN (P2 80, the format-2 block);
    /// the card's status word.
    public func verifyOfflinePIN(_ pin: String) throws(TerminalError) -> StatusWord {
        guard let block = PINBlock.format2(pin) else {
            throw TerminalError(.invalidCommand, step: "VERIFY", detail: "a PIN block carries 4 to 12 digits")
        }
        return try send("VERIFY") { try .verify(reference: PBOC.plaintextPIN, pin: block) }.status
    }

    /// An amount (fen) as EMV's n12: 12 BCD digits.
    public static func bcdAmount(_ fen: Int) -> [UInt8] { BCD.numeric(fen, digits: 12) }

    /// GPO (PDOL filled) and the AFL records.
    public func readApplication(amount: Int = 0) throws(TerminalError) -> BankCardData {
        let (aid, fci) = try selectApplication()
        let pdolValues: DOLValues = [(0x9F7A, [0x00]), (0x9F02, Self.bcdAmount(amount)), (0x5F2A, parameters.currency)]
        let pdol = Self.fill(fci[0x9F38], pdolValues)
        let r = try send("GET PROCESSING OPTIONS") { try .getProcessingOptions(pdolData: pdol) }
        if r.status == .conditionsNotSatisfied {
            throw TerminalError(.applicationUnavailable, step: "GET PROCESSING OPTIONS", status: r.status)
        }
        guard r.status == .success else { throw TerminalError(.cardStatus, step: "GET PROCESSING OPTIONS", status: r.status) }
        let gpo = r.data
        var aip: [UInt8] = []
        var afl: [UInt8] = []
        if let v = try Self.formatOne(gpo, step: "GET PROCESSING OPTIONS") {
            aip = Array(v.prefix(2))
            afl = Array(v.dropFirst(2))
        } else {
            let o = Self.objects(gpo)
            aip = o.bytes(0x82) ?? []
            afl = o.bytes(0x94) ?? []
        }
        guard aip.count == 2, afl.count % 4 == 0 else { throw TerminalError(.malformedResponse, step: "GET PROCESSING OPTIONS") }
        var objects = fci
        var i = 0
        while i + 4 <= afl.count {
            let sfi = afl[i] >> 3
            for record in afl[i + 1]...max(afl[i + 1], afl[i + 2]) {
                let data = try ok("READ RECORD SFI \(sfi) \(record)") { .readRecord(record, sfi: sfi) }
                objects.collect(data)
            }
            i += 4
        }
        return BankCardData(
            aid: aid, label: String(decoding: fci[0x50] ?? [], as: UTF8.self), objects: objects, aip: aip, afl: afl)
    }

    /// Reads the application without GET PROCESSING OPTIONS (so the ATC
    /// does not move): SFI 1's records, the ATC and PIN tries (GET DATA),
    /// and the transaction log.
    public func readAccount() throws(TerminalError) -> BankAccountInfo {
        let (aid, fci) = try selectApplication()
        var objects = fci
        for record in UInt8(1)...10 {
            let r = try send("READ RECORD SFI 1 \(record)") { .readRecord(record, sfi: 1) }
            guard r.status == .success else { break }
            objects.collect(r.data)
        }
        var extra = DataObjects()
        for tag: UInt16 in [0x9F36, 0x9F13, 0x9F17, 0x9F4F] {
            let r = try send("GET DATA \(Hex.encode([UInt8(tag >> 8), UInt8(tag & 0xFF)]))") { .getData(tag: tag) }
            if r.status == .success { extra.collect(r.data) }
        }
        var log: [BankLogEntry] = []
        if let entry = objects.bytes(0x9F4D), entry.count == 2, entry[1] > 0 {
            for record in UInt8(1)...entry[1] {
                let r = try send("READ RECORD log \(record)") { .readRecord(record, sfi: entry[0]) }
                guard r.status == .success else { break }
                if let e = BankLogEntry(record: r.data) { log.append(e) }
            }
        }
        let data = BankCardData(aid: aid, label: String(decoding: fci[0x50] ?? [], as: UTF8.self), objects: objects, aip: [], afl: [])
        return BankAccountInfo(
            card: data, atc: extra[0x9F36].map { $0.reduce(0) { $0 << 8 | Int($1) } },
            pinTriesLeft: extra[0x9F17]?.first.map(Int.init), log: log)
    }

    /// A purchase: offline PIN when the CVM list asks for it, risk checks,
    /// ARQC, the issuer host, ARPC, TC or AAC.
    public func purchase(amount: Int, pin: String?, host: some AuthorizationHost) throws(TerminalError) -> PurchaseResult {
        try purchase(amount: amount, host: host) { () throws(TerminalError) in pin }
    }

    /// A purchase whose PIN is asked for only when the card's CVM list
    /// wants an offline PIN (`pin` is not called otherwise; `nil` from it:
    /// no PIN entered, which the TVR records).
    public func purchase(
        amount: Int, host: some AuthorizationHost, pin: () throws(TerminalError) -> String?
    ) throws(TerminalError) -> PurchaseResult {
        exchanges.removeAll(keepingCapacity: true)
        let data = try readApplication(amount: amount)
        var steps: [PurchaseStep] = [.selected(aid: data.aid, label: data.label)]
        var tvr: TerminalVerificationResults = [.offlineDataAuthenticationNotPerformed]
        func stopped(_ reason: String, _ step: PurchaseStep) -> PurchaseResult {
            PurchaseResult(
                approved: false, cryptogramType: nil, cryptogram: [], atc: 0, arc: nil, reason: reason, tvr: tvr,
                pan: data.pan, events: steps + [step])
        }
        // Risk checks for a domestic, CNY-only debit card.
        let domestic = data.objects.value(0x5F28, is: parameters.country)
        if let auc = data.objects[0x9F07], auc.count == 2 {
            let first = auc[auc.startIndex]
            let allowed = domestic ? first & 0x28 != 0 : first & 0x14 != 0
            if !allowed { tvr.insert(.requestedServiceNotAllowed) }
        }
        if data.objects[0x9F42] != nil && !data.objects.value(0x9F42, is: parameters.currency) {
            tvr.insert(.requestedServiceNotAllowed)
        }
        // YYMMDD in BCD: byte order is date order.
        if let expiry = data.objects[0x5F24], expiry.lexicographicallyPrecedes(parameters.date) { tvr.insert(.expiredApplication) }
        if let effective = data.objects[0x5F25], parameters.date.lexicographicallyPrecedes(effective) {
            tvr.insert(.applicationNotYetEffective)
        }
        // CVM: offline plaintext PIN (41 or 01) when listed and a PIN is given.
        let cvm = data.objects.bytes(0x8E) ?? []
        var rules: [UInt8] = []
        var i = 8
        while i + 1 < cvm.count {
            rules.append(cvm[i] & 0x3F)
            i += 2
        }
        if rules.contains(0x01), let pin = try pin() {
            let status = try verifyOfflinePIN(pin)
            if status == .success {
                steps.append(.offlinePINVerified)
            } else if let left = status.retriesRemaining, left > 0 {
                tvr.insert(.cardholderVerificationNotSuccessful)
                return stopped("wrong PIN, \(left) \(left == 1 ? "try" : "tries") left", .wrongPIN)
            } else {
                tvr.insert(.pinTryLimitExceeded)
                return stopped("the bank PIN is blocked", .pinBlocked)
            }
        } else if rules.contains(0x01) {
            tvr.insert(.pinRequiredButNotEntered)
        }
        let un = randomBytes(4)
        var values: DOLValues = [(0x9F02, Self.bcdAmount(amount)), (0x95, tvr.bytes), (0x9F37, un)]
        values.reserveCapacity(values.count + terminalValues.count + 1)
        values.append(contentsOf: terminalValues)
        let cdol1 = Self.fill(data.objects[0x8C], values)
        // Ask for a TC when nothing is wrong, an AAC when the TVR says decline.
        let requested: CryptogramType = tvr.isDisjoint(with: .denial) ? .tc : .aac
        let first = try Self.parseGAC(
            ok("GENERATE AC (1st)") { try .generateAC(requested, cdolData: cdol1) })
        steps.append(.generateAC(first: true, first))
        guard first.type == .arqc else {
            return PurchaseResult(
                approved: first.type == .tc, cryptogramType: first.type, cryptogram: first.cryptogram, atc: first.atc, arc: nil,
                reason: first.type == .tc ? "approved offline" : "declined offline", tvr: tvr, pan: data.pan, events: steps)
        }
        let response: AuthorizationResponse
        do {
            response = try host.authorize(
                AuthorizationRequest(
                    pan: data.pan, psn: data.psn, atc: first.atc, transactionData: Array(cdol1.prefix(29)), aip: data.aip,
                    iad: first.issuerApplicationData, arqc: first.cryptogram, amount: amount))
        } catch {
            throw TerminalError(.issuerHost, step: "issuer host", detail: "\(error)")
        }
        steps.append(.issuer(arc: response.arc, reason: response.reason))
        let ea = try send("EXTERNAL AUTHENTICATE") {
            try .issuerAuthenticate(arpc: response.arpc, arc: response.arc)
        }
        steps.append(.issuerAuthentication(ea.status))
        values.append((0x8A, response.arc))
        let cdol2 = Self.fill(data.objects[0x8D], values)
        let second = try Self.parseGAC(
            ok("GENERATE AC (2nd)") { try .generateAC(response.approved ? .tc : .aac, cdolData: cdol2) })
        steps.append(.generateAC(first: false, second))
        // Issuer scripts after the second GENERATE AC (template 72).
        for (n, command) in response.scripts.enumerated() {
            let r = try send("issuer script \(n + 1)") { command }
            steps.append(.issuerScript(number: n + 1, cla: command.cla, ins: command.ins, r.status))
        }
        let approved = second.type == .tc
        return PurchaseResult(
            approved: approved, cryptogramType: second.type, cryptogram: second.cryptogram, atc: second.atc,
            arc: String(decoding: response.arc, as: UTF8.self),
            reason: approved ? "approved" : response.approved ? "declined by the card" : response.reason, tvr: tvr,
            pan: data.pan, events: steps)
    }

    /// The value of an answer in format 1: one primitive `80` object whose
    /// length is exactly what follows it (EMV Book 3 §6.5.5.4, §6.5.8.4);
    /// `nil` for an answer in another format.
    /// - Throws: ``TerminalError/Code/malformedResponse`` for an `80` whose
    ///   length is not the data's (a truncated or padded answer).
    static func formatOne(_ d: [UInt8], step: String) throws(TerminalError) -> [UInt8]? {
        guard d.first == 0x80 else { return nil }
        // The length by hand (1–3 bytes, BER): this runs twice in every
        // purchase, and a TLV parse would allocate its node array.
        var header = 2
        var length = -1
        if d.count >= 2 {
            switch d[1] {
            case 0..<0x80: length = Int(d[1])
            case 0x81 where d.count >= 3:  // also non-minimal (81 xx, xx < 80), as real cards write it
                length = Int(d[2])
                header = 3
            case 0x82 where d.count >= 4:
                length = Int(d[2]) << 8 | Int(d[3])
                header = 4
            default: break
            }
        }
        guard length >= 0, header + length == d.count else { throw TerminalError(.malformedResponse, step: step) }
        return Array(d[header...])
    }

    /// Format 1 (`80`: CID, ATC, AC and up to 32 bytes of IAD) or format 2 (`77`).
    static func parseGAC(_ d: [UInt8]) throws(TerminalError) -> GenerateACResponse {
        if let v = try formatOne(d, step: "GENERATE AC") {
            guard (11...43).contains(v.count), let type = CryptogramType(cid: v[0]) else {
                throw TerminalError(.malformedResponse, step: "GENERATE AC")
            }
            return GenerateACResponse(
                type: type, atc: UInt16(v[1]) << 8 | UInt16(v[2]), cryptogram: Array(v[3..<11]),
                issuerApplicationData: Array(v[11...]))
        }
        guard let nodes = try? BERTLV.parse(d), let cidNode = nodes.first(0x9F27), !cidNode.isConstructed,
            let cid = cidNode.value.first, let type = CryptogramType(cid: cid),
            let atc = nodes.first(0x9F36)?.value, atc.count == 2, let ac = nodes.first(0x9F26)?.value
        else {
            throw TerminalError(.malformedResponse, step: "GENERATE AC")
        }
        return GenerateACResponse(
            type: type, atc: UInt16(atc[atc.startIndex]) << 8 | UInt16(atc[atc.startIndex + 1]), cryptogram: Array(ac),
            issuerApplicationData: nodes.first(0x9F10).map { Array($0.value) } ?? [])
    }
}
