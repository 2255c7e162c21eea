import ClickModel
import Domain
import Testing

/// The conversion rate's interval in the variant report: the Wilson score
/// interval, checked against values worked out by hand from its formula.
@Suite("Variant report figures")
struct VariantReportTests {
    @Test(arguments: [
        (1, 3, 0.0615, 0.7923),
        (0, 10, 0.0, 0.2775),
        (81, 263, 0.2553, 0.3662),
        (10, 10, 0.7225, 1.0),
        (2, 20, 0.0279, 0.3010),
    ] as [(Int64, Int64, Double, Double)])
    func wilsonIntervals(successes: Int64, trials: Int64, low: Double, high: Double) {
        let interval = Proportion.wilson(successes: successes, trials: trials)
        #expect(abs(interval.rate - Double(successes) / Double(trials)) < 1e-12)
        #expect(abs(interval.low - low) < 0.00005, "low \(interval.low)")
        #expect(abs(interval.high - high) < 0.00005, "high \(interval.high)")
    }

    @Test func noClicksSayNothing() {
        let interval = Proportion.wilson(successes: 0, trials: 0)
        #expect(interval.rate == 0 && interval.low == 0 && interval.high == 1)
    }

    @Test func aVariantsDestinationIsFoundInTheCurrentRules() throws {
        let a = try Destination(validating: "https://shop.example.com/a"), b = try Destination(validating: "https://shop.example.com/b")
        let rules = [
            LinkRule(conditions: [], target: .destination(a)),
            LinkRule(conditions: [], target: .split([SplitVariant(destination: a, weight: 40), SplitVariant(destination: b, weight: 60)])),
        ]
        #expect(VariantReport.destination(of: rules, rule: 0, variant: 0) == a)
        #expect(VariantReport.destination(of: rules, rule: 1, variant: 1) == b)
        #expect(VariantReport.destination(of: rules, rule: 1, variant: 2) == nil)
        #expect(VariantReport.destination(of: rules, rule: 2, variant: 0) == nil, "a rule since removed")
    }
}
