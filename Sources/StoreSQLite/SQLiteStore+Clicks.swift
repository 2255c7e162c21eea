import ClickModel
import Domain
import Foundation
import GRDB
import Store

extension SQLiteStore: ClickStore {
    public func write(_ batch: ClickBatch, nodeID: Int) throws {
        guard !batch.isEmpty else { return }
        let rollups = batch.rollups()
        try writeBlocking { db in
            try Self.insertPages(batch, nodeID: nodeID, db: db)
            try Self.addRollups(rollups, nodeID: nodeID, db: db)
            try Self.addDailyClicks(rollups, db: db)
            try Self.addLateRollups(rollups, db: db)
            try Self.addVariantRollups(batch.variantRollups(), db: db)
            try Self.addTrafficRollups(batch.trafficRollups(), db: db)
        }
    }

    private static func addTrafficRollups(_ rollups: [TrafficRollup], db: Database) throws {
        let upsert = try RawStatement("""
            INSERT INTO traffic_daily (day, offer_id, country, devices, clicks, billable) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT (day, offer_id, country, devices) DO UPDATE SET clicks = clicks + excluded.clicks,
                billable = billable + excluded.billable
            """, in: db)
        for rollup in rollups {
            upsert.bind(1, rollup.key.day)
            upsert.bind(2, Int64(rollup.key.offerID))
            upsert.bind(3, Int64(rollup.key.country))
            upsert.bind(4, Int64(rollup.key.devices))
            upsert.bind(5, rollup.clicks)
            upsert.bind(6, rollup.billable)
            try upsert.step()
        }
    }

    private static func addVariantRollups(_ rollups: [VariantRollup], db: Database) throws {
        guard !rollups.isEmpty else { return }
        let upsert = try RawStatement("""
            INSERT INTO variant_daily (link_id, rule, variant, day, clicks, billable, unique_clicks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (link_id, rule, variant, day) DO UPDATE SET clicks = clicks + excluded.clicks,
                billable = billable + excluded.billable, unique_clicks = unique_clicks + excluded.unique_clicks
            """, in: db)
        for rollup in rollups {
            upsert.bind(1, Int64(rollup.key.linkID))
            upsert.bind(2, Int64(rollup.key.rule))
            upsert.bind(3, Int64(rollup.key.variant))
            upsert.bind(4, rollup.key.day)
            upsert.bind(5, rollup.clicks)
            upsert.bind(6, rollup.billable)
            upsert.bind(7, rollup.unique)
            try upsert.step()
        }
    }

    /// Adds the batch's billable clicks to the offers' daily rows: a batch
    /// spans a fraction of a second, so this is a row or two per offer.
    private static func addDailyClicks(_ rollups: [ClickRollup], db: Database) throws {
        var offers: [DailyKey: Int64] = [:]
        for rollup in rollups where rollup.counts.billable != 0 {
            offers[DailyKey(offerID: rollup.key.offerID, day: floorDiv(rollup.key.minute, 1440)), default: 0] += rollup.counts.billable
        }
        guard !offers.isEmpty else { return }
        let upsert = try RawStatement("""
            INSERT INTO offer_daily (offer_id, day, billable) VALUES (?1, ?2, ?3)
            ON CONFLICT (day, offer_id) DO UPDATE SET billable = billable + excluded.billable
            """, in: db)
        for (key, billable) in offers {
            upsert.bind(1, Int64(key.offerID))
            upsert.bind(2, key.day)
            upsert.bind(3, billable)
            try upsert.step()
        }
    }

    private struct DailyKey: Hashable {
        var offerID: UInt32
        var day: Int64
    }

    /// Stores the clicks in pages (see `ClickPage`): one row per few hundred clicks.
    private static func insertPages(_ batch: ClickBatch, nodeID: Int, db: Database) throws {
        let insert = try RawStatement("INSERT INTO click_pages (first_id, last_id, node_id, count, data) VALUES (?, ?, ?, ?, ?)", in: db)
        for page in ClickPage.pages(of: batch) {
            page.firstID.withBigEndianBytes { insert.bindBlob(1, $0) }
            page.lastID.withBigEndianBytes { insert.bindBlob(2, $0) }
            insert.bind(3, Int64(nodeID))
            insert.bind(4, Int64(page.count))
            page.bytes.withUnsafeBytes { insert.bindBlob(5, $0) }
            try insert.step()
        }
    }

    /// Adds the batch's per-minute sums to the stored rollups.
    private static func addRollups(_ rollups: [ClickRollup], nodeID: Int, db: Database) throws {
        try RawStatement.insertRows(
            rollups.count, columns: 16,
            into: """
                INSERT INTO click_rollups (minute, node_id, offer_id, link_id, generating_partner_id, credited_partner_id, ad_id,
                                           clicks, billable, unique_clicks, bot, unattributed, inactive, capped, expired, invalid)
                """,
            then: """
                ON CONFLICT (minute, node_id, offer_id, link_id, generating_partner_id, credited_partner_id, ad_id) DO UPDATE SET
                    clicks = clicks + excluded.clicks,
                    billable = billable + excluded.billable,
                    unique_clicks = unique_clicks + excluded.unique_clicks,
                    bot = bot + excluded.bot,
                    unattributed = unattributed + excluded.unattributed,
                    inactive = inactive + excluded.inactive,
                    capped = capped + excluded.capped,
                    expired = expired + excluded.expired,
                    invalid = invalid + excluded.invalid
                """, db: db
        ) { upsert, row, first in
            let key = rollups[row].key, counts = rollups[row].counts
            upsert.bind(first, key.minute)
            upsert.bind(first + 1, Int64(nodeID))
            upsert.bind(first + 2, Int64(key.offerID))
            upsert.bind(first + 3, Int64(key.linkID))
            upsert.bind(first + 4, Int64(key.generatingPartnerID))
            upsert.bind(first + 5, Int64(key.creditedPartnerID))
            upsert.bind(first + 6, Int64(key.adID))
            upsert.bind(first + 7, counts.clicks)
            upsert.bind(first + 8, counts.billable)
            upsert.bind(first + 9, counts.unique)
            upsert.bind(first + 10, counts.bot)
            upsert.bind(first + 11, counts.unattributed)
            upsert.bind(first + 12, counts.inactive)
            upsert.bind(first + 13, counts.capped)
            upsert.bind(first + 14, counts.expired)
            upsert.bind(first + 15, counts.invalid)
        }
    }

    public func liveCounterSeed(now: Int64) throws -> LiveCounterSeed {
        try readBlocking { db in
            var seed = LiveCounterSeed()
            let sums = "sum(clicks), sum(billable), sum(unique_clicks), sum(bot), sum(unattributed), sum(inactive), sum(capped), sum(expired), sum(invalid)"
            func counts(_ row: Row, from column: Int) -> OutcomeCounts {
                OutcomeCounts(
                    clicks: row[column] ?? 0, billable: row[column + 1] ?? 0, unique: row[column + 2] ?? 0,
                    bot: row[column + 3] ?? 0, unattributed: row[column + 4] ?? 0, inactive: row[column + 5] ?? 0,
                    capped: row[column + 6] ?? 0, expired: row[column + 7] ?? 0, invalid: row[column + 8] ?? 0)
            }
            if let row = try Row.fetchOne(db, sql: "SELECT \(sums) FROM click_rollups") {
                seed.totals = counts(row, from: 0)
            }
            for row in try Row.fetchAll(db, sql: "SELECT offer_id, \(sums) FROM click_rollups GROUP BY offer_id") {
                seed.byOffer[UInt32(row[0] as Int64)] = counts(row, from: 1)
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT credited_partner_id, \(sums) FROM click_rollups WHERE credited_partner_id != 0 GROUP BY credited_partner_id
                """) {
                seed.byCreditedPartner[UInt32(row[0] as Int64)] = counts(row, from: 1)
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT link_id, credited_partner_id, ad_id, \(sums) FROM click_rollups GROUP BY link_id, credited_partner_id, ad_id
                """) {
                let key = LinkPartnerAd(linkID: UInt32(row[0] as Int64), partnerID: UInt32(row[1] as Int64), adID: UInt32(row[2] as Int64))
                seed.byLinkPartnerAd[key] = counts(row, from: 3)
            }
            let minute = now / 60_000
            for row in try Row.fetchAll(db, sql: "SELECT minute, \(sums) FROM click_rollups WHERE minute > ? GROUP BY minute",
                                        arguments: [minute - 1440]) {
                seed.byMinute[row[0]] = counts(row, from: 1)
            }
            seed.uniqueDay = now / 86_400_000
            let dayStart = ClickID.lowerBound(milliseconds: UInt64(seed.uniqueDay * 86_400_000))
            // A page spans one batch, so no page holding today's clicks starts more than an hour earlier.
            let earliest = ClickID.lowerBound(milliseconds: UInt64(max(0, seed.uniqueDay * 86_400_000 - 3_600_000)))
            let pages = try Row.fetchCursor(db, sql: "SELECT data FROM click_pages WHERE first_id >= ? ORDER BY first_id",
                                            arguments: [Data(earliest.bigEndianBytes)])
            while let row = try pages.next() {
                let page = ClickPage(bytes: [UInt8](row[0] as Data))
                guard page.isValid else { continue }
                page.forEachEntry { entry in
                    guard entry.id >= dayStart else { return }
                    seed.add(todays: (entry.linkID, entry.creditedPartnerID, entry.clientHash, entry.outcome, entry.flags, entry.network,
                                      entry.quality))
                }
            }
            return seed
        }
    }

    /// Deletes whole pages, oldest first, whose every click is older than
    /// `milliseconds`: at most `limit` clicks, but at least one page when one
    /// is due. A page spans one batch (a quarter of a second by default), so
    /// retention is exact to within a batch.
    public func deleteClicks(before milliseconds: Int64, limit: Int) throws -> Int {
        let bound = Data(ClickID.lowerBound(milliseconds: UInt64(max(0, milliseconds))).bigEndianBytes)
        return try writeBlocking { db in
            var deleted = 0
            let due = try Row.fetchCursor(db, sql: """
                SELECT id, count FROM click_pages WHERE first_id < ? AND last_id < ? ORDER BY first_id
                """, arguments: [bound, bound])
            var ids: [Int64] = []
            while let row = try due.next() {
                let count: Int = row[1]
                if !ids.isEmpty && deleted + count > limit { break }
                ids.append(row[0])
                deleted += count
            }
            for id in ids { try db.execute(sql: "DELETE FROM click_pages WHERE id = ?", arguments: [id]) }
            return deleted
        }
    }

    public func forEachClick(from: Int64, to: Int64, _ body: (ClickRecord) throws -> Void) throws {
        let (low, high) = (ClickID.lowerBound(milliseconds: UInt64(max(0, from))), ClickID.lowerBound(milliseconds: UInt64(max(0, to))))
        var after: Int64 = 0
        while true {
            let pages = try readBlocking { db in
                try Row.fetchAll(db, sql: "SELECT id, data FROM click_pages WHERE id > ? AND last_id >= ? AND first_id < ? ORDER BY id LIMIT 500",
                                 arguments: [after, Data(low.bigEndianBytes), Data(high.bigEndianBytes)])
                    .map { (id: $0[0] as Int64, page: ClickPage(bytes: [UInt8]($0[1] as Data))) }
            }
            for (_, page) in pages where page.isValid {
                try page.forEachRecord { click in if click.id >= low && click.id < high { try body(click) } }
            }
            guard let last = pages.last else { return }
            after = last.id
        }
    }

    public func storedClickCount() throws -> Int {
        try readBlocking { db in try Int.fetchOne(db, sql: "SELECT coalesce(sum(count), 0) FROM click_pages") ?? 0 }
    }
}
