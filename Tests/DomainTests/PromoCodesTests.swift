import ClickModel
import Domain
import Testing

@Suite("Promo codes")
struct PromoCodesTests {
    let jane = Partner(id: 1, name: "Jane Doe", code: Code("jane")!)

    @Test func nameDiscountIsTheFirstNameAndTheDiscount() {
        let promo = PromoSettings(naming: .init(strategy: .nameDiscount), discount: .init(type: .percent, value: 20))
        #expect(PromoCodes.make(promo, for: jane, attempt: 0) == "JANE20")
        #expect(PromoCodes.make(promo, for: jane, attempt: 1) == "JANE20-2")
        #expect(PromoCodes.make(promo, for: jane, attempt: 9) == "JANE20-10")
        let late = PromoCodes.make(promo, for: jane, attempt: 10)
        #expect(late.hasPrefix("JANE20-") && late.count == 11, "random suffixes once numbers run out")
        let amount = PromoSettings(naming: .init(strategy: .nameDiscount), discount: .init(type: .amount, value: 1500))
        #expect(PromoCodes.make(amount, for: jane, attempt: 0) == "JANE15")
    }

    @Test(arguments: [("Zoë Brunner", "ZOE"), ("Ågot", "AGOT"), ("Mary-Jane", "MARY"), ("李雷", "LI")])
    func namesAreFoldedToTheCodeAlphabet(name: String, expected: String) {
        // Names without a Latin letter fall back to the partner's code.
        let partner = Partner(id: 2, name: name, code: Code("li")!)
        let code = PromoCodes.make(PromoSettings(), for: partner, attempt: 0)
        #expect(code == expected)
        #expect(Code(code) != nil)
    }

    @Test func randomAndCustomCodesHaveTheirLengthAndAvoidLookalikes() {
        let random = PromoSettings(naming: .init(strategy: .random, length: 12))
        let custom = PromoSettings(naming: .init(strategy: .custom, prefix: "spring", length: 6))
        var seen = Set<String>()
        for attempt in 0..<200 {
            let code = PromoCodes.make(random, for: jane, attempt: attempt)
            #expect(code.count == 12)
            #expect(!code.contains { "01OI".contains($0) })
            seen.insert(code)
            let prefixed = PromoCodes.make(custom, for: jane, attempt: attempt)
            #expect(prefixed.hasPrefix("SPRING-") && prefixed.count == 13)
        }
        #expect(seen.count == 200)
    }
}
