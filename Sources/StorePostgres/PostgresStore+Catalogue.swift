import ClickModel
import Domain
import NIOPosix
import PostgresNIO
import Store

extension PostgresStore: CatalogueStore {
    public func catalogueVersion() throws -> Int64 {
        try withConnection { connection in try WorkspaceSQL.catalogueVersion(PostgresSQLConnection(connection: connection, logger: logger)) }
    }

    /// Everything the edge reads, and the version, from one snapshot
    /// (a repeatable-read transaction), so the version labels exactly what
    /// was read.
    public func loadCatalogue() throws -> (data: CatalogData, version: Int64) {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection in
            let db = PostgresSQLConnection(connection: connection, logger: logger)
            let version = try WorkspaceSQL.catalogueVersion(db)
            var data = CatalogData()
            data.offers = try db.rows("""
                SELECT id, status, starts_at, ends_at, fallback_url, click_param, link_rules, link_caps, link_expires_at, link_expired_url
                FROM offers
                """).map { row in
                CatalogData.Offer(
                    id: try row.id(0), status: OfferStatus(rawValue: try row.text(1)) ?? .paused,
                    startsAt: try row.optionalInt64(2), endsAt: try row.optionalInt64(3),
                    fallback: try row.optionalText(4).flatMap { try? Destination(validating: $0) }, clickParameter: try row.text(5),
                    linkDefaults: LinkDefaults(
                        rules: StoredList.decode(try row.optionalText(6)), caps: StoredList.decode(try row.optionalText(7)),
                        expiresAt: try row.optionalInt64(8),
                        expiredDestination: try row.optionalText(9).flatMap { try? Destination(validating: $0) }))
            }
            data.links = try db.rows("SELECT id, offer_id, code, destination_url, expires_at, expired_url, rules, caps FROM links").compactMap { row in
                guard let code = Code(folded: try row.text(2)), let destination = try? Destination(validating: try row.text(3)) else {
                    return nil
                }
                return CatalogData.Link(id: try row.id(0), offerID: try row.id(1), code: code, destination: destination,
                                        expiresAt: try row.optionalInt64(4),
                                        expiredDestination: try row.optionalText(5).flatMap { try? Destination(validating: $0) },
                                        rules: StoredList.decode(try row.optionalText(6)),
                                        caps: StoredList.decode(try row.optionalText(7)))
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
