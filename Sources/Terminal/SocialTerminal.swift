// SSCard — Terminal
//
// The social-security reader, as iReadCardBas and the service-hall tools do
// it (spec/ssc.md §6): SELECT the SSSE, take the algorithm from the FCI, read
// EF05, check the card with INTERNAL AUTHENTICATE, authenticate the terminal
// with EXTERNAL AUTHENTICATE through the PSAM, read EF06; and the PIN
// services (verify, change, reload under MAC) and the blocks.

public import CardAPDU
import CardCommands
import CardCrypto
public import CardStandards
import CardTLV
public import CardTransport

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

    /// Sends to the card and requires `9000`; the data.
    @discardableResult
    func cardOK(_ step: @autoclosure () -> String, _ build: () throws -> CommandAPDU) throws(TerminalError) -> [UInt8] {
        try card.expect(step(), build).data
    }

    /// Sends to the PSAM and requires `9000`; the data.
    @discardableResult
    func psamOK(_ step: @autoclosure () -> String, _ build: () throws -> CommandAPDU) throws(TerminalError) -> [UInt8] {
        try psam.expect(step(), build, device: .psam).data
    }

    // MARK: Steps

    /// Powers the card and selects the SSSE; the algorithm comes from the
    /// FCI's `9F0C { 86 xx }` (absent: DES).
    public func start() throws(TerminalError) {
        atr = try card.powerOn()
        _ = try psam.powerOn()
        let fci = try cardOK("SELECT SSSE") { try .select(name: SocialSecurity.ssseName) }
        algorithm = .des
        if let nodes = try? BERTLV.parse(fci), let dd = nodes.first(0x9F0C),
            let inner = try? BERTLV.parse(dd.value), let alg = inner.first(0x86)?.value.first,
            let a = SocialSecurityAlgorithm(rawValue: alg)
        {
            algorithm = a
        }
    }

    /// Selects the SSSE again (no FCI wanted), after a file of it was selected.
    func reselectSSSE() throws(TerminalError) {
        try cardOK("SELECT SSSE") { try .select(name: SocialSecurity.ssseName, ne: nil) }
    }

    /// The ATR's historical bytes.
    public var historicalBytes: [UInt8] { ATR(bytes: atr)?.historicalBytes ?? [] }

    /// Reads the tagged records of an EF by identifier (Le 00, the exact length on 6Cxx).
    func readRecords(ef: UInt16, tags: [UInt8], optional: Set<UInt8> = []) throws(TerminalError) -> [UInt8: [UInt8]] {
        let name = "EF" + Hex.encode([UInt8(ef & 0xFF)])
        try cardOK("SELECT \(name)") { .select(fid: ef, .childEF) }
        var out: [UInt8: [UInt8]] = [:]
        for tag in tags {
            let step = "READ RECORD \(name) tag \(Hex.encode([tag]))"
            let r = try card.expect(step, { .readRecord(tag, .identifier(.first)) }, accepting: [.success, .recordNotFound])
            if r.status == .recordNotFound {
                guard optional.contains(tag) else { throw TerminalError(.cardStatus, step: step, status: r.status) }
                continue
            }
            guard r.data.count >= 2, r.data[0] == tag, Int(r.data[1]) == r.data.count - 2 else {
                throw TerminalError(.malformedResponse, step: step)
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
        let environment = SocialSecurity.environmentName(algorithm)
        try psamOK("PSAM SELECT environment") { try .select(name: environment, ne: nil) }
        try psamOK("PSAM SELECT D15600000590") { try .select(name: PSAM.aid, ne: nil) }
        psamEnvironment = algorithm
    }

    /// DELIVERY SESSION KEY: the card's key `keyID` diversified (card, city) and the session random.
    func deliverSessionKey(keyID: UInt8, random: [UInt8]) throws(TerminalError) {
        try selectPSAM()
        var input = random
        while input.count < algorithm.blockSize { input.append(0) }
        let data = factors + input
        try psamOK("PSAM DELIVERY SESSION KEY \(Hex.encode([keyID]))") {
            try .psamDeliverSessionKey(keyID: keyID, data: data)
        }
    }

    /// PSAM CIPHER DATA under the delivered session key, answering `count` bytes.
    func psamCipher(_ operation: PSAMCipherOperation, _ data: [UInt8], count: Int, step: String) throws(TerminalError) -> [UInt8] {
        let out = try psamOK(step) { try .psamCipherData(operation, data: data) }
        guard out.count == count else { throw TerminalError(.malformedResponse, step: step) }
        return out
    }

    /// Authentication data of 8 bytes from the PSAM's session key (CIPHER DATA).
    func psamAuthenticationData(_ original: [UInt8]) throws(TerminalError) -> [UInt8] {
        let block = algorithm.blockSize == 8 ? original : original + [UInt8](repeating: 0, count: 8)
        let e = try psamCipher(.encrypt, block, count: block.count, step: "PSAM CIPHER DATA")
        return algorithm.blockSize == 8 ? e : (0..<8).map { e[$0] ^ e[$0 + 8] }
    }

    /// A card challenge of 8 bytes (for the PSAM's computations here, or an HSM's elsewhere).
    public func challenge() throws(TerminalError) -> [UInt8] {
        let r = try cardOK("GET CHALLENGE") { .getChallenge(length: 8) }
        guard r.count == 8 else { throw TerminalError(.malformedResponse, step: "GET CHALLENGE") }
        return r
    }

    /// INTERNAL AUTHENTICATE with the terminal's randoms, checked by the PSAM.
    public func internalAuthenticate() throws(TerminalError) -> Bool {
        let r1 = randomBytes(8)
        let r2 = randomBytes(8)
        let answer = try cardOK("INTERNAL AUTHENTICATE") { try .internalAuthenticate(data: r1 + r2) }
        try deliverSessionKey(keyID: PSAM.KeyID.irk, random: r1)
        return constantTimeEquals(try psamAuthenticationData(r2), answer)
    }

    /// EXTERNAL AUTHENTICATE with card key `number` (PSAM key `keyID`): two
    /// challenges, the second one the session random (spec/ssc.md §6).
    public func externalAuthenticate(number: UInt8, keyID: UInt8) throws(TerminalError) {
        let original = try challenge()
        let random = try challenge()
        try deliverSessionKey(keyID: keyID, random: random)
        let auth = try psamAuthenticationData(original)
        // 16-byte algorithms add the key version (01).
        let data = algorithm.blockSize == 8 ? auth + original : auth + original + [0x01]
        try cardOK("EXTERNAL AUTHENTICATE \(Hex.encode([number]))") {
            try .externalAuthenticate(key: number, data: data)
        }
    }

    // MARK: Flows

    /// The iReadCardBas flow: EF05 freely; on 3.00 cards INTERNAL then
    /// EXTERNAL AUTHENTICATE (RKSSSE) before EF06.
    public func readBasics() throws(TerminalError) -> SocialCardInfo {
        let issuer = try readIssuerData()
        var genuine: Bool? = nil
        if issuer.specVersion.hasPrefix("3") {
            try reselectSSSE()
            genuine = try internalAuthenticate()
            if genuine == false { throw TerminalError(.notGenuine, step: "INTERNAL AUTHENTICATE") }
            try externalAuthenticate(number: SocialSecurity.readKey, keyID: PSAM.KeyID.rkSSSE)
        }
        return try readHolderData(issuer, genuine: genuine)
    }

    /// The first half of the iReadCardBas flow: power, SELECT SSSE, EF05
    /// (free on every card); the card ID kept. The holder's fields are empty
    /// until ``readHolderData(_:genuine:)``.
    public func readIssuerData() throws(TerminalError) -> SocialCardInfo {
        try start()
        let ef05 = try readRecords(ef: 0xEF05, tags: [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07])
        cardID = ef05[0x01] ?? []
        guard cardID.count == 16 else { throw TerminalError(.malformedResponse, step: "READ RECORD EF05 tag 01") }
        return SocialCardInfo(
            algorithm: algorithm, atrHistoricalBytes: historicalBytes, cardID: cardID, cardClass: text(ef05[0x02]),
            specVersion: text(ef05[0x03]), institution: ef05[0x04] ?? [], issueDate: Hex.encode(ef05[0x05] ?? []),
            expiryDate: Hex.encode(ef05[0x06] ?? []), cardNumber: text(ef05[0x07]), name: "", nameExtension: "", citizenID: "",
            sex: "", nation: "", birthplace: "", birthDate: "", genuine: nil)
    }

    /// The second half: EF06 (on a 3.00 card after the external authentication).
    public func readHolderData(_ issuer: SocialCardInfo, genuine: Bool?) throws(TerminalError) -> SocialCardInfo {
        let ef06 = try readRecords(ef: 0xEF06, tags: [0x08, 0x09, 0x4E, 0x0A, 0x0B, 0x0C, 0x0D], optional: [0x4E])
        var info = issuer
        info.name = gbk(ef06[0x09])
        info.nameExtension = gbk(ef06[0x4E])
        info.citizenID = text(ef06[0x08])
        info.sex = text(ef06[0x0A])
        info.nation = Hex.encode(ef06[0x0B] ?? [])
        info.birthplace = Hex.encode(ef06[0x0C] ?? [])
        info.birthDate = Hex.encode(ef06[0x0D] ?? [])
        info.genuine = genuine
        return info
    }

    // MARK: Steps for an HSM (加密机) in place of the PSAM

    /// INTERNAL AUTHENTICATE with given randoms: the card's answer, for an HSM to check.
    public func internalAuthenticate(factor: [UInt8], original: [UInt8]) throws(TerminalError) -> [UInt8] {
        let answer = try cardOK("INTERNAL AUTHENTICATE") { try .internalAuthenticate(data: factor + original) }
        guard answer.count == 8 else { throw TerminalError(.malformedResponse, step: "INTERNAL AUTHENTICATE") }
        return answer
    }

    /// EXTERNAL AUTHENTICATE with authentication data computed elsewhere
    /// (`0082 00 P2 10 cryptogram ‖ original`).
    public func externalAuthenticate(number: UInt8, data: [UInt8]) throws(TerminalError) {
        try cardOK("EXTERNAL AUTHENTICATE \(Hex.encode([number]))") { try .externalAuthenticate(key: number, data: data) }
    }

    /// A command to the card that must answer `9000`: the data.
    @discardableResult
    public func send(_ step: String, _ build: () throws -> CommandAPDU) throws(TerminalError) -> [UInt8] {
        try cardOK(step, build)
    }

    /// Selects the SSSE again (no FCI).
    public func selectSSSE() throws(TerminalError) { try reselectSSSE() }

    /// Selects a DF of the SSSE (`0xDF01` …) by its file identifier.
    public func selectDF(_ df: UInt16) throws(TerminalError) {
        try cardOK("SELECT DF" + Hex.encode([UInt8(df & 0xFF)])) { .select(fid: df, .childDF) }
    }

    func text(_ bytes: [UInt8]?) -> String {
        String(decoding: (bytes ?? []).prefix { $0 != 0 && $0 != 0xFF }, as: UTF8.self)
    }

    func gbk(_ bytes: [UInt8]?) -> String {
        let trimmed = Array((bytes ?? []).prefix { $0 != 0 && $0 != 0xFF })
        return GBK.decode(trimmed) ?? Hex.encode(trimmed)
    }

    /// A social PIN as VERIFY carries it: BCD, an odd count padded with `F`.
    static func bcdPIN(_ digits: String) -> [UInt8] { BCD.encode(digits, odd: .padWithF) ?? [] }

    /// VERIFY of a social PIN (reference 00, or 01 for a query PIN).
    public func verifyPIN(_ pin: String, reference: UInt8 = SocialSecurity.socialPIN) throws(TerminalError) -> PINResult {
        try start()
        return try verifyHere(pin, reference: reference)
    }

    /// VERIFY in the DF selected now (no power-up, no SELECT).
    public func verifyHere(_ pin: String, reference: UInt8 = SocialSecurity.socialPIN) throws(TerminalError) -> PINResult {
        let data = Self.bcdPIN(pin)
        let r = try card.send("VERIFY") { try .verify(reference: reference, pin: data) }
        return try pinResult(r, "VERIFY")
    }

    func pinResult(_ r: ResponseAPDU, _ step: String) throws(TerminalError) -> PINResult {
        if r.status == .success { return .verified }
        if let left = r.status.retriesRemaining { return left == 0 ? .blocked : .wrong(triesLeft: left) }
        if r.status == .authenticationMethodBlocked { return .blocked }
        throw TerminalError(.cardStatus, step: step, status: r.status)
    }

    /// CHANGE PIN `805E0100 old ‖ FF ‖ new`.
    public func changePIN(old: String, new: String) throws(TerminalError) -> PINResult {
        try start()
        let (current, next) = (Self.bcdPIN(old), Self.bcdPIN(new))
        let r = try card.send("CHANGE PIN") { try .socialChangePIN(current: current, new: next) }
        return try pinResult(r, "CHANGE PIN")
    }

    /// A maintenance command with its MAC under STK and a fresh challenge.
    func withMaintenanceMAC(_ command: CommandAPDU, step: String) throws(TerminalError) -> CommandAPDU {
        let random = try challenge()
        try deliverSessionKey(keyID: PSAM.KeyID.stk, random: random)
        let mac = try psamCipher(.mac, command.macInput(), count: 4, step: "PSAM CIPHER DATA (MAC)")
        do {
            return try command.appendingMAC(mac)
        } catch {
            throw TerminalError(.invalidCommand, step: step, detail: error.reason)
        }
    }

    /// Reads 卡识别码 (EF05 record 01), which the diversification factors need, and reselects the SSSE.
    public func loadCardID() throws(TerminalError) {
        let ef05 = try readRecords(ef: 0xEF05, tags: [0x01])
        cardID = ef05[0x01] ?? []
        guard cardID.count == 16 else { throw TerminalError(.malformedResponse, step: "READ RECORD EF05 tag 01") }
        try reselectSSSE()
    }

    /// The service-hall PIN reload: EXTERNAL AUTHENTICATE with key 06, then
    /// `8424 0001` with the new PIN enciphered and MACed under STK.
    public func reloadPIN(_ new: String) throws(TerminalError) {
        try start()
        try loadCardID()
        try externalAuthenticate(number: SocialSecurity.reloadKey, keyID: PSAM.KeyID.puk)
        let random = try challenge()
        try deliverSessionKey(keyID: PSAM.KeyID.stk, random: random)
        let pin = Self.bcdPIN(new)
        let block = padISO9797Method2([UInt8(pin.count)] + pin, blockSize: algorithm.blockSize)
        let cipher = try psamCipher(.encrypt, block, count: block.count, step: "PSAM CIPHER DATA (PIN)")
        let unsigned: CommandAPDU
        do {
            unsigned = try .socialPINUnblock(encryptedPIN: cipher)
        } catch {
            throw TerminalError(.invalidCommand, step: "PIN CHANGE/UNBLOCK", detail: error.reason)
        }
        // The MAC under the same session key (no new challenge).
        let mac = try psamCipher(.mac, unsigned.macInput(), count: 4, step: "PSAM CIPHER DATA (MAC)")
        try cardOK("PIN CHANGE/UNBLOCK") { try unsigned.appendingMAC(mac) }
    }

    /// The service-hall PIN unblock: EXTERNAL AUTHENTICATE with key 06,
    /// then `8424 0000` under the STK MAC: the try counter reset, the PIN kept.
    public func unblockPIN() throws(TerminalError) {
        try start()
        try loadCardID()
        try externalAuthenticate(number: SocialSecurity.reloadKey, keyID: PSAM.KeyID.puk)
        let unsigned: CommandAPDU
        do {
            unsigned = try .socialPINUnblock(encryptedPIN: nil)
        } catch {
            throw TerminalError(.invalidCommand, step: "PIN UNBLOCK", detail: error.reason)
        }
        let command = try withMaintenanceMAC(unsigned, step: "PIN UNBLOCK")
        try cardOK("PIN UNBLOCK") { command }
    }

    /// 卡识别码 and 卡号 (EF05 records 01 and 07), for a caller that must
    /// check it has the card it was told about; the SSSE selected again.
    public func cardIdentity() throws(TerminalError) -> (cardID: [UInt8], cardNumber: String) {
        try start()
        let ef05 = try readRecords(ef: 0xEF05, tags: [0x01, 0x07])
        cardID = ef05[0x01] ?? []
        guard cardID.count == 16 else { throw TerminalError(.malformedResponse, step: "READ RECORD EF05 tag 01") }
        try reselectSSSE()
        return (cardID, text(ef05[0x07]))
    }

    /// One file of the SSSE (`df` `nil`) or of one of its DFs (`DF01`…):
    /// the tagged records asked for, in order, or with no tags the whole of a
    /// transparent file (READ BINARY in 256-byte steps). For the reader
    /// driver's `iReadCard`.
    /// - Parameter authenticate: run in a DF before it is read, and in the
    ///   SSSE again after it (a DF's security state starts afresh when it is selected).
    public func readFile(
        df: UInt16?, ef: UInt16, tags: [UInt8], authenticate: (SocialTerminal) throws(TerminalError) -> Void = { _ in }
    ) throws(TerminalError) -> [[UInt8]] {
        let name = (df.map { "DF" + Hex.encode([UInt8($0 & 0xFF)]) } ?? "") + "EF" + Hex.encode([UInt8(ef & 0xFF)])
        guard let df else { return try readEF(ef, name: name, tags: tags) }
        try selectDF(df)
        try authenticate(self)
        let values = try readEF(ef, name: name, tags: tags)
        try reselectSSSE()
        try authenticate(self)
        return values
    }

    /// One EF of the DF selected now (the SSSE or one of its DFs, under the
    /// security state already reached): its tagged records, or all of a transparent file.
    public func readFileHere(ef: UInt16, label: String, tags: [UInt8]) throws(TerminalError) -> [[UInt8]] {
        try readEF(ef, name: label, tags: tags)
    }

    /// Writes one EF of the DF selected now: each record by its identifier
    /// (UPDATE RECORD; a record the card lacks is appended), or a
    /// transparent file from its start (UPDATE BINARY in 240-byte steps).
    public func writeFileHere(ef: UInt16, label: String, records: [(tag: UInt8, value: [UInt8])], content: [UInt8]?) throws(TerminalError) {
        try cardOK("SELECT \(label)") { .select(fid: ef, .childEF) }
        if let content {
            var offset = 0
            while offset < content.count {
                let part = Array(content[offset..<min(offset + 240, content.count)])
                try cardOK("UPDATE BINARY \(label) at \(offset)") { try .updateBinary(offset: offset, data: part) }
                offset += part.count
            }
            return
        }
        for (tag, value) in records {
            let step = "UPDATE RECORD \(label) tag \(Hex.encode([tag]))"
            guard value.count <= 253 else { throw TerminalError(.invalidCommand, step: step, detail: "a record holds at most 253 bytes") }
            try cardOK(step) { try .updateRecord(tag, .identifier(.first), data: [tag, UInt8(value.count)] + value) }
        }
    }

    func readEF(_ ef: UInt16, name: String, tags: [UInt8]) throws(TerminalError) -> [[UInt8]] {
        guard !tags.isEmpty else {
            try cardOK("SELECT \(name)") { .select(fid: ef, .childEF) }
            var content: [UInt8] = []
            while content.count < 0x8000 {
                let offset = content.count
                let step = "READ BINARY \(name) at \(offset)"
                let r = try card.send(step) { try .readBinary(offset: offset, ne: 256) }
                // Past the end (6B00, 6282 …) ends the file; a refusal of the first read is an error.
                guard r.status == .success, !r.data.isEmpty else {
                    if content.isEmpty { throw TerminalError(.cardStatus, step: step, status: r.status) }
                    break
                }
                content += r.data
                if r.data.count < 256 { break }
            }
            return [content]
        }
        let records = try readRecords(ef: ef, tags: tags)
        return tags.map { records[$0] ?? [] }
    }

    /// APPLICATION BLOCK (`841E0001`) or CARD BLOCK (`84160000`): EXTERNAL
    /// AUTHENTICATE, then the command under the STK MAC.
    public func block(card wholeCard: Bool) throws(TerminalError) {
        try start()
        try loadCardID()
        try externalAuthenticate(number: SocialSecurity.readKey, keyID: PSAM.KeyID.rkSSSE)
        let step = wholeCard ? "CARD BLOCK" : "APPLICATION BLOCK"
        let command = try withMaintenanceMAC(wholeCard ? .socialCardBlock : .socialApplicationBlock, step: step)
        try cardOK(step) { command }
    }
}
