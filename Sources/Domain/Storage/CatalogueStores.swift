import ClickModel

// The catalogue's storage, one protocol per kind of record, so that each
// use case takes only what it reads and writes: offers, links, partners,
// members, ads and Shopify stores. Every write of something the edge reads
// (offers, links, partners, members, ads) changes `catalogueVersion`, so the
// edge follows it.
//
// Contract every implementation meets (`CatalogueContract` tests it):
// - Each method is one transaction: it does all it says or nothing.
// - A code or promo code that is taken throws `StoreError(.conflict)`; a
//   missing row that a write names throws `StoreError(.notFound)`.
// - `update…` methods read the row, run `change` on it and write it back in
//   one transaction; an error thrown by `change` rolls everything back and
//   is rethrown as it is.

/// The whole catalogue: what the demo data and the contract tests write.
public typealias CatalogueWriter = OfferStore & LinkStore & PartnerStore & MemberStore & AdStore & ShopStore

public protocol OfferStore: Sendable {
    func createOffer(_ offer: Offer) async throws -> Offer
    func offer(id: UInt32) async throws -> Offer?
    func offers(_ query: OfferQuery) async throws -> [Offer]
    func updateOffer(id: UInt32, _ change: @escaping @Sendable (inout Offer) throws -> Void) async throws -> Offer

}

public protocol LinkStore: Sendable {
    func createLink(_ link: TrackingLink) async throws -> TrackingLink
    func links(offerID: UInt32) async throws -> [TrackingLink]
    func link(code: Code) async throws -> TrackingLink?
    func link(id: UInt32) async throws -> TrackingLink?
    /// Applies `change` to the stored link in one transaction; its id, offer, code and creation time stay.
    func updateLink(id: UInt32, _ change: @escaping @Sendable (inout TrackingLink) throws -> Void) async throws -> TrackingLink
    /// Links of offers the partner is an active member of, by link id.
    func links(forMember partnerID: UInt32) async throws -> [PartnerLink]

}

public protocol PartnerStore: Sendable {
    /// Stores a partner; `tokenHash` is the SHA-256 of its API token.
    func createPartner(_ partner: Partner, tokenHash: [UInt8]?) async throws -> Partner
    func partner(id: UInt32) async throws -> Partner?
    func partner(code: Code) async throws -> Partner?
    func partner(tokenHash: [UInt8]) async throws -> Partner?
    func partners(_ query: PartnerQuery) async throws -> [Partner]
    func updatePartner(id: UInt32, _ change: @escaping @Sendable (inout Partner) throws -> Void) async throws -> Partner
    func setPartnerTokenHash(partnerID: UInt32, hash: [UInt8]) async throws

}

public protocol MemberStore: Sendable {
    /// Makes each partner a member of the offer, unless it is one already
    /// (then it keeps its code and token and comes back with `created` false).
    /// Unknown partners throw `StoreError(.notFound)` and add nobody.
    func addMembers(offerID: UInt32, partnerIDs: [UInt32], terms: MemberTerms, credentials: MemberCredentials) async throws -> [MemberAddition]
    func member(offerID: UInt32, partnerID: UInt32) async throws -> Member?
    func members(_ query: MemberQuery) async throws -> [Member]
    /// Every membership of one partner.
    func memberships(partnerID: UInt32) async throws -> [Member]
    func updateMember(offerID: UInt32, partnerID: UInt32, _ change: @escaping @Sendable (inout Member) throws -> Void) async throws -> Member
    /// Gives the member a new promo code made by `make` (retried with the next
    /// attempt while the code is taken); its redemptions start again at 0.
    func refreshPromoCode(offerID: UInt32, partnerID: UInt32, make: @escaping @Sendable (_ partner: Partner, _ attempt: Int) -> String) async throws -> Member
    func removeMember(offerID: UInt32, partnerID: UInt32) async throws
    func member(dashboardToken: String) async throws -> Member?
    /// Redeems a promo code (any case) on one order: the code must belong to a
    /// live member of a live offer and be under the offer's usage limit; then
    /// its use is counted, in the same transaction as the checks.
    func redeemPromoCode(_ code: String, at now: Int64) async throws -> PromoRedemption

}

public protocol AdStore: Sendable {
    func createAd(_ ad: Ad) async throws -> Ad
    func ads(partnerID: UInt32) async throws -> [Ad]

}

/// Shopify stores whose order webhooks credit conversions.
public protocol ShopStore: Sendable {
    func createShopifyStore(_ store: ShopifyStore) async throws -> ShopifyStore
    func shopifyStores() async throws -> [ShopifyStore]
    func shopifyStore(id: UInt32) async throws -> ShopifyStore?
}

/// A page of offers: filters, and the id after which the page starts.
public struct OfferQuery: Sendable {
    public var status: EffectiveOfferStatus?
    public var type: OfferType?
    /// Part of the name, ignoring case.
    public var text: String?
    public var afterID: UInt32
    public var limit: Int
    /// Milliseconds since the Unix epoch; decides which offers are expired.
    public var now: Int64

    public init(status: EffectiveOfferStatus? = nil, type: OfferType? = nil, text: String? = nil, afterID: UInt32 = 0,
                limit: Int = 100, now: Int64) {
        self.status = status
        self.type = type
        self.text = text
        self.afterID = afterID
        self.limit = limit
        self.now = now
    }
}

public struct PartnerQuery: Sendable {
    /// Part of the name, email or code, ignoring case.
    public var text: String?
    public var parentID: UInt32?
    public var afterID: UInt32
    public var limit: Int

    public init(text: String? = nil, parentID: UInt32? = nil, afterID: UInt32 = 0, limit: Int = 100) {
        self.text = text
        self.parentID = parentID
        self.afterID = afterID
        self.limit = limit
    }
}

public struct MemberQuery: Sendable {
    public var offerID: UInt32
    /// Part of the partner's name, or of the promo code, ignoring case.
    public var text: String?
    public var afterPartnerID: UInt32
    public var limit: Int

    public init(offerID: UInt32, text: String? = nil, afterPartnerID: UInt32 = 0, limit: Int = 100) {
        self.offerID = offerID
        self.text = text
        self.afterPartnerID = afterPartnerID
        self.limit = limit
    }
}

extension MemberStore {
    /// Makes a partner a member with a dashboard token and no promo code:
    /// enough for link offers, fixtures and demo data.
    public func addMember(offerID: UInt32, partnerID: UInt32, status: ActivityStatus = .active,
                          dashboardToken: @escaping @Sendable () -> String) async throws {
        _ = try await addMembers(offerID: offerID, partnerIDs: [partnerID], terms: MemberTerms(),
                           credentials: MemberCredentials(dashboardToken: dashboardToken, promoCode: nil))
        if status != .active {
            _ = try await updateMember(offerID: offerID, partnerID: partnerID) { $0.status = status }
        }
    }
}
