// SSCard — CardPersonalization
//
// Generated cardholders: every value comes from a seeded generator, so a
// profile and a seed always give the same card. Names are drawn from common
// surnames and given-name characters; no real person's data is used.

import CardStandards
import SocialSecurityApplet

/// SplitMix64: small, fast and reproducible.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A generated cardholder with consistent identifiers.
public struct Cardholder: Hashable, Sendable {
    public var name: String
    /// 18 characters with a valid GB 11643 check character.
    public var citizenID: String
    /// `1` male, `2` female.
    public var sex: Character
    /// GB 3304 nation code, BCD (`01` 汉).
    public var nation: UInt8
    /// 6-digit region code of the birthplace.
    public var birthplace: String
    /// `YYYYMMDD`.
    public var birthDate: String
    /// 9 characters with a valid check character.
    public var cardNumber: String
    /// 19 digits, Luhn-valid, UnionPay `62…`.
    public var bankPAN: String
    /// The card serial (ATR historical bytes 10–13, card ID bytes 9–12).
    public var serial: [UInt8]
    /// `YYYYMMDD`.
    public var issueDate: String

    static let surnames = Array("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧")
    static let givenNames = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文建国红晨阳宇欣")
    static let pinyin: [Character: String] = {
        let s = "WANG LI ZHANG LIU CHEN YANG ZHAO HUANG ZHOU WU XU SUN HU ZHU GAO LIN HE GUO MA LUO LIANG SONG ZHENG XIE HAN TANG FENG YU DONG XIAO"
        let g = "WEI FANG NA MIN JING LI QIANG LEI JUN YANG YONG YAN JIE JUAN TAO MING CHAO XIU XIA PING GANG GUI YING HUA YU LAN WEN JIAN GUO HONG CHEN YANG YU XIN"
        var map: [Character: String] = [:]
        for (c, p) in zip(surnames, s.split(separator: " ")) { map[c] = String(p) }
        for (c, p) in zip(givenNames, g.split(separator: " ")) { map[c] = String(p) }
        return map
    }()

    /// The name as a bank card prints it (`5F20`): `SURNAME/GIVEN` in pinyin.
    public var latinName: String {
        let chars = Array(name)
        let surname = Self.pinyin[chars[0]] ?? "X"
        let given = chars.dropFirst().map { Self.pinyin[$0] ?? "X" }.joined()
        return surname + "/" + given
    }

    /// Generates a cardholder living in `region`.
    /// - Parameter queryPINDigits: the card number must end in six digits
    ///   (the Chongqing query PIN is its last six characters).
    public static func generate(seed: UInt64, region: String, digitsOnlyCardNumberTail: Bool = false) -> Cardholder {
        var g = SeededGenerator(seed: seed)
        func digits(_ n: Int) -> String { (0..<n).map { _ in String(Int.random(in: 0...9, using: &g)) }.joined() }
        let surname = surnames.randomElement(using: &g)!
        let given = (0..<Int.random(in: 1...2, using: &g)).map { _ in givenNames.randomElement(using: &g)! }
        let name = String(surname) + String(given)
        let year = Int.random(in: 1950...2005, using: &g)
        let month = Int.random(in: 1...12, using: &g)
        let day = Int.random(in: 1...28, using: &g)
        let birthDate = pad4(year) + pad2(month) + pad2(day)
        let sequence = digits(3)
        let first17 = region + birthDate + sequence
        let citizenID = first17 + String(CheckCharacters.citizenID(first17)!)
        let sex: Character = Int(String(sequence.last!))! % 2 == 1 ? "1" : "2"
        let letter = Character(Unicode.Scalar(UInt8(Int.random(in: 65...90, using: &g))))
        var cardNumber = ""
        repeat {
            let first8 = String(letter) + digits(7)
            cardNumber = first8 + String(CheckCharacters.cardNumber(first8)!)
        } while digitsOnlyCardNumberTail && cardNumber.last == "X"
        let pan15 = "621700" + digits(12)
        let bankPAN = pan15 + String(CheckCharacters.luhn(pan15)!)
        let serial = (0..<4).map { _ in UInt8.random(in: 0...255, using: &g) }
        let issueYear = Int.random(in: 2018...2024, using: &g)
        let issueDate = pad4(issueYear) + pad2(Int.random(in: 1...12, using: &g))
            + pad2(Int.random(in: 1...28, using: &g))
        return Cardholder(
            name: name, citizenID: citizenID, sex: sex, nation: 0x01, birthplace: region, birthDate: birthDate,
            cardNumber: cardNumber, bankPAN: bankPAN, serial: serial, issueDate: issueDate)
    }

    /// The bank PIN of the seed documents' ID-number rule: the last seven
    /// digits without the final one (`510723198706273115` → `627311`).
    public var citizenIDBankPIN: String { String(Array(citizenID)[11..<17]) }
}

func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
func pad4(_ n: Int) -> String {
    let digits = "\(n)"
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
