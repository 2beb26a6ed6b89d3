// SSCard — BackOffice
//
// Reading the platform's request fields with errors that name the field by
// its path (`input.data.medfee_sumamt: more than two decimals`), as the
// centre answers bad input with infcode -1 (settlement.md §1.3).

/// A request field that is missing, mistyped or out of range.
public struct FSIFieldError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The field's path: `input.drugdetail[2].cnt`.
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// An object of a request, with its path.
public struct FSIFields: Sendable {
    public let path: String
    let members: [(String, JSON)]

    /// The top of a request: it must be an object.
    public init(root: JSON) throws(FSIFieldError) {
        guard case .object(let m) = root else { throw FSIFieldError(path: "(request)", reason: "must be a JSON object") }
        path = ""
        members = m
    }

    init(path: String, members: [(String, JSON)]) {
        self.path = path
        self.members = members
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member's value, `nil` when absent or null.
    public func value(_ key: String) -> JSON? {
        guard let v = members.first(where: { $0.0 == key })?.1, v != .null else { return nil }
        return v
    }

    /// A mandatory text field (a string; a number's text is accepted for codes).
    public func string(_ key: String, maxLength: Int = 200) throws(FSIFieldError) -> String {
        guard let s = try optionalString(key, maxLength: maxLength), !s.isEmpty else {
            throw FSIFieldError(path: name(key), reason: "is mandatory")
        }
        return s
    }

    public func optionalString(_ key: String, maxLength: Int = 200) throws(FSIFieldError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.scalarText else { throw FSIFieldError(path: name(key), reason: "must be a string") }
        guard s.count <= maxLength else { throw FSIFieldError(path: name(key), reason: "is longer than \(maxLength) characters") }
        return s
    }

    /// A mandatory amount: yuan, at most two decimals, not negative.
    public func money(_ key: String) throws(FSIFieldError) -> Money {
        guard let m = try optionalMoney(key) else { throw FSIFieldError(path: name(key), reason: "is mandatory") }
        return m
    }

    public func optionalMoney(_ key: String) throws(FSIFieldError) -> Money? {
        guard let v = value(key) else { return nil }
        guard let text = v.scalarText else { throw FSIFieldError(path: name(key), reason: "must be an amount") }
        guard Decimals.isNumber(text) else { throw FSIFieldError(path: name(key), reason: "\"\(text)\" is not an amount") }
        guard !text.hasPrefix("-") else { throw FSIFieldError(path: name(key), reason: "must not be negative") }
        if let dot = text.firstIndex(of: "."), text[text.index(after: dot)...].count > 2 {
            throw FSIFieldError(path: name(key), reason: "has more than two decimals")
        }
        guard let m = Money(yuan: text), m.fen <= 100_000_000_00 else { throw FSIFieldError(path: name(key), reason: "exceeds 100000000.00") }
        return m
    }

    /// A mandatory non-negative decimal with at most `decimals` places (`cnt` 4, `pric` 6).
    public func decimal(_ key: String, decimals: Int) throws(FSIFieldError) -> Decimals {
        guard let v = value(key) else { throw FSIFieldError(path: name(key), reason: "is mandatory") }
        guard let text = v.scalarText, let d = Decimals(text, maxFraction: decimals) else {
            let places = v.scalarText.flatMap { t in Decimals.isNumber(t) ? t.split(separator: ".").dropFirst().first?.count ?? 0 : nil }
            if let places, places <= decimals { throw FSIFieldError(path: name(key), reason: "is too large") }
            throw FSIFieldError(path: name(key), reason: "must be a number with at most \(decimals) decimals")
        }
        guard d.scaled >= 0 else { throw FSIFieldError(path: name(key), reason: "must not be negative") }
        return d
    }

    /// A mandatory object.
    public func object(_ key: String) throws(FSIFieldError) -> FSIFields {
        guard let f = try optionalObject(key) else { throw FSIFieldError(path: name(key), reason: "is mandatory") }
        return f
    }

    public func optionalObject(_ key: String) throws(FSIFieldError) -> FSIFields? {
        guard let v = value(key) else { return nil }
        guard case .object(let m) = v else { throw FSIFieldError(path: name(key), reason: "must be an object") }
        return FSIFields(path: name(key), members: m)
    }

    /// A mandatory, non-empty array of objects.
    public func objects(_ key: String, maxCount: Int = 1000) throws(FSIFieldError) -> [FSIFields] {
        guard let v = value(key) else { throw FSIFieldError(path: name(key), reason: "is mandatory") }
        guard case .array(let items) = v else { throw FSIFieldError(path: name(key), reason: "must be an array") }
        guard !items.isEmpty else { throw FSIFieldError(path: name(key), reason: "must not be empty") }
        guard items.count <= maxCount else { throw FSIFieldError(path: name(key), reason: "has more than \(maxCount) entries") }
        var out: [FSIFields] = []
        for (i, item) in items.enumerated() {
            guard case .object(let m) = item else { throw FSIFieldError(path: "\(name(key))[\(i)]", reason: "must be an object") }
            out.append(FSIFields(path: "\(name(key))[\(i)]", members: m))
        }
        return out
    }

    /// One of a set of codes.
    public func code(_ key: String, in allowed: [String]) throws(FSIFieldError) -> String {
        let s = try string(key)
        guard allowed.contains(s) else { throw FSIFieldError(path: name(key), reason: "\"\(s)\" is not one of \(allowed.joined(separator: ", "))") }
        return s
    }
}

extension FeeLine {
    /// A fee line of a 2101/2102 `drugdetail` or a 2204 `feedetail`: the
    /// amount must be the price times the count, to the fen.
    public init(fields f: FSIFields) throws(FSIFieldError) {
        let amount = try f.money("det_item_fee_sumamt")
        let quantity = try f.decimal("cnt", decimals: 4)
        let price = try f.decimal("pric", decimals: 6)
        let product = FeeLine.amount(price: price, quantity: quantity)
        guard product.fen != Int.max else { throw FSIFieldError(path: f.name("pric"), reason: "pric × cnt is too large") }
        guard abs(product.fen - amount.fen) <= 1 else {
            throw FSIFieldError(
                path: f.name("det_item_fee_sumamt"), reason: "\(amount) is not pric × cnt (\(product))")
        }
        var declared: CatalogueClass?
        if let lv = try f.optionalString("chrgitm_lv") {
            guard let c = CatalogueClass(text: lv) else { throw FSIFieldError(path: f.name("chrgitm_lv"), reason: "\"\(lv)\" is not 01, 02 or 03") }
            declared = c
        }
        var name = try f.optionalString("medins_list_name")
        if name == nil { name = try f.optionalString("med_list_name") }
        self.init(
            serial: try f.string("feedetl_sn", maxLength: 30), code: try f.string("med_list_codg", maxLength: 50),
            name: name ?? "",
            amount: amount, quantity: quantity, price: price, declaredClass: declared)
    }
}

/// The platform's transactions this project speaks (settlement.md §1), with their names.
public enum FSITransactions {
    public static let all: [(infno: String, name: String)] = [
        ("9001", "签到 sign in"), ("9002", "签退 sign out"), ("1101", "人员信息获取 person information"),
        ("2101", "药店预结算 pharmacy pre-settlement"), ("2102", "药店结算 pharmacy settlement"),
        ("2103", "药店结算撤销 pharmacy settlement cancel"), ("2201", "门诊挂号 outpatient registration"),
        ("2202", "门诊挂号撤销 registration cancel"), ("2203", "门诊就诊信息上传 visit information"),
        ("2204", "门诊费用明细上传 fee upload"), ("2205", "门诊费用明细撤销 fee upload cancel"),
        ("2206", "门诊预结算 outpatient pre-settlement"), ("2207", "门诊结算 outpatient settlement"),
        ("2208", "门诊结算撤销 outpatient settlement cancel"), ("2601", "冲正交易 reversal"),
        ("3201", "对总账 reconciliation"),
    ]

    /// `2102 药店结算 pharmacy settlement`, for messages; an unknown one as its number.
    public static func name(_ infno: String) -> String { all.first { $0.infno == infno }.map { "\(infno) \($0.name)" } ?? infno }
}
