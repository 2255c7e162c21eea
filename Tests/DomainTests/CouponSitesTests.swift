import Domain
import Testing

@Suite("Coupon sites")
struct CouponSitesTests {
    @Test(arguments: [
        ("https://www.retailmenot.com/view/example-store.com", "retailmenot.com"),
        ("http://RetailMeNot.com", "retailmenot.com"),
        ("retailmenot.com", "retailmenot.com"),
        ("https://uk.deals.slickdeals.net:8443/f/1?x=1", "slickdeals.net"),
        ("//www.honey.joinhoney.com/", "joinhoney.com"),
        ("https://user@coupons.com/", "coupons.com"),
    ])
    func referrersOfListedSitesAndTheirSubdomainsMatch(_ referrer: String, _ site: String) {
        #expect(CouponSites.builtIn.site(of: referrer) == site)
    }

    @Test(arguments: ["http://www.otherexample.com", "https://notretailmenot.com/", "https://retailmenot.com.evil.example/",
                      "https://example.com/?ref=retailmenot.com", "", "https://", "mailto:someone@coupons.com.example"])
    func otherReferrersDoNot(_ referrer: String) {
        #expect(CouponSites.builtIn.site(of: referrer) == nil)
    }

    @Test func noReferrerIsNoSite() {
        #expect(CouponSites.builtIn.site(of: nil) == nil)
    }

    @Test func aFileListsOneDomainALineWithComments() throws {
        let sites = try CouponSites(parsing: "# our own list\n\ncouponbird.example\r\n  Deals.Example.co.uk  \n")
        #expect(sites.domains == ["couponbird.example", "deals.example.co.uk"])
        #expect(sites.site(of: "https://www.deals.example.co.uk/x") == "deals.example.co.uk")
        #expect(sites.site(of: "https://retailmenot.com/") == nil, "a file replaces the built-in list")
    }

    @Test(arguments: [("ok.example\nhttps://bad.example/\n", 2), ("a b.example", 1), ("\n\nlocalhost", 3), ("ok.example\n-bad-.example", 2),
                      ("ok.example\nexample..com", 2)])
    func aBadLineIsRefusedByItsNumber(_ text: String, _ line: Int) {
        #expect {
            _ = try CouponSites(parsing: text)
        } throws: { error in
            (error as? DomainError)?.message.hasPrefix("line \(line): ") == true
        }
    }
}
