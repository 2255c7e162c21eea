import ClickModel
import Foundation
import GRDB
import Store

extension SQLiteStore: ClickStore {
    public func write(_ batch: ClickBatch, nodeID: Int) throws {
        guard !batch.isEmpty else { return }
        let rollups = batch.rollups()
        try write { db in
            try Self.insertClicks(batch, nodeID: nodeID, db: db)
            try Self.addRollups(rollups, nodeID: nodeID, db: db)
        }
    }

    /// Inserts the clicks column by column, 32 rows to a statement (see
    /// `RawStatement.insertRows`): the writer's target is hundreds of
    /// thousands of clicks a second.
    private static func insertClicks(_ batch: ClickBatch, nodeID: Int, db: Database) throws {
        try RawStatement.insertRows(
            batch.clicks.count, columns: 17,
            into: """
                INSERT INTO clicks (id, node_id, worker_id, offer_id, link_id, credited_partner_id, generating_partner_id, ad_id,
                                    outcome, flags, bot_reason, client_hash, sub1, sub2, sub3, sub4, sub5)
                """, db: db
        ) { insert, row, first in
            let click = batch.clicks[row]
            let raw = click.id.rawValue
            var idBytes = (UInt64(truncatingIfNeeded: raw >> 64).bigEndian, UInt64(truncatingIfNeeded: raw).bigEndian)
            withUnsafeBytes(of: &idBytes) { insert.bindBlob(first, $0) }
            insert.bind(first + 1, Int64(nodeID))
            insert.bind(first + 2, Int64(click.workerID))
            insert.bind(first + 3, Int64(click.offerID))
            insert.bind(first + 4, Int64(click.linkID))
            insert.bind(first + 5, Int64(click.creditedPartnerID))
            insert.bind(first + 6, Int64(click.generatingPartnerID))
            insert.bind(first + 7, Int64(click.adID))
            insert.bind(first + 8, Int64(click.outcome.rawValue))
            insert.bind(first + 9, Int64(click.flags.rawValue))
            insert.bind(first + 10, Int64(click.botReason.rawValue))
            insert.bind(first + 11, Int64(bitPattern: click.clientHash))
            if let subIDs = batch.subIDs(of: click) {
                for index in 0..<SubIDs.count { subIDs.withBytes(of: index) { insert.bindText(first + 12 + Int32(index), $0) } }
            } else {
                for index in 0..<SubIDs.count { insert.bindNull(first + 12 + Int32(index)) }
            }
        }
    }

    /// Adds the batch's per-minute sums to the stored rollups.
    private static func addRollups(_ rollups: [ClickRollup], nodeID: Int, db: Database) throws {
        try RawStatement.insertRows(
            rollups.count, columns: 13,
            into: """
                INSERT INTO click_rollups (minute, node_id, offer_id, link_id, generating_partner_id, credited_partner_id, ad_id,
                                           clicks, billable, unique_clicks, bot, unattributed, inactive)
                """,
            then: """
                ON CONFLICT (minute, node_id, offer_id, link_id, generating_partner_id, credited_partner_id, ad_id) DO UPDATE SET
                    clicks = clicks + excluded.clicks,
                    billable = billable + excluded.billable,
                    unique_clicks = unique_clicks + excluded.unique_clicks,
                    bot = bot + excluded.bot,
                    unattributed = unattributed + excluded.unattributed,
                    inactive = inactive + excluded.inactive
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
        }
    }

    public func liveCounterSeed(now: Int64) throws -> LiveCounterSeed {
        try read { db in
            var seed = LiveCounterSeed()
            let sums = "sum(clicks), sum(billable), sum(unique_clicks), sum(bot), sum(unattributed), sum(inactive)"
            func counts(_ row: Row, from column: Int) -> OutcomeCounts {
                OutcomeCounts(
                    clicks: row[column] ?? 0, billable: row[column + 1] ?? 0, unique: row[column + 2] ?? 0,
                    bot: row[column + 3] ?? 0, unattributed: row[column + 4] ?? 0, inactive: row[column + 5] ?? 0)
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
            let rows = try Row.fetchCursor(db, sql: """
                SELECT link_id, credited_partner_id, client_hash FROM clicks WHERE id >= ? AND outcome = ? AND (flags & ?) != 0
                """, arguments: [Data(dayStart.bigEndianBytes), ClickOutcome.billable.rawValue, ClickFlags.unique.rawValue])
            while let row = try rows.next() {
                seed.uniqueFingerprints.append(UniqueFingerprint.of(
                    linkID: UInt32(row[0] as Int64), creditedPartnerID: UInt32(row[1] as Int64),
                    clientHash: UInt64(bitPattern: row[2] as Int64)))
            }
            return seed
        }
    }

    public func deleteClicks(before milliseconds: Int64, limit: Int) throws -> Int {
        let bound = Data(ClickID.lowerBound(milliseconds: UInt64(max(0, milliseconds))).bigEndianBytes)
        return try write { db in
            try db.execute(sql: "DELETE FROM clicks WHERE id IN (SELECT id FROM clicks WHERE id < ? LIMIT ?)", arguments: [bound, limit])
            return db.changesCount
        }
    }

    public func storedClickCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM clicks") ?? 0 }
    }

    public func click(id: ClickID) throws -> StoredClickRow? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT offer_id, link_id, credited_partner_id, generating_partner_id, ad_id, outcome, flags, bot_reason,
                       sub1, sub2, sub3, sub4, sub5
                FROM clicks WHERE id = ?
                """, arguments: [Data(id.bigEndianBytes)]) else { return nil }
            return StoredClickRow(
                id: id, offerID: UInt32(row[0] as Int64), linkID: UInt32(row[1] as Int64),
                creditedPartnerID: UInt32(row[2] as Int64), generatingPartnerID: UInt32(row[3] as Int64),
                adID: UInt32(row[4] as Int64), outcome: ClickOutcome(rawValue: UInt8(row[5] as Int64)) ?? .unattributed,
                flags: ClickFlags(rawValue: UInt8(row[6] as Int64)), botReason: BotReason(rawValue: UInt8(row[7] as Int64)),
                subIDs: (8..<13).map { row[$0] as String? })
        }
    }
}
