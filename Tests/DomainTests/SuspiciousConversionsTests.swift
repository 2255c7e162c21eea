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
