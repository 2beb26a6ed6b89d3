// SSCard — CardTLV

/// How a data object's value is written (EMV Book 3 §4.3; SSC part 6 §7).
public enum TagFormat: Hashable, Sendable {
    /// Binary (`b`).
    case binary
    /// Numeric, BCD right-justified (`n`).
    case numeric
    /// Compressed numeric, BCD left-justified, `F`-padded (`cn`).
    case compressedNumeric
    /// ASCII text (`an`, `ans`).
    case text
    /// GBK text, `00`-padded (SSC names).
    case gbk
}

/// What a tag means.
public struct TagInfo: Hashable, Sendable {
    public let name: String
    public let format: TagFormat
    public init(_ name: String, _ format: TagFormat = .binary) {
        self.name = name
        self.format = format
    }
}

/// Names of data objects, per specification.
///
/// Tags are context-dependent: `84` is the DF name in an EMV FCI but the
/// insured region code in the SSC medical file, and the SSC record tags
/// `01`–`0D` mean nothing to EMV. ``lookup(_:)`` tries EMV/PBOC first, then
/// the social-security tables, which is what a decoder of unknown bytes wants.
public struct TagDictionary: Sendable {
    public let entries: [BERTag: TagInfo]

    public init(_ entries: [BERTag: TagInfo]) { self.entries = entries }

    public subscript(tag: BERTag) -> TagInfo? { entries[tag] }

    /// EMV and PBOC (JR/T 0025) data objects, from `spec/pboc.md`.
    public static let emv = TagDictionary([
        0x42: TagInfo("Issuer Identification Number"),
        0x4F: TagInfo("Application Identifier (AID)"),
        0x50: TagInfo("Application Label", .text),
        0x57: TagInfo("Track 2 Equivalent Data"),
        0x5A: TagInfo("Application PAN", .compressedNumeric),
        0x61: TagInfo("Application Template"),
        0x6F: TagInfo("File Control Information (FCI) Template"),
        0x70: TagInfo("READ RECORD Response Message Template"),
        0x71: TagInfo("Issuer Script Template 1"),
        0x72: TagInfo("Issuer Script Template 2"),
        0x73: TagInfo("Directory Discretionary Template"),
        0x77: TagInfo("Response Message Template Format 2"),
        0x80: TagInfo("Response Message Template Format 1"),
        0x82: TagInfo("Application Interchange Profile (AIP)"),
        0x83: TagInfo("Command Template"),
        0x84: TagInfo("Dedicated File (DF) Name"),
        0x86: TagInfo("Issuer Script Command"),
        0x87: TagInfo("Application Priority Indicator"),
        0x88: TagInfo("Short File Identifier (SFI)"),
        0x8A: TagInfo("Authorisation Response Code", .text),
        0x8C: TagInfo("Card Risk Management Data Object List 1 (CDOL1)"),
        0x8D: TagInfo("Card Risk Management Data Object List 2 (CDOL2)"),
        0x8E: TagInfo("Cardholder Verification Method (CVM) List"),
        0x8F: TagInfo("Certification Authority Public Key Index"),
        0x90: TagInfo("Issuer Public Key Certificate"),
        0x91: TagInfo("Issuer Authentication Data"),
        0x92: TagInfo("Issuer Public Key Remainder"),
        0x93: TagInfo("Signed Static Application Data"),
        0x94: TagInfo("Application File Locator (AFL)"),
        0x95: TagInfo("Terminal Verification Results (TVR)"),
        0x9A: TagInfo("Transaction Date", .numeric),
        0x9C: TagInfo("Transaction Type", .numeric),
        0xA5: TagInfo("FCI Proprietary Template"),
        0x5F20: TagInfo("Cardholder Name", .text),
        0x5F24: TagInfo("Application Expiration Date", .numeric),
        0x5F25: TagInfo("Application Effective Date", .numeric),
        0x5F28: TagInfo("Issuer Country Code", .numeric),
        0x5F2A: TagInfo("Transaction Currency Code", .numeric),
        0x5F2D: TagInfo("Language Preference", .text),
        0x5F30: TagInfo("Service Code", .numeric),
        0x5F34: TagInfo("PAN Sequence Number", .numeric),
        0x9F02: TagInfo("Amount, Authorised (Numeric)", .numeric),
        0x9F03: TagInfo("Amount, Other (Numeric)", .numeric),
        0x9F07: TagInfo("Application Usage Control"),
        0x9F08: TagInfo("Application Version Number"),
        0x9F0B: TagInfo("Cardholder Name Extended", .text),
        0x9F0C: TagInfo("Issuer Discretionary Data"),
        0x9F0D: TagInfo("Issuer Action Code - Default"),
        0x9F0E: TagInfo("Issuer Action Code - Denial"),
        0x9F0F: TagInfo("Issuer Action Code - Online"),
        0x9F10: TagInfo("Issuer Application Data (IAD)"),
        0x9F11: TagInfo("Issuer Code Table Index", .numeric),
        0x9F12: TagInfo("Application Preferred Name", .text),
        0x9F13: TagInfo("Last Online ATC Register"),
        0x9F14: TagInfo("Lower Consecutive Offline Limit"),
        0x9F17: TagInfo("PIN Try Counter"),
        0x9F1A: TagInfo("Terminal Country Code", .numeric),
        0x9F1F: TagInfo("Track 1 Discretionary Data", .text),
        0x9F21: TagInfo("Transaction Time", .numeric),
        0x9F23: TagInfo("Upper Consecutive Offline Limit"),
        0x9F26: TagInfo("Application Cryptogram"),
        0x9F27: TagInfo("Cryptogram Information Data"),
        0x9F32: TagInfo("Issuer Public Key Exponent"),
        0x9F36: TagInfo("Application Transaction Counter (ATC)"),
        0x9F37: TagInfo("Unpredictable Number"),
        0x9F38: TagInfo("Processing Options Data Object List (PDOL)"),
        0x9F42: TagInfo("Application Currency Code", .numeric),
        0x9F44: TagInfo("Application Currency Exponent", .numeric),
        0x9F46: TagInfo("ICC Public Key Certificate"),
        0x9F47: TagInfo("ICC Public Key Exponent"),
        0x9F48: TagInfo("ICC Public Key Remainder"),
        0x9F49: TagInfo("Dynamic Data Authentication DOL (DDOL)"),
        0x9F4A: TagInfo("Static Data Authentication Tag List"),
        0x9F4D: TagInfo("Log Entry"),
        0x9F4E: TagInfo("Merchant Name and Location", .text),
        0x9F4F: TagInfo("Log Format"),
        0x9F51: TagInfo("Application Currency Code (PBOC internal)", .numeric),
        0x9F52: TagInfo("Application Default Action (ADA)"),
        0x9F53: TagInfo("Consecutive Transaction Limit (International)"),
        0x9F54: TagInfo("Cumulative Total Transaction Amount Limit"),
        0x9F55: TagInfo("Geographic Indicator"),
        0x9F56: TagInfo("Issuer Authentication Indicator"),
        0x9F57: TagInfo("Issuer Country Code (PBOC internal)", .numeric),
        0x9F58: TagInfo("Lower Consecutive Offline Limit (card internal)"),
        0x9F59: TagInfo("Upper Consecutive Offline Limit (card internal)"),
        0x9F5C: TagInfo("Cumulative Total Transaction Amount Upper Limit"),
        0x9F5D: TagInfo("Available Offline Spending Amount", .numeric),
        0x9F61: TagInfo("Cardholder ID Number (PBOC)", .text),
        0x9F62: TagInfo("Cardholder ID Type (PBOC)"),
        0x9F63: TagInfo("Card Product Identification (PBOC)"),
        0x9F66: TagInfo("Terminal Transaction Qualifiers"),
        0x9F68: TagInfo("Card Additional Processes"),
        0x9F69: TagInfo("Card Authentication Related Data"),
        0x9F6B: TagInfo("Card CVM Limit", .numeric),
        0x9F6C: TagInfo("Card Transaction Qualifiers"),
        0x9F6D: TagInfo("EC Reset Threshold", .numeric),
        0x9F74: TagInfo("EC Issuer Authorisation Code", .text),
        0x9F77: TagInfo("EC Balance Limit", .numeric),
        0x9F78: TagInfo("EC Single Transaction Limit", .numeric),
        0x9F79: TagInfo("EC Balance", .numeric),
        0x9F7A: TagInfo("EC Terminal Support Indicator"),
        0xBF0C: TagInfo("FCI Issuer Discretionary Data"),
        0xDF4D: TagInfo("Load Log Entry (PBOC)"),
        0xDF4F: TagInfo("Load Log Format (PBOC)"),
        0xDF69: TagInfo("SM Algorithm Supported Indicator (PBOC)"),
    ])

    /// Social-security (MOHRSS) record tags, from `spec/ssc.md` §1.6: the
    /// basic data of EF05/EF06 and the common DF01/DF04 items.
    public static let socialSecurity = TagDictionary([
        0x01: TagInfo("卡的识别码 Card Identifier", .compressedNumeric),
        0x02: TagInfo("卡的类别 Card Class", .text),
        0x03: TagInfo("规范版本 Specification Version", .text),
        0x04: TagInfo("初始化机构编号 Initialising Institution Number", .compressedNumeric),
        0x05: TagInfo("发卡日期 Issue Date", .compressedNumeric),
        0x06: TagInfo("卡有效期 Expiry Date", .compressedNumeric),
        0x07: TagInfo("卡号 Card Number", .text),
        0x08: TagInfo("社会保障号码 Social Security Number", .text),
        0x09: TagInfo("姓名 Name", .gbk),
        0x4E: TagInfo("姓名扩展 Name Extension", .gbk),
        0x0A: TagInfo("性别 Sex", .text),
        0x0B: TagInfo("民族 Nation", .compressedNumeric),
        0x0C: TagInfo("出生地 Birthplace", .compressedNumeric),
        0x0D: TagInfo("出生日期 Birth Date", .compressedNumeric),
        0x0E: TagInfo("户口所在地区划 Household Region", .compressedNumeric),
        0x20: TagInfo("户口类别 Household Type", .text),
        0x21: TagInfo("户口所在地地址 Household Address", .gbk),
        0x28: TagInfo("联系电话 Phone", .text),
        0x2B: TagInfo("婚姻状况 Marital Status", .text),
        0x84: TagInfo("参保地区划 Insured Region", .compressedNumeric),
        0x8B: TagInfo("个人账号 Personal Account", .text),
        0xEA: TagInfo("人员识别码 Person Identifier", .text),
        0xEB: TagInfo("初次申领地 First Application Region", .compressedNumeric),
    ])

    /// EMV/PBOC first, then social security.
    public static func lookup(_ tag: BERTag) -> TagInfo? {
        emv[tag] ?? socialSecurity[tag]
    }
}
