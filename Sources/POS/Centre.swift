// SSCard — POS
//
// The POS's side of the platform interface (settlement.md §1): the
// envelope, a message id per request, the sign-in, and the answer read back
// into its output or the centre's refusal.

public import BackOffice
import FoundationEssentials

/// The designated institution the POS stands in.
public struct Institution: Hashable, Sendable {
    /// `fixmedins_code`.
    public var code: String
    public var name: String
    /// `mdtrtarea_admvs`: the area the visit is settled in.
    public var area: String
    public var operatorNumber: String
    public var operatorName: String

    public init(code: String, name: String, area: String, operatorNumber: String = "001", operatorName: String = "收款员") {
        self.code = code
        self.name = name
        self.area = area
        self.operatorNumber = operatorNumber
        self.operatorName = operatorName
    }
}

/// The terminal's clock.
public enum POSClock {
    public static func now() -> FSITime { FSITime(millis: Int((Date().timeIntervalSince1970 * 1000).rounded(.down))) }
}

/// Requests to the centre, one envelope each.
final class CentreClient {
    let link: any BackOfficeLink
    let institution: Institution
    let clock: () -> FSITime
    var signNo: String?
    /// The tail of the message ids: four base-36 characters, from a random start.
    var serial = Int.random(in: 0..<1_679_616)

    init(link: any BackOfficeLink, institution: Institution, clock: @escaping () -> FSITime) {
        self.link = link
        self.institution = institution
        self.clock = clock
    }

    /// A new `msgid`: the institution's code (12), the time (14), a serial (4): 30 characters.
    func newMsgid() -> String {
        serial = (serial + 1) % 1_679_616
        var tail = String(serial, radix: 36, uppercase: true)
        tail = String(repeating: "0", count: 4 - tail.count) + tail
        var code = String(institution.code.prefix(12))
        code += String(repeating: "0", count: 12 - code.count)
        return code + clock().compact + tail
    }

    func envelope(_ infno: String, _ input: JSON, msgid: String) -> [UInt8] {
        var members: [(String, JSON)] = [
            ("infno", .string(infno)), ("msgid", .string(msgid)), ("mdtrtarea_admvs", .string(institution.area)),
            ("insuplc_admdvs", .string(institution.area)), ("recer_sys_code", .string("SSCARD")), ("dev_no", .string("")),
            ("infver", .string("V1.0")), ("opter_type", .string("1")), ("opter", .string(institution.operatorNumber)),
            ("opter_name", .string(institution.operatorName)), ("inf_time", .string(clock().text)),
            ("fixmedins_code", .string(institution.code)), ("fixmedins_name", .string(institution.name)),
        ]
        if let signNo, infno != "9001" { members.append(("sign_no", .string(signNo))) }
        members.append(("input", input))
        return JSON.object(members).serializedBytes
    }

    /// Sends one request; its `output`.
    /// - Throws: `.refused` with the centre's `err_msg`, `.unreachable` or `.malformed`.
    func call(_ infno: String, _ input: JSON, msgid: String? = nil, outcome: SettlementOutcome = .notCommitted) throws(POSError) -> JSON {
        let id = msgid ?? newMsgid()
        let answer: JSON
        do {
            answer = try JSON.parse(try link.centre(envelope(infno, input, msgid: id)))
        } catch let e as BackOfficeLinkError {
            throw POSError(e, outcome: outcome)
        } catch {
            throw POSError(.malformed, "the centre's answer to \(FSITransactions.name(infno)) is not JSON (\(error))", outcome: outcome)
        }
        guard let code = answer["infcode"]?.scalarText else {
            throw POSError(.malformed, "the centre's answer to \(FSITransactions.name(infno)) has no infcode", outcome: outcome)
        }
        guard code == "0" else {
            throw POSError(.refused, "the centre refused \(FSITransactions.name(infno)): \(answer["err_msg"]?.string ?? "(no err_msg)")", outcome: outcome)
        }
        return answer["output"] ?? .object([])
    }

    /// 9001, once per POS session.
    func signIn() throws(POSError) {
        guard signNo == nil else { return }
        let out = try call("9001", .object([("signIn", .object([("opter_no", .string(institution.operatorNumber)), ("mac", .string("")), ("ip", .string("127.0.0.1"))]))]))
        guard let sign = out["signinoutb"]?["sign_no"]?.string else {
            throw POSError(.malformed, "the centre's answer to \(FSITransactions.name("9001")) has no sign_no")
        }
        signNo = sign
    }
}
