// SSCard — Terminal
//
// An EMV kernel-lite for the PBOC debit application: selection through the
// PSE (then a list of AIDs), GPO with the PDOL, the AFL records, offline
// plaintext PIN when the CVM list asks for it, terminal risk checks for a
// domestic, CNY-only debit card, the first GENERATE AC, online authorisation,
// EXTERNAL AUTHENTICATE with the ARPC, the second GENERATE AC.

public import BackOffice
public import CardAPDU
import CardCrypto
public import CardTLV
public import CardTransport

/// What the card told the terminal.
public struct BankCardData: Sendable {
    public var aid: [UInt8]
    public var label: String
    /// Every data object read (FCI, records), by tag.
    public var objects: [BERTag: [UInt8]]
    public var aip: [UInt8]
    public var afl: [UInt8]

    public init(aid: [UInt8], label: String, objects: [BERTag: [UInt8]], aip: [UInt8], afl: [UInt8]) {
        self.aid = aid
        self.label = label
        self.objects = objects
        self.aip = aip
        self.afl = afl
    }

    public var pan: String {
        Hex.encode(objects[0x5A] ?? []).filter { $0 != "F" }
    }
    public var psn: UInt8 { objects[0x5F34]?.first ?? 0 }
    public var name: String { String(decoding: objects[0x5F20] ?? [], as: UTF8.self) }
    /// YYMMDD.
    public var expiry: String { Hex.encode(objects[0x5F24] ?? []) }
}

/// The outcome of a purchase.
public struct PurchaseResult: Sendable {
    public var approved: Bool
    /// `TC`, `AAC` or `ARQC`.
    public var cryptogramType: String
    public var cryptogram: [UInt8]
    public var atc: UInt16
    public var arc: String?
    public var reason: String
    public var tvr: [UInt8]
    public var steps: [String]
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
    public var parameters = TerminalParameters()
    /// Every command's step and status word, newest last.
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

    /// The AIDs tried when there is no PSE.
    public static let knownAIDs: [[UInt8]] = [
        [0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01], [0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02],
        [0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x03],
    ]

    public init(card: TerminalSession) {
        card.autoGetResponse = true
        card.autoResendOnWrongLe = true
        self.card = card
    }

    /// Sends a command; `step` names it in errors (built only when needed).
    public func send(_ apdu: [UInt8], _ step: @autoclosure () -> String) throws(TerminalError) -> ResponseAPDU {
        do {
            let e = try card.send(apdu)
            guard let r = try? ResponseAPDU(bytes: e.response) else { throw TerminalError(kind: .malformed, step: step()) }
            let header = apdu.count >= 4 ? UInt32(apdu[0]) << 24 | UInt32(apdu[1]) << 16 | UInt32(apdu[2]) << 8 | UInt32(apdu[3]) : 0
            exchanges.append((header, r.status))
            return r
        } catch let e as TerminalError {
            throw e
        } catch {
            throw TerminalError(kind: .transport(error as! TransportError), step: step())
        }
    }

    func ok(_ apdu: [UInt8], _ step: @autoclosure () -> String) throws(TerminalError) -> [UInt8] {
        let r = try send(apdu, step())
        guard r.status == .success else { throw TerminalError(kind: .card(r.status), step: step()) }
        return r.data
    }

    public static func objects(_ bytes: [UInt8]) -> [BERTag: [UInt8]] {
        var out: [BERTag: [UInt8]] = [:]
        collect(bytes, into: &out)
        return out
    }

    /// Adds the primitive objects of `bytes` to `objects`; a tag already
    /// there keeps its first value.
    static func collect(_ bytes: [UInt8], into objects: inout [BERTag: [UInt8]]) {
        guard let nodes = try? BERTLV.parse(bytes) else { return }
        for n in nodes where !n.isConstructed { keepFirst(&objects[n.tag], n.value) }
    }

    /// One dictionary lookup for "insert unless present".
    @inline(__always)
    private static func keepFirst(_ slot: inout [UInt8]?, _ value: ArraySlice<UInt8>) {
        if slot == nil { slot = Array(value) }
    }

    /// The value of the first object with `tag` among parsed `nodes`, at
    /// any depth; `nil` when there is none, it is constructed, or the parse failed.
    static func value(_ tag: BERTag, in nodes: TLVNodes?) -> [UInt8]? {
        guard let node = nodes?.first(tag), !node.isConstructed else { return nil }
        return Array(node.value)
    }

    /// Application selection: the PSE's directory, else the known AIDs.
    public func selectApplication() throws(TerminalError) -> (aid: [UInt8], fci: [BERTag: [UInt8]]) {
        do {
            _ = try card.connect()
        } catch {
            throw TerminalError(kind: .transport(error), step: "power on")
        }
        var candidates: [[UInt8]] = []
        let pse = Array("1PAY.SYS.DDF01".utf8)
        let r = try send([0x00, 0xA4, 0x04, 0x00, UInt8(pse.count)] + pse + [0x00], "SELECT PSE")
        if r.status == .success, let sfi = Self.value(0x88, in: try? BERTLV.parse(r.data))?.first {
            for record in 1...10 {
                let d = try send([0x00, 0xB2, UInt8(record), sfi << 3 | 4, 0x00], "READ RECORD directory \(record)")
                guard d.status == .success else { break }
                if let aid = Self.value(0x4F, in: try? BERTLV.parse(d.data)) { candidates.append(aid) }
            }
        }
        if candidates.isEmpty { candidates = Self.knownAIDs }
        for aid in candidates {
            let s = try send([0x00, 0xA4, 0x04, 0x00, UInt8(aid.count)] + aid + [0x00], "SELECT \(Hex.encode(aid))")
            if s.status == .success { return (aid, Self.objects(s.data)) }
            if s.status == .selectedFileDeactivated { throw TerminalError(kind: .card(s.status), step: "SELECT \(Hex.encode(aid)) (application blocked)") }
        }
        throw TerminalError(kind: .card(.fileNotFound), step: "application selection")
    }

    /// Terminal values for a DOL: a handful, searched in order.
    typealias DOLValues = [(tag: BERTag, value: [UInt8])]

    /// Fills a DOL from terminal values; missing values are zeros.
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

    /// The ISO 9564 format-2 block of an offline plaintext PIN: `2N`, the
    /// digits, `F` padding, 8 bytes.
    public static func plaintextPINBlock(_ pin: String) -> [UInt8] {
        let digits = pin.compactMap(\.wholeNumberValue).map(UInt8.init)
        var nibbles: [UInt8] = [0x2, UInt8(digits.count)] + digits
        while nibbles.count < 16 { nibbles.append(0xF) }
        return stride(from: 0, to: 16, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }

    /// VERIFY of the offline plaintext PIN (P2 80, the format-2 block);
    /// the card's status word.
    public func verifyOfflinePIN(_ pin: String) throws(TerminalError) -> StatusWord {
        try send([0x00, 0x20, 0x00, 0x80, 0x08] + Self.plaintextPINBlock(pin) + [0x00], "VERIFY").status
    }

    /// Amount, numeric (n12): 12 BCD digits.
    public static func bcdAmount(_ fen: Int) -> [UInt8] {
        var digits = [UInt8](repeating: 0, count: 12)
        var v = max(0, fen)
        for i in (0..<12).reversed() {
            digits[i] = UInt8(v % 10)
            v /= 10
        }
        return stride(from: 0, to: 12, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// GPO (PDOL filled) and the AFL records.
    public func readApplication(amount: Int = 0) throws(TerminalError) -> BankCardData {
        let (aid, fci) = try selectApplication()
        let pdolValues: DOLValues = [(0x9F7A, [0x00]), (0x9F02, Self.bcdAmount(amount)), (0x5F2A, parameters.currency)]
        let pdol = Self.fill(fci[0x9F38] ?? [], pdolValues)
        let gpo = try ok([0x80, 0xA8, 0x00, 0x00, UInt8(pdol.count + 2), 0x83, UInt8(pdol.count)] + pdol + [0x00], "GET PROCESSING OPTIONS")
        var aip: [UInt8] = []
        var afl: [UInt8] = []
        if gpo.first == 0x80, gpo.count >= 4 {
            let v = Array(gpo.dropFirst(2))
            aip = Array(v.prefix(2))
            afl = Array(v.dropFirst(2))
        } else {
            let o = Self.objects(gpo)
            aip = o[0x82] ?? []
            afl = o[0x94] ?? []
        }
        guard aip.count == 2, afl.count % 4 == 0 else { throw TerminalError(kind: .malformed, step: "GET PROCESSING OPTIONS") }
        var objects = fci
        objects.reserveCapacity(64)
        var i = 0
        while i + 4 <= afl.count {
            let sfi = afl[i] >> 3
            for record in afl[i + 1]...max(afl[i + 1], afl[i + 2]) {
                let data = try ok([0x00, 0xB2, record, sfi << 3 | 4, 0x00], "READ RECORD SFI \(sfi) \(record)")
                Self.collect(data, into: &objects)
            }
            i += 4
        }
        return BankCardData(
            aid: aid, label: String(decoding: fci[0x50] ?? [], as: UTF8.self), objects: objects, aip: aip, afl: afl)
    }

    /// A purchase: offline PIN when the CVM list asks for it, risk checks,
    /// ARQC, the issuer host, ARPC, TC or AAC.
    public func purchase(amount: Int, pin: String?, host: IssuerHost) throws(TerminalError) -> PurchaseResult {
        exchanges.removeAll(keepingCapacity: true)
        let data = try readApplication(amount: amount)
        var steps: [String] = ["selected \(Hex.encode(data.aid)) \(data.label)"]
        var tvr: [UInt8] = [0x80, 0, 0, 0, 0]  // b8 of byte 1: offline data authentication not performed
        // Risk checks for a domestic, CNY-only debit card.
        let domestic = data.objects[0x5F28] == parameters.country
        if let auc = data.objects[0x9F07], auc.count == 2 {
            let allowed = domestic ? auc[0] & 0x28 != 0 : auc[0] & 0x14 != 0
            if !allowed { tvr[1] |= 0x10 }  // requested service not allowed
        }
        if data.objects[0x9F42] != nil && data.objects[0x9F42] != parameters.currency { tvr[1] |= 0x10 }
        // YYMMDD in BCD: byte order is date order.
        if let expiry = data.objects[0x5F24], expiry.lexicographicallyPrecedes(parameters.date) { tvr[1] |= 0x40 }
        if let effective = data.objects[0x5F25], parameters.date.lexicographicallyPrecedes(effective) { tvr[1] |= 0x20 }
        // CVM: offline plaintext PIN (41 or 01) when listed and a PIN is given.
        let cvm = data.objects[0x8E] ?? []
        var rules: [UInt8] = []
        var i = 8
        while i + 1 < cvm.count {
            rules.append(cvm[i] & 0x3F)
            i += 2
        }
        if rules.contains(0x01), let pin {
            let status = try verifyOfflinePIN(pin)
            if status == .success {
                steps.append("offline PIN verified")
            } else if let left = status.retriesRemaining {
                tvr[2] |= 0x80  // cardholder verification not successful
                return PurchaseResult(
                    approved: false, cryptogramType: "none", cryptogram: [], atc: 0, arc: nil,
                    reason: "wrong PIN, \(left) \(left == 1 ? "try" : "tries") left", tvr: tvr, steps: steps + ["wrong PIN"])
            } else {
                tvr[2] |= 0x20  // PIN try limit exceeded
                return PurchaseResult(
                    approved: false, cryptogramType: "none", cryptogram: [], atc: 0, arc: nil,
                    reason: "the bank PIN is blocked", tvr: tvr, steps: steps + ["PIN blocked"])
            }
        } else if rules.contains(0x01) {
            tvr[2] |= 0x08  // PIN entry required but not entered
        }
        var g = SystemRandomNumberGenerator()
        let un = (0..<4).map { _ in UInt8.random(in: 0...255, using: &g) }
        let values: DOLValues = [
            (0x9F02, Self.bcdAmount(amount)), (0x9F03, Self.bcdAmount(0)), (0x9F1A, parameters.country), (0x95, tvr),
            (0x5F2A, parameters.currency), (0x9A, parameters.date), (0x9C, [parameters.transactionType]), (0x9F37, un),
            (0x9F21, parameters.time), (0x9F4E, Array(parameters.merchant.utf8.prefix(20))),
        ]
        let cdol1 = Self.fill(data.objects[0x8C] ?? [], values)
        // Ask for a TC when nothing is wrong, an AAC when the TVR says decline.
        let denial = tvr[1] & 0x70 != 0
        let first = try ok([0x80, 0xAE, denial ? 0x00 : 0x40, 0x00, UInt8(cdol1.count)] + cdol1 + [0x00], "GENERATE AC (1st)")
        let (cid, atc, ac, iad) = try Self.parseGAC(first)
        steps.append("1st GENERATE AC: \(Self.name(cid)) \(Hex.encode(ac))")
        guard cid & 0xC0 == 0x80 else {
            return PurchaseResult(
                approved: cid & 0xC0 == 0x40, cryptogramType: Self.name(cid), cryptogram: ac, atc: atc, arc: nil,
                reason: cid & 0xC0 == 0x40 ? "approved offline" : "declined offline", tvr: tvr, steps: steps)
        }
        let response: AuthorizationResponse
        do {
            response = try host.authorize(
                AuthorizationRequest(
                    pan: data.pan, psn: data.psn, atc: atc, transactionData: Array(cdol1.prefix(29)), aip: data.aip, iad: iad,
                    arqc: ac, amount: amount))
        } catch {
            throw TerminalError(kind: .malformed, step: "issuer host")
        }
        steps.append("issuer: ARC \(String(decoding: response.arc, as: UTF8.self)) (\(response.reason))")
        let ea = try send([0x00, 0x82, 0x00, 0x00, 0x0A] + response.arpc + response.arc, "EXTERNAL AUTHENTICATE")
        steps.append("issuer authentication: \(ea.status == .success ? "ok" : "failed \(ea.status)")")
        let cdol2 = Self.fill(data.objects[0x8D] ?? [], values + [(0x8A, response.arc)])
        let second = try ok(
            [0x80, 0xAE, response.approved ? 0x40 : 0x00, 0x00, UInt8(cdol2.count)] + cdol2 + [0x00], "GENERATE AC (2nd)")
        let (cid2, atc2, ac2, _) = try Self.parseGAC(second)
        steps.append("2nd GENERATE AC: \(Self.name(cid2)) \(Hex.encode(ac2))")
        // Issuer scripts after the second GENERATE AC (template 72).
        for (n, command) in response.scripts.enumerated() {
            let r = try send(command, "issuer script \(n + 1)")
            steps.append("issuer script \(n + 1) (\(Hex.encode(command.prefix(2)))): \(r.status)")
        }
        let approved = cid2 & 0xC0 == 0x40
        return PurchaseResult(
            approved: approved, cryptogramType: Self.name(cid2), cryptogram: ac2, atc: atc2,
            arc: String(decoding: response.arc, as: UTF8.self),
            reason: approved ? "approved" : response.approved ? "declined by the card" : response.reason, tvr: tvr, steps: steps)
    }

    static func name(_ cid: UInt8) -> String {
        switch cid & 0xC0 {
        case 0x40: "TC"
        case 0x80: "ARQC"
        default: "AAC"
        }
    }

    /// Format 1 (`80`) or format 2 (`77`).
    static func parseGAC(_ d: [UInt8]) throws(TerminalError) -> (UInt8, UInt16, [UInt8], [UInt8]) {
        if d.first == 0x80, d.count >= 13 {
            let v = Array(d.dropFirst(2))
            return (v[0], UInt16(v[1]) << 8 | UInt16(v[2]), Array(v[3..<11]), Array(v[11...]))
        }
        let o = try? BERTLV.parse(d)
        guard let cid = value(0x9F27, in: o)?.first, let atc = value(0x9F36, in: o), atc.count == 2, let ac = value(0x9F26, in: o)
        else {
            throw TerminalError(kind: .malformed, step: "GENERATE AC")
        }
        return (cid, UInt16(atc[0]) << 8 | UInt16(atc[1]), ac, value(0x9F10, in: o) ?? [])
    }
}
