import ClickModel
import Domain
import GRDB
import Store

/// Rollups summed again per finished period and keyed for the readers that
/// seek them: the member report reads `member_click_daily` by offer and
/// member, partners' statistics read `partner_hourly` by partner.
///
/// Keeping such tables up to date with every batch costs the click writer
/// dearly: its rows land all over them (an index on the per-minute rollups by
/// partner made writing three times slower). So a period is summed once it
/// is over, from the per-minute rollups; the `compaction` table says how far
/// each has got. Readers take compacted periods from these tables and the
/// rest by the minute, and clicks written late for a compacted period (a
/// node that was cut off, a batch that crossed midnight) are added by `write`.
typealias Compaction = CompactedRollups

extension SQLiteStore {
    public func compactRollups(now: Int64, limit: Int) throws -> RollupCompaction {
        var done: [Compaction: Int] = [:]
        var complete = true
        for compaction in Compaction.allCases {
            let current = floorDiv(floorDiv(now, 60_000), compaction.minutes)
            let (first, last) = try readBlocking { db -> (Int64, Int64) in
                let through = try Self.compactedThrough(db, compaction)
                let oldest = try Int64.fetchOne(db, sql: "SELECT MIN(minute) FROM click_rollups")
                    .map { floorDiv($0, compaction.minutes) } ?? current
                return (max(through + 1, oldest), current - 1)
            }
            let end = min(last, first + Int64(limit) - 1)
            if last > end { complete = false }
            try writeBlocking { db in
                if first <= end {
                    let statement = try RawStatement(compaction.sql, in: db)
                    for period in first...end {
                        statement.bind(1, period)
                        try statement.step()
                    }
                }
                // Up to date, or nothing stored before: the periods up to here are done.
                if try Self.compactedThrough(db, compaction) < end {
                    try db.execute(sql: "UPDATE compaction SET through = ? WHERE name = ?", arguments: [end, compaction.rawValue])
                }
            }
            done[compaction] = max(0, Int(end - first + 1))
        }
        return RollupCompaction(days: done[.memberDays] ?? 0, hours: done[.partnerHours] ?? 0, isComplete: complete)
    }

    /// Compacts every finished period before `now`, within the caller's transaction.
    static func compactEverything(_ db: Database, now: Int64) throws {
        guard let oldestMinute = try Int64.fetchOne(db, sql: "SELECT MIN(minute) FROM click_rollups") else { return }
        for compaction in Compaction.allCases {
            let first = max(try compactedThrough(db, compaction) + 1, floorDiv(oldestMinute, compaction.minutes))
            let last = floorDiv(floorDiv(now, 60_000), compaction.minutes) - 1
            guard first <= last else { continue }
            let statement = try RawStatement(compaction.sql, in: db)
            for period in first...last {
                statement.bind(1, period)
                try statement.step()
            }
            try db.execute(sql: "UPDATE compaction SET through = ? WHERE name = ?", arguments: [last, compaction.rawValue])
        }
    }

    /// The last period of a compaction that is done (-1 before the first).
    static func compactedThrough(_ db: Database, _ compaction: Compaction) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT through FROM compaction WHERE name = ?", arguments: [compaction.rawValue]) ?? -1
    }

    /// Adds the batch's rollups of periods already compacted to the compacted tables.
    static func addLateRollups(_ rollups: [ClickRollup], db: Database) throws {
        let days = try compactedThrough(db, .memberDays)
        let hours = try compactedThrough(db, .partnerHours)
        let late = rollups.filter { floorDiv($0.key.minute, 60) <= hours || floorDiv($0.key.minute, 1440) <= days }
        guard !late.isEmpty else { return }
        let member = try RawStatement("""
            INSERT INTO member_click_daily (offer_id, partner_id, day, billable) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (offer_id, partner_id, day) DO UPDATE SET billable = billable + excluded.billable
            """, in: db)
        let partner = try RawStatement("""
            INSERT INTO partner_hourly (partner_id, hour, link_id, credited_partner_id, ad_id,
                                        clicks, billable, unique_clicks, bot, unattributed, inactive, capped, expired, invalid)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
            ON CONFLICT (partner_id, hour, link_id, credited_partner_id, ad_id) DO UPDATE SET
                clicks = clicks + excluded.clicks, billable = billable + excluded.billable,
                unique_clicks = unique_clicks + excluded.unique_clicks, bot = bot + excluded.bot,
                unattributed = unattributed + excluded.unattributed, inactive = inactive + excluded.inactive,
                capped = capped + excluded.capped, expired = expired + excluded.expired, invalid = invalid + excluded.invalid
            """, in: db)
        for rollup in late {
            let key = rollup.key, counts = rollup.counts
            let day = floorDiv(key.minute, 1440), hour = floorDiv(key.minute, 60)
            if day <= days && key.creditedPartnerID != 0 && counts.billable != 0 {
                member.bind(1, Int64(key.offerID))
                member.bind(2, Int64(key.creditedPartnerID))
                member.bind(3, day)
                member.bind(4, counts.billable)
                try member.step()
            }
            guard hour <= hours else { continue }
            var owners = [key.generatingPartnerID]
            if key.creditedPartnerID != key.generatingPartnerID { owners.append(key.creditedPartnerID) }
            for owner in owners where owner != 0 {
                partner.bind(1, Int64(owner))
                partner.bind(2, hour)
                partner.bind(3, Int64(key.linkID))
                partner.bind(4, Int64(key.creditedPartnerID))
                partner.bind(5, Int64(key.adID))
                partner.bind(6, counts.clicks)
                partner.bind(7, counts.billable)
                partner.bind(8, counts.unique)
                partner.bind(9, counts.bot)
                partner.bind(10, counts.unattributed)
                partner.bind(11, counts.inactive)
                partner.bind(12, counts.capped)
                partner.bind(13, counts.expired)
                partner.bind(14, counts.invalid)
                try partner.step()
            }
        }
    }
}
