// SSCard — BackOffice
//
// A settlement policy as JSON, the form the back office stores per region
// and kind of visit, so that a tester can change a region's deductible,
// segments or ceiling without a new build:
//
//   {"draws_pool": true, "deductible": "200.00", "ceiling": "2000.00",
//    "segments": [{"up_to": "1000.00", "ratios": {"11": "0.5", "12": "0.6"}},
//                 {"up_to": null, "ratios": {"*": "0.6"}}],
//    "account_may_pay": ["preSelfPay", "inScope"], "default_selfpay": "0.1"}

extension SettlementPolicy {
    /// The policy as stored.
    public var json: JSON {
        .object([
            ("draws_pool", .bool(drawsPool)),
            ("deductible", .string(deductible.description)),
            ("ceiling", .string(ceiling.description)),
            (
                "segments",
                .array(segments.map { s in
                    .object([
                        ("up_to", s.upTo.map { .string($0.description) } ?? .null),
                        ("ratios", .object(s.ratios.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value.description)) })),
                    ])
                })
            ),
            ("account_may_pay", .array(AccountParts.names.filter { accountMayPay.contains($0.1) }.map { .string($0.0) })),
            ("default_selfpay", .string(defaultSelfPay.description)),
        ])
    }

    /// Reads a stored policy; errors name the member.
    public init(json: JSON) throws(FSIFieldError) {
        let f = try FSIFields(root: json)
        guard case .bool(let draws)? = f.value("draws_pool") else { throw FSIFieldError(path: "draws_pool", reason: "must be true or false") }
        var segments: [Segment] = []
        if let list = f.value("segments"), list.array?.isEmpty != true {
            for s in try f.objects("segments", maxCount: 20) {
                let upTo = try s.optionalMoney("up_to")
                let ratios = try s.object("ratios")
                var table: [String: Ratio] = [:]
                for (type, value) in ratios.members {
                    guard let text = value.scalarText, let r = Ratio(decimal: text) else {
                        throw FSIFieldError(path: "\(ratios.path).\(type)", reason: "must be a ratio from 0 to 1 with at most 4 decimals")
                    }
                    table[type] = r
                }
                segments.append(Segment(upTo: upTo, ratios: table))
            }
        }
        var parts: AccountParts = []
        if let list = f.value("account_may_pay") {
            guard case .array(let names) = list else { throw FSIFieldError(path: "account_may_pay", reason: "must be an array of names") }
            for (i, n) in names.enumerated() {
                guard let name = n.string, let p = AccountParts.names.first(where: { $0.0 == name })?.1 else {
                    throw FSIFieldError(
                        path: "account_may_pay[\(i)]", reason: "must be one of \(AccountParts.names.map(\.0).joined(separator: ", "))")
                }
                parts.insert(p)
            }
        }
        var selfPay = Ratio(percent: 10)
        if let text = try f.optionalString("default_selfpay") {
            guard let r = Ratio(decimal: text) else { throw FSIFieldError(path: "default_selfpay", reason: "must be a ratio from 0 to 1") }
            selfPay = r
        }
        self.init(
            drawsPool: draws, deductible: try f.optionalMoney("deductible") ?? .zero, segments: segments,
            ceiling: try f.optionalMoney("ceiling") ?? .zero, accountMayPay: parts, defaultSelfPay: selfPay)
    }

    /// An outpatient visit [INFERRED: a typical employee scheme; each region
    /// stores its own]: a 200-yuan deductible, the fund pays 50 % (60 % for
    /// retirees, `psn_type` 12) up to 2,000 yuan a year.
    public static let outpatient = SettlementPolicy(
        drawsPool: true, deductible: Money(fen: 20_000),
        segments: [Segment(upTo: nil, ratios: ["*": Ratio(percent: 50), "12": Ratio(percent: 60)])],
        ceiling: Money(fen: 200_000))
}
