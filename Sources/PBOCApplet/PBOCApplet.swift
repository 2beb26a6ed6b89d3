// SSCard — PBOCApplet
//
// The PBOC debit application (JR/T 0025, EMV-based; spec/pboc.md): GET
// PROCESSING OPTIONS, GET DATA, offline plaintext PIN, GENERATE AC with
// CVN 01 (3DES) cryptograms, EXTERNAL AUTHENTICATE (ARPC method 1), issuer
// scripts under MAC, the transaction log, and the bank's activation.
//
// Persistent data lives in the ADF's files: the AFL records (SFI 1–3), the
// log (SFI 11, cyclic) and an internal EF (no access from outside) holding
// the counters and GET DATA objects as TLV; the PIN is the card OS's PIN
// object (reference 80, ISO format 2); the keys are card keys (UDK-AC,
// UDK-MAC). So every change is saved by the card OS like any other.

public import CardAPDU
public import CardCrypto
public import CardFileSystem
public import CardRuntime
public import CardTLV
import CardStandards

/// Names and tags of the PBOC application.
public enum PBOCDebit {
    /// The label of the internal data EF (GET/PUT DATA objects as TLV).
    public static let dataLabel = "pboc-data"
    /// The label of the internal counters EF (fixed layout, see ``PBOCCounters``).
    public static let countersLabel = "pboc-counters"
    /// Tags GET DATA may return.
    public static let getDataTags: Set<BERTag> = [
        0x9F36, 0x9F13, 0x9F17, 0x9F4F, 0x9F79, 0x9F77, 0x9F78, 0x9F6D, 0x9F5D, 0x9F68, 0x9F6B, 0xDF4F, 0x9F14, 0x9F23,
    ]
    /// Tags PUT DATA may update.
    public static let putDataTags: Set<BERTag> = [0x9F79, 0x9F77, 0x9F78, 0x9F6D, 0x9F14, 0x9F23, 0x9F6B]
    /// CDOL1 and CDOL2 data lengths of the profiles (pboc.md §5).
    public static let cdol1Length = 52
    public static let cdol2Length = 54
}

/// Options a profile sets (byte 6 of ``PBOCCounters``).
public struct PBOCOptions: Hashable, Sendable {
    /// GENERATE AC answers in format 2 (`77`) rather than format 1 (`80`).
    public var gacFormat2: Bool
    /// GPO answers in format 2.
    public var gpoFormat2: Bool
    /// GPO refuses a PDOL data length other than the PDOL's (else shorter data counts as zeros).
    public var strictPDOL: Bool
    /// Cryptograms with SM4 (national cryptography) rather than 3DES.
    public var sm4: Bool

    public init(gacFormat2: Bool = false, gpoFormat2: Bool = false, strictPDOL: Bool = false, sm4: Bool = false) {
        self.gacFormat2 = gacFormat2
        self.gpoFormat2 = gpoFormat2
        self.strictPDOL = strictPDOL
        self.sm4 = sm4
    }

    public var bytes: [UInt8] { [byte] }
    var byte: UInt8 { (gacFormat2 ? 1 : 0) | (gpoFormat2 ? 2 : 0) | (strictPDOL ? 4 : 0) | (sm4 ? 8 : 0) }
    public init(bytes: ArraySlice<UInt8>) {
        let b = bytes.first ?? 0
        self.init(gacFormat2: b & 1 != 0, gpoFormat2: b & 2 != 0, strictPDOL: b & 4 != 0, sm4: b & 8 != 0)
    }

    public var algorithm: PBOCAlgorithm { sm4 ? .sm4 : .tripleDES }
}

/// What changes with every transaction, in a fixed 12-byte layout so that
/// GPO and GENERATE AC read and write it without TLV: ATC (2), last online
/// ATC (2), flags (1: b1 activated), options (1, ``PBOCOptions``), EC balance (6, n12).
public struct PBOCCounters: Hashable, Sendable {
    public var atc: UInt16
    public var lastOnlineATC: UInt16
    public var activated: Bool
    public var options: PBOCOptions
    public var ecBalance: [UInt8]

    public init(atc: UInt16 = 0, lastOnlineATC: UInt16 = 0, activated: Bool, options: PBOCOptions, ecBalance: [UInt8] = [0, 0, 0, 0, 0, 0]) {
        self.atc = atc
        self.lastOnlineATC = lastOnlineATC
        self.activated = activated
        self.options = options
        self.ecBalance = ecBalance
    }

    public init?(bytes b: [UInt8]) {
        guard b.count == 12 else { return nil }
        self.init(
            atc: UInt16(b[0]) << 8 | UInt16(b[1]), lastOnlineATC: UInt16(b[2]) << 8 | UInt16(b[3]), activated: b[4] & 1 != 0,
            options: PBOCOptions(bytes: b[5...5]), ecBalance: Array(b[6..<12]))
    }

    public var bytes: [UInt8] {
        var b: [UInt8] = [UInt8(atc >> 8), UInt8(atc & 0xFF), UInt8(lastOnlineATC >> 8), UInt8(lastOnlineATC & 0xFF), activated ? 1 : 0]
        b.reserveCapacity(12)
        b.append(options.byte)
        b.append(contentsOf: ecBalance)
        return b
    }
}

/// Card verification results (IAD bytes 4–7, the VIS layout of pboc.md §8):
/// byte 1 is the length (`03`), bytes 2–3 flags, byte 4 the issuer script
/// count in its high nibble and a flag.
public struct CardVerificationResults: OptionSet, Hashable, Sendable {
    /// Byte 2 in bits 23–16, byte 3 in 15–8, byte 4's flags in 7–0.
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let secondACNotRequested = Self(rawValue: 0x80 << 16)
    public static let secondACIsTC = Self(rawValue: 0x40 << 16)
    public static let firstACIsARQC = Self(rawValue: 0x20 << 16)
    public static let firstACIsTC = Self(rawValue: 0x10 << 16)
    public static let issuerAuthenticationFailed = Self(rawValue: 0x08 << 16)
    public static let offlinePINPerformed = Self(rawValue: 0x04 << 16)
    public static let offlinePINFailed = Self(rawValue: 0x02 << 16)
    public static let pinTryLimitExceeded = Self(rawValue: 0x40 << 8)
    public static let issuerAuthenticationNotPerformed = Self(rawValue: 0x04 << 8)
    public static let issuerScriptFailed = Self(rawValue: 0x08)

    /// The four bytes, with `scripts` (up to 15) in byte 4's high nibble.
    public func bytes(scripts: Int) -> [UInt8] {
        [0x03, UInt8(truncatingIfNeeded: rawValue >> 16), UInt8(truncatingIfNeeded: rawValue >> 8),
         UInt8(min(scripts, 15)) << 4 | UInt8(truncatingIfNeeded: rawValue)]
    }
}

/// A transaction in progress: the applet's session, from its selection to
/// the next SELECT or power-off.
public struct PBOCTransaction: AppletSession {
    /// Where the transaction is: selected → GPO done → first GENERATE AC
    /// (its type) → second (both types).
    enum Phase: Equatable {
        case selected
        case optionsProcessed
        case firstAC(CryptogramType)
        case completed(first: CryptogramType, second: CryptogramType)
    }

    /// EXTERNAL AUTHENTICATE with the issuer's ARPC, at most once.
    enum IssuerAuthentication: Equatable {
        case notTried, passed, failed
    }

    /// The offline PIN in this transaction.
    enum CardholderVerification: Equatable {
        case notTried, verified, failed
    }

    var phase = Phase.selected
    /// The first cryptogram when it was an ARQC: the ARPC and the script MACs cover it.
    var arqc: [UInt8]? = nil
    var issuerAuthentication = IssuerAuthentication.notTried
    var cardholderVerification = CardholderVerification.notTried
    var scriptCount = 0
    var scriptFailed = false
    /// The internal data objects as last read or written (this applet is
    /// their only writer), so that each command does not parse them again.
    var objects: [BERTag: [UInt8]]? = nil
    /// The session key of UDK-AC and this transaction's ATC, set up once.
    var acSession: PBOCSession? = nil
    /// The counters as last read or written (this applet is their only writer).
    var counters: PBOCCounters? = nil

    public init() {}

    /// The first GENERATE AC's type, once there was one.
    var firstAC: CryptogramType? {
        switch phase {
        case .firstAC(let t), .completed(let t, _): t
        default: nil
        }
    }

    /// The CVR for a GENERATE AC answering `second` (nil for the first).
    func cvr(second: CryptogramType?, pinBlocked: Bool) -> CardVerificationResults {
        var r: CardVerificationResults = []
        if let second {
            if second == .tc { r.insert(.secondACIsTC) }
            if issuerAuthentication == .notTried { r.insert(.issuerAuthenticationNotPerformed) }
        } else {
            r.insert(.secondACNotRequested)
        }
        switch firstAC {
        case .arqc: r.insert(.firstACIsARQC)
        case .tc: r.insert(.firstACIsTC)
        default: break
        }
        if issuerAuthentication == .failed { r.insert(.issuerAuthenticationFailed) }
        if cardholderVerification != .notTried { r.insert(.offlinePINPerformed) }
        if cardholderVerification == .failed { r.insert(.offlinePINFailed) }
        if pinBlocked { r.insert(.pinTryLimitExceeded) }
        if scriptFailed { r.insert(.issuerScriptFailed) }
        return r
    }
}

/// The PBOC debit applet, registered on the ADF.
public struct PBOCApplet: Applet {
    public let adf: NodeIndex
    public init(adf: NodeIndex) { self.adf = adf }

    static let aip: [UInt8] = [0x1C, 0x00]
    static let afl: [UInt8] = [0x08, 0x01, 0x03, 0x00]
    static let pdolLength = 11

    public func process(
        _ c: CommandAPDUView, card: inout VirtualCard, session t: inout PBOCTransaction
    ) throws(CardStatusError) -> CardAnswer? {
        // Registered on the PSE too: a transaction command there, outside the
        // ADF, has its conditions of use unsatisfied (EMV).
        if card.session.currentDF != adf {
            if c.cla == 0x80 && (c.ins == 0xA8 || c.ins == 0xAE) { throw .conditionsNotSatisfied }
            return nil
        }
        // READ RECORD reads one record by number here (pboc.md §5): the card
        // OS's other modes (by identifier, P1 to last …) are not EMV's.
        if c.cla == 0x00 && c.ins == 0xB2 && c.p2 & 0x07 != 0x04 { throw .incorrectP1P2 }
        switch Self.table.lookup(cla: c.cla, ins: c.ins) {
        case .handler(let handler): return try handler(self, c, &card, &t)
        case .wrongClass: throw .claNotSupported
        case .notHere: return nil
        }
    }

    typealias Handler = @Sendable (PBOCApplet, CommandAPDUView, inout VirtualCard, inout PBOCTransaction) throws(CardStatusError) -> CardAnswer?

    /// The application's instructions. GPO, GET DATA and GENERATE AC under
    /// another class answer `6E00`; the others under another class are the
    /// card OS's (ISO VERIFY, CHANGE REFERENCE DATA, …).
    /// A handler, typed where it is written (a typed-throws closure passed
    /// straight to a generic parameter crashes Swift 6.3's SILGen).
    static func handler(_ h: @escaping Handler) -> Handler { h }

    static let table: InstructionTable<Handler> = {
        var t = InstructionTable<Handler>()
        t.define(0xA8, cla: 0x80, Self.handler { a, c, card, s throws(CardStatusError) in try a.gpo(c, &card, &s) })
        t.define(0xCA, cla: 0x80, Self.handler { a, c, card, s throws(CardStatusError) in try a.getData(c, &card, &s) })
        t.define(0xAE, cla: 0x80, Self.handler { a, c, card, s throws(CardStatusError) in try a.generateAC(c, &card, &s) })
        t.define(0x82, cla: 0x00, otherClasses: .passOn, Self.handler { a, c, card, s throws(CardStatusError) in try a.externalAuthenticate(c, &card, &s) })
        t.define(0x20, cla: 0x00, otherClasses: .passOn, Self.handler { a, c, card, s throws(CardStatusError) in try a.verify(c, &card, &s) })
        for ins: UInt8 in [0x1E, 0x18, 0x16, 0x24] {
            t.define(ins, cla: 0x84, otherClasses: .passOn, Self.handler { a, c, card, s throws(CardStatusError) in try a.script(c, &card, &s) })
        }
        t.define(0xDA, cla: 0x04, otherClasses: .passOn, Self.handler { a, c, card, s throws(CardStatusError) in try a.script(c, &card, &s) })
        return t
    }()

    // MARK: State

    func blocked(_ card: VirtualCard) -> Bool { card.state.files[adf].df?.blocked == true }

    /// The internal data objects.
    func data(_ card: VirtualCard, _ t: inout PBOCTransaction) throws(CardStatusError) -> [BERTag: [UInt8]] {
        if let cached = t.objects { return cached }
        guard let i = card.state.files.index(ofLabel: PBOCDebit.dataLabel), case .transparent(let f)? = card.state.files[i].ef?.content
        else { throw .noPreciseDiagnosis }
        guard let nodes = try? BERTLV.parse(f.data) else { throw .noPreciseDiagnosis }
        var out: [BERTag: [UInt8]] = [:]
        for n in nodes.roots { out[n.tag] = Array(n.value) }
        t.objects = out
        return out
    }

    /// Rewrites data objects (saved before the answer leaves).
    func update(_ card: inout VirtualCard, _ t: inout PBOCTransaction, _ changes: [BERTag: [UInt8]]) throws(CardStatusError) {
        var objects = try data(card, &t)
        for (tag, v) in changes { objects[tag] = v }
        var b = TLVBuilder()
        for tag in objects.keys.sorted() { b.append(tag, objects[tag]!) }
        let bytes = b.bytes
        guard let i = card.state.files.index(ofLabel: PBOCDebit.dataLabel) else { throw .noPreciseDiagnosis }
        try card.commit { (s: inout CardState) throws(CardStatusError) in
            try s.files.updateEF(i) { (ef: inout ElementaryFile) throws(CardStatusError) in
                ef.content = .transparent(TransparentFile(data: bytes))
            }
        }
        t.objects = objects
    }

    func countersIndex(_ card: VirtualCard) throws(CardStatusError) -> NodeIndex {
        // The counters EF is the ADF's child with the label.
        guard let i = card.state.files.child(of: adf, label: PBOCDebit.countersLabel) else { throw .noPreciseDiagnosis }
        return i
    }

    /// The counters, read from their EF the first time in a transaction.
    func counters(_ card: VirtualCard, _ t: inout PBOCTransaction) throws(CardStatusError) -> PBOCCounters {
        if let known = t.counters { return known }
        let i = try countersIndex(card)
        guard case .transparent(let f)? = card.state.files[i].ef?.content, let c = PBOCCounters(bytes: f.data) else {
            throw .noPreciseDiagnosis
        }
        t.counters = c
        return c
    }

    /// Saves the counters (before the answer leaves).
    func setCounters(_ card: inout VirtualCard, _ t: inout PBOCTransaction, _ c: PBOCCounters) throws(CardStatusError) {
        let i = try countersIndex(card)
        let bytes = c.bytes
        try card.commit { (s: inout CardState) throws(CardStatusError) in
            try s.files.updateEF(i) { (ef: inout ElementaryFile) throws(CardStatusError) in
                ef.content = .transparent(TransparentFile(data: bytes))
            }
        }
        t.counters = c
    }

    func key(_ card: VirtualCard, _ usage: KeyUsage) throws(CardStatusError) -> [UInt8] {
        guard let k = card.state.keys.first(where: { $0.usage == usage && $0.df == adf }) else { throw .referencedDataNotFound }
        return k.value
    }

    func crypto<T>(_ body: () throws(CryptoError) -> T) throws(CardStatusError) -> T {
        do {
            return try body()
        } catch {
            throw .noPreciseDiagnosis
        }
    }

    /// This transaction's AC session, made on first use from UDK-AC's
    /// cipher (which the card keeps across transactions).
    func acSession(
        _ t: inout PBOCTransaction, _ card: inout VirtualCard, atc: UInt16, algorithm: PBOCAlgorithm
    ) throws(CardStatusError) -> PBOCSession {
        if let s = t.acSession { return s }
        let udk = try key(card, .applicationCryptogram)
        let s = try crypto { () throws(CryptoError) in
            try PBOCSession(udk: try card.cipher(of: udk, algorithm == .sm4 ? .sm4 : .tripleDES), atc: atc)
        }
        t.acSession = s
        return s
    }

    /// Whether the bank PIN is blocked.
    func pinBlocked(_ card: VirtualCard) throws(CardStatusError) -> Bool {
        card.state.pins[try card.pinIndex(reference: PBOC.plaintextPIN)].counter.isBlocked
    }

    // MARK: GET PROCESSING OPTIONS

    /// `80 A8 00 00 Lc 83 L <PDOL data> 00`: the ATC goes up by one and is
    /// saved; the answer is AIP and AFL in format 1 (or 2).
    func gpo(_ c: CommandAPDUView, _ card: inout VirtualCard, _ t: inout PBOCTransaction) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0, c.p2 == 0 else { throw .wrongParameters }
        let d = c.data
        guard d.count >= 2, d.first == 0x83 else { throw .incorrectData }
        let length = Int(d[d.startIndex + 1])
        guard length == d.count - 2 else { throw .wrongLength }
        var counters = try counters(card, &t)
        let options = counters.options
        if length > Self.pdolLength || (options.strictPDOL && length != Self.pdolLength) { throw .wrongLength }
        if t.phase != .selected || blocked(card) || !counters.activated { throw .conditionsNotSatisfied }
        guard counters.atc < 0xFFFF else { throw .conditionsNotSatisfied }
        counters.atc += 1
        try setCounters(&card, &t, counters)
        // A new transaction; the data objects read and an offline PIN
        // verified since the selection stay.
        var next = PBOCTransaction()
        next.objects = t.objects
        next.counters = t.counters
        next.cardholderVerification = t.cardholderVerification
        next.phase = .optionsProcessed
        t = next
        var b = TLVBuilder()
        if options.gpoFormat2 {
            b.appendConstructed(0x77) { r in
                r.append(0x82, Self.aip)
                r.append(0x94, Self.afl)
            }
        } else {
            b.append(0x80, Self.aip + Self.afl)
        }
        return CardAnswer(b.bytes)
    }

    // MARK: GET DATA

    func getData(_ c: CommandAPDUView, _ card: inout VirtualCard, _ t: inout PBOCTransaction) throws(CardStatusError) -> CardAnswer {
        guard c.nc == 0 else { throw .wrongLength }
        let tag = BERTag(UInt32(c.p1) << 8 | UInt32(c.p2))
        let raw: BERTag = c.p1 == 0 ? BERTag(UInt32(c.p2)) : tag
        guard PBOCDebit.getDataTags.contains(raw) else { throw .referencedDataNotFound }
        let value: [UInt8]
        if raw == 0x9F17 {
            let pin = try card.pinIndex(reference: PBOC.plaintextPIN)
            value = [card.state.pins[pin].counter.remaining]
        } else if raw == 0x9F36 || raw == 0x9F13 || raw == 0x9F79 {
            let c = try counters(card, &t)
            let a = raw == 0x9F36 ? c.atc : c.lastOnlineATC
            value = raw == 0x9F79 ? c.ecBalance : [UInt8(a >> 8), UInt8(a & 0xFF)]
        } else {
            guard let v = try data(card, &t)[raw] else { throw .referencedDataNotFound }
            value = v
        }
        return CardAnswer(TLVBuilder.encode(raw, value))
    }

    // MARK: VERIFY

    /// Offline plaintext PIN (`00 20 00 80`) through the card OS's PIN object;
    /// the result goes into the CVR. Enciphered PIN (`88`) is not offered.
    func verify(_ c: CommandAPDUView, _ card: inout VirtualCard, _ t: inout PBOCTransaction) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0, c.p2 == PBOC.plaintextPIN else { throw .incorrectP1P2 }
        if c.nc != 0 && c.nc != 8 { throw .wrongLength }
        do {
            let answer = try card.verify(c)
            if c.nc > 0 { t.cardholderVerification = .verified }
            return answer
        } catch {
            if c.nc > 0, error.status.retriesRemaining != nil || error.status == .authenticationMethodBlocked {
                t.cardholderVerification = .failed
            }
            throw error
        }
    }

    // MARK: GENERATE AC

    /// `80 AE P1 00 Lc <CDOL data> 00`. The first asks for an AAC, a TC or an
    /// ARQC; with offline limits of zero the card answers an ARQC for a TC
    /// and never upgrades. The second gives a TC only after a successful
    /// issuer authentication with ARC "00" (9F56 = 80), else an AAC.
    func generateAC(_ c: CommandAPDUView, _ card: inout VirtualCard, _ t: inout PBOCTransaction) throws(CardStatusError) -> CardAnswer {
        guard c.p2 == 0, c.p1 & 0x3F == 0, let requested = CryptogramType(cid: c.p1) else { throw .incorrectP1P2 }
        let firstType: CryptogramType?
        switch t.phase {
        case .optionsProcessed: firstType = nil
        case .firstAC(let type): firstType = type
        default: throw .conditionsNotSatisfied
        }
        guard !blocked(card) else { throw .conditionsNotSatisfied }
        let first = firstType == nil
        guard c.nc == (first ? PBOCDebit.cdol1Length : PBOCDebit.cdol2Length) else { throw .wrongLength }
        let cdol = c.data
        let at = cdol.startIndex
        var counters = try counters(card, &t)
        let atc = counters.atc
        let type: CryptogramType
        if let firstType {
            guard firstType == .arqc else { throw .conditionsNotSatisfied }
            let approvedByIssuer = cdol[at] == 0x30 && cdol[at + 1] == 0x30
            type = requested == .tc && t.issuerAuthentication == .passed && approvedByIssuer ? .tc : .aac
            t.phase = .completed(first: firstType, second: type)
        } else {
            type = requested == .aac ? .aac : .arqc
            t.phase = .firstAC(type)
        }
        let cvr = t.cvr(second: first ? nil : type, pinBlocked: try pinBlocked(card)).bytes(scripts: t.scriptCount)
        var macInput: [UInt8] = []
        macInput.reserveCapacity(48)
        macInput.append(contentsOf: cdol[(at + (first ? 0 : 2))..<(at + (first ? 29 : 31))])
        macInput.append(contentsOf: Self.aip)
        macInput.append(UInt8(atc >> 8))
        macInput.append(UInt8(atc & 0xFF))
        macInput.append(contentsOf: cvr)
        let alg = counters.options.algorithm
        let session = try acSession(&t, &card, atc: atc, algorithm: alg)
        let ac = try crypto { () throws(CryptoError) in try session.cryptogram(macInput) }
        if first && type == .arqc { t.arqc = ac }
        var iad: [UInt8] = [0x07, 0x01, 0x01]
        iad.reserveCapacity(19)
        iad.append(contentsOf: cvr)
        iad.append(alg.rawValue)
        iad.append(0x0A)
        iad.append(0x01)
        iad.append(contentsOf: counters.ecBalance.suffix(5))
        iad.append(contentsOf: repeatElement(0, count: 4))
        if !first && type == .tc {
            if t.issuerAuthentication == .passed {
                counters.lastOnlineATC = atc
                try setCounters(&card, &t, counters)
            }
            try appendLog(cdol: cdol, atc: atc, &card)
        }
        let cid = type.rawValue
        var b = TLVBuilder()
        let atcBytes: [UInt8] = [UInt8(atc >> 8), UInt8(atc & 0xFF)]
        if counters.options.gacFormat2 {
            b.appendConstructed(0x77) { r in
                r.append(0x9F27, [cid])
                r.append(0x9F36, atcBytes)
                r.append(0x9F26, ac)
                r.append(0x9F10, iad)
            }
        } else {
            b.appendConstructed(0x80) { r in
                r.appendEncoded([cid])
                r.appendEncoded(atcBytes)
                r.appendEncoded(ac)
                r.appendEncoded(iad)
            }
        }
        return CardAnswer(b.bytes)
    }

    /// A log record in the 9F4F format (45 bytes) from the second GENERATE
    /// AC's CDOL2 data (ARC first): 9A 9F21 9F02 9F03 9F1A 5F2A 9F4E 9C 9F36.
    func appendLog(cdol: ArraySlice<UInt8>, atc: UInt16, _ card: inout VirtualCard) throws(CardStatusError) {
        guard let log = card.state.files.ef(under: adf, sfi: 11) else { return }
        let d = cdol.dropFirst(2)
        var record: [UInt8] = []
        record.reserveCapacity(45)
        for range in [21..<24, 29..<32, 0..<6, 6..<12, 12..<14, 19..<21, 32..<52, 24..<25] {
            record.append(contentsOf: d[(d.startIndex + range.lowerBound)..<(d.startIndex + range.upperBound)])
        }
        record.append(UInt8(atc >> 8))
        record.append(UInt8(atc & 0xFF))
        try card.commit { (s: inout CardState) throws(CardStatusError) in
            try s.files.updateEF(log) { (ef: inout ElementaryFile) throws(CardStatusError) in
                guard case .records(var r) = ef.content else { return }
                try r.append(record)
                ef.content = .records(r)
            }
        }
    }

    // MARK: Issuer authentication and scripts

    /// `00 82 00 00 0A ARPC ‖ ARC`, method 1.
    func externalAuthenticate(
        _ c: CommandAPDUView, _ card: inout VirtualCard, _ t: inout PBOCTransaction
    ) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0, c.p2 == 0 else { throw .incorrectP1P2 }
        guard (8...16).contains(c.nc) else { throw .wrongLength }
        guard let arqc = t.arqc, t.issuerAuthentication == .notTried else { throw .conditionsNotSatisfied }
        guard c.nc == 10 else { throw .wrongLength }
        let input = Array(c.data)
        let counters = try counters(card, &t)
        let session = try acSession(&t, &card, atc: counters.atc, algorithm: counters.options.algorithm)
        let expected = try crypto { () throws(CryptoError) in try session.arpc(arqc: arqc, arc: Array(input[8..<10])) }
        let passed = constantTimeEquals(expected, input[0..<8])
        t.issuerAuthentication = passed ? .passed : .failed
        return passed ? .ok : CardAnswer([], .authenticationFailed)
    }

    /// Issuer scripts: the MAC is the first 4 bytes of the retail MAC under
    /// the session key of UDK-MAC and the ATC, over CLA INS P1 P2 Lc ‖ ATC ‖
    /// ARQC ‖ data (pboc.md §9). APPLICATION UNBLOCK on a blocked
    /// application, which had no ARQC, uses eight zero bytes for it [GAP].
    func script(_ c: CommandAPDUView, _ card: inout VirtualCard, _ t: inout PBOCTransaction) throws(CardStatusError) -> CardAnswer {
        guard c.nc >= 4 else { throw .wrongLength }
        let unblocking = c.ins == 0x18
        let arqc: [UInt8]
        if let a = t.arqc {
            arqc = a
        } else if unblocking && blocked(card) {
            arqc = [UInt8](repeating: 0, count: 8)
        } else {
            throw .conditionsNotSatisfied
        }
        var counters = try counters(card, &t)
        let atc = counters.atc
        let bytes = c.bytes
        let body = Array(c.data.dropLast(4))
        let header = Array(bytes.prefix(4)) + [UInt8(c.nc)]
        let macKey = try key(card, .scriptMAC)
        let alg = counters.options.algorithm
        let mac = try crypto { () throws(CryptoError) in
            let sk = try PBOCCrypto.sessionKey(udk: macKey, atc: atc, algorithm: alg)
            let input = header + [UInt8(atc >> 8), UInt8(atc & 0xFF)] + arqc + body
            return Array(try PBOCCrypto.cryptogram(sessionKey: sk, data: input, algorithm: alg).prefix(4))
        }
        t.scriptCount += 1
        guard constantTimeEquals(mac, c.data.suffix(4)) else {
            t.scriptFailed = true
            throw CardStatusError(.secureMessagingObjectsIncorrect)
        }
        let adf = self.adf
        switch (c.cla, c.ins) {
        case (0x84, 0x1E):
            guard c.p1 == 0, c.p2 == 0, body.isEmpty else { throw .incorrectP1P2 }
            try card.commit { (s: inout CardState) throws(CardStatusError) in s.files.updateDF(adf) { $0.blocked = true } }
        case (0x84, 0x18):
            guard c.p1 == 0, c.p2 == 0, body.isEmpty else { throw .incorrectP1P2 }
            try card.commit { (s: inout CardState) throws(CardStatusError) in s.files.updateDF(adf) { $0.blocked = false } }
        case (0x84, 0x16):
            guard c.p1 == 0, c.p2 == 0, body.isEmpty else { throw .incorrectP1P2 }
            try card.commit { (s: inout CardState) throws(CardStatusError) in s.cardBlocked = true }
        case (0x84, 0x24):
            // P2 00: unblock; P2 02: unblock and a new PIN, enciphered [INFERRED block].
            guard c.p1 == 0, c.p2 == 0 || c.p2 == 2 else { throw .incorrectP1P2 }
            let pin = try card.pinIndex(reference: PBOC.plaintextPIN)
            var digits: [UInt8]? = nil
            if c.p2 == 2 {
                guard body.count == 16 else { throw .wrongLength }
                let encKey = try key(card, .dataEncryption)
                let block = try crypto { () throws(CryptoError) in
                    let sk = try PBOCCrypto.sessionKey(udk: encKey, atc: atc, algorithm: alg)
                    return try PBOCCrypto.decipherPIN(body, arqc: arqc, sessionKey: sk, algorithm: alg)
                }
                guard let block, let d = PINBlock.digits(ofFormat2: block) else { throw .incorrectData }
                digits = d
            } else {
                guard body.isEmpty else { throw .wrongLength }
            }
            try card.commit { (s: inout CardState) throws(CardStatusError) in
                s.pins[pin].counter.remaining = s.pins[pin].counter.limit
                if let digits { s.pins[pin].digits = digits }
            }
        default:  // 04 DA: PUT DATA
            let tag = BERTag(UInt32(c.p1) << 8 | UInt32(c.p2))
            guard PBOCDebit.putDataTags.contains(tag) else { throw .referenceDataNotUsable }
            if tag == 0x9F79 {
                guard body.count == 6 else { throw .wrongLength }
                counters.ecBalance = body
                try setCounters(&card, &t, counters)
            } else {
                guard let old = try data(card, &t)[tag], old.count == body.count else { throw .wrongLength }
                try update(&card, &t, [tag: body])
            }
        }
        return .ok
    }
}
