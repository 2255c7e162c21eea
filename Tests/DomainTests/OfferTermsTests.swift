import ClickModel
import Domain
import Testing

@Suite("Offer terms")
struct OfferTermsTests {
    @Test(arguments: [("12", 1200), ("12.5", 1250), ("12.50", 1250), ("0.01", 1), ("100", 10_000), ("0", 0)] as [(String, Int64)])
    func percentsParseExactly(text: String, basisPoints: Int64) {
        #expect(Percent(text)?.basisPoints == basisPoints)
    }

    @Test(arguments: ["", ".5", "5.", "12.345", "-1", "100.01", "1e2", "12,5", " 12", "abc"])
    func malformedPercentsAreRefused(text: String) {
        #expect(Percent(text) == nil)
    }

    @Test func percentsPrintWithoutTrailingZeros() {
        #expect(Percent(basisPoints: 1250)?.description == "12.5")
        #expect(Percent(basisPoints: 1205)?.description == "12.05")
        #expect(Percent(basisPoints: 1200)?.description == "12")
        #expect(Percent(basisPoints: 10_001) == nil)
        #expect(Decimal2.format(-5) == "-0.05")
    }

    @Test func promoSettingsNameTheirProblem() {
        #expect(PromoSettings(naming: .init(strategy: .custom)).problem()?.field == "naming.prefix")
        #expect(PromoSettings(naming: .init(strategy: .custom, prefix: "no spaces")).problem()?.field == "naming.prefix")
        #expect(PromoSettings(naming: .init(strategy: .random, length: 3)).problem()?.field == "naming.length")
        #expect(PromoSettings(discount: .init(type: .percent, value: 0)).problem()?.field == "discount.value")
        #expect(PromoSettings(discount: .init(type: .amount, value: -100)).problem()?.field == "discount.value")
        #expect(PromoSettings(usageLimitPerCode: 0).problem()?.field == "usage_limit_per_code")
        #expect(PromoSettings(naming: .init(strategy: .custom, prefix: "SPRING"), discount: .init(type: .percent, value: 20),
                              usageLimitPerCode: 5).problem() == nil)
    }
}
