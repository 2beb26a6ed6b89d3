// SSCard — Terminal
//
// The social-security reader, as iReadCardBas and the service-hall tools do
// it (spec/ssc.md §6): SELECT the SSSE, take the algorithm from the FCI, read
// EF05, check the card with INTERNAL AUTHENTICATE, authenticate the terminal
// with EXTERNAL AUTHENTICATE through the PSAM, read EF06; and the PIN
// services (verify, change, reload under MAC) and the blocks.

public import CardAPDU
public import CardCrypto
import CardTLV
public import CardTransport
import Foundation

/// Why a terminal flow stopped.
public struct TerminalError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The reader or connection failed.
        case transport(TransportError)
        /// The card answered an unexpected status word.
        case card(StatusWord)
        /// The PSAM answered an unexpected status word.
        case psam(StatusWord)
        /// The card's answer made no sense.
        case malformed
        /// The card failed INTERNAL AUTHENTICATE: not genuine.
        case notGenuine
    }
    public var kind: Kind
    /// The step: "SELECT SSSE", "READ RECORD EF05 07", …
    public var step: String

    public init(kind: Kind, step: String) {
        self.kind = kind
        self.step = step
    }

    public var description: String {
        switch kind {
        case .transport(let e): "\(step): \(e)"
        case .card(let sw): "\(step): the card answered \(sw) (\(sw.meaning))"
        case .psam(let sw): "\(step): the PSAM answered \(sw) (\(sw.meaning))"
        case .malformed: "\(step): the card's answer is malformed"
        case .notGenuine: "\(step): the card is not genuine (INTERNAL AUTHENTICATE failed)"
        }
    }

    /// The card's status word, when it is what stopped the flow.
    public var cardStatus: StatusWord? {
        if case .card(let sw) = kind { return sw }
        return nil
    }
}

/// What a social-security card says about itself and its holder.
public struct SocialCardInfo: Hashable, Sendable {
    public var algorithm: SocialSecurityAlgorithm
    public var atrHistoricalBytes: [UInt8]
    public var cardID: [UInt8]
    public var cardClass: String
    public var specVersion: String
    public var institution: [UInt8]
    public var issueDate: String
    public var expiryDate: String
    public var cardNumber: String
    public var name: String
    public var nameExtension: String
    public var citizenID: String
    public var sex: String
    public var nation: String
    public var birthplace: String
    public var birthDate: String
    /// INTERNAL AUTHENTICATE checked the card (3.00 flow), or was not done.
    public var genuine: Bool?

    /// The issuing region (卡识别码 bytes 1–3).
    public var region: String { Hex.encode(cardID.prefix(3)) }

    /// The `iReadCardBas` line (SC-RW 1.1.2): 发卡地区区划|社会保障号码|卡号|卡识别码|姓名|
    /// ATR历史字节|规范版本|发卡日期|卡有效期|终端机编号|终端设备号|
    public func iReadCardBas(terminalNumber: String, deviceNumber: String = "") -> String {
        [region, citizenID, cardNumber, Hex.encode(cardID), name, Hex.encode(atrHistoricalBytes), specVersion,
         issueDate, expiryDate, terminalNumber, deviceNumber].joined(separator: "|") + "|"
    }
}

/// The outcome of a PIN check.
public enum PINResult: Hashable, Sendable {
    case verified
    case wrong(triesLeft: Int)
    case blocked
}

/// A social-security terminal: a card and a PSAM.
public final class SocialTerminal {
    public let card: TerminalSession
    public let psam: TerminalSession
    public private(set) var atr: [UInt8] = []
    public private(set) var algorithm: SocialSecurityAlgorithm = .des
    /// 卡识别码, known once EF05 was read.
    public private(set) var cardID: [UInt8] = []
    var psamEnvironment: SocialSecurityAlgorithm? = nil

    public static let ssseName: [UInt8] = [0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF]
    static let psamAID: [UInt8] = [0xD1, 0x56, 0x00, 0x00, 0x05, 0x90]
    static let gbk = String.Encoding(rawValue: 0x80000632)

    /// - Parameters: sessions that handle `61xx`/`6Cxx` (they are switched on here).
    public init(card: TerminalSession, psam: TerminalSession) {
        card.autoGetResponse = true
        card.autoResendOnWrongLe = true
        psam.autoGetResponse = true
        psam.autoResendOnWrongLe = true
        self.card = card
        self.psam = psam
    }

    // MARK: Exchanges

    func exchange(_ session: TerminalSession, _ apdu: [UInt8], _ step: String, psam isPSAM: Bool = false) throws(TerminalError) -> ResponseAPDU {
        do {
            let e = try session.send(apdu)
            guard let r = try? ResponseAPDU(bytes: e.response) else { throw TerminalError(kind: .malformed, step: step) }
            return r
        } catch let e as TerminalError {
            throw e
        } catch {
            throw TerminalError(kind: .transport(error as! TransportError), step: step)
        }
    }

    /// Sends to the card and requires `9000`.
    @discardableResult
    func cardOK(_ apdu: [UInt8], _ step: String) throws(TerminalError) -> [UInt8] {
        let r = try exchange(card, apdu, step)
        guard r.status == .success else { throw TerminalError(kind: .card(r.status), step: step) }
        return r.data
    }

    @discardableResult
    func psamOK(_ apdu: [UInt8], _ step: String) throws(TerminalError) -> [UInt8] {
        let r = try exchange(psam, apdu, step, psam: true)
        guard r.status == .success else { throw TerminalError(kind: .psam(r.status), step: step) }
        return r.data
    }

    // MARK: Steps

    /// Powers the card and selects the SSSE; the algorithm comes from the
    /// FCI's `9F0C { 86 xx }` (absent: DES).
    public func start() throws(TerminalError) {
        do {
            atr = try card.connect()
            _ = try psam.connect()
        } catch {
            throw TerminalError(kind: .transport(error), step: "power on")
        }
        let fci = try cardOK([0x00, 0xA4, 0x04, 0x00, 0x0F] + Self.ssseName + [0x00], "SELECT SSSE")
        algorithm = .des
        if let nodes = try? BERTLV.parse(fci), let dd = nodes.first(0x9F0C),
            let inner = try? BERTLV.parse(dd.value), let alg = inner.first(0x86)?.value.first,
            let a = SocialSecurityAlgorithm(rawValue: alg)
        {
            algorithm = a
        }
    }

    /// The ATR's historical bytes.
    public var historicalBytes: [UInt8] { ATR(bytes: atr)?.historicalBytes ?? [] }

    /// Reads the records of an EF by identifier (Le 00, the exact length on 6Cxx).
    func readRecords(ef: UInt16, tags: [UInt8], optional: Set<UInt8> = []) throws(TerminalError) -> [UInt8: [UInt8]] {
        let fid = [UInt8(ef >> 8), UInt8(ef & 0xFF)]
        try cardOK([0x00, 0xA4, 0x02, 0x00, 0x02] + fid, "SELECT EF\(Hex.encode([fid[1]]))")
        var out: [UInt8: [UInt8]] = [:]
        for tag in tags {
            let step = "READ RECORD EF\(Hex.encode([fid[1]])) tag \(Hex.encode([tag]))"
            let r = try exchange(card, [0x00, 0xB2, tag, 0x00, 0x00], step)
            if r.status == .recordNotFound && optional.contains(tag) { continue }
            guard r.status == .success else { throw TerminalError(kind: .card(r.status), step: step) }
            guard r.data.count >= 2, r.data[0] == tag, Int(r.data[1]) == r.data.count - 2 else {
                throw TerminalError(kind: .malformed, step: step)
            }
            out[tag] = Array(r.data.dropFirst(2))
        }
        return out
    }

    /// The card and city diversification factors (part 9 §7.3).
    var factors: [UInt8] {
        let f = SocialSecurityCrypto.factors(region: Hex.encode(cardID.prefix(3)), historicalBytes: historicalBytes)
        return f.card + f.city
    }

    /// Selects the PSAM environment of the card's algorithm and its application.
    func selectPSAM() throws(TerminalError) {
        guard psamEnvironment != algorithm else { return }
        var env = Self.ssseName
        env[2] = algorithm == .des ? 0x31 : algorithm == .ssf33 ? 0x32 : 0x33
        try psamOK([0x00, 0xA4, 0x04, 0x00, UInt8(env.count)] + env, "PSAM SELECT environment")
        try psamOK([0x00, 0xA4, 0x04, 0x00, 0x06] + Self.psamAID, "PSAM SELECT D15600000590")
        psamEnvironment = algorithm
    }

    /// DELIVERY SESSION KEY: the card's key `keyID` diversified (card, city) and the session random.
    func deliverSessionKey(keyID: UInt8, random: [UInt8]) throws(TerminalError) {
        try selectPSAM()
        var input = random
        while input.count < algorithm.blockSize { input.append(0) }
        let data = factors + input
        try psamOK([0xBF, 0xDE, 0x48, keyID, UInt8(data.count)] + data, "PSAM DELIVERY SESSION KEY \(Hex.encode([keyID]))")
    }

    /// Authentication data of 8 bytes from the PSAM's session key (CIPHER DATA).
    func psamAuthenticationData(_ original: [UInt8]) throws(TerminalError) -> [UInt8] {
        let block = algorithm.blockSize == 8 ? original : original + [UInt8](repeating: 0, count: 8)
        let e = try psamOK([0x80, 0xFA, 0x00, 0x00, UInt8(block.count)] + block, "PSAM CIPHER DATA")
        guard e.count == block.count else { throw TerminalError(kind: .malformed, step: "PSAM CIPHER DATA") }
        return algorithm.blockSize == 8 ? e : (0..<8).map { e[$0] ^ e[$0 + 8] }
    }

    /// A card challenge of 8 bytes.
    func challenge() throws(TerminalError) -> [UInt8] {
        let r = try cardOK([0x00, 0x84, 0x00, 0x00, 0x08], "GET CHALLENGE")
        guard r.count == 8 else { throw TerminalError(kind: .malformed, step: "GET CHALLENGE") }
        return r
    }

    /// INTERNAL AUTHENTICATE with the terminal's randoms, checked by the PSAM.
    public func internalAuthenticate() throws(TerminalError) -> Bool {
        var g = SystemRandomNumberGenerator()
        let r1 = (0..<8).map { _ in UInt8.random(in: 0...255, using: &g) }
        let r2 = (0..<8).map { _ in UInt8.random(in: 0...255, using: &g) }
        let answer = try cardOK([0x00, 0x88, 0x00, 0x00, 0x10] + r1 + r2 + [0x00], "INTERNAL AUTHENTICATE")
        try deliverSessionKey(keyID: 0x08, random: r1)
        return constantTimeMatch(try psamAuthenticationData(r2), answer)
    }

    /// EXTERNAL AUTHENTICATE with card key `number` (PSAM key `keyID`): two
    /// challenges, the second one the session random (spec/ssc.md §6).
    public func externalAuthenticate(number: UInt8, keyID: UInt8) throws(TerminalError) {
        let original = try challenge()
        let random = try challenge()
        try deliverSessionKey(keyID: keyID, random: random)
        let auth = try psamAuthenticationData(original)
        let apdu: [UInt8] =
            algorithm.blockSize == 8
            ? [0x00, 0x82, 0x00, number, 0x10] + auth + original
            : [0x00, 0x82, 0x00, number, 0x11] + auth + original + [0x01]
        try cardOK(apdu, "EXTERNAL AUTHENTICATE \(Hex.encode([number]))")
    }

    func constantTimeMatch(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    // MARK: Flows

    /// The iReadCardBas flow: EF05 freely; on 3.00 cards INTERNAL then
    /// EXTERNAL AUTHENTICATE (RKSSSE) before EF06.
    public func readBasics() throws(TerminalError) -> SocialCardInfo {
        try start()
        let ef05 = try readRecords(ef: 0xEF05, tags: [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07])
        cardID = ef05[0x01] ?? []
        guard cardID.count == 16 else { throw TerminalError(kind: .malformed, step: "READ RECORD EF05 tag 01") }
        let version = text(ef05[0x03])
        var genuine: Bool? = nil
        if version.hasPrefix("3") {
            try cardOK([0x00, 0xA4, 0x04, 0x00, 0x0F] + Self.ssseName, "SELECT SSSE")
            genuine = try internalAuthenticate()
            if genuine == false { throw TerminalError(kind: .notGenuine, step: "INTERNAL AUTHENTICATE") }
            try externalAuthenticate(number: 0x0A, keyID: 0x0A)
        }
        let ef06 = try readRecords(ef: 0xEF06, tags: [0x08, 0x09, 0x4E, 0x0A, 0x0B, 0x0C, 0x0D], optional: [0x4E])
        return SocialCardInfo(
            algorithm: algorithm, atrHistoricalBytes: historicalBytes, cardID: cardID, cardClass: text(ef05[0x02]),
            specVersion: version, institution: ef05[0x04] ?? [], issueDate: Hex.encode(ef05[0x05] ?? []),
            expiryDate: Hex.encode(ef05[0x06] ?? []), cardNumber: text(ef05[0x07]), name: gbk(ef06[0x09]),
            nameExtension: gbk(ef06[0x4E]), citizenID: text(ef06[0x08]), sex: text(ef06[0x0A]),
            nation: Hex.encode(ef06[0x0B] ?? []), birthplace: Hex.encode(ef06[0x0C] ?? []),
            birthDate: Hex.encode(ef06[0x0D] ?? []), genuine: genuine)
    }

    func text(_ bytes: [UInt8]?) -> String {
        String(decoding: (bytes ?? []).prefix { $0 != 0 && $0 != 0xFF }, as: UTF8.self)
    }

    func gbk(_ bytes: [UInt8]?) -> String {
        let trimmed = Array((bytes ?? []).prefix { $0 != 0 && $0 != 0xFF })
        return String(data: Data(trimmed), encoding: Self.gbk) ?? Hex.encode(trimmed)
    }

    static func bcdPIN(_ digits: String) -> [UInt8] {
        var nibbles = digits.compactMap(\.wholeNumberValue).map(UInt8.init)
        if nibbles.count % 2 == 1 { nibbles.append(0xF) }
        return stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }

    /// VERIFY of a social PIN (reference 00, or 01 for a query PIN).
    public func verifyPIN(_ pin: String, reference: UInt8 = 0x00) throws(TerminalError) -> PINResult {
        try start()
        let data = Self.bcdPIN(pin)
        let r = try exchange(card, [0x00, 0x20, 0x00, reference, UInt8(data.count)] + data, "VERIFY")
        return try pinResult(r, "VERIFY")
    }

    func pinResult(_ r: ResponseAPDU, _ step: String) throws(TerminalError) -> PINResult {
        if r.status == .success { return .verified }
        if let left = r.status.retriesRemaining { return left == 0 ? .blocked : .wrong(triesLeft: left) }
        if r.status == .authenticationMethodBlocked { return .blocked }
        throw TerminalError(kind: .card(r.status), step: step)
    }

    /// CHANGE PIN `805E0100 old ‖ FF ‖ new`.
    public func changePIN(old: String, new: String) throws(TerminalError) -> PINResult {
        try start()
        let data = Self.bcdPIN(old) + [0xFF] + Self.bcdPIN(new)
        let r = try exchange(card, [0x80, 0x5E, 0x01, 0x00, UInt8(data.count)] + data, "CHANGE PIN")
        return try pinResult(r, "CHANGE PIN")
    }

    /// The maintenance MAC of a command under STK and a fresh challenge.
    func maintenanceMAC(_ header: [UInt8], _ body: [UInt8]) throws(TerminalError) -> [UInt8] {
        let random = try challenge()
        try deliverSessionKey(keyID: 0x09, random: random)
        let input = header + body
        let mac = try psamOK([0x80, 0xFA, 0x05, 0x00, UInt8(input.count)] + input, "PSAM CIPHER DATA (MAC)")
        guard mac.count == 4 else { throw TerminalError(kind: .malformed, step: "PSAM CIPHER DATA (MAC)") }
        return mac
    }

    /// Reads 卡识别码 (EF05 record 01), which the diversification factors need, and reselects the SSSE.
    public func loadCardID() throws(TerminalError) {
        let ef05 = try readRecords(ef: 0xEF05, tags: [0x01])
        cardID = ef05[0x01] ?? []
        guard cardID.count == 16 else { throw TerminalError(kind: .malformed, step: "READ RECORD EF05 tag 01") }
        try cardOK([0x00, 0xA4, 0x04, 0x00, 0x0F] + Self.ssseName, "SELECT SSSE")
    }

    /// The service-hall PIN reload: EXTERNAL AUTHENTICATE with key 06, then
    /// `8424 0001` with the new PIN enciphered and MACed under STK.
    public func reloadPIN(_ new: String) throws(TerminalError) {
        try start()
        try loadCardID()
        try externalAuthenticate(number: 0x06, keyID: 0x10)
        let random = try challenge()
        try deliverSessionKey(keyID: 0x09, random: random)
        let pin = Self.bcdPIN(new)
        let block = padISO9797Method2([UInt8(pin.count)] + pin, blockSize: algorithm.blockSize)
        let cipher = try psamOK([0x80, 0xFA, 0x00, 0x00, UInt8(block.count)] + block, "PSAM CIPHER DATA (PIN)")
        let header: [UInt8] = [0x84, 0x24, 0x00, 0x01, UInt8(cipher.count + 4)]
        let mac = try psamOK(
            [0x80, 0xFA, 0x05, 0x00, UInt8(header.count + cipher.count)] + header + cipher, "PSAM CIPHER DATA (MAC)")
        try cardOK(header + cipher + mac, "PIN CHANGE/UNBLOCK")
    }

    /// APPLICATION BLOCK (`841E0001`) or CARD BLOCK (`84160000`): EXTERNAL
    /// AUTHENTICATE, then the command under the STK MAC.
    public func block(card wholeCard: Bool) throws(TerminalError) {
        try start()
        try loadCardID()
        try externalAuthenticate(number: 0x0A, keyID: 0x0A)
        let header: [UInt8] = wholeCard ? [0x84, 0x16, 0x00, 0x00, 0x04] : [0x84, 0x1E, 0x00, 0x01, 0x04]
        let mac = try maintenanceMAC(header, [])
        try cardOK(header + mac, wholeCard ? "CARD BLOCK" : "APPLICATION BLOCK")
    }
}
