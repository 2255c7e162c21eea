import ClickModel
import NIOPosix
import PostgresNIO
import Store

extension PostgresStore: CatalogueStore {
    public func catalogueVersion() throws -> Int64 {
        try sqlConnection { db in try WorkspaceSQL.catalogueVersion(db) }
    }

    /// Everything the edge reads, and the version, from one snapshot
    /// (a repeatable-read transaction), so the version labels exactly what
    /// was read.
    public func loadCatalogue() throws -> (data: CatalogData, version: Int64) {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection in
            let db = PostgresSQLConnection(connection: connection, logger: logger)
            let version = try WorkspaceSQL.catalogueVersion(db)
            var data = CatalogData()
            data.offers = try db.rows("SELECT id, status, starts_at, ends_at, fallback_url, click_param FROM offers").map { row in
                CatalogData.Offer(
                    id: try row.id(0), status: OfferStatus(rawValue: try row.text(1)) ?? .paused,
                    startsAt: try row.optionalInt64(2), endsAt: try row.optionalInt64(3),
                    fallback: try row.optionalText(4).flatMap { try? Destination(validating: $0) }, clickParameter: try row.text(5))
            }
            data.links = try db.rows("SELECT id, offer_id, code, destination_url FROM links").compactMap { row in
                guard let code = Code(folded: try row.text(2)), let destination = try? Destination(validating: try row.text(3)) else {
                    return nil
                }
                return CatalogData.Link(id: try row.id(0), offerID: try row.id(1), code: code, destination: destination)
            }
            data.partners = try db.rows("SELECT id, code, parent_id, status = 'active' FROM partners").compactMap { row in
                guard let code = Code(folded: try row.text(1)) else { return nil }
                return CatalogData.Partner(id: try row.id(0), code: code, parentID: try row.optionalID(2),
                                           status: try row.int64(3) != 0 ? .active : .inactive)
            }
            data.memberships = try db.rows("SELECT offer_id, partner_id, status = 'active', starts_at, ends_at FROM memberships").map { row in
                CatalogData.Membership(offerID: try row.id(0), partnerID: try row.id(1), status: try row.int64(2) != 0 ? .active : .inactive,
                                       startsAt: try row.optionalInt64(3), endsAt: try row.optionalInt64(4))
            }
            data.ads = try db.rows("SELECT id, partner_id, code FROM ads").compactMap { row in
                guard let code = Code(folded: try row.text(2)) else { return nil }
                return CatalogData.Ad(id: try row.id(0), partnerID: try row.id(1), code: code)
            }
            return (data, version)
        }
    }
}

/// The catalogue's reads and writes: the logic shared with SQLite (`CatalogueSQL`).
extension PostgresStore: CatalogueWriter {
    public func createOffer(_ offer: Offer) throws -> Offer {
        try sqlTransaction { db in try CatalogueSQL.createOffer(db, offer, now: Self.now()) }
    }

    public func offer(id: UInt32) throws -> Offer? {
        try sqlConnection { db in try CatalogueSQL.offer(db, id: id) }
    }

    public func offers(_ query: OfferQuery) throws -> [Offer] {
        try sqlConnection { db in try CatalogueSQL.offers(db, query) }
    }

    public func updateOffer(id: UInt32, _ change: (inout Offer) throws -> Void) throws -> Offer {
        try sqlTransaction { db in try CatalogueSQL.updateOffer(db, id: id, now: Self.now(), change) }
    }

    public func createLink(_ link: TrackingLink) throws -> TrackingLink {
        try sqlTransaction { db in try CatalogueSQL.createLink(db, link, now: Self.now()) }
    }

    public func links(offerID: UInt32) throws -> [TrackingLink] {
        try sqlConnection { db in try CatalogueSQL.links(db, offerID: offerID) }
    }

    public func link(code: Code) throws -> TrackingLink? {
        try sqlConnection { db in try CatalogueSQL.link(db, code: code) }
    }

    public func links(forMember partnerID: UInt32) throws -> [PartnerLink] {
        try sqlConnection { db in try CatalogueSQL.links(db, forMember: partnerID, now: Self.now()) }
    }

    public func createPartner(_ partner: Partner, tokenHash: [UInt8]?) throws -> Partner {
        try sqlTransaction { db in try CatalogueSQL.createPartner(db, partner, tokenHash: tokenHash, now: Self.now()) }
    }

    public func partner(id: UInt32) throws -> Partner? {
        try sqlConnection { db in try CatalogueSQL.partner(db, id: id) }
    }

    public func partner(code: Code) throws -> Partner? {
        try sqlConnection { db in try CatalogueSQL.partner(db, code: code) }
    }

    public func partner(tokenHash: [UInt8]) throws -> Partner? {
        try sqlConnection { db in try CatalogueSQL.partner(db, tokenHash: tokenHash) }
    }

    public func partners(_ query: PartnerQuery) throws -> [Partner] {
        try sqlConnection { db in try CatalogueSQL.partners(db, query) }
    }

    public func updatePartner(id: UInt32, _ change: (inout Partner) throws -> Void) throws -> Partner {
        try sqlTransaction { db in try CatalogueSQL.updatePartner(db, id: id, now: Self.now(), change) }
    }

    public func setPartnerTokenHash(partnerID: UInt32, hash: [UInt8]) throws {
        try sqlTransaction { db in try CatalogueSQL.setPartnerTokenHash(db, partnerID: partnerID, hash: hash) }
    }

    public func addMembers(offerID: UInt32, partnerIDs: [UInt32], terms: MemberTerms, credentials: MemberCredentials) throws -> [MemberAddition] {
        try sqlTransaction { db in
            try CatalogueSQL.addMembers(db, offerID: offerID, partnerIDs: partnerIDs, terms: terms, credentials: credentials, now: Self.now())
        }
    }

    public func member(offerID: UInt32, partnerID: UInt32) throws -> Member? {
        try sqlConnection { db in try CatalogueSQL.member(db, offerID: offerID, partnerID: partnerID) }
    }

    public func members(_ query: MemberQuery) throws -> [Member] {
        try sqlConnection { db in try CatalogueSQL.members(db, query) }
    }

    public func memberships(partnerID: UInt32) throws -> [Member] {
        try sqlConnection { db in try CatalogueSQL.memberships(db, partnerID: partnerID) }
    }

    public func member(dashboardToken: String) throws -> Member? {
        try sqlConnection { db in try CatalogueSQL.member(db, dashboardToken: dashboardToken) }
    }

    public func updateMember(offerID: UInt32, partnerID: UInt32, _ change: (inout Member) throws -> Void) throws -> Member {
        try sqlTransaction { db in try CatalogueSQL.updateMember(db, offerID: offerID, partnerID: partnerID, change) }
    }

    public func refreshPromoCode(offerID: UInt32, partnerID: UInt32, make: (Partner, Int) -> String) throws -> Member {
        try sqlTransaction { db in try CatalogueSQL.refreshPromoCode(db, offerID: offerID, partnerID: partnerID, make: make) }
    }

    public func removeMember(offerID: UInt32, partnerID: UInt32) throws {
        try sqlTransaction { db in try CatalogueSQL.removeMember(db, offerID: offerID, partnerID: partnerID) }
    }

    public func redeemPromoCode(_ code: String, at now: Int64) throws -> PromoRedemption {
        try sqlTransaction { db in try CatalogueSQL.redeemPromoCode(db, code, at: now) }
    }

    public func createAd(_ ad: Ad) throws -> Ad {
        try sqlTransaction { db in try CatalogueSQL.createAd(db, ad, now: Self.now()) }
    }

    public func ads(partnerID: UInt32) throws -> [Ad] {
        try sqlConnection { db in try CatalogueSQL.ads(db, partnerID: partnerID) }
    }

    public func createShopifyStore(_ store: ShopifyStore) throws -> ShopifyStore {
        try sqlTransaction { db in try CatalogueSQL.createShopifyStore(db, store, now: Self.now()) }
    }

    public func shopifyStores() throws -> [ShopifyStore] {
        try sqlConnection { db in try CatalogueSQL.shopifyStores(db) }
    }

    public func shopifyStore(id: UInt32) throws -> ShopifyStore? {
        try sqlConnection { db in try CatalogueSQL.shopifyStore(db, id: id) }
    }
}

extension PostgresStore: CatalogueChangeSource {
    /// LISTEN on `clickline_catalogue`, which the catalogue tables' triggers
    /// notify, on a connection of its own held for as long as this runs.
    public func listenForCatalogueChanges(_ changed: @escaping @Sendable () -> Void) async throws {
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 0, logger: logger)
        do {
            try await connection.listen(on: "clickline_catalogue") { notifications in
                for try await _ in notifications { changed() }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }
}
