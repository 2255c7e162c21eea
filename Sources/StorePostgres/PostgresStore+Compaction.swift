import ClickModel
import PostgresNIO
import Store

/// The compacted rollups (`CompactedRollups`), as in the SQLite store:
/// members' days and partners' hours, summed once a period is over, with
/// clicks written late for a compacted period added as they are written.
extension PostgresStore {
    typealias Compaction = CompactedRollups

    public func compactRollups(now: Int64, limit: Int) throws -> RollupCompaction {
        var done: [Compaction: Int] = [:]
        var complete = true
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
                                                clicks, billable, unique_clicks, bot, unattributed, inactive)
                    VALUES (\(Int64(owner)), \(hour), \(Int64(key.linkID)), \(Int64(key.creditedPartnerID)), \(Int64(key.adID)),
                            \(counts.clicks), \(counts.billable), \(counts.unique), \(counts.bot), \(counts.unattributed), \(counts.inactive))
                    ON CONFLICT (partner_id, hour, link_id, credited_partner_id, ad_id) DO UPDATE SET
                        clicks = partner_hourly.clicks + excluded.clicks, billable = partner_hourly.billable + excluded.billable,
                        unique_clicks = partner_hourly.unique_clicks + excluded.unique_clicks, bot = partner_hourly.bot + excluded.bot,
                        unattributed = partner_hourly.unattributed + excluded.unattributed, inactive = partner_hourly.inactive + excluded.inactive
                    """)
            }
        }
    }
}
