import ClickModel
import Testing

/// SPEC section 12's rules as the edge applies them: each condition type,
/// the first match winning, and splits that keep a visitor on one variant.
@Suite("Link rules at the edge")
struct LinkRulesTests {
    static let now: Int64 = 1_800_000_000_000
    static let iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    static let pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36"
    static let windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

    static func url(_ text: String) -> Destination { try! Destination(validating: text) }

    /// A table with one link, `promo`, credited to `paula` (id 100) or `pete` (101), and these rules.
    static func table(_ rules: [LinkRule], offerStatus: OfferStatus = .active) -> LinkTable {
        var data = CatalogData()
        data.offers = [.init(id: 1, status: offerStatus, fallback: url("https://shop.example.com/fallback"))]
        data.links = [.init(id: 10, offerID: 1, code: Code("promo")!, destination: url("https://shop.example.com/"), rules: rules)]
        data.partners = [.init(id: 100, code: Code("paula")!), .init(id: 101, code: Code("pete")!)]
        data.memberships = [.init(offerID: 1, partnerID: 100), .init(offerID: 1, partnerID: 101)]
        return LinkTable(data)
    }

    struct Visit {
        var path = "/promo/paula"
        var agent = LinkRulesTests.windows
        var language = ""
        var client = IPAddress.parse("198.51.100.20")!
        var country = CountryCode.none
        var now = LinkRulesTests.now
    }

    /// Where the visit goes, and the rule and variant that sent it there.
    static func follow(_ table: LinkTable, _ visit: Visit) -> (url: String, rule: UInt8, variant: UInt8) {
        withBytes(visit.path) { target in
            guard case .tracking(let path) = TrackingTarget.parse(target),
                  var resolution = table.view.resolve(path, in: target, now: visit.now) else { return ("404", 0, 0) }
            withBytes(visit.agent) { agent in
                withBytes(visit.language) { language in
                    let query = path.query.map { $0.bytes(in: target) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
                    table.view.applyRules(&resolution, .init(userAgent: agent, acceptLanguage: language, query: query,
                                                             client: visit.client, country: visit.country, now: visit.now, splitKey: 42))
                }
            }
            let parts = table.view.location(of: resolution)
            return (String(decoding: parts.destination, as: UTF8.self), resolution.rule, resolution.variant)
        }
    }

    static func rule(_ conditions: [RuleCondition], _ destination: String) -> LinkRule {
        LinkRule(conditions: conditions, target: .destination(url(destination)))
    }

    @Test func theFirstRuleThatMatchesWinsElseTheLinksDestination() {
        let table = Self.table([
            Self.rule([.device([.ios])], "https://apps.apple.com/app/id1"),
            Self.rule([.device([.android])], "https://play.google.com/store/apps/details?id=x"),
            Self.rule([.device([.mobile])], "https://m.shop.example.com/"),
            Self.rule([], "https://shop.example.com/everyone-else"),
        ])
        #expect(Self.follow(table, Visit(agent: Self.iPhone)) == ("https://apps.apple.com/app/id1", 1, 0))
        #expect(Self.follow(table, Visit(agent: Self.pixel)).rule == 2)
        #expect(Self.follow(table, Visit(agent: Self.windows)) == ("https://shop.example.com/everyone-else", 4, 0))
        let none = Self.table([Self.rule([.device([.ios])], "https://apps.apple.com/app/id1")])
        #expect(Self.follow(none, Visit(agent: Self.windows)) == ("https://shop.example.com/", 0, 0))
    }

    @Test func allConditionsOfARuleMustHold() {
        let table = Self.table([Self.rule([.device([.ios]), .language(["fr"])], "https://apps.apple.com/fr/app/id1")])
        #expect(Self.follow(table, Visit(agent: Self.iPhone, language: "fr-CA, en;q=0.5")).rule == 1)
        #expect(Self.follow(table, Visit(agent: Self.iPhone, language: "en, fr;q=0.5")).rule == 0)
        #expect(Self.follow(table, Visit(agent: Self.windows, language: "fr")).rule == 0)
    }

    @Test func browsersIncludingInAppOnes() {
        let table = Self.table([Self.rule([.browser([.instagram, .tiktok])], "https://shop.example.com/creators")])
        let instagram = String(Self.iPhone.dropLast("Safari/604.1".count)) + "Instagram 337.0.3.23.54"
        #expect(Self.follow(table, Visit(agent: instagram)).rule == 1)
        #expect(Self.follow(table, Visit(agent: Self.iPhone)).rule == 0)
    }

    @Test func countriesMatchOnlyWithACountry() {
        let table = Self.table([Self.rule([.country([CountryCode("CA")!, CountryCode("us")!])], "https://shop.example.ca/")])
        #expect(Self.follow(table, Visit(country: CountryCode("CA")!)).rule == 1)
        #expect(Self.follow(table, Visit(country: CountryCode("US")!)).rule == 1)
        #expect(Self.follow(table, Visit(country: CountryCode("FR")!)).rule == 0)
        #expect(Self.follow(table, Visit(country: .none)).rule == 0, "without a country database no country condition holds")
    }

    @Test func queryParametersPresentOrEqual() {
        let table = Self.table([
            Self.rule([.query(parameter: "utm_medium", equals: "email")], "https://shop.example.com/newsletter"),
            Self.rule([.query(parameter: "gift", equals: nil)], "https://shop.example.com/gifts"),
        ])
        #expect(Self.follow(table, Visit(path: "/promo/paula?utm_medium=email")).rule == 1)
        #expect(Self.follow(table, Visit(path: "/promo/paula?a=1&utm%5Fmedium=e%6Dail")).rule == 1, "compared percent-decoded")
        #expect(Self.follow(table, Visit(path: "/promo/paula?utm_medium=emails")).rule == 0)
        #expect(Self.follow(table, Visit(path: "/promo/paula?gift")).rule == 2)
        #expect(Self.follow(table, Visit(path: "/promo/paula?gift=&x=1")).rule == 2)
        #expect(Self.follow(table, Visit(path: "/promo/paula?gifts=1")).rule == 0)
        #expect(Self.follow(table, Visit(path: "/promo/paula")).rule == 0)
    }

    @Test func addressesAndRangesInBothFamilies() {
        let table = Self.table([Self.rule([.ip([IPRange("203.0.113.0/24")!, IPRange("2001:db8::/32")!, IPRange("192.0.2.7")!])],
                                          "https://shop.example.com/office")])
        for address in ["203.0.113.200", "2001:db8:1::5", "192.0.2.7"] {
            #expect(Self.follow(table, Visit(client: IPAddress.parse(address)!)).rule == 1, "\(address)")
        }
        for address in ["203.0.114.1", "2001:db9::1", "192.0.2.8"] {
            #expect(Self.follow(table, Visit(client: IPAddress.parse(address)!)).rule == 0, "\(address)")
        }
    }

    @Test func beforeAndAfterSplitTimeAtTheInstant() {
        let launch = Self.now + 1000
        let table = Self.table([
            Self.rule([.before(launch)], "https://shop.example.com/teaser"),
            Self.rule([.after(launch)], "https://shop.example.com/launch"),
        ])
        #expect(Self.follow(table, Visit(now: launch - 1)).rule == 1)
        #expect(Self.follow(table, Visit(now: launch)).rule == 2)
    }

    @Test func partnersByTheCreditedPartner() {
        let table = Self.table([Self.rule([.partner([Code("pete")!, Code("nobody")!])], "https://shop.example.com/pete")])
        #expect(Self.follow(table, Visit(path: "/promo/pete")).rule == 1)
        #expect(Self.follow(table, Visit(path: "/promo/paula")).rule == 0)
        #expect(Self.follow(table, Visit(path: "/promo/stranger")).rule == 0, "an unattributed click has no credited partner")
    }

    @Test func rulesLeaveInactiveOffersOnTheirFallback() {
        let table = Self.table([Self.rule([], "https://shop.example.com/always")], offerStatus: .paused)
        #expect(Self.follow(table, Visit()) == ("https://shop.example.com/fallback", 0, 0))
    }

    @Test func thirtyTwoRulesAreWalkedInOrder() {
        let rules = (0..<32).map { Self.rule([.query(parameter: "r\($0)", equals: nil)], "https://shop.example.com/\($0)") }
        let table = Self.table(rules)
        #expect(Self.follow(table, Visit(path: "/promo/paula?r31=1&r7=1")) == ("https://shop.example.com/7", 8, 0))
        #expect(Self.follow(table, Visit(path: "/promo/paula?r31")).rule == 32)
    }

    @Test func aSplitKeepsEachVisitorOnOneVariantAndFollowsItsWeights() {
        let weights = [50, 30, 20]
        let split = LinkRule(conditions: [], target: .split(weights.enumerated().map {
            SplitVariant(destination: Self.url("https://shop.example.com/v\($0.offset)"), weight: $0.element)
        }))
        let table = Self.table([split])
        var counts = [0, 0, 0]
        var generator = SystemRandomNumberGenerator()
        let visitors = 100_000
        for i in 0..<visitors {
            let address = IPAddress.parse("10.\(i >> 8 & 0xFF).\(i & 0xFF).1")!
            let agent = "Mozilla/5.0 (visitor \(UInt64.random(in: 0...UInt64.max, using: &generator)))"
            let first = Self.follow(table, Visit(agent: agent, client: address))
            counts[Int(first.variant)] += 1
            if i % 1000 == 0 {
                // The same visitor again, from another address of its /24: the same variant and URL.
                let again = Self.follow(table, Visit(agent: agent, client: IPAddress.parse("10.\(i >> 8 & 0xFF).\(i & 0xFF).77")!))
                #expect(again == first)
                #expect(first.url == "https://shop.example.com/v\(first.variant)")
            }
        }
        // Each share within 1 percentage point of its weight (about 4.5 standard deviations at 100,000).
        for (variant, weight) in weights.enumerated() {
            let share = Double(counts[variant]) / Double(visitors) * 100
            #expect(abs(share - Double(weight)) < 1.0, "variant \(variant): \(share) % for a weight of \(weight)")
        }
    }
}
