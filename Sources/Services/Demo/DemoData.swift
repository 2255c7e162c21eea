import ClickModel
import Domain

/// A small demo brand for `clickline serve --demo` and `clickline demo-data`:
/// a link offer paying a percent with a parent override, a paused offer, a
/// promo-code offer, their links, a parent partner with a child, another
/// partner, the parent's ads and everyone's memberships. Loading it twice
/// changes nothing.
public enum DemoData {
    /// The demo brand's owner: `serve --demo` prints a sign-in link for it.
    public static let ownerEmail = "owner@example.com"

    /// What the demo holds, for printing.
    public struct Summary: Sendable {
        public var trackingPath: String
        public var childTrackingPath: String
        public var partnerCode: String
        public var partnerToken: String
        public var promoCode: String?
        public var createdNow: Bool
    }

    public static let parentCode = Code("abc123")!
    public static let childCode = Code("ben7")!

    /// Loads the demo unless it is there, and issues a new token for the demo
    /// partner (tokens are stored only as hashes, so the old one cannot be shown).
    public static func load(into store: any CatalogueWriter) async throws -> Summary {
        var createdNow = false
        if try await store.link(code: Code("haircare")!) == nil {
            createdNow = true
            try await create(in: store)
        }
        guard let alice = try await store.partner(code: parentCode) else {
            throw StoreError(.notFound, "the demo partner \(parentCode) is missing")
        }
        let token = Secrets.make(.partnerToken)
        try await store.setPartnerTokenHash(partnerID: alice.id, hash: Secrets.hash(token))
        let promoCode = try await store.memberships(partnerID: alice.id).compactMap(\.promoCode).first
        return Summary(
            trackingPath: "/haircare/\(parentCode)/website2",
            childTrackingPath: "/haircare/\(parentCode).\(childCode)",
            partnerCode: parentCode.value, partnerToken: token, promoCode: promoCode, createdNow: createdNow)
    }

    private static func create(in store: any CatalogueWriter) async throws {
        let destination = try Destination(validating: "https://shop.example.com/collections/haircare?utm_source=clickline")
        let haircare = try await store.createOffer(Offer(
            name: "Haircare summer sale", description: "10 % of every order; parents earn 20 % of their referrals' commissions.",
            payout: .percent(Percent(basisPoints: 1_000)!), parentOverride: Percent(basisPoints: 2_000), holdDays: 14,
            destination: destination, fallback: try Destination(validating: "https://shop.example.com/"),
            postbackToken: Secrets.make(.postbackToken)))
        _ = try await store.createLink(TrackingLink(offerID: haircare.id, code: Code("haircare")!, destination: destination))
        _ = try await store.createLink(TrackingLink(
            offerID: haircare.id, code: Code("shampoo")!,
            destination: try Destination(validating: "https://shop.example.com/products/shampoo#reviews")))

        let winter = try await store.createOffer(Offer(
            name: "Winter collection", status: .paused, payout: .flat(minorUnits: 500),
            fallback: try Destination(validating: "https://shop.example.com/sale"), postbackToken: Secrets.make(.postbackToken)))
        _ = try await store.createLink(TrackingLink(
            offerID: winter.id, code: Code("winter")!, destination: try Destination(validating: "https://shop.example.com/collections/winter")))

        let promo = PromoSettings(
            groupName: "Spring influencers", naming: .init(strategy: .nameDiscount),
            discount: .init(type: .percent, value: 20), usageLimitPerCode: 100)
        let spring = try await store.createOffer(Offer(
            name: "Spring codes", type: .promoCode, payout: .flat(minorUnits: 300), promo: promo,
            postbackToken: Secrets.make(.postbackToken)))

        let alice = try await store.createPartner(Partner(name: "Alice Moreau", email: "alice@example.com", code: parentCode), tokenHash: nil)
        let ben = try await store.createPartner(
            Partner(name: "Ben Ortiz", email: "ben@example.com", code: childCode, parentID: alice.id), tokenHash: nil)
        let chloe = try await store.createPartner(Partner(name: "Chloe Stone", email: "chloe@example.com", code: Code("chloe")!), tokenHash: nil)

        let linkMembers = MemberCredentials(dashboardToken: { Secrets.make(.dashboardToken) }, promoCode: nil)
        for offer in [haircare, winter] {
            _ = try await store.addMembers(offerID: offer.id, partnerIDs: [alice.id, ben.id], terms: MemberTerms(), credentials: linkMembers)
        }
        _ = try await store.addMembers(
            offerID: spring.id, partnerIDs: [alice.id, chloe.id], terms: MemberTerms(),
            credentials: MemberCredentials(dashboardToken: { Secrets.make(.dashboardToken) }, promoCode: PromoCodes.maker(for: promo)))

        _ = try await store.createAd(Ad(partnerID: alice.id, code: Code("website2")!, name: "Blog sidebar", mediaType: "banner"))
        _ = try await store.createAd(Ad(partnerID: alice.id, code: Code("insta")!, name: "Instagram bio", mediaType: "social"))
    }
}
