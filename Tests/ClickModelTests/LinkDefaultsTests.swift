import ClickModel
import Testing

/// SPEC section 12: an offer's rules, caps and expiry are defaults that its
/// links inherit, each of the three taken whole from the link when it has
/// its own.
@Suite("Offer defaults for links")
struct LinkDefaultsTests {
    static let now = LinkRulesTests.now
    static let url = LinkRulesTests.url

    /// Offer 1 has an iOS rule, a cap and an expiry for its links; `plain`
    /// has none of its own, `own` has all three; offer 2's `other` sees none.
    static func table() -> LinkTable {
        var data = CatalogData()
        let defaults = LinkDefaults(
            rules: [LinkRulesTests.rule([.device([.ios])], "https://apps.apple.com/app/id1")],
            caps: [LinkCap(scope: .link, period: .total, maxClicks: 5)],
            expiresAt: now + 1_000, expiredDestination: url("https://shop.example.com/offer-over"))
        data.offers = [.init(id: 1, linkDefaults: defaults), .init(id: 2)]
        data.links = [
            .init(id: 10, offerID: 1, code: Code("plain")!, destination: url("https://shop.example.com/plain")),
            .init(id: 11, offerID: 1, code: Code("own")!, destination: url("https://shop.example.com/own"),
                  expiresAt: now + 2_000, rules: [LinkRulesTests.rule([.device([.windows])], "https://shop.example.com/pc")],
                  caps: [LinkCap(scope: .partner, period: .day, maxClicks: 9), LinkCap(scope: .link, period: .total, maxClicks: 99)]),
            .init(id: 20, offerID: 2, code: Code("other")!, destination: url("https://shop.example.com/other")),
        ]
        data.partners = [.init(id: 100, code: Code("paula")!)]
        data.memberships = [.init(offerID: 1, partnerID: 100), .init(offerID: 2, partnerID: 100)]
        return LinkTable(data)
    }

    func follow(_ table: LinkTable, _ path: String, agent: String = LinkRulesTests.iPhone, at now: Int64 = now) -> String {
        LinkRulesTests.follow(table, LinkRulesTests.Visit(path: path, agent: agent, now: now)).url
    }

    @Test func aLinkWithoutRulesFollowsItsOffersAndOwnRulesReplaceThem() {
        let table = Self.table()
        #expect(follow(table, "/plain/paula") == "https://apps.apple.com/app/id1")
        #expect(follow(table, "/plain/paula", agent: LinkRulesTests.windows) == "https://shop.example.com/plain")
        // Its own rules only: the offer's iOS rule is not added to them.
        #expect(follow(table, "/own/paula") == "https://shop.example.com/own")
        #expect(follow(table, "/own/paula", agent: LinkRulesTests.windows) == "https://shop.example.com/pc")
        #expect(follow(table, "/other/paula") == "https://shop.example.com/other")
    }

    @Test func aLinkWithoutExpiryExpiresWithItsOffersDefaultAndOwnExpiryWins() throws {
        let table = Self.table()
        #expect(follow(table, "/plain/paula", at: Self.now + 999) == "https://apps.apple.com/app/id1")
        #expect(follow(table, "/plain/paula", at: Self.now + 1_000) == "https://shop.example.com/offer-over")
        #expect(follow(table, "/own/paula", at: Self.now + 1_000) == "https://shop.example.com/own")
        // Its own expiry without an expired URL: the offer's fallback (none here), else its destination.
        #expect(follow(table, "/own/paula", at: Self.now + 2_000) == "https://shop.example.com/own")
        let expired = try #require(withBytes("/own/paula") { target -> LinkTable.Resolution? in
            guard case .tracking(let path) = TrackingTarget.parse(target) else { return nil }
            return table.view.resolve(path, in: target, now: Self.now + 2_000)
        })
        #expect(expired.outcome == .expired)
        #expect(follow(table, "/other/paula", at: Self.now + 5_000) == "https://shop.example.com/other")
    }

    @Test func aLinkIsCountedAgainstItsOffersCapsUnlessItHasItsOwn() {
        let table = Self.table()
        #expect(table.caps(ofLink: 10) == [LinkCap(scope: .link, period: .total, maxClicks: 5)])
        #expect(table.caps(ofLink: 11).map(\.maxClicks) == [9, 99])
        #expect(table.caps(ofLink: 20).isEmpty)
    }
}
