// SSCard — PSAMApplet
//
// The terminal's security module for the social-security card (MOHRSS part 9;
// spec/ssc.md §3.4). It holds the issuer master keys; DELIVERY SESSION KEY
// diversifies one of them down to the card's key with the card's factors and
// derives the session key from a random, and CIPHER DATA encrypts or MACs
// under that session key. Terminal and card thus agree without the terminal
// ever holding a card key.
//
// For the medical purse (MedicalPurse.swift in the SSSE applet), INIT SAM
// FOR PURCHASE computes MAC1 with the purchase key diversified to the card
// and counts the terminal transaction serial (EF 0019); CREDIT SAM FOR
// PURCHASE checks the card's MAC2.
//
//   MF 3F00 "sx1.sh.社会保障" (DES)      DDF "sx3.sh.社会保障" (SM4) [INFERRED]
//   ├── EF 0015 public information       ├── EF 0015, EF 0016
//   ├── EF 0016 terminal number (cn 6)   └── ADF DF01 D15600000590 (masters)
//   └── ADF DF01 D15600000590 (masters)

public import CardAPDU
import CardCrypto
import CardFileSystem
public import CardRuntime
import CardStandards

/// The PSAM's session: the key DELIVERY SESSION KEY derived, and the
/// message a chained MAC (CIPHER DATA `07`/`03`) has collected so far.
public struct PSAMSession: AppletSession {
    var algorithm: SocialSecurityAlgorithm? = nil
    var sessionKey: [UInt8] = []
    var pendingMAC: [UInt8] = []
    /// INIT SAM FOR PURCHASE's session key and amount, for MAC2.
    var purchase: (algorithm: SocialSecurityAlgorithm, sessionKey: [UInt8], amount: UInt32)? = nil
    public init() {}
}

/// The PSAM applet, registered on each environment's ADF.
public struct PSAMApplet: Applet {
    public init() {}

    /// The session key outlives a SELECT (the terminal selects, then
    /// delivers, then ciphers); power-off ends it.
    public static var sessionEndsOnSelect: Bool { false }

    public func process(_ c: CommandAPDUView, card: inout VirtualCard, session: inout PSAMSession) throws(CardStatusError) -> CardAnswer? {
        guard case .handler(let handler) = Self.table.lookup(cla: c.cla, ins: c.ins) else { return nil }
        return try handler(self, c, &card, &session)
    }

    typealias Handler = @Sendable (PSAMApplet, CommandAPDUView, inout VirtualCard, inout PSAMSession) throws(CardStatusError) -> CardAnswer?

    /// DELIVERY SESSION KEY and CIPHER DATA; under other classes, the card OS's.
    /// A handler, typed where it is written (a typed-throws closure passed
    /// straight to a generic parameter crashes Swift 6.3's SILGen).
    static func handler(_ h: @escaping Handler) -> Handler { h }

    static let table: InstructionTable<Handler> = {
        var t = InstructionTable<Handler>()
        t.define(0xDE, cla: 0xBF, otherClasses: .passOn, Self.handler { a, c, card, s throws(CardStatusError) in try a.deliverSessionKey(c, &card, &s) })
        t.define(0xFA, cla: 0x80, otherClasses: .passOn, Self.handler { a, c, _, s throws(CardStatusError) in try a.cipherData(c, &s) })
        t.define(0x70, cla: 0x80, otherClasses: .passOn, Self.handler { a, c, card, s throws(CardStatusError) in try a.initializeForPurchase(c, &card, &s) })
        t.define(0x72, cla: 0x80, otherClasses: .passOn, Self.handler { a, c, _, s throws(CardStatusError) in try a.creditForPurchase(c, &s) })
        return t
    }()

    func crypto<T>(_ body: () throws(CryptoError) -> T) throws(CardStatusError) -> T {
        do {
            return try body()
        } catch {
            throw CardStatusError(.functionNotSupported)
        }
    }

    /// `BF DE P1 P2 Lc factors ‖ input`: P1 b8–b6 = number of diversification
    /// levels (0–3), b5–b1 = key type; P2 = key identifier; the factors (8
    /// bytes each) are listed from the card's level upwards, so the last one
    /// is applied to the master first; the input is the session random
    /// (8 bytes for DES, 16 for SM4).
    func deliverSessionKey(
        _ c: CommandAPDUView, _ card: inout VirtualCard, _ session: inout PSAMSession
    ) throws(CardStatusError) -> CardAnswer {
        let levels = Int(c.p1 >> 5)
        guard levels <= 3 else { throw .incorrectP1P2 }
        let index: Int
        do {
            index = try card.keyIndex(number: c.p2, usage: .master)
        } catch {
            throw CardStatusError(.keyIndexNotSupported)
        }
        let master = card.state.keys[index]
        let algorithm = master.algorithm
        guard c.nc == 8 * levels + algorithm.blockSize else { throw .wrongLength }
        let data = Array(c.data)
        let factors = (0..<levels).map { Array(data[($0 * 8)..<($0 * 8 + 8)]) }
        let input = Array(data[(8 * levels)...])
        let sessionKey = try crypto { () throws(CryptoError) in
            let key = try SocialSecurityCrypto.diversify(algorithm, key: master.value, factors: factors.reversed())
            return try SocialSecurityCrypto.sessionKey(algorithm, key: key, random: input)
        }
        session = PSAMSession()
        session.algorithm = algorithm
        session.sessionKey = sessionKey
        return .ok
    }

    /// `80 FA P1 00 Lc data`: P1 `00`/`02` encrypt (ECB, whole blocks), `05`
    /// MAC of one message, `07` first / `03` next / `01` last part of a MAC.
    func cipherData(_ c: CommandAPDUView, _ session: inout PSAMSession) throws(CardStatusError) -> CardAnswer {
        guard c.p2 == 0 else { throw .incorrectP1P2 }
        guard let algorithm = session.algorithm else { throw .conditionsNotSatisfied }
        let sessionKey = session.sessionKey
        let data = Array(c.data)
        switch c.p1 {
        case 0x00, 0x02:
            guard !data.isEmpty, data.count % algorithm.blockSize == 0 else { throw .wrongLength }
            let out = try crypto { () throws(CryptoError) in
                try BlockCipher(algorithm == .des ? .des : .sm4, key: sessionKey).encrypt(data)
            }
            return CardAnswer(out)
        case 0x05, 0x01:
            let message = (c.p1 == 0x01 ? session.pendingMAC : []) + data
            session.pendingMAC = []
            let mac = try crypto { () throws(CryptoError) in
                try SocialSecurityCrypto.mac(algorithm, sessionKey: sessionKey, data: message)
            }
            return CardAnswer(mac)
        case 0x07, 0x03:
            session.pendingMAC = (c.p1 == 0x03 ? session.pendingMAC : []) + data
            return .ok
        default:
            throw .incorrectP1P2
        }
    }

    /// The terminal transaction serial, EF `0019` of the PSAM application.
    static let serialFID = FileID(rawValue: 0x0019)!
    /// The terminal number, EF `0016` of the environment.
    static let terminalFID = FileID(rawValue: 0x0016)!

    /// `80 70 01 00 Lc random 4 ‖ ATC 2 ‖ amount 4 ‖ type 1 ‖ date 4 ‖ time 3
    /// ‖ key version 1 ‖ algorithm 1 ‖ factors (8 each, the card's first)`
    /// [INFERRED: PBOC's PSAM layout] → terminal serial 4 ‖ MAC1 4; the serial
    /// is counted (and saved) first.
    func initializeForPurchase(
        _ c: CommandAPDUView, _ card: inout VirtualCard, _ session: inout PSAMSession
    ) throws(CardStatusError) -> CardAnswer {
        session.purchase = nil
        guard c.p1 == 0x01, c.p2 == 0x00 else { throw .incorrectP1P2 }
        guard c.nc >= 20, (c.nc - 20) % 8 == 0, (c.nc - 20) / 8 <= 3 else { throw .wrongLength }
        let d = Array(c.data)
        let index: Int
        do {
            index = try card.keyIndex(number: PSAM.KeyID.dpk, usage: .master)
        } catch {
            throw CardStatusError(.keyIndexNotSupported)
        }
        let master = card.state.keys[index]
        let algorithm = master.algorithm
        guard d[19] == algorithm.rawValue else { throw CardStatusError(.keyIndexNotSupported) }
        let files = card.state.files
        let adf = card.session.currentDF
        guard let serialNode = files.child(of: adf, fid: Self.serialFID),
            case .transparent(let serialFile)? = files[serialNode].ef?.content, serialFile.data.count == 4,
            let env = files[adf].parent, let terminalNode = files.child(of: env, fid: Self.terminalFID),
            case .transparent(let terminalFile)? = files[terminalNode].ef?.content, terminalFile.data.count == 6
        else { throw .conditionsNotSatisfied }
        let serialValue = MedicalPurse.integer(serialFile.data)
        guard serialValue < .max else { throw CardStatusError(.counterAtMaximum) }
        let serial = MedicalPurse.bigEndian(serialValue + 1, 4)
        try card.commit { (s: inout CardState) throws(CardStatusError) in
            try s.files.updateEF(serialNode) { ef throws(CardStatusError) in ef.content = .transparent(TransparentFile(data: serial)) }
        }
        let random = Array(d[0..<4]), atc = UInt16(d[4]) << 8 | UInt16(d[5])
        let amount = MedicalPurse.integer(d[6..<10])
        let dateTime = Array(d[11..<18])
        let factors = stride(from: 20, to: d.count, by: 8).map { Array(d[$0..<($0 + 8)]) }
        let (sk, mac1) = try crypto { () throws(CryptoError) in
            let key = try SocialSecurityCrypto.diversify(algorithm, key: master.value, factors: factors.reversed())
            let sk = try MedicalPurseCrypto.sessionKey(algorithm, purchaseKey: key, random: random, atc: atc, terminalSerial: serial)
            return (sk, try MedicalPurseCrypto.mac1(algorithm, sessionKey: sk, amount: amount, terminal: terminalFile.data, dateTime: dateTime))
        }
        session.purchase = (algorithm, sk, amount)
        return CardAnswer(serial + mac1)
    }

    /// `80 72 00 00 04 MAC2`: the card's MAC2 checked under the purchase's
    /// session key; `63CF` when it is wrong (ssc.md §3.4), `6901` with no purchase.
    func creditForPurchase(_ c: CommandAPDUView, _ session: inout PSAMSession) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0, c.p2 == 0 else { throw .incorrectP1P2 }
        guard c.nc == 4 else { throw .wrongLength }
        guard let p = session.purchase else { throw CardStatusError(.invalidState) }
        session.purchase = nil
        let expected = try crypto { () throws(CryptoError) in
            try MedicalPurseCrypto.mac2(p.algorithm, sessionKey: p.sessionKey, amount: p.amount)
        }
        guard constantTimeEquals(expected, c.data) else { throw CardStatusError(StatusWord(0x63CF)) }
        return .ok
    }
}
