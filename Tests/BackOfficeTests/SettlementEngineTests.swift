// The settlement engine against the worked examples of settlement.md §2.3,
// and its invariants as properties.

import BackOffice
import PropertyBased
import Testing

func yuan(_ s: String) -> Money { Money(yuan: s)! }
func qty(_ s: String) -> Decimals { Decimals(s, maxFraction: 4)! }
func price(_ s: String) -> Decimals { Decimals(s, maxFraction: 6)! }

/// A one-unit line of an amount.
func line(_ sn: String, _ amount: String, _ cls: CatalogueClass) -> FeeLine {
    FeeLine(serial: sn, code: "X\(sn)", amount: yuan(amount), quantity: qty("1"), price: price(amount), declaredClass: cls)
}

@Suite struct SettlementExampleTests {
    let inpatient = SettlementPolicy(
        drawsPool: true, deductible: yuan("800"), segments: [Segment(upTo: nil, ratio: Ratio(percent: 85))], ceiling: yuan("300000"))

    @Test func inpatientPreSettlement() {
        // 7595.62 = 先自费 767.40 + 乙类自负 7.71 + 起付线 800 + 统筹段 6020.51 at 85 %.
        let lines = [
            SettlementEngine.classify(line("1", "767.40", .classC), item: nil, defaultSelfPay: .zero),
            SettlementEngine.classify(line("2", "77.10", .classB), item: nil, defaultSelfPay: Ratio(percent: 10)),
            SettlementEngine.classify(line("3", "6751.12", .classA), item: nil, defaultSelfPay: .zero),
        ]
        let s = SettlementEngine.settle(lines, policy: inpatient, personType: "11", year: YearToDate(), balance: .zero, useAccount: false)
        #expect(s.total == yuan("7595.62"))
        #expect(s.fullOwnPay == yuan("767.40"))
        #expect(s.preSelfPay == yuan("7.71"))
        #expect(s.deductible == yuan("800.00"))
        #expect(s.segments.map(\.entered) == [yuan("6020.51")])
        #expect(s.fund == yuan("5117.43"))
        #expect(s.personShare == yuan("2478.19"))
        #expect(s.cash == yuan("2478.19"))
    }

    @Test func dischargeSettlementTakesNoDeductible() {
        // 1329.76 = 乙类自负 63.35 + 统筹段 1266.41 at 80 %; the deductible was used earlier.
        let policy = SettlementPolicy(
            drawsPool: true, deductible: yuan("800"), segments: [Segment(upTo: nil, ratio: Ratio(percent: 80))], ceiling: yuan("300000"))
        let lines = [
            SettlementEngine.classify(line("1", "1267.00", .classB), item: nil, defaultSelfPay: Ratio(percent: 5)),
            SettlementEngine.classify(line("2", "62.76", .classA), item: nil, defaultSelfPay: .zero),
        ]
        let s = SettlementEngine.settle(
            lines, policy: policy, personType: "11", year: YearToDate(deductibleUsed: yuan("800")), balance: .zero, useAccount: false)
        #expect(s.total == yuan("1329.76"))
        #expect(s.preSelfPay == yuan("63.35"))
        #expect(s.deductible == .zero)
        #expect(s.fund == yuan("1013.13"))
        #expect(s.personShare == yuan("316.63"))
    }

    @Test func outpatientTwoSegments() {
        // 134.35: 先自费 23.50; 25.00 at 70 % (17.50); 85.85 at 10 % (8.59).
        let policy = SettlementPolicy(
            drawsPool: true,
            segments: [Segment(upTo: yuan("25"), ratio: Ratio(percent: 70)), Segment(upTo: nil, ratio: Ratio(percent: 10))],
            ceiling: yuan("5000"))
        let lines = [
            SettlementEngine.classify(line("1", "23.50", .classC), item: nil, defaultSelfPay: .zero),
            SettlementEngine.classify(line("2", "110.85", .classA), item: nil, defaultSelfPay: .zero),
        ]
        let s = SettlementEngine.settle(lines, policy: policy, personType: "11", year: YearToDate(), balance: .zero, useAccount: false)
        #expect(s.segments.map(\.fund) == [yuan("17.50"), yuan("8.59")])
        #expect(s.fund == yuan("26.09"))
        #expect(s.personShare == yuan("108.26"))
    }

    @Test func provincialSummaryStopsAtTheCeiling() {
        // 7700.77 = 统筹 2928.77 + 自理 259.56 + 自付 4002.04 + 自费 510.40, deductible 600:
        // the fund pays what is left of the ceiling.
        let policy = SettlementPolicy(
            drawsPool: true, deductible: yuan("600"), segments: [Segment(upTo: nil, ratio: Ratio(percent: 90))], ceiling: yuan("10000"))
        let lines = [
            SettlementEngine.classify(line("1", "510.40", .classC), item: nil, defaultSelfPay: .zero),
            SettlementEngine.classify(line("2", "2595.60", .classB), item: nil, defaultSelfPay: Ratio(percent: 10)),
            SettlementEngine.classify(line("3", "4594.77", .classA), item: nil, defaultSelfPay: .zero),
        ]
        let s = SettlementEngine.settle(
            lines, policy: policy, personType: "11", year: YearToDate(fundPaid: yuan("7071.23")), balance: .zero, useAccount: false)
        #expect(s.total == yuan("7700.77"))
        #expect(s.preSelfPay == yuan("259.56"))
        #expect(s.fund == yuan("2928.77"))
        #expect(s.personShare - s.fullOwnPay - s.preSelfPay == yuan("4002.04"))
    }

    @Test func pharmacyDrawsNoFundAndTheAccountIsCapped() {
        let lines = [
            SettlementEngine.classify(line("1", "80.00", .classA), item: nil, defaultSelfPay: .zero),
            SettlementEngine.classify(line("2", "20.00", .classC), item: nil, defaultSelfPay: .zero),
        ]
        let s = SettlementEngine.settle(lines, policy: .pharmacy, personType: "11", year: YearToDate(), balance: yuan("50"), useAccount: true)
        #expect(s.fund == .zero)
        #expect(s.account == yuan("50.00"))
        #expect(s.cash == yuan("50.00"))
        #expect(s.balanceAfter == .zero)
        let unused = SettlementEngine.settle(lines, policy: .pharmacy, personType: "11", year: YearToDate(), balance: yuan("500"), useAccount: true)
        // 丙类 is not the account's to pay by default.
        #expect(unused.account == yuan("80.00"))
        #expect(unused.cash == yuan("20.00"))
    }

    @Test func priceAboveTheCapIsSelfPaid() {
        let item = CatalogueItem(code: "D1", name: "药", itemClass: .classA, priceCap: price("10"))
        let l = FeeLine(serial: "1", code: "D1", amount: yuan("36.00"), quantity: qty("3"), price: price("12"))
        let s = SettlementEngine.classify(l, item: item, defaultSelfPay: .zero)
        #expect(s.overLimit == yuan("6.00"))
        #expect(s.inScope == yuan("30.00"))
    }

    @Test func moneyParsesTwoDecimalsExactly() {
        #expect(Money(yuan: "123.45")?.fen == 12345)
        #expect(Money(yuan: "0.5")?.fen == 50)
        #expect(Money(yuan: "-7")?.fen == -700)
        #expect(Money(yuan: "1.005") == nil)
        #expect(Money(yuan: "1e3") == nil)
        #expect(Money(yuan: "12.") == nil)
        #expect(Money(fen: -5).description == "-0.05")
    }
}

@Suite struct SettlementInvariantTests {
    @Test func invariantsHoldToTheFen() async {
        let classes: [CatalogueClass] = [.classA, .classB, .classC]
        await propertyCheck(
            count: 300,
            input: Gen.int(in: 1...9_999_999).array(of: 1...6), Gen.int(in: 0...2).array(of: 6), Gen.int(in: 0...500_000),
            Gen.int(in: 0...10_000), Gen.bool
        ) { amounts, kinds, balance, ratio, useAccount in
            let lines = amounts.enumerated().map { i, fen in
                SettlementEngine.classify(
                    FeeLine(serial: "\(i)", code: "C\(i)", amount: Money(fen: fen), quantity: qty("1"),
                        price: Decimals(scaled: fen * 10_000, fraction: 6), declaredClass: classes[kinds[i]]),
                    item: nil, defaultSelfPay: Ratio(parts: ratio))
            }
            for l in lines { #expect(l.fullOwnPay + l.overLimit + l.preSelfPay + l.inScope == l.line.amount) }
            let policy = SettlementPolicy(
                drawsPool: true, deductible: Money(fen: 20_000),
                segments: [Segment(upTo: Money(fen: 100_000), ratio: Ratio(parts: ratio)), Segment(upTo: nil, ratio: Ratio(percent: 90))],
                ceiling: Money(fen: 2_000_000), accountMayPay: .all)
            let s = SettlementEngine.settle(
                lines, policy: policy, personType: "11", year: YearToDate(), balance: Money(fen: balance), useAccount: useAccount)
            #expect(s.total == s.fund + s.personShare)
            #expect(s.personShare == s.account + s.cash)
            #expect(s.account <= Money(fen: balance))
            #expect(s.account >= .zero && s.cash >= .zero && s.fund >= .zero)
            #expect(s.total == s.fullOwnPay + s.overLimit + s.preSelfPay + s.inScope)
        }
    }
}

@Suite struct JSONTests {
    @Test func numbersKeepTheirText() throws {
        let v = try JSON.parse(#"{"infno":"1101","amt":123.45,"list":[1,true,null],"name":"\u5f20\"三"}"#)
        #expect(v["amt"] == .number("123.45"))
        #expect(v["name"]?.string == "张\"三")
        #expect(v["list"]?.array?.count == 3)
        #expect(try JSON.parse(v.serialized) == v)
    }

    @Test(arguments: [
        ("{\"a\":1,}", 7), ("[01]", 1), ("{\"a\" 1}", 5), ("\"abc", 4), ("[1] x", 4), ("{\"a\":tru}", 5),
    ])
    func malformedTextNamesTheOffset(text: String, offset: Int) {
        #expect(throws: JSONSyntaxError.self) { try JSON.parse(text) }
        do {
            _ = try JSON.parse(text)
        } catch {
            #expect(error.offset == offset)
        }
    }

    @Test func depthIsLimited() {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: JSONSyntaxError.self) { try JSON.parse(deep) }
    }
}
