import ClickModel
import Domain

/// A partner's click statistics, the same on SQLite and PostgreSQL: finished
/// hours from `partner_hourly`, the rest of the range (its partial hours and
/// the hours not compacted yet) by the minute.
public enum ClickStatsSQL {
    public static func partnerClickStats(_ db: some SQLConnection, _ query: PartnerClickStatsQuery) throws -> [ClickStatsRow] {
        let fromMinute = floorDiv(query.from, 60_000)
        let toMinute = floorDiv(query.to + 59_999, 60_000)
        let (byLink, byAd, byChild) = (query.dimensions.contains(.link), query.dimensions.contains(.ad), query.dimensions.contains(.child))
        // The partner's own clicks have no child: a credited partner equal to
        // the partner (or none, for clicks that were not billable) groups as 0.
        let child = "CASE WHEN r.credited_partner_id IN (0, ?1) THEN 0 ELSE r.credited_partner_id END"
        let groups = "\(byLink ? "r.link_id" : "0"), \(byAd ? "r.ad_id" : "0"), \(byChild ? child : "0")"
        let sums = ["clicks", "billable", "unique_clicks", "bot", "unattributed", "inactive", "capped", "expired", "invalid"]
            .map { "CAST(SUM(r.\($0)) AS BIGINT)" }.joined(separator: ", ")
        var groupCounts: [StatsGroup: OutcomeCounts] = [:]
        // ?1 is the partner, ?2 and ?3 the span.
        func add(_ sql: String, from: Int64, to: Int64) throws {
            guard from < to else { return }
            try db.forEachRow(sql, [.integer(Int64(query.partnerID)), .integer(from), .integer(to)]) { row in
                let group = StatsGroup(link: try row.int64(0), ad: try row.int64(1), child: try row.int64(2))
                var counts = groupCounts[group] ?? OutcomeCounts()
                counts.clicks += try row.int64(3)
                counts.billable += try row.int64(4)
                counts.unique += try row.int64(5)
                counts.bot += try row.int64(6)
                counts.unattributed += try row.int64(7)
                counts.inactive += try row.int64(8)
                counts.capped += try row.int64(9)
                counts.expired += try row.int64(10)
                counts.invalid += try row.int64(11)
                groupCounts[group] = counts
            }
        }
        let byMinute = """
            SELECT \(groups), \(sums) FROM click_rollups r
            WHERE (r.generating_partner_id = ?1 OR r.credited_partner_id = ?1) AND r.minute >= ?2 AND r.minute < ?3
            GROUP BY 1, 2, 3
            """
        let firstHour = floorDiv(fromMinute + 59, 60)
        let endHour = min(floorDiv(toMinute, 60), try CompactedRollups.partnerHours.through(db) + 1)
        if firstHour < endHour {
            try add("""
                SELECT \(groups), \(sums) FROM partner_hourly r WHERE r.partner_id = ?1 AND r.hour >= ?2 AND r.hour < ?3
                GROUP BY 1, 2, 3
                """, from: firstHour, to: endHour)
            try add(byMinute, from: fromMinute, to: firstHour * 60)
            try add(byMinute, from: endHour * 60, to: toMinute)
        } else {
            try add(byMinute, from: fromMinute, to: toMinute)
        }
        func code(_ table: String, _ id: Int64) throws -> String? {
            id == 0 ? nil : try db.row("SELECT code FROM \(table) WHERE id = ?", [.integer(id)])?.text(0)
        }
        return try groupCounts.map { group, counts in
            ClickStatsRow(linkCode: byLink ? try code("links", group.link) : nil, adCode: byAd ? try code("ads", group.ad) : nil,
                          childCode: byChild ? try code("partners", group.child) : nil, counts: counts)
        }.sorted { ($0.linkCode ?? "", $0.adCode ?? "", $0.childCode ?? "") < ($1.linkCode ?? "", $1.adCode ?? "", $1.childCode ?? "") }
    }

    /// A group of a partner's statistics by ids; 0 for a dimension not asked for or empty.
    private struct StatsGroup: Hashable {
        var link: Int64
        var ad: Int64
        var child: Int64
    }
}

extension CompactedRollups {
    /// The last period compacted (-1 when none).
    public func through(_ db: some SQLConnection) throws -> Int64 {
        try db.row("SELECT through FROM compaction WHERE name = ?", [.text(rawValue)])?.int64(0) ?? -1
    }
}
