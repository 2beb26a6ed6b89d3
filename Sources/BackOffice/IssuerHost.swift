// SSCard — BackOffice
//
// The bank issuer host simulator: it holds the issuer master keys, derives
// each card's keys from its PAN, checks ARQCs, keeps accounts, and answers
// with an ARC and an ARPC (method 1, pboc.md §9).

public import CardCrypto

/// What a terminal sends online (field 55 and the rest, in short).
public struct AuthorizationRequest: Sendable {
    public var pan: String
    public var psn: UInt8
    public var atc: UInt16
    /// The 29 CDOL1 bytes the ARQC covers (amount … unpredictable number).
    public var transactionData: [UInt8]
    public var aip: [UInt8]
    /// IAD (`9F10`); its bytes 4–7 are the CVR.
    public var iad: [UInt8]
    public var arqc: [UInt8]
    /// Amount in fen (1/100 CNY).
    public var amount: Int

    public init(pan: String, psn: UInt8, atc: UInt16, transactionData: [UInt8], aip: [UInt8], iad: [UInt8], arqc: [UInt8], amount: Int) {
        self.pan = pan
        self.psn = psn
        self.atc = atc
        self.transactionData = transactionData
        self.aip = aip
        self.iad = iad
        self.arqc = arqc
        self.amount = amount
    }
}

/// The host's answer.
public struct AuthorizationResponse: Hashable, Sendable {
    /// ARC, two ASCII characters: `00` approved, `51` insufficient funds,
    /// `41` lost card, `05` do not honour (bad cryptogram).
    public var arc: [UInt8]
    public var arpc: [UInt8]
    /// Issuer script commands with their MACs, to send after the second
    /// GENERATE AC (template 72).
    public var scripts: [[UInt8]] = []
    public var approved: Bool { arc == [0x30, 0x30] }
    public var reason: String
}

/// An in-memory issuer.
public final class IssuerHost: @unchecked Sendable {
    let imkAC: [UInt8]
    let imkMAC: [UInt8]?
    let imkENC: [UInt8]?
    /// New bank PINs to load at a card's next online transaction (PIN CHANGE script).
    public var pendingPINChanges: [String: String] = [:]
    /// Script commands to deliver to a card (by PAN) at its next online
    /// transaction, without Lc and MAC: e.g. `841E0000` (application block),
    /// `04DA9F79` + value (PUT DATA).
    public var pendingScripts: [String: [[UInt8]]] = [:]
    /// Balances in fen, by PAN; a PAN not listed has `defaultBalance`.
    public var balances: [String: Int] = [:]
    public var defaultBalance = 1_000_000
    /// PANs reported lost.
    public var blacklist: Set<String> = []

    /// Card keys already derived, by PAN and PSN.
    var udks: [String: [UInt8]] = [:]

    public init(imkAC: [UInt8], imkMAC: [UInt8]? = nil, imkENC: [UInt8]? = nil) {
        self.imkAC = imkAC
        self.imkMAC = imkMAC
        self.imkENC = imkENC
    }

    /// A script command with Lc and its MAC: the first 4 bytes of the retail
    /// MAC under the session key of UDK-MAC over CLA INS P1 P2 Lc ‖ ATC ‖
    /// ARQC ‖ data (pboc.md §9).
    public func scriptCommand(
        _ template: [UInt8], pan: String, psn: UInt8, atc: UInt16, arqc: [UInt8], algorithm: PBOCAlgorithm = .tripleDES
    ) throws(CryptoError) -> [UInt8] {
        guard let imkMAC, template.count >= 4 else { return template }
        let udk = try PBOCCrypto.udk(imk: imkMAC, pan: pan, psn: psn, algorithm: algorithm)
        let sk = try PBOCCrypto.sessionKey(udk: udk, atc: atc, algorithm: algorithm)
        let header = Array(template.prefix(4)) + [UInt8(template.count - 4 + 4)]
        let data = Array(template.dropFirst(4))
        let mac = try PBOCCrypto.cryptogram(
            sessionKey: sk, data: header + [UInt8(atc >> 8), UInt8(atc & 0xFF)] + arqc + data, algorithm: algorithm)
        return header + data + Array(mac.prefix(4))
    }

    /// Checks the ARQC and decides.
    public func authorize(_ r: AuthorizationRequest) throws(CryptoError) -> AuthorizationResponse {
        // IAD byte 8 names the algorithm: 01 3DES, 04 SM4.
        let alg = r.iad.count >= 8 ? PBOCAlgorithm(rawValue: r.iad[7]) ?? .tripleDES : .tripleDES
        let id = r.pan + "/" + String(r.psn) + "/" + String(alg.rawValue)
        let udk: [UInt8]
        if let known = udks[id] {
            udk = known
        } else {
            udk = try PBOCCrypto.udk(imk: imkAC, pan: r.pan, psn: r.psn, algorithm: alg)
            udks[id] = udk
        }
        let session = try PBOCSession(udk: udk, atc: r.atc, algorithm: alg)
        let cvr = r.iad.count >= 7 ? Array(r.iad[3..<7]) : []
        let input = r.transactionData + r.aip + [UInt8(r.atc >> 8), UInt8(r.atc & 0xFF)] + cvr
        let expected = try session.cryptogram(input)
        let arc: [UInt8]
        let reason: String
        if expected != r.arqc {
            arc = Array("05".utf8)
            reason = "the ARQC does not verify"
        } else if blacklist.contains(r.pan) {
            arc = Array("41".utf8)
            reason = "the card is reported lost"
        } else if r.amount > balances[r.pan, default: defaultBalance] {
            arc = Array("51".utf8)
            reason = "insufficient funds"
        } else {
            arc = Array("00".utf8)
            reason = "approved"
            balances[r.pan] = balances[r.pan, default: defaultBalance] - r.amount
        }
        // The ARPC answers the card's own ARQC, whatever the decision.
        let arpc = try session.arpc(arqc: r.arqc, arc: arc)
        var scripts: [[UInt8]] = []
        if expected == r.arqc, let templates = pendingScripts.removeValue(forKey: r.pan) {
            for t in templates {
                scripts.append(try scriptCommand(t, pan: r.pan, psn: r.psn, atc: r.atc, arqc: r.arqc, algorithm: alg))
            }
        }
        if expected == r.arqc, let imkENC, let pin = pendingPINChanges.removeValue(forKey: r.pan) {
            let digits = pin.compactMap(\.wholeNumberValue).map(UInt8.init)
            var nibbles: [UInt8] = [0x2, UInt8(digits.count)] + digits
            while nibbles.count < 16 { nibbles.append(0xF) }
            let block = stride(from: 0, to: 16, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
            let udk = try PBOCCrypto.udk(imk: imkENC, pan: r.pan, psn: r.psn, algorithm: alg)
            let skENC = try PBOCCrypto.sessionKey(udk: udk, atc: r.atc, algorithm: alg)
            let enciphered = try PBOCCrypto.encipherPIN(block, arqc: r.arqc, sessionKey: skENC, algorithm: alg)
            scripts.append(try scriptCommand([0x84, 0x24, 0x00, 0x02] + enciphered, pan: r.pan, psn: r.psn, atc: r.atc, arqc: r.arqc, algorithm: alg))
        }
        return AuthorizationResponse(arc: arc, arpc: arpc, scripts: scripts, reason: reason)
    }
}
