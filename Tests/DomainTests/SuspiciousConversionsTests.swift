import Domain
import Testing

@Suite("Suspicious conversions: the customer")
struct SuspiciousConversionsTests {
    @Test func emailsAreComparedTrimmedAndInLowerCase() {
        #expect(Customer.normalized("  Bob.Norman@Hostmail.COM ") == "bob.norman@hostmail.com")
        for bad in [nil, "", "bob", "@hostmail.com", "bob@", "bob norman@hostmail.com", String(repeating: "a", count: 250) + "@b.co"] as [String?] {
            #expect(Customer.normalized(bad) == nil, "\(bad ?? "nil")")
        }
    }

    @Test func aPartnersOwnEmailIsASelfReferral() {
        let customer = Customer(email: "bob@shop.example", hash: "h")
        #expect(SelfReferral.flag(customer: customer, partnerEmail: "Bob@Shop.example")?.code == "self_referral")
        #expect(SelfReferral.flag(customer: customer, partnerEmail: "alice@shop.example") == nil)
        #expect(SelfReferral.flag(customer: customer, partnerEmail: nil) == nil, "a partner without an email")
        #expect(SelfReferral.flag(customer: nil, partnerEmail: "bob@shop.example") == nil, "an order without a customer")
    }

    @Test func threePartnersForOneCustomerIsSuspectAndTwoIsNot() {
        let rule = SharedCustomer()
        #expect(rule.minimumPartners == 3 && rule.windowDays == 30)
        #expect(rule.flag(partners: 1) == nil && rule.flag(partners: 2) == nil)
        #expect(rule.flag(partners: 3)?.code == "shared_customer" && rule.flag(partners: 7) != nil)
        #expect(SharedCustomer(minimumPartners: 0).flag(partners: 50) == nil, "0 turns it off")
    }
}

@Suite("Suspicious conversions: a partner's conversion rate")
struct ConversionRateOutlierTests {
    typealias Counts = ConversionRateOutlier.Counts
    let rule = ConversionRateOutlier()

    @Test func fiveTimesTheOthersRateIsSuspect() {
        // The others: 20 conversions from 2,000 clicks (1 %).
        let others = Counts(clicks: 2_000, conversions: 20)
        #expect(rule.flag(partner: Counts(clicks: 200, conversions: 10), others: others)?.code == "conversion_rate_outlier", "5 %: five times")
        #expect(rule.flag(partner: Counts(clicks: 0, conversions: 12), others: others) != nil, "conversions without any click")
        #expect(rule.flag(partner: Counts(clicks: 201, conversions: 10), others: others) == nil, "just under five times")
    }

    @Test func fewConversionsOrNoBaselineAreNotJudged() {
        #expect(rule.flag(partner: Counts(clicks: 10, conversions: 9), others: Counts(clicks: 2_000, conversions: 20)) == nil, "9 conversions")
        #expect(rule.flag(partner: Counts(clicks: 10, conversions: 10), others: Counts(clicks: 999, conversions: 20)) == nil, "too few clicks")
        #expect(rule.flag(partner: Counts(clicks: 10, conversions: 10), others: Counts(clicks: 5_000, conversions: 0)) == nil, "no rate to compare")
        #expect(ConversionRateOutlier(factor: 0).flag(partner: Counts(clicks: 1, conversions: 50), others: Counts(clicks: 5_000, conversions: 5)) == nil,
                "0 turns it off")
    }
}
