import ClickModel
import Domain
import Testing

@Suite("Money, attribution and commissions")
struct MoneyTests {
    @Test(arguments: [("0.01", 1), ("49.90", 4990), ("49.9", 4990), ("49", 4900), ("999999.99", 99_999_999), ("0", 0),
                      ("100000000000.00", 10_000_000_000_000)] as [(String, Int64)])
    func decimalStringsBecomeExactMinorUnits(text: String, minorUnits: Int64) {
        #expect(Money.parse(text, currency: .usd)?.minorUnits == minorUnits)
    }

    @Test(arguments: ["10.125", "-1", "1e3", "1,000.00", "", ".5", "5.", " 5", "5 ", "0x10", "100000000000.01", "NaN", "٣"])
    func malformedAmountsAreRefused(text: String) {
        #expect(Money.parse(text, currency: .usd) == nil)
    }

    @Test func currenciesHaveTheirOwnDecimals() throws {
        let yen = try #require(Currency("jpy"))
        #expect(Money.parse("1200", currency: yen)?.minorUnits == 1200)
        #expect(Money.parse("12.5", currency: yen) == nil)
        let dinar = try #require(Currency("KWD"))
        #expect(Money.parse("1.234", currency: dinar)?.minorUnits == 1234)
        #expect(Money(minorUnits: 1234, currency: dinar).decimalString == "1.234")
        #expect(Money(minorUnits: -5, currency: .usd).decimalString == "-0.05")
        #expect(Money(minorUnits: 99_999_999, currency: .usd).description == "999999.99 USD")
        #expect(Currency("US") == nil && Currency("U$D") == nil)
    }

    @Test func percentsRoundHalfAwayFromZero() {
        #expect(MinorUnits.percent(1, basisPoints: 1_000) == 0, "10 % of a cent is nothing")
        #expect(MinorUnits.percent(5, basisPoints: 1_000) == 1, "0.5 cent rounds up")
        #expect(MinorUnits.percent(-5, basisPoints: 1_000) == -1, "and away from zero when negative")
        #expect(MinorUnits.percent(3, basisPoints: 3_333) == 1, "0.9999 cent")
        #expect(MinorUnits.percent(99_999_999, basisPoints: 1_250) == 12_500_000, "12.5 % of 999,999.99 is 124,999.99875")
        #expect(MinorUnits.percent(Money.maxMinorUnits, basisPoints: 10_000) == Money.maxMinorUnits)
    }

    @Test func commissionLinesToTheCent() {
        let tenPercent = Payout.percent(Percent(basisPoints: 1_000)!)
        // Percent of an awkward amount, with the parent's 20 % of it.
        #expect(Commissions.lines(amount: 99_999_999, partnerID: 2, parentID: 1, payout: tenPercent, override: nil,
                                  parentOverride: Percent(basisPoints: 2_000)) == [
            CommissionLine(partnerID: 2, minorUnits: 10_000_000, kind: .direct),
            CommissionLine(partnerID: 1, minorUnits: 2_000_000, kind: .parentOverride),
        ])
        // A member's override replaces the offer's payout; flat ignores the amount.
        #expect(Commissions.lines(amount: 1, partnerID: 2, parentID: nil, payout: tenPercent, override: .flat(minorUnits: 450),
                                  parentOverride: Percent(basisPoints: 2_000)) == [CommissionLine(partnerID: 2, minorUnits: 450, kind: .direct)])
        // 10 % of a cent is nothing: no zero lines.
        #expect(Commissions.lines(amount: 1, partnerID: 2, parentID: 1, payout: tenPercent, override: nil,
                                  parentOverride: Percent(basisPoints: 2_000)).isEmpty)
        // 33.33 % of 0.03, and a parent's 50 % of that cent.
        #expect(Commissions.lines(amount: 3, partnerID: 2, parentID: 1, payout: .percent(Percent(basisPoints: 3_333)!), override: nil,
                                  parentOverride: Percent(basisPoints: 5_000)) == [
            CommissionLine(partnerID: 2, minorUnits: 1, kind: .direct),
            CommissionLine(partnerID: 1, minorUnits: 1, kind: .parentOverride),
        ])
    }

    let day: Int64 = 86_400_000
    var code: AttributionCandidates.CodeCandidate { .init(code: "JANE20", partnerID: 7) }
    func click(daysAgo: Int64, now: Int64, billable: Bool = true) -> AttributionCandidates.ClickCandidate {
        .init(clickID: "01K", found: true, partnerID: 9, clickedAt: now - daysAgo * day, billable: billable)
    }

    @Test func aCodeBeatsAClickUnlessThePolicySaysOtherwise() {
        let now = 100 * day
        let both = AttributionCandidates(code: code, click: click(daysAgo: 1, now: now))
        let codeFirst = Attribution.decide(both, policy: .codeFirst, windowDays: 30, now: now)
        #expect(codeFirst.winner == .code && codeFirst.partnerID == 7)
        let clickFirst = Attribution.decide(both, policy: .clickFirst, windowDays: 30, now: now)
        #expect(clickFirst.winner == .click && clickFirst.partnerID == 9)
        #expect(clickFirst.reason.contains("click_first"))
    }

    @Test func clicksOutsideTheWindowOrNotBillableCreditNobody() {
        let now = 100 * day
        let old = Attribution.decide(.init(click: click(daysAgo: 31, now: now)), policy: .clickFirst, windowDays: 30, now: now)
        #expect(old.winner == .none && old.partnerID == nil)
        #expect(old.reason.contains("older than the 30-day window"))
        let edge = Attribution.decide(.init(click: click(daysAgo: 30, now: now)), policy: .codeFirst, windowDays: 30, now: now)
        #expect(edge.winner == .click, "exactly the window still counts")
        let bot = Attribution.decide(.init(click: click(daysAgo: 1, now: now, billable: false)), policy: .codeFirst, windowDays: 30, now: now)
        #expect(bot.winner == .none)
        let refused = Attribution.decide(.init(code: .init(code: "X", partnerID: nil, refusal: "usage_limit_reached"),
                                               click: click(daysAgo: 1, now: now)), policy: .codeFirst, windowDays: 30, now: now)
        #expect(refused.winner == .click && refused.reason.contains("usage_limit_reached"), "a refused code leaves the click")
        #expect(Attribution.decide(.init(), policy: .codeFirst, windowDays: 30, now: now).winner == .none)
    }
}
