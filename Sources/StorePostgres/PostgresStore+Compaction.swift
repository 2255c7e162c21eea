import ClickModel
import Domain
import PostgresNIO
import Store

/// The compacted rollups (`CompactedRollups`), as in the SQLite store:
/// members' days and partners' hours, summed once a period is over, with
/// clicks written late for a compacted period added as they are written.
extension PostgresStore {
    typealias Compaction = CompactedRollups

    public func compactRollups(now: Int64, limit: Int) throws -> RollupCompaction {
        var done: [Compaction: Int] = [:]
        var complete = try mergeFinishedMinutes(now: now, limit: limit * 60)
        for compaction in Compaction.allCases {
            let current = floorDiv(floorDiv(now, 60_000), compaction.minutes)
            try transaction { connection in
                // Nodes compact one at a time; the others find the work done.
                _ = try query(connection, "SELECT pg_advisory_xact_lock(7283002)")
                let through = try compactedThrough(connection, compaction)
                let oldest = try query(connection, "SELECT min(minute) FROM click_rollups").rows.first?.decode(Int64?.self)
                let first = max(through + 1, oldest.map { floorDiv($0, compaction.minutes) } ?? current)
                let last = current - 1
                let end = min(last, first + Int64(limit) - 1)
                if last > end { complete = false }
                if first <= end {
                    for period in first...end {
                        var binds = PostgresBindings()
                        binds.append(period)
                        _ = try query(connection, PostgresQuery(unsafeSQL: compaction.sql, binds: binds))
                    }
                }
                if through < end {
                    _ = try query(connection, "UPDATE compaction SET through = \(end) WHERE name = \(compaction.rawValue)")
                }
                done[compaction] = max(0, Int(end - first + 1))
            }
        }
        return RollupCompaction(days: done[.memberDays] ?? 0, hours: done[.partnerHours] ?? 0, isComplete: complete)
    }

    /// Merges the rollup rows that batches appended for each finished minute
    /// into one row per key, at most `limit` minutes from the oldest not
    /// merged yet, leaving the last two minutes (whose clicks may still be on
    /// their way). Rows written later for a merged minute stay as they are:
    /// readers sum them with the rest. Returns whether every finished minute
    /// is merged now.
    func mergeFinishedMinutes(now: Int64, limit: Int) throws -> Bool {
        let last = floorDiv(now, 60_000) - 2
        return try transaction { connection in
            _ = try query(connection, "SELECT pg_advisory_xact_lock(7283002)")
            let through = try query(connection, "SELECT through FROM compaction WHERE name = 'click_rollups'").rows.first?
                .decode(Int64.self) ?? -1
            guard let oldest = try query(connection, "SELECT min(minute) FROM click_rollups WHERE minute > \(through)").rows.first?
                .decode(Int64?.self), oldest <= last else { return true }
            let end = min(last, oldest + Int64(limit) - 1)
            _ = try query(connection, """
                WITH merged AS (DELETE FROM click_rollups WHERE minute >= \(oldest) AND minute <= \(end) RETURNING *)
                INSERT INTO click_rollups (minute, node_id, offer_id, link_id, generating_partner_id, credited_partner_id, ad_id,
                                           clicks, billable, unique_clicks, bot, unattributed, inactive, capped, expired, invalid)
                SELECT minute, node_id, offer_id, link_id, generating_partner_id, credited_partner_id, ad_id,
                       sum(clicks)::BIGINT, sum(billable)::BIGINT, sum(unique_clicks)::BIGINT, sum(bot)::BIGINT,
                       sum(unattributed)::BIGINT, sum(inactive)::BIGINT, sum(capped)::BIGINT, sum(expired)::BIGINT, sum(invalid)::BIGINT
                FROM merged GROUP BY minute, node_id, offer_id, link_id, generating_partner_id, credited_partner_id, ad_id
                """)
            _ = try query(connection, "UPDATE compaction SET through = \(end) WHERE name = 'click_rollups'")
            return end == last
        }
    }

    func compactedThrough(_ connection: PostgresConnection, _ compaction: Compaction) throws -> Int64 {
        try query(connection, "SELECT through FROM compaction WHERE name = \(compaction.rawValue)").rows.first?.decode(Int64.self) ?? -1
    }

    /// Adds the batch's rollups of periods already compacted to the compacted tables.
    func addLateRollups(_ rollups: [ClickRollup], connection: PostgresConnection) throws {
        let days = try compactedThrough(connection, .memberDays)
        let hours = try compactedThrough(connection, .partnerHours)
        for rollup in rollups {
            let key = rollup.key, counts = rollup.counts
            let day = floorDiv(key.minute, 1440), hour = floorDiv(key.minute, 60)
            if day <= days && key.creditedPartnerID != 0 && counts.billable != 0 {
                _ = try query(connection, """
                    INSERT INTO member_click_daily (offer_id, partner_id, day, billable)
                    VALUES (\(Int64(key.offerID)), \(Int64(key.creditedPartnerID)), \(day), \(counts.billable))
                    ON CONFLICT (offer_id, partner_id, day) DO UPDATE SET billable = member_click_daily.billable + excluded.billable
                    """)
            }
            guard hour <= hours else { continue }
            var owners = [key.generatingPartnerID]
            if key.creditedPartnerID != key.generatingPartnerID { owners.append(key.creditedPartnerID) }
            for owner in owners where owner != 0 {
                _ = try query(connection, """
                    INSERT INTO partner_hourly (partner_id, hour, link_id, credited_partner_id, ad_id,
                                                clicks, billable, unique_clicks, bot, unattributed, inactive, capped, expired, invalid)
                    VALUES (\(Int64(owner)), \(hour), \(Int64(key.linkID)), \(Int64(key.creditedPartnerID)), \(Int64(key.adID)),
                            \(counts.clicks), \(counts.billable), \(counts.unique), \(counts.bot), \(counts.unattributed), \(counts.inactive),
                            \(counts.capped), \(counts.expired), \(counts.invalid))
                    ON CONFLICT (partner_id, hour, link_id, credited_partner_id, ad_id) DO UPDATE SET
                        clicks = partner_hourly.clicks + excluded.clicks, billable = partner_hourly.billable + excluded.billable,
                        unique_clicks = partner_hourly.unique_clicks + excluded.unique_clicks, bot = partner_hourly.bot + excluded.bot,
                        unattributed = partner_hourly.unattributed + excluded.unattributed, inactive = partner_hourly.inactive + excluded.inactive,
                        capped = partner_hourly.capped + excluded.capped, expired = partner_hourly.expired + excluded.expired,
                        invalid = partner_hourly.invalid + excluded.invalid
                    """)
            }
        }
    }
}
