import ClickModel
import Foundation
import GRDB
import Store

extension SQLiteStore: CatalogueStore {
    public func catalogueVersion() throws -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT catalogue_version FROM workspace WHERE id = 1") ?? 0 }
    }

    public func loadCatalogue() throws -> (data: CatalogData, version: Int64) {
        // One read transaction: the version and the rows are of the same moment.
        try read { db in
            let version = try Int64.fetchOne(db, sql: "SELECT catalogue_version FROM workspace WHERE id = 1") ?? 0
            var data = CatalogData()
            for row in try Row.fetchAll(db, sql: "SELECT id, status, starts_at, ends_at, fallback_url, click_param FROM offers") {
                data.offers.append(CatalogData.Offer(
                    id: UInt32(row[0] as Int64), status: OfferStatus(rawValue: row[1]) ?? .paused,
                    startsAt: row[2], endsAt: row[3],
                    fallback: (row[4] as String?).flatMap { try? Destination(validating: $0) },
                    clickParameter: row[5]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, offer_id, code, destination_url FROM links") {
                guard let code = Code(row[2]), let destination = try? Destination(validating: row[3] as String) else { continue }
                data.links.append(CatalogData.Link(id: UInt32(row[0] as Int64), offerID: UInt32(row[1] as Int64), code: code, destination: destination))
            }
            let partners = try Row.fetchCursor(db, sql: "SELECT id, code, parent_id, status FROM partners")
            while let row = try partners.next() {
                guard let code = Code(row[1]) else { continue }
                data.partners.append(CatalogData.Partner(
                    id: UInt32(row[0] as Int64), code: code, parentID: (row[2] as Int64?).map { UInt32($0) },
                    status: ActivityStatus(rawValue: row[3]) ?? .inactive))
            }
            let memberships = try Row.fetchCursor(db, sql: "SELECT offer_id, partner_id, status, starts_at, ends_at FROM memberships")
            while let row = try memberships.next() {
                data.memberships.append(CatalogData.Membership(
                    offerID: UInt32(row[0] as Int64), partnerID: UInt32(row[1] as Int64),
                    status: ActivityStatus(rawValue: row[2]) ?? .inactive, startsAt: row[3], endsAt: row[4]))
            }
            let ads = try Row.fetchCursor(db, sql: "SELECT id, partner_id, code FROM ads")
            while let row = try ads.next() {
                guard let code = Code(row[2]) else { continue }
                data.ads.append(CatalogData.Ad(id: UInt32(row[0] as Int64), partnerID: UInt32(row[1] as Int64), code: code))
            }
            return (data, version)
        }
    }
}

extension SQLiteStore: KeyStore {
    public func insertKey(role: KeyRole, hash: [UInt8]) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO api_keys (role, key_hash, created_at) VALUES (?, ?, ?)",
                           arguments: [role.rawValue, Data(hash), Self.now()])
        }
    }

    public func role(forKeyHash hash: [UInt8]) throws -> KeyRole? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT role FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", arguments: [Data(hash)])
                .flatMap(KeyRole.init(rawValue:))
        }
    }
}

extension SQLiteStore: WorkspaceStore {
    public func clientHashSalt() throws -> UInt64 {
        try read { db in
            UInt64(bitPattern: try Int64.fetchOne(db, sql: "SELECT client_hash_salt FROM workspace WHERE id = 1") ?? 0)
        }
    }
}
