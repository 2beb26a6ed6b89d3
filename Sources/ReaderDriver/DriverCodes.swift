// SSCard — ReaderDriver
//
// The reader driver's return codes and their texts (reader-api.md §4, SC-RW
// Appendix A): 0 success, negative errors; a card status word the table
// does not name is −SW1SW2; a wrong PIN (63Cx) is −51 with the tries left,
// a blocked PIN −52.

public import CardAPDU

/// Why a driver function failed: its return code and its text.
public struct DriverFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int
    public var text: String

    public init(_ code: Int, _ text: String? = nil) {
        self.code = code
        self.text = text ?? DriverFailure.texts[code] ?? "未知错误 (\(code))"
    }

    /// A card status word as the driver reports it; `pin`: the answer to a
    /// PIN command, whose `63Cx` is −51 with the tries left (else −0x63Cx).
    public init(status sw: StatusWord, pin: Bool = false) {
        if pin, sw.sw1 == 0x63, sw.sw2 & 0xF0 == 0xC0 {
            let left = Int(sw.sw2 & 0x0F)
            self.init(left == 0 ? -52 : -51, left == 0 ? nil : "PIN校验失败，剩余次数\(left)次")
        } else if pin, sw == .authenticationMethodBlocked {
            self.init(-52)
        } else {
            let code = -Int(sw.rawValue)
            self.init(code, DriverFailure.texts[code] ?? "卡片返回 \(sw) (\(sw.meaning))")
        }
    }

    public var description: String { "\(code) \(text)" }

    /// Appendix A.
    static let texts: [Int: String] = [
        -1: "卡类型不对", -2: "无卡", -3: "有卡未上电", -4: "卡无应答", -5: "加载动态库错", -11: "读卡器连接错", -12: "未建立连接",
        -13: "动态库不支持该命令", -14: "命令参数错", -15: "信息校验和出错", -20: "卡识别码格式错", -21: "内部认证失败（用户卡不合法）",
        -22: "传入数据与卡内不符", -23: "传入数据不合法", -24: "PSAM卡密钥级别不够", -25: "内部认证与加密机不一致",
        -31: "用户取消密码输入", -32: "密码输入超时", -33: "密码长度错", -34: "两次输入密码不一致", -35: "初始密码不能交易",
        -36: "不能改为初始密码", -41: "运算数据含非法字符", -42: "运算数据长度错", -51: "PIN校验失败", -52: "PIN锁定",
        -2201: "无PSAM卡", -2202: "PSAM卡算法不支持", -2203: "PSAM卡内没有RKSSSE密钥", -2204: "不需要加密机认证",
        -25536: "外部认证失败，剩余次数0次", -25537: "外部认证失败，剩余次数1次", -25538: "外部认证失败，剩余次数2次",
        -26368: "Lc/Le不正确", -26881: "命令不接受", -27009: "文件类型不匹配", -27010: "安全状态不满足", -27011: "密钥被锁定",
        -27012: "随机数无效", -27013: "使用条件不满足", -27014: "安全报文数据项不正确", -27264: "数据域参数不正确",
        -27265: "功能不支持或卡锁定", -27266: "文件未找到", -27267: "记录未找到", -27272: "密钥未找到", -37634: "MAC无效",
        -37635: "应用永久锁定", -37891: "PSAM不支持消费", -37894: "MAC/TAC不可用",
    ]
}
