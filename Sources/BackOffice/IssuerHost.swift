// SSCard — BackOffice
//
// The bank issuer host simulator: it holds the issuer master keys, derives
// each card's keys from its PAN, checks ARQCs, keeps accounts, and answers
// with an ARC and an ARPC (method 1, pboc.md §9).

public import CardAPDU
import CardCommands
public import CardCrypto
import CardStandards

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
    public var scripts: [CommandAPDU] = []
    public var approved: Bool { arc == [0x30, 0x30] }
    public var reason: String

    public init(arc: [UInt8], arpc: [UInt8], scripts: [CommandAPDU] = [], reason: String) {
        self.arc = arc
        self.arpc = arpc
        self.scripts = scripts
        self.reason = reason
    }
}

/// Whatever answers a terminal's online request: the in-memory
/// ``IssuerHost``, the stored bank in process, or the bank over HTTP.
public protocol AuthorizationHost {
    func authorize(_ r: AuthorizationRequest) throws -> AuthorizationResponse
}

extension IssuerHost: AuthorizationHost {}

/// An in-memory issuer. Not for sharing between threads: one terminal
/// flow at a time uses it (the back office service puts its own lock around it).
public final class IssuerHost {
    let imkAC: [UInt8]
    let imkMAC: [UInt8]?
    let imkENC: [UInt8]?
    /// New bank PINs to load at a card's next online transaction (PIN CHANGE script).
    public var pendingPINChanges: [String: String] = [:]
    /// Script commands to deliver to a card (by PAN) at its next online
    /// transaction, before their MAC: e.g. `841E0000` (application block),
    /// `04DA9F79` + value (PUT DATA).
    public var pendingScripts: [String: [CommandAPDU]] = [:]
    /// Balances in fen, by PAN; a PAN not listed has `defaultBalance`.
    public var balances: [String: Int] = [:]
    public var defaultBalance = 1_000_000
    /// PANs reported lost.
    public var blacklist: Set<String> = []

    /// A card's key: PAN, PSN and algorithm.
    struct CardKeyID: Hashable {
        var pan: String
        var psn: UInt8
        var algorithm: UInt8
    }

    /// Card keys already derived, as ciphers ready for session keys.
    var udks: [CardKeyID: BlockCipher] = [:]

    /// Authorisation response codes (ARC, two ASCII characters).
    public static let approved: [UInt8] = Array("00".utf8)
    public static let badCryptogram: [UInt8] = Array("05".utf8)
    public static let invalidCard: [UInt8] = Array("14".utf8)
    public static let lostCard: [UInt8] = Array("41".utf8)
    public static let insufficientFunds: [UInt8] = Array("51".utf8)
    public static let pinMustChange: [UInt8] = Array("55".utf8)
    public static let notPermitted: [UInt8] = Array("57".utf8)
    public static let overLimit: [UInt8] = Array("61".utf8)
    public static let restrictedCard: [UInt8] = Array("62".utf8)

    public init(imkAC: [UInt8], imkMAC: [UInt8]? = nil, imkENC: [UInt8]? = nil) {
        self.imkAC = imkAC
        self.imkMAC = imkMAC
        self.imkENC = imkENC
    }

    /// A script command with its MAC: the first 4 bytes of the retail MAC
    /// under the session key of UDK-MAC over CLA INS P1 P2 Lc ‖ ATC ‖ ARQC ‖
    /// data (pboc.md §9), where Lc counts the MAC.
    public func scriptCommand(
        _ command: CommandAPDU, pan: String, psn: UInt8, atc: UInt16, arqc: [UInt8], algorithm: PBOCAlgorithm = .tripleDES
    ) throws(CryptoError) -> CommandAPDU {
        guard let imkMAC else { return command }
        let udk = try PBOCCrypto.udk(imk: imkMAC, pan: pan, psn: psn, algorithm: algorithm)
        let sk = try PBOCCrypto.sessionKey(udk: udk, atc: atc, algorithm: algorithm)
        let input = command.macInput()
        let mac = try PBOCCrypto.cryptogram(
            sessionKey: sk, data: Array(input.prefix(5)) + [UInt8(atc >> 8), UInt8(atc & 0xFF)] + arqc + input.dropFirst(5),
            algorithm: algorithm)
        do {
            return try command.appendingMAC(Array(mac.prefix(4)))
        } catch {
            throw CryptoError(.invalidInput, function: "scriptCommand", detail: error.reason)
        }
    }

    /// The outcome of checking an ARQC: whether it verifies, and the
    /// transaction's session, for the ARPC.
    public struct CryptogramCheck {
        public let verified: Bool
        let session: PBOCSession
        let algorithm: PBOCAlgorithm
    }

    /// Checks the ARQC under the card's session key (from the stored card key when known).
    public func check(_ r: AuthorizationRequest) throws(CryptoError) -> CryptogramCheck {
        // IAD byte 8 names the algorithm: 01 3DES, 04 SM4.
        let alg = r.iad.count >= 8 ? PBOCAlgorithm(rawValue: r.iad[7]) ?? .tripleDES : .tripleDES
        let id = CardKeyID(pan: r.pan, psn: r.psn, algorithm: alg.rawValue)
        let udk: BlockCipher
        if let known = udks[id] {
            udk = known
        } else {
            udk = try PBOCCrypto.udkCipher(try PBOCCrypto.udk(imk: imkAC, pan: r.pan, psn: r.psn, algorithm: alg), algorithm: alg)
            udks[id] = udk
        }
        let session = try PBOCSession(udk: udk, atc: r.atc)
        var input = r.transactionData
        input.reserveCapacity(input.count + 10)
        input.append(contentsOf: r.aip)
        input.append(UInt8(r.atc >> 8))
        input.append(UInt8(r.atc & 0xFF))
        if r.iad.count >= 7 { input.append(contentsOf: r.iad[3..<7]) }
        let expected = try session.cryptogram(input)
        return CryptogramCheck(verified: constantTimeEquals(expected, r.arqc), session: session, algorithm: alg)
    }

    /// The answer to a checked request with the issuer's decision: the ARPC
    /// over the card's own ARQC (whatever the decision) and, for a verified
    /// cryptogram, the scripts pending for the card.
    public func respond(
        _ r: AuthorizationRequest, check: CryptogramCheck, arc: [UInt8], reason: String
    ) throws(CryptoError) -> AuthorizationResponse {
        let alg = check.algorithm
        let arpc = try check.session.arpc(arqc: r.arqc, arc: arc)
        var scripts: [CommandAPDU] = []
        if check.verified, let templates = pendingScripts.removeValue(forKey: r.pan) {
            for t in templates {
                scripts.append(try scriptCommand(t, pan: r.pan, psn: r.psn, atc: r.atc, arqc: r.arqc, algorithm: alg))
            }
        }
        if check.verified, let imkENC, let pin = pendingPINChanges.removeValue(forKey: r.pan) {
            guard let block = PINBlock.format2(pin) else {
                throw CryptoError(.invalidInput, function: "PIN CHANGE script", detail: "a PIN block carries 4 to 12 digits")
            }
            let udk = try PBOCCrypto.udk(imk: imkENC, pan: r.pan, psn: r.psn, algorithm: alg)
            let skENC = try PBOCCrypto.sessionKey(udk: udk, atc: r.atc, algorithm: alg)
            let enciphered = try PBOCCrypto.encipherPIN(block, arqc: r.arqc, sessionKey: skENC, algorithm: alg)
            let change: CommandAPDU
            do {
                change = try .issuerScript(cla: 0x84, ins: 0x24, p1: 0x00, p2: 0x02, data: enciphered)
            } catch {
                throw CryptoError(.invalidInput, function: "PIN CHANGE script", detail: error.reason)
            }
            scripts.append(try scriptCommand(change, pan: r.pan, psn: r.psn, atc: r.atc, arqc: r.arqc, algorithm: alg))
        }
        return AuthorizationResponse(arc: arc, arpc: arpc, scripts: scripts, reason: reason)
    }

    /// Checks the ARQC and decides against the in-memory balances and blacklist.
    public func authorize(_ r: AuthorizationRequest) throws(CryptoError) -> AuthorizationResponse {
        let checked = try check(r)
        let arc: [UInt8]
        let reason: String
        if !checked.verified {
            arc = Self.badCryptogram
            reason = "the ARQC does not verify"
        } else if blacklist.contains(r.pan) {
            arc = Self.lostCard
            reason = "the card is reported lost"
        } else if r.amount > balances[r.pan, default: defaultBalance] {
            arc = Self.insufficientFunds
            reason = "insufficient funds"
        } else {
            arc = Self.approved
            reason = "approved"
            balances[r.pan, default: defaultBalance] -= r.amount
        }
        return try respond(r, check: checked, arc: arc, reason: reason)
    }
}
