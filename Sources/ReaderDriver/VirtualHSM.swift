// SSCard — ReaderDriver
//
// A virtual HSM (加密机) holding the test issuer's master keys: it turns the
// output of an `_HSM_Step` function into the `pKey` of the next step
// (reader-api.md §3.3), as the insurance centre's HSM does behind the HIS.
// `sscard hsm` calls it from the command line; tests call it in process.
//
//   iReadCardBas_HSM_Step1 → Step2:  IA cryptogram ‖ IA original | EA cryptogram ‖ EA original |
//   iReadCard/iWriteCard/iReloadPIN/iUnblockPIN _HSM_Step1 → Step2: EA cryptogram ‖ original (32 hex)
//   iReloadPIN/iUnblockPIN _HSM_Step2 → Step3: enciphered PIN ‖ MAC (reload), MAC (unblock), hex
//   iDoDebit_HSM_Step1 → Step2:      0000<ATC>|<date and time>|<MAC1>|
//
// Card keys are the masters diversified to the card (city, then card
// factors of part 9 §7.3): the HSM needs the card's region and ATR
// historical bytes, which iReadCardBas (or its Step1) gave the caller.

import CardAPDU
import CardCrypto
import CardPersonalization
public import CardStandards

/// What the HSM must know of a card to diversify its keys.
public struct HSMCard: Hashable, Sendable {
    public var region: String
    public var historicalBytes: [UInt8]
    public var algorithm: SocialSecurityAlgorithm

    public init(region: String, historicalBytes: [UInt8], algorithm: SocialSecurityAlgorithm) {
        self.region = region
        self.historicalBytes = historicalBytes
        self.algorithm = algorithm
    }

    /// From an `iReadCardBas` output (11 fields; the algorithm from 规范版本:
    /// 3.x SM4, else DES) or an `iReadCardBas_HSM_Step1` output (9 fields).
    public init(basicInfo text: String) throws(DriverFailure) {
        let f = VirtualHSM.fields(text)
        let bad = DriverFailure(-23, "传入数据不合法 (the card: give the iReadCardBas output or the iReadCardBas_HSM_Step1 output)")
        guard f.count == 11 || f.count == 9, f[0].count == 6, f[0].allSatisfy(\.isNumber), let hist = try? Hex.decode(f[f.count == 11 ? 5 : 1])
        else { throw bad }
        let algorithm: SocialSecurityAlgorithm
        if f.count == 9 {
            guard let a = UInt8(f[2], radix: 16).flatMap(SocialSecurityAlgorithm.init(rawValue:)) else { throw bad }
            algorithm = a
        } else {
            algorithm = f[6].hasPrefix("3") ? .sm4 : .des
        }
        self.init(region: f[0], historicalBytes: hist, algorithm: algorithm)
    }

    /// The card's key diversified from the master with PSAM identifier `id`.
    func key(_ id: UInt8) throws(DriverFailure) -> [UInt8] {
        let f = SocialSecurityCrypto.factors(region: region, historicalBytes: historicalBytes)
        return try VirtualHSM.crypto { () throws(CryptoError) in
            try SocialSecurityCrypto.diversify(algorithm, key: TestIssuer.masterKey(id, algorithm), factors: [f.city, f.card])
        }
    }
}

public enum VirtualHSM {
    /// `a|b|c|` → `[a, b, c]` (the final `|` ends the last field).
    static func fields(_ text: String) -> [String] {
        var f = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        if f.last == "" { f.removeLast() }
        return f
    }

    static func crypto<T>(_ body: () throws(CryptoError) -> T) throws(DriverFailure) -> T {
        do {
            return try body()
        } catch {
            throw DriverFailure(-2202, "PSAM卡算法不支持 (\(error))")
        }
    }

    static func hex(_ s: String, bytes n: Int? = nil, _ what: String) throws(DriverFailure) -> [UInt8] {
        guard let b = try? Hex.decode(s), n == nil || b.count == n else {
            throw DriverFailure(-41, "运算数据含非法字符 (\(what): \(n.map { "\($0 * 2) hex digits" } ?? "hex digits"))")
        }
        return b
    }

    /// External authentication data (8 bytes) of `original` under the card's
    /// key `keyID` and the session random `factor`.
    public static func authentication(_ card: HSMCard, keyID: UInt8, factor: [UInt8], original: [UInt8]) throws(DriverFailure) -> [UInt8] {
        let key = try card.key(keyID)
        let alg = card.algorithm
        return try crypto { () throws(CryptoError) in
            let sk = try SocialSecurityCrypto.sessionKey(alg, key: key, random: factor)
            return try SocialSecurityCrypto.authenticationData(alg, sessionKey: sk, data: original)
        }
    }

    /// The 4-byte MAC of `data` (a command's header, Lc and data) under the
    /// card's key `keyID` and the session random.
    public static func mac(_ card: HSMCard, keyID: UInt8, random: [UInt8], data: [UInt8]) throws(DriverFailure) -> [UInt8] {
        let key = try card.key(keyID)
        let alg = card.algorithm
        return try crypto { () throws(CryptoError) in
            try SocialSecurityCrypto.mac(alg, sessionKey: try SocialSecurityCrypto.sessionKey(alg, key: key, random: random), data: data)
        }
    }

    /// A PIN enciphered for `8424 0001` (LD ‖ BCD PIN ‖ 80…) under the card's
    /// key `keyID` and the session random.
    public static func encipheredPIN(_ card: HSMCard, keyID: UInt8, random: [UInt8], pin: String) throws(DriverFailure) -> [UInt8] {
        let key = try card.key(keyID)
        let alg = card.algorithm
        return try crypto { () throws(CryptoError) in
            try SocialSecurityCrypto.encrypt(
                alg, sessionKey: try SocialSecurityCrypto.sessionKey(alg, key: key, random: random), plaintext: BCD.encode(pin, odd: .padWithF) ?? [])
        }
    }

    /// iReadCardBas_HSM_Step1's output → Step2's `pKey`.
    public static func readCardBasKey(step1: String) throws(DriverFailure) -> String {
        let f = fields(step1)
        guard f.count >= 8 else { throw DriverFailure(-23, "传入数据不合法 (iReadCardBas_HSM_Step1 gives 9 fields)") }
        let card = try HSMCard(basicInfo: f.count == 9 ? step1 : step1 + "|")
        let iaFactor = try hex(f[4], bytes: 8, "内部认证过程因子"), iaOriginal = try hex(f[5], bytes: 8, "内部认证原始信息")
        var key = Hex.encode(try authentication(card, keyID: PSAM.KeyID.irk, factor: iaFactor, original: iaOriginal) + iaOriginal) + "|"
        if !f[6].isEmpty || !f[7].isEmpty {
            let eaFactor = try hex(f[6], bytes: 8, "外部认证过程因子"), eaOriginal = try hex(f[7], bytes: 8, "外部认证原始信息")
            key += Hex.encode(try authentication(card, keyID: PSAM.KeyID.rkSSSE, factor: eaFactor, original: eaOriginal) + eaOriginal) + "|"
        }
        return key
    }

    /// The `算法|密钥地址|过程因子|原始信息|` of an iReadCard, iWriteCard,
    /// iReloadPIN or iUnblockPIN Step1 → the 32 hex digits of the external authentication.
    public static func authenticationKey(card: HSMCard, step1: String) throws(DriverFailure) -> String {
        let f = fields(step1)
        guard f.count == 4 else { throw DriverFailure(-23, "传入数据不合法 (Step1 gives 算法|密钥地址|随机数|随机数|)") }
        let address = try hex(f[1], bytes: 3, "密钥地址")
        let factor = try hex(f[2], bytes: 8, "过程因子"), original = try hex(f[3], bytes: 8, "原始信息")
        return Hex.encode(try authentication(card, keyID: address[2], factor: factor, original: original) + original)
    }

    /// iReloadPIN/iUnblockPIN_HSM_Step2's `算法|STK地址|随机数|APDU头|新PIN|` →
    /// Step3's `pKey`: the new PIN enciphered and the MAC (reload), or the MAC (unblock).
    public static func pinKey(card: HSMCard, step2: String) throws(DriverFailure) -> String {
        let f = fields(step2)
        guard f.count == 5 || f.count == 4 else { throw DriverFailure(-23, "传入数据不合法 (Step2 gives 算法|STK地址|随机数|APDU头|新PIN|)") }
        let random = try hex(f[2], bytes: 8, "随机数"), header = try hex(f[3], bytes: 5, "APDU头")
        let pin = f.count == 5 ? f[4] : ""
        guard pin.isEmpty || ((4...16).contains(pin.count) && pin.allSatisfy({ $0.isASCII && $0.isNumber })) else {
            throw DriverFailure(-33)
        }
        let cipher = pin.isEmpty ? [] : try encipheredPIN(card, keyID: PSAM.KeyID.stk, random: random, pin: pin)
        return Hex.encode(cipher + (try mac(card, keyID: PSAM.KeyID.stk, random: random, data: header + cipher)))
    }

    /// iDoDebit_HSM_Step1's output → Step2's `0000<ATC>|<date and time>|<MAC1>|`:
    /// the card's offline ATC stands as the terminal serial [INFERRED from the pKey's shape].
    public static func debitKey(card: HSMCard, step1: String) throws(DriverFailure) -> String {
        let f = fields(step1)
        guard f.count >= 8 else { throw DriverFailure(-23, "传入数据不合法 (iDoDebit_HSM_Step1 gives 8 fields)") }
        let address = try hex(f[1], bytes: 3, "密钥地址")
        let random = try hex(f[2], bytes: 4, "随机数"), atcBytes = try hex(f[3], bytes: 2, "脱机交易序号")
        let amountBytes = try hex(f[4], bytes: 4, "交易金额"), terminal = try hex(f[6], bytes: 6, "终端机编号")
        let dateTime = try hex(f[7], bytes: 7, "交易时间")
        let atc = UInt16(atcBytes[0]) << 8 | UInt16(atcBytes[1])
        let amount = MedicalPurse.integer(amountBytes)
        let serial = [0, 0] + atcBytes
        let dpk = try card.key(address[2])
        let alg = card.algorithm
        let mac1 = try crypto { () throws(CryptoError) in
            let sk = try MedicalPurseCrypto.sessionKey(alg, purchaseKey: dpk, random: random, atc: atc, terminalSerial: serial)
            return try MedicalPurseCrypto.mac1(alg, sessionKey: sk, amount: amount, terminal: terminal, dateTime: dateTime)
        }
        return "0000\(f[3])|\(f[7])|\(Hex.encode(mac1))|"
    }
}
