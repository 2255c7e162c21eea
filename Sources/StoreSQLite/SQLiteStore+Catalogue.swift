import ClickModel
import Domain
import Foundation
import GRDB
import Store
import Synchronization

extension SQLiteStore: CatalogueStore {
    public func catalogueVersion() throws -> Int64 {
        try readBlocking { db in try WorkspaceSQL.catalogueVersion(GRDBConnection(db)) }
    }

    /// Reads the catalogue in three parts side by side (partners, memberships,
    /// the rest), each in a read transaction of its own: with a million
    /// partners, members and ads the parts take about equally long.
    ///
    /// The parts may see different moments when a write lands between them.
    /// The table is then labelled with the oldest version a part saw, so the
    /// publisher, finding a newer version in the store, loads again; and a row
    /// that refers to one another part did not see is left out of the table
    /// until then, never misread.
    public func loadCatalogue() throws -> (data: CatalogData, version: Int64) {
        let parts = Mutex<[Int: Result<(CatalogData, Int64), any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: 3) { part in
            let result = Result {
                try readBlocking { db in
                    let version = try Int64.fetchOne(db, sql: "SELECT catalogue_version FROM workspace WHERE id = 1") ?? 0
                    return (try Self.loadCataloguePart(part, db), version)
                }
            }
            parts.withLock { $0[part] = result }
        }
        var data = CatalogData()
        var version = Int64.max
        let results = parts.withLock { $0 }
        for part in 0..<3 {
            let (piece, partVersion) = try results[part]!.get()
            version = min(version, partVersion)
            // Each part fills its own arrays; taking them whole copies nothing.
            if !piece.offers.isEmpty { data.offers = piece.offers }
            if !piece.links.isEmpty { data.links = piece.links }
            if !piece.partners.isEmpty { data.partners = piece.partners }
            if !piece.memberships.isEmpty { data.memberships = piece.memberships }
            if !piece.ads.isEmpty { data.ads = piece.ads }
        }
        return (data, version)
    }

    private static func loadCataloguePart(_ part: Int, _ db: Database) throws -> CatalogData {
        var data = CatalogData()
        switch part {
        case 0:
            // The million-row tables are read through SQLite's C API, columns in
            // place; statuses are compared in SQL, so no status strings are made.
            data.partners.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM partners") ?? 0)
            try RawStatement("SELECT id, code, parent_id, status = 'active' FROM partners", in: db).forEachRow { row in
                guard let code = Code(folded: row.text(1)) else { return }
                data.partners.append(CatalogData.Partner(
                    id: UInt32(truncatingIfNeeded: row.int64(0)), code: code,
                    parentID: row.optionalInt64(2).map { UInt32(truncatingIfNeeded: $0) },
                    status: row.int64(3) != 0 ? .active : .inactive))
            }
        case 1:
            data.memberships.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM memberships") ?? 0)
            try RawStatement("SELECT offer_id, partner_id, status = 'active', starts_at, ends_at FROM memberships", in: db).forEachRow { row in
                data.memberships.append(CatalogData.Membership(
                    offerID: UInt32(truncatingIfNeeded: row.int64(0)), partnerID: UInt32(truncatingIfNeeded: row.int64(1)),
                    status: row.int64(2) != 0 ? .active : .inactive, startsAt: row.optionalInt64(3), endsAt: row.optionalInt64(4)))
            }
        default:
            for row in try Row.fetchAll(db, sql: """
                SELECT id, status, starts_at, ends_at, fallback_url, click_param, link_rules, link_caps, link_expires_at, link_expired_url
                FROM offers
                """) {
                data.offers.append(CatalogData.Offer(
                    id: UInt32(row[0] as Int64), status: OfferStatus(rawValue: row[1]) ?? .paused,
                    startsAt: row[2], endsAt: row[3],
                    fallback: (row[4] as String?).flatMap { try? Destination(validating: $0) },
                    clickParameter: row[5],
                    linkDefaults: LinkDefaults(rules: StoredList.decode(row[6]), caps: StoredList.decode(row[7]), expiresAt: row[8],
                                               expiredDestination: (row[9] as String?).flatMap { try? Destination(validating: $0) })))
            }
            let links = try Row.fetchCursor(db, sql: "SELECT id, offer_id, code, destination_url, expires_at, expired_url, rules, caps FROM links")
            while let row = try links.next() {
                guard let code = Code(folded: row[2]), let destination = try? Destination(validating: row[3] as String) else { continue }
                data.links.append(CatalogData.Link(
                    id: UInt32(row[0] as Int64), offerID: UInt32(row[1] as Int64), code: code, destination: destination,
                    expiresAt: row[4], expiredDestination: (row[5] as String?).flatMap { try? Destination(validating: $0) },
                    rules: StoredList.decode(row[6]), caps: StoredList.decode(row[7])))
            }
            data.ads.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM ads") ?? 0)
            try RawStatement("SELECT id, partner_id, code FROM ads", in: db).forEachRow { row in
                guard let code = Code(folded: row.text(2)) else { return }
                data.ads.append(CatalogData.Ad(
                    id: UInt32(truncatingIfNeeded: row.int64(0)), partnerID: UInt32(truncatingIfNeeded: row.int64(1)), code: code))
            }
        }
        return data
    }
}
