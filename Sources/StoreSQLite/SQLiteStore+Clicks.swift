import ClickModel
import Foundation
import GRDB
import GRDBSQLite
import Store

extension SQLiteStore: ClickStore {
    public func write(_ batch: ClickBatch, nodeID: Int) throws {
        guard !batch.isEmpty else { return }
        let rollups = batch.rollups()
        try write { db in
            try Self.insertClicks(batch, nodeID: nodeID, db: db)
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO click_rollups (minute, node_id, offer_id, link_id, generating_partner_id, credited_partner_id, ad_id,
                                           clicks, billable, unique_clicks, bot, unattributed, inactive)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (minute, node_id, offer_id, link_id, generating_partner_id, credited_partner_id, ad_id) DO UPDATE SET
                    clicks = clicks + excluded.clicks,
                    billable = billable + excluded.billable,
                    unique_clicks = unique_clicks + excluded.unique_clicks,
                    bot = bot + excluded.bot,
                    unattributed = unattributed + excluded.unattributed,
                    inactive = inactive + excluded.inactive
                """)
            for rollup in rollups {
                let k = rollup.key, c = rollup.counts
                try upsert.execute(arguments: [
                    k.minute, nodeID, Int64(k.offerID), Int64(k.linkID), Int64(k.generatingPartnerID),
                    Int64(k.creditedPartnerID), Int64(k.adID),
                    c.clicks, c.billable, c.unique, c.bot, c.unattributed, c.inactive,
                ])
            }
        }
    }

    /// Inserts the clicks through SQLite's C API: a prepared statement bound
    /// column by column, without building GRDB arguments for every row (the
    /// writer's target is hundreds of thousands of clicks a second).
    private static func insertClicks(_ batch: ClickBatch, nodeID: Int, db: Database) throws {
        var statement: OpaquePointer?
        let sql = """
            INSERT INTO clicks (id, node_id, worker_id, offer_id, link_id, credited_partner_id, generating_partner_id, ad_id,
                                outcome, flags, bot_reason, client_hash, sub1, sub2, sub3, sub4, sub5)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        guard sqlite3_prepare_v3(db.sqliteConnection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
              let statement else {
            throw DatabaseError(resultCode: db.lastErrorCode, message: db.lastErrorMessage)
        }
        defer { sqlite3_finalize(statement) }
        // SQLITE_TRANSIENT: SQLite copies bound bytes before the call returns.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        var idBytes = (UInt64(0), UInt64(0))
        for click in batch.clicks {
            let raw = click.id.rawValue
            idBytes = (UInt64(truncatingIfNeeded: raw >> 64).bigEndian, UInt64(truncatingIfNeeded: raw).bigEndian)
            withUnsafeBytes(of: &idBytes) { _ = sqlite3_bind_blob(statement, 1, $0.baseAddress, 16, transient) }
            sqlite3_bind_int64(statement, 2, Int64(nodeID))
            sqlite3_bind_int64(statement, 3, Int64(click.workerID))
            sqlite3_bind_int64(statement, 4, Int64(click.offerID))
            sqlite3_bind_int64(statement, 5, Int64(click.linkID))
            sqlite3_bind_int64(statement, 6, Int64(click.creditedPartnerID))
            sqlite3_bind_int64(statement, 7, Int64(click.generatingPartnerID))
            sqlite3_bind_int64(statement, 8, Int64(click.adID))
            sqlite3_bind_int64(statement, 9, Int64(click.outcome.rawValue))
            sqlite3_bind_int64(statement, 10, Int64(click.flags.rawValue))
            sqlite3_bind_int64(statement, 11, Int64(click.botReason.rawValue))
            sqlite3_bind_int64(statement, 12, Int64(bitPattern: click.clientHash))
            if let subIDs = batch.subIDs(of: click) {
                for index in 0..<SubIDs.count {
                    subIDs.withBytes(of: index) { bytes in
                        if bytes.isEmpty {
                            _ = sqlite3_bind_null(statement, Int32(13 + index))
                        } else {
                            _ = sqlite3_bind_text(statement, Int32(13 + index), bytes.baseAddress?.assumingMemoryBound(to: CChar.self),
                                                  Int32(bytes.count), transient)
                        }
                    }
                }
            } else {
                for index in 0..<SubIDs.count { sqlite3_bind_null(statement, Int32(13 + index)) }
            }
            let result = sqlite3_step(statement)
            guard result == SQLITE_DONE else {
                let error = DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)),
                                          message: db.lastErrorMessage)
                sqlite3_reset(statement)
                throw error
            }
            sqlite3_reset(statement)
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
