// SSCard — SocialSecurityApplet
//
// The MOHRSS social-security environment (SSSE, `sx1.sh.社会保障`): the
// commands of spec/ssc.md §2.1 beyond the card OS's ISO set — EXTERNAL and
// INTERNAL AUTHENTICATE with diversified keys, CHANGE PIN `805E`, PIN
// CHANGE/UNBLOCK `8424` under MAC, APPLICATION BLOCK `841E`, CARD BLOCK
// `8416` — the blocked application's `9303`, and DF04's medical purse
// (CLA `B0`, MedicalPurse.swift).
//
// SELECT, READ/UPDATE RECORD/BINARY, VERIFY, GET CHALLENGE and GET
// RESPONSE are the card OS's; the SSSE's files carry the access rules of
// §1.4 (free, RK external authentication, UK for updates, "PIN or RK").

public import CardAPDU
import CardCrypto
public import CardFileSystem
public import CardRuntime
public import CardStandards

/// The SSSE applet.
public struct SocialSecurityApplet: Applet {
    /// The SSSE DDF (node index).
    public let ssse: NodeIndex
    /// From the FCI's `9F0C { 86 xx }`.
    public let algorithm: SocialSecurityAlgorithm

    public init(ssse: NodeIndex, algorithm: SocialSecurityAlgorithm) {
        self.ssse = ssse
        self.algorithm = algorithm
    }

    public func process(_ c: CommandAPDUView, card: inout VirtualCard, session: inout SocialSecuritySession) throws(CardStatusError) -> CardAnswer? {
        let cla = c.cla, ins = c.ins
        // A blocked application: every command but SELECT (and the block itself) answers 9303.
        if card.state.files[ssse].df?.blocked == true, ins != 0xA4, !(cla == 0x84 && ins == 0x1E) {
            throw CardStatusError(.applicationBlocked)
        }
        if cla == 0xB0 { return try purse(c, &card, &session) }
        // Any other command but GET RESPONSE ends a purchase begun by INITIALIZE.
        if ins != 0xC0 { session.purchase = nil }
        switch Self.table.lookup(cla: cla, ins: ins) {
        case .handler(let handler): return try handler(self, c, &card)
        case .wrongClass: throw .claNotSupported
        case .notHere: return nil
        }
    }

    typealias Handler = @Sendable (SocialSecurityApplet, CommandAPDUView, inout VirtualCard) throws(CardStatusError) -> CardAnswer?

    /// The SSSE's own instructions; under another class each answers `6E00`,
    /// but `24` under CLA `00` is ISO CHANGE REFERENCE DATA, the card OS's.
    /// A handler, typed where it is written (a typed-throws closure passed
    /// straight to a generic parameter crashes Swift 6.3's SILGen).
    static func handler(_ h: @escaping Handler) -> Handler { h }

    static let table: InstructionTable<Handler> = {
        var t = InstructionTable<Handler>()
        t.define(0x82, cla: 0x00, Self.handler { a, c, card throws(CardStatusError) in try a.externalAuthenticate(c, &card) })
        t.define(0x88, cla: 0x00, Self.handler { a, c, card throws(CardStatusError) in try a.internalAuthenticate(c, &card) })
        t.define(0x5E, cla: 0x80, Self.handler { a, c, card throws(CardStatusError) in try a.changePIN(c, &card) })
        t.define(0x24, cla: 0x84, Self.handler { a, c, card throws(CardStatusError) in try a.pinChangeUnblock(c, &card) })
        t.define(0x24, cla: 0x00, Self.handler { _, _, _ throws(CardStatusError) in nil })
        t.define(0x1E, cla: 0x84, Self.handler { a, c, card throws(CardStatusError) in try a.applicationBlock(c, &card) })
        t.define(0x16, cla: 0x84, Self.handler { a, c, card throws(CardStatusError) in try a.cardBlock(c, &card) })
        return t
    }()

    func crypto<T>(_ body: () throws(CryptoError) -> T) throws(CardStatusError) -> T {
        do {
            return try body()
        } catch {
            // SSF33 or a libcrypto failure: the function is not available.
            throw CardStatusError(.functionNotSupported)
        }
    }

    // MARK: Authentication

    /// `00 82 00 P2 Lc auth8 ‖ original8 [‖ version]` (SPEC-7 §6.5–6.6):
    /// the card derives the session key from its last challenge, computes the
    /// authentication data over the original bytes and compares.
    func externalAuthenticate(_ c: CommandAPDUView, _ card: inout VirtualCard) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0 else { throw .incorrectP1P2 }
        guard c.nc == 0x10 || c.nc == 0x11 else { throw .wrongLength }
        let index = try card.keyIndex(number: c.p2 & 0x0F, usage: .externalAuthentication)
        let key = card.state.keys[index]
        let data = Array(c.data)
        if data.count == 0x11, data[16] != key.version { throw .referencedDataNotFound }
        if key.counter.isBlocked { throw .authenticationMethodBlocked }
        let challenge = try card.takeChallenge()
        let algorithm = self.algorithm
        try card.judgeKey(index) { () throws(CardStatusError) -> Bool in
            let expected = try crypto { () throws(CryptoError) in
                let sk = try SocialSecurityCrypto.sessionKey(algorithm, key: key.value, random: challenge)
                return try SocialSecurityCrypto.authenticationData(algorithm, sessionKey: sk, data: Array(data[8..<16]))
            }
            return constantTimeEquals(expected, data[0..<8])
        }
        card.session.security.setKeyAuthenticated(key.number)
        return .ok
    }

    /// `00 88 00 00 Lc rand1 ‖ rand2 [‖ version] 00`: the card answers the
    /// authentication data of rand2 under the session key of IRK and rand1.
    func internalAuthenticate(_ c: CommandAPDUView, _ card: inout VirtualCard) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0 else { throw .incorrectP1P2 }
        guard c.nc == 0x10 || c.nc == 0x11 else { throw .wrongLength }
        guard let index = card.state.keys.firstIndex(where: {
            $0.usage == .internalAuthentication && card.state.files.isAncestor($0.df, of: card.session.currentDF)
        }) else { throw .referencedDataNotFound }
        let key = card.state.keys[index]
        let data = Array(c.data)
        if data.count == 0x11, data[16] != key.version { throw .referencedDataNotFound }
        let algorithm = self.algorithm
        let result = try crypto { () throws(CryptoError) in
            let sk = try SocialSecurityCrypto.sessionKey(algorithm, key: key.value, random: Array(data[0..<8]))
            return try SocialSecurityCrypto.authenticationData(algorithm, sessionKey: sk, data: Array(data[8..<16]))
        }
        return CardAnswer(result)
    }

    // MARK: PIN services

    /// `80 5E 01 00 Lc old ‖ FF ‖ new` (SPEC-5 §6.3.1): either side may be
    /// empty, to set a PIN where there was none or to remove it.
    func changePIN(_ c: CommandAPDUView, _ card: inout VirtualCard) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0x01, c.p2 == 0x00 else { throw .incorrectP1P2 }
        guard (0x03...0x11).contains(c.nc) || c.nc == 1 else { throw .wrongLength }
        let data = c.data
        guard let sep = data.firstIndex(of: 0xFF) else { throw .incorrectData }
        let old = data[data.startIndex..<sep]
        let new = data[(sep + 1)...]
        let index = try card.pinIndex(reference: SocialSecurity.socialPIN)
        let pin = card.state.pins[index]
        guard pin.changeAllowed else { throw .conditionsNotSatisfied }
        if pin.counter.isBlocked { throw .authenticationMethodBlocked }
        let digits: [UInt8] = new.isEmpty ? [] : try VirtualCard.newPIN(new, for: pin)
        if pin.digits.isEmpty {
            guard old.isEmpty else { throw .incorrectData }
        } else {
            guard !old.isEmpty else { throw .securityStatusNotSatisfied }
            try VirtualCard.checkPINLength(old.count, pin.format, digits: pin.minLength...pin.maxLength)
            try card.judge(pin: index, puk: false, candidate: old)
        }
        try card.commit { (s: inout CardState) throws(CardStatusError) in
            s.pins[index].digits = digits
            s.pins[index].counter.remaining = s.pins[index].counter.limit
            s.pins[index].mustChange = false
        }
        card.session.security.setPINVerified(pin.reference, !digits.isEmpty)
        return .ok
    }

    /// Checks the 4-byte MAC that ends a `84` command, under the session key
    /// of STK and the card's last challenge (SPEC-4 §8.2). `beforeCompare`
    /// runs once everything but the comparison has been checked: a command
    /// whose wrong MAC costs a try counts (and saves) the try there.
    /// - Returns: the session key, for decrypting the data.
    func checkMAC(
        _ c: CommandAPDUView, _ card: inout VirtualCard,
        beforeCompare: (inout VirtualCard) throws(CardStatusError) -> Void = { (_: inout VirtualCard) throws(CardStatusError) in }
    ) throws(CardStatusError) -> [UInt8] {
        guard c.nc >= 4 else { throw .wrongLength }
        guard let stk = card.state.keys.first(where: {
            $0.usage == .maintenance && card.state.files.isAncestor($0.df, of: card.session.currentDF)
        }) else { throw .referencedDataNotFound }
        let challenge = try card.takeChallenge()
        let bytes = c.bytes
        let macStart = c.layout.dataOffset + c.nc - 4
        let input = Array(bytes[bytes.startIndex..<bytes.startIndex + 4]) + [UInt8(c.nc)]
            + Array(bytes[(bytes.startIndex + c.layout.dataOffset)..<(bytes.startIndex + macStart)])
        let algorithm = self.algorithm
        let (sk, mac) = try crypto { () throws(CryptoError) in
            let sk = try SocialSecurityCrypto.sessionKey(algorithm, key: stk.value, random: challenge)
            return (sk, try SocialSecurityCrypto.mac(algorithm, sessionKey: sk, data: input))
        }
        try beforeCompare(&card)
        guard constantTimeEquals(mac, bytes[(bytes.startIndex + macStart)..<(bytes.startIndex + macStart + 4)]) else {
            throw CardStatusError(.macInvalid)
        }
        return sk
    }

    /// `84 24 00 P2 Lc [encrypted PIN] ‖ MAC` after EXTERNAL AUTHENTICATE
    /// with the reload key (06): P2 `00` resets the social PIN's counter, P2
    /// `01` also loads the new PIN (`LD ‖ BCD PIN ‖ 80…` under the session
    /// key [INFERRED]). A wrong MAC counts against the reload key, which
    /// locks after its tries (SPEC-7 §13.3): the try is counted and saved
    /// before the MAC is compared, as for PINs, so that a crash can only lose one.
    func pinChangeUnblock(_ c: CommandAPDUView, _ card: inout VirtualCard) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0, c.p2 <= 1 else { throw .incorrectP1P2 }
        let expectedLength = c.p2 == 0 ? 4 : algorithm.blockSize + 4
        guard c.nc == expectedLength else { throw .wrongLength }
        guard card.session.security.isKeyAuthenticated(SocialSecurity.reloadKey) else { throw .securityStatusNotSatisfied }
        let pukIndex = try card.keyIndex(number: SocialSecurity.reloadKey, usage: .externalAuthentication)
        if card.state.keys[pukIndex].counter.isBlocked { throw .authenticationMethodBlocked }
        let pinIndex = try card.pinIndex(reference: SocialSecurity.socialPIN)
        let left = card.state.keys[pukIndex].counter.remaining - 1
        let sessionKey: [UInt8]
        do {
            sessionKey = try checkMAC(c, &card) { (card: inout VirtualCard) throws(CardStatusError) in
                try card.commit { (s: inout CardState) throws(CardStatusError) in s.keys[pukIndex].counter.remaining = left }
            }
        } catch {
            throw error.status == .macInvalid && left == 0 ? .authenticationMethodBlocked : error
        }
        var digits: [UInt8]? = nil
        if c.p2 == 1 {
            let ciphertext = Array(c.data.prefix(algorithm.blockSize))
            let algorithm = self.algorithm
            guard let plain = try crypto({ () throws(CryptoError) in
                try SocialSecurityCrypto.decrypt(algorithm, sessionKey: sessionKey, ciphertext: ciphertext)
            }) else { throw .incorrectData }
            digits = plain.isEmpty ? [] : try VirtualCard.newPIN(plain[...], for: card.state.pins[pinIndex])
        }
        try card.commit { (s: inout CardState) throws(CardStatusError) in
            s.pins[pinIndex].counter.remaining = s.pins[pinIndex].counter.limit
            s.keys[pukIndex].counter.remaining = s.keys[pukIndex].counter.limit
            if let digits { s.pins[pinIndex].digits = digits }
        }
        return .ok
    }

    // MARK: Life cycle

    /// Both blocks need an external authentication in this session (a
    /// verified PIN is not enough), a challenge, and the STK MAC; a wrong
    /// MAC locks no key (SPEC-7 §13.1, ssc.md §5).
    func checkBlockPreconditions(_ c: CommandAPDUView, _ card: inout VirtualCard) throws(CardStatusError) {
        guard c.nc == 4 else { throw .wrongLength }
        guard card.session.security.hasAuthenticatedKey else { throw .securityStatusNotSatisfied }
        _ = try checkMAC(c, &card)
    }

    /// `84 1E 00 01 04 MAC`: permanent; afterwards SELECT answers `9303`.
    func applicationBlock(_ c: CommandAPDUView, _ card: inout VirtualCard) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0, c.p2 == 1 else { throw .incorrectP1P2 }
        if card.state.files[ssse].df?.blocked == true { return .ok }
        try checkBlockPreconditions(c, &card)
        let ssse = self.ssse
        try card.commit { (s: inout CardState) throws(CardStatusError) in s.files.updateDF(ssse) { $0.blocked = true } }
        return .ok
    }

    /// `84 16 00 00 04 MAC`: permanent; afterwards every command answers `6A81`.
    func cardBlock(_ c: CommandAPDUView, _ card: inout VirtualCard) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0, c.p2 == 0 else { throw .incorrectP1P2 }
        try checkBlockPreconditions(c, &card)
        try card.commit { (s: inout CardState) throws(CardStatusError) in s.cardBlocked = true }
        return .ok
    }
}
