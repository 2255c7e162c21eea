import ClickModel
import GRDB
import Store

/// The catalogue's reads and writes: the logic shared with PostgreSQL
/// (`CatalogueSQL`), each call one SQLite transaction.
extension SQLiteStore: CatalogueWriter {
    // MARK: offers

    public func createOffer(_ offer: Offer) throws -> Offer {
        try write { db in try CatalogueSQL.createOffer(GRDBConnection(db), offer, now: Self.now()) }
    }

    public func offer(id: UInt32) throws -> Offer? {
        try read { db in try CatalogueSQL.offer(GRDBConnection(db), id: id) }
    }

    public func offers(_ query: OfferQuery) throws -> [Offer] {
        try read { db in try CatalogueSQL.offers(GRDBConnection(db), query) }
    }

    public func updateOffer(id: UInt32, _ change: (inout Offer) throws -> Void) throws -> Offer {
        try write { db in try CatalogueSQL.updateOffer(GRDBConnection(db), id: id, now: Self.now(), change) }
    }

    // MARK: links

    public func createLink(_ link: TrackingLink) throws -> TrackingLink {
        try write { db in try CatalogueSQL.createLink(GRDBConnection(db), link, now: Self.now()) }
    }

    public func links(offerID: UInt32) throws -> [TrackingLink] {
        try read { db in try CatalogueSQL.links(GRDBConnection(db), offerID: offerID) }
    }

    public func link(code: Code) throws -> TrackingLink? {
        try read { db in try CatalogueSQL.link(GRDBConnection(db), code: code) }
    }

    public func links(forMember partnerID: UInt32) throws -> [PartnerLink] {
        try read { db in try CatalogueSQL.links(GRDBConnection(db), forMember: partnerID, now: Self.now()) }
    }

    // MARK: partners

    public func createPartner(_ partner: Partner, tokenHash: [UInt8]?) throws -> Partner {
        try write { db in try CatalogueSQL.createPartner(GRDBConnection(db), partner, tokenHash: tokenHash, now: Self.now()) }
    }

    public func partner(id: UInt32) throws -> Partner? {
        try read { db in try CatalogueSQL.partner(GRDBConnection(db), id: id) }
    }

    public func partner(code: Code) throws -> Partner? {
        try read { db in try CatalogueSQL.partner(GRDBConnection(db), code: code) }
    }

    public func partner(tokenHash: [UInt8]) throws -> Partner? {
        try read { db in try CatalogueSQL.partner(GRDBConnection(db), tokenHash: tokenHash) }
    }

    public func partners(_ query: PartnerQuery) throws -> [Partner] {
        try read { db in try CatalogueSQL.partners(GRDBConnection(db), query) }
    }

    public func updatePartner(id: UInt32, _ change: (inout Partner) throws -> Void) throws -> Partner {
        try write { db in try CatalogueSQL.updatePartner(GRDBConnection(db), id: id, now: Self.now(), change) }
    }

    public func setPartnerTokenHash(partnerID: UInt32, hash: [UInt8]) throws {
        try write { db in try CatalogueSQL.setPartnerTokenHash(GRDBConnection(db), partnerID: partnerID, hash: hash) }
    }

    // MARK: members

    public func addMembers(offerID: UInt32, partnerIDs: [UInt32], terms: MemberTerms, credentials: MemberCredentials) throws -> [MemberAddition] {
        try write { db in try Self.insertMembers(db, offerID: offerID, partnerIDs: partnerIDs, terms: terms, credentials: credentials) }
    }

    public func member(offerID: UInt32, partnerID: UInt32) throws -> Member? {
        try read { db in try Self.fetchMember(db, offerID: offerID, partnerID: partnerID) }
    }

    public func members(_ query: MemberQuery) throws -> [Member] {
        try read { db in try CatalogueSQL.members(GRDBConnection(db), query) }
    }

    public func memberships(partnerID: UInt32) throws -> [Member] {
        try read { db in try CatalogueSQL.memberships(GRDBConnection(db), partnerID: partnerID) }
    }

    public func member(dashboardToken: String) throws -> Member? {
        try read { db in try CatalogueSQL.member(GRDBConnection(db), dashboardToken: dashboardToken) }
    }

    public func updateMember(offerID: UInt32, partnerID: UInt32, _ change: (inout Member) throws -> Void) throws -> Member {
        try write { db in try CatalogueSQL.updateMember(GRDBConnection(db), offerID: offerID, partnerID: partnerID, change) }
    }

    public func refreshPromoCode(offerID: UInt32, partnerID: UInt32, make: (Partner, Int) -> String) throws -> Member {
        try write { db in try CatalogueSQL.refreshPromoCode(GRDBConnection(db), offerID: offerID, partnerID: partnerID, make: make) }
    }

    public func removeMember(offerID: UInt32, partnerID: UInt32) throws {
        try write { db in try CatalogueSQL.removeMember(GRDBConnection(db), offerID: offerID, partnerID: partnerID) }
    }

    public func redeemPromoCode(_ code: String, at now: Int64) throws -> PromoRedemption {
        try write { db in try CatalogueSQL.redeemPromoCode(GRDBConnection(db), code, at: now) }
    }

    // MARK: ads

    public func createAd(_ ad: Ad) throws -> Ad {
        try write { db in try CatalogueSQL.createAd(GRDBConnection(db), ad, now: Self.now()) }
    }

    public func ads(partnerID: UInt32) throws -> [Ad] {
        try read { db in try CatalogueSQL.ads(GRDBConnection(db), partnerID: partnerID) }
    }

    // MARK: Shopify stores

    public func createShopifyStore(_ store: ShopifyStore) throws -> ShopifyStore {
        try write { db in try CatalogueSQL.createShopifyStore(GRDBConnection(db), store, now: Self.now()) }
    }

    public func shopifyStores() throws -> [ShopifyStore] {
        try read { db in try CatalogueSQL.shopifyStores(GRDBConnection(db)) }
    }

    public func shopifyStore(id: UInt32) throws -> ShopifyStore? {
        try read { db in try CatalogueSQL.shopifyStore(GRDBConnection(db), id: id) }
    }

    // MARK: for the conversions and projects written for SQLite only so far

    static func fetchOffer(_ db: Database, id: UInt32) throws -> Offer? { try CatalogueSQL.offer(GRDBConnection(db), id: id) }

    static func fetchPartner(_ db: Database, id: UInt32) throws -> Partner? { try CatalogueSQL.partner(GRDBConnection(db), id: id) }

    static func fetchMember(_ db: Database, offerID: UInt32, partnerID: UInt32) throws -> Member? {
        try CatalogueSQL.member(GRDBConnection(db), offerID: offerID, partnerID: partnerID)
    }

    /// `addMembers` within a transaction of the caller's.
    static func insertMembers(_ db: Database, offerID: UInt32, partnerIDs: [UInt32], terms: MemberTerms,
                              credentials: MemberCredentials) throws -> [MemberAddition] {
        try CatalogueSQL.addMembers(GRDBConnection(db), offerID: offerID, partnerIDs: partnerIDs, terms: terms, credentials: credentials,
                                    now: now())
    }
}
