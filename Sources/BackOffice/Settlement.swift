// SSCard — BackOffice
//
// How a settlement splits (spec/settlement.md §2): each fee line is
// classified by its catalogue class (甲 all in scope, 乙 a first self-pay
// share, 丙 wholly self-paid, a price above the cap self-paid), then the
// in-scope amount passes the deductible, the ratio segments and the annual
// ceiling, and the personal account pays what it may, capped at its
// balance. Everything is in fen; ratios round half up per segment (the
// worked examples reconcile that way). The invariants hold exactly:
// total = fund + person share, person share = account + cash.

/// The catalogue class of a fee line (`chrgitm_lv`).
public struct CatalogueClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init?(rawValue: String) {
        guard ["01", "02", "03"].contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }
    private init(_ raw: String) { rawValue = raw }
    /// 甲类: wholly in scope.
    public static let classA = CatalogueClass("01")
    /// 乙类: a first self-pay share, the rest in scope.
    public static let classB = CatalogueClass("02")
    /// 丙类 or outside the catalogue: wholly self-paid.
    public static let classC = CatalogueClass("03")

    /// Accepts `01`/`02`/`03`, `甲`/`乙`/`丙` and `A`/`B`/`C`.
    public init?(text: String) {
        switch text.uppercased() {
        case "01", "1", "甲", "甲类", "A": self = .classA
        case "02", "2", "乙", "乙类", "B": self = .classB
        case "03", "3", "丙", "丙类", "C": self = .classC
        default: return nil
        }
    }

    public var description: String {
        switch rawValue {
        case "01": "甲"
        case "02": "乙"
        default: "丙"
        }
    }
}

/// A catalogue item as the centre knows it.
public struct CatalogueItem: Hashable, Sendable {
    public var code: String
    public var name: String
    public var itemClass: CatalogueClass
    /// The first self-pay proportion of a 乙类 item.
    public var selfPay: Ratio
    /// The price cap (`pric_uplmt_amt`), 6 decimals; none when uncapped.
    public var priceCap: Decimals?

    public init(code: String, name: String, itemClass: CatalogueClass, selfPay: Ratio = .zero, priceCap: Decimals? = nil) {
        self.code = code
        self.name = name
        self.itemClass = itemClass
        self.selfPay = selfPay
        self.priceCap = priceCap
    }
}

/// A fee line as the terminal sends it.
public struct FeeLine: Hashable, Sendable {
    /// `feedetl_sn`.
    public var serial: String
    /// `med_list_codg`.
    public var code: String
    public var name: String
    /// `det_item_fee_sumamt`.
    public var amount: Money
    /// `cnt`, 4 decimals.
    public var quantity: Decimals
    /// `pric`, 6 decimals.
    public var price: Decimals
    /// A class the terminal declares for an item the catalogue does not list.
    public var declaredClass: CatalogueClass?

    public init(serial: String, code: String, name: String = "", amount: Money, quantity: Decimals, price: Decimals, declaredClass: CatalogueClass? = nil) {
        self.serial = serial
        self.code = code
        self.name = name
        self.amount = amount
        self.quantity = quantity
        self.price = price
        self.declaredClass = declaredClass
    }
}

extension FeeLine {
    /// A line's amount: the price (6 decimals) times the count (4 decimals), rounded to the fen.
    public static func amount(price: Decimals, quantity: Decimals) -> Money {
        let p = price.scaled * Self.power(6 - price.fraction), q = quantity.scaled * Self.power(4 - quantity.fraction)
        return fen(ofPrice: p, times: q)
    }

    /// A 6-decimal price times a 4-decimal count, rounded to the fen. The
    /// product is taken in 128 bits (a request's price and count are each
    /// in range, their product need not be) and an amount past what an
    /// `Int` holds comes out as the largest one: far above every limit the
    /// callers check, so it is refused there rather than trapping here.
    static func fen(ofPrice p: Int, times q: Int) -> Money {
        let scale = Int128(10_000 * 10_000)
        let product = Int128(p) * Int128(q)
        var fen = product / scale
        let rest = product % scale
        if 2 * rest.magnitude >= UInt128(scale) { fen += product < 0 ? -1 : 1 }
        guard let exact = Int(exactly: fen) else { return Money(fen: fen < 0 ? Int.min : Int.max) }
        return Money(fen: exact)
    }

    static func power(_ n: Int) -> Int { n <= 0 ? 1 : (1...n).reduce(1) { r, _ in r * 10 } }
}

/// How the centre classified one line (the 2204 output).
public struct LineSplit: Hashable, Sendable {
    public var line: FeeLine
    public var itemClass: CatalogueClass
    public var selfPay: Ratio
    public var priceCap: Decimals?
    /// 全自费.
    public var fullOwnPay: Money
    /// 超限价自费.
    public var overLimit: Money
    /// 先行自付.
    public var preSelfPay: Money
    /// 符合政策范围.
    public var inScope: Money
    public var memo: String
}

/// Which parts of the person's share the personal account may pay.
public struct AccountParts: OptionSet, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// 全自费 (丙类 and non-catalogue items).
    public static let fullOwnPay = AccountParts(rawValue: 1)
    /// 超限价自费.
    public static let overLimit = AccountParts(rawValue: 2)
    /// 先行自付 (the 乙类 share).
    public static let preSelfPay = AccountParts(rawValue: 4)
    /// The in-scope part the fund does not pay: deductible, co-pay, above the ceiling.
    public static let inScope = AccountParts(rawValue: 8)
    public static let all: AccountParts = [.fullOwnPay, .overLimit, .preSelfPay, .inScope]
    /// The names used in policy files.
    public static let names: [(String, AccountParts)] = [
        ("fullOwnPay", .fullOwnPay), ("overLimit", .overLimit), ("preSelfPay", .preSelfPay), ("inScope", .inScope),
    ]
}

/// One ratio segment (费用档): in-scope amounts, counted over the year after
/// the deductible, up to `upTo` (none: no upper bound) are paid at a ratio,
/// by person type (`psn_type`; `*` for every other type).
public struct Segment: Hashable, Sendable {
    public var upTo: Money?
    public var ratios: [String: Ratio]

    public init(upTo: Money?, ratios: [String: Ratio]) {
        self.upTo = upTo
        self.ratios = ratios
    }

    public init(upTo: Money?, ratio: Ratio) { self.init(upTo: upTo, ratios: ["*": ratio]) }

    public func ratio(for personType: String) -> Ratio { ratios[personType] ?? ratios["*"] ?? .zero }
}

/// A settlement policy: one kind of visit (pharmacy, outpatient) in one region.
public struct SettlementPolicy: Hashable, Sendable {
    /// Whether the pooled fund pays at all (a pharmacy purchase, by default, does not).
    public var drawsPool: Bool
    /// 起付线 per year.
    public var deductible: Money
    public var segments: [Segment]
    /// 封顶线: the fund's payments per year.
    public var ceiling: Money
    public var accountMayPay: AccountParts
    /// The 乙类 self-pay proportion of an item the catalogue does not list.
    public var defaultSelfPay: Ratio

    public init(
        drawsPool: Bool, deductible: Money = .zero, segments: [Segment] = [], ceiling: Money = .zero,
        accountMayPay: AccountParts = [.preSelfPay, .inScope], defaultSelfPay: Ratio = Ratio(percent: 10)
    ) {
        self.drawsPool = drawsPool
        self.deductible = deductible
        self.segments = segments
        self.ceiling = ceiling
        self.accountMayPay = accountMayPay
        self.defaultSelfPay = defaultSelfPay
    }

    /// A pharmacy purchase (settlement.md §2.4): no pooled fund; the
    /// account pays the in-scope and first self-pay parts.
    public static let pharmacy = SettlementPolicy(drawsPool: false)
}

/// A person's year so far.
public struct YearToDate: Hashable, Sendable {
    public var deductibleUsed: Money
    /// In-scope amounts that entered the segments this year.
    public var poolEntered: Money
    public var fundPaid: Money
    public var visits: Int

    public init(deductibleUsed: Money = .zero, poolEntered: Money = .zero, fundPaid: Money = .zero, visits: Int = 0) {
        self.deductibleUsed = deductibleUsed
        self.poolEntered = poolEntered
        self.fundPaid = fundPaid
        self.visits = visits
    }
}

/// What one segment paid.
public struct SegmentPayment: Hashable, Sendable {
    public var entered: Money
    public var ratio: Ratio
    public var fund: Money
}

/// A settlement's split (the `setlinfo` block).
public struct SettlementSplit: Hashable, Sendable {
    public var lines: [LineSplit]
    /// 医疗费总额.
    public var total: Money
    public var fullOwnPay: Money
    public var overLimit: Money
    public var preSelfPay: Money
    public var inScope: Money
    /// 实际支付起付线.
    public var deductible: Money
    public var segments: [SegmentPayment]
    /// 统筹基金支出.
    public var fund: Money
    /// The ratio of the last segment entered (`pool_prop_selfpay`).
    public var poolRatio: Ratio
    /// 个人负担总金额.
    public var personShare: Money
    /// 个人账户支出.
    public var account: Money
    /// 个人现金支出.
    public var cash: Money
    /// The account balance after.
    public var balanceAfter: Money
    /// The year after this settlement.
    public var yearAfter: YearToDate
}

/// The settlement engine: pure functions of the lines, the policy, the
/// person's year and balance.
public enum SettlementEngine {
    /// Classifies one line (settlement.md §2.1).
    public static func classify(_ line: FeeLine, item: CatalogueItem?, defaultSelfPay: Ratio) -> LineSplit {
        let itemClass = item?.itemClass ?? line.declaredClass ?? .classC
        let selfPay = itemClass == .classB ? (item?.selfPay ?? defaultSelfPay) : .zero
        var remaining = line.amount
        var overLimit = Money.zero
        var memo = item == nil ? (line.declaredClass == nil ? "not in the catalogue" : "not in the catalogue; class as declared") : ""
        if itemClass != .classC, let cap = item?.priceCap, line.price.scaled > cap.scaled {
            // (price − cap) × quantity, in fen: 6-decimal price × 4-decimal count.
            overLimit = min(FeeLine.fen(ofPrice: line.price.scaled - cap.scaled, times: line.quantity.scaled), remaining)
            remaining -= overLimit
            memo = "price above the cap"
        }
        var split = LineSplit(
            line: line, itemClass: itemClass, selfPay: selfPay, priceCap: item?.priceCap,
            fullOwnPay: .zero, overLimit: overLimit, preSelfPay: .zero, inScope: .zero, memo: memo)
        switch itemClass {
        case .classA: split.inScope = remaining
        case .classB:
            split.preSelfPay = remaining.times(selfPay)
            split.inScope = remaining - split.preSelfPay
        default:
            split.fullOwnPay = remaining
        }
        return split
    }

    /// Splits a settlement (settlement.md §2.2).
    /// - Parameters:
    ///   - personType: `psn_type`, which picks the segment ratios.
    ///   - useAccount: `acct_used_flag`.
    public static func settle(
        _ lines: [LineSplit], policy: SettlementPolicy, personType: String, year: YearToDate, balance: Money, useAccount: Bool
    ) -> SettlementSplit {
        var total = Money.zero, full = Money.zero, over = Money.zero, pre = Money.zero, scope = Money.zero
        for l in lines {
            total += l.line.amount
            full += l.fullOwnPay
            over += l.overLimit
            pre += l.preSelfPay
            scope += l.inScope
        }
        var deductible = Money.zero
        var fund = Money.zero
        var payments: [SegmentPayment] = []
        var poolRatio = Ratio.zero
        var entered = Money.zero
        if policy.drawsPool {
            deductible = max(.zero, min(scope, policy.deductible - year.deductibleUsed))
            var left = scope - deductible
            var position = year.poolEntered
            var lower = Money.zero
            for s in policy.segments where left > .zero {
                defer { lower = s.upTo ?? lower }
                if let hi = s.upTo, position >= hi { continue }
                let room = s.upTo.map { $0 - max(position, lower) } ?? left
                let take = min(left, room)
                guard take > .zero else { continue }
                let r = s.ratio(for: personType)
                let paid = take.times(r)
                payments.append(SegmentPayment(entered: take, ratio: r, fund: paid))
                fund += paid
                poolRatio = r
                position += take
                entered += take
                left -= take
            }
            let room = max(.zero, policy.ceiling - year.fundPaid)
            if fund > room { fund = room }
        }
        let personShare = total - fund
        var payable = Money.zero
        if policy.accountMayPay.contains(.fullOwnPay) { payable += full }
        if policy.accountMayPay.contains(.overLimit) { payable += over }
        if policy.accountMayPay.contains(.preSelfPay) { payable += pre }
        if policy.accountMayPay.contains(.inScope) { payable += scope - fund }
        let account = useAccount ? max(.zero, min(balance, payable, personShare)) : .zero
        var after = year
        after.deductibleUsed += deductible
        after.poolEntered += entered
        after.fundPaid += fund
        after.visits += 1
        return SettlementSplit(
            lines: lines, total: total, fullOwnPay: full, overLimit: over, preSelfPay: pre, inScope: scope,
            deductible: deductible, segments: payments, fund: fund, poolRatio: poolRatio, personShare: personShare,
            account: account, cash: personShare - account, balanceAfter: balance - account, yearAfter: after)
    }
}
