import ClickModel
import GRDB
import Store

extension SQLiteStore: ClickStatsStore {
    public func partnerClickStats(_ query: PartnerClickStatsQuery) throws -> [ClickStatsRow] {
        let partner = Int64(query.partnerID)
        // The partner's own clicks have no child: a credited partner equal to
        // the partner (or none, for clicks that were not billable) groups as 0.
        let child = "CASE WHEN r.credited_partner_id IN (0, \(partner)) THEN 0 ELSE r.credited_partner_id END"
        var groups: [String] = []
        var selected: [String] = []
        for dimension in ClickStatsDimension.allCases where query.dimensions.contains(dimension) {
            switch dimension {
            case .link:
                groups.append("r.link_id")
                selected.append("(SELECT code FROM links WHERE id = r.link_id)")
            case .ad:
                groups.append("r.ad_id")
                selected.append("(SELECT code FROM ads WHERE id = r.ad_id)")
            case .child:
                groups.append(child)
                selected.append("(SELECT code FROM partners WHERE id = \(child))")
            }
        }
        let sums = "SUM(r.clicks), SUM(r.billable), SUM(r.unique_clicks), SUM(r.bot), SUM(r.unattributed), SUM(r.inactive)"
        let sql = """
            SELECT \((selected + [sums]).joined(separator: ", "))
            FROM click_rollups r
            WHERE (r.generating_partner_id = ? OR r.credited_partner_id = ?) AND r.minute >= ? AND r.minute < ?
            \(groups.isEmpty ? "" : "GROUP BY " + groups.joined(separator: ", "))
            ORDER BY 1
            """
        let fromMinute = Self.floorDiv(query.from, 60_000)
        let toMinute = Self.floorDiv(query.to + 59_999, 60_000)
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: [partner, partner, fromMinute, toMinute]).compactMap { row in
                var result = ClickStatsRow(counts: OutcomeCounts())
                var column = 0
                for dimension in ClickStatsDimension.allCases where query.dimensions.contains(dimension) {
                    let code: String? = row[column]
                    switch dimension {
                    case .link: result.linkCode = code
                    case .ad: result.adCode = code
                    case .child: result.childCode = code
                    }
                    column += 1
                }
                guard let clicks = row[column] as Int64? else { return nil }  // SUM over no rows
                result.counts = OutcomeCounts(clicks: clicks, billable: row[column + 1], unique: row[column + 2], bot: row[column + 3],
                                              unattributed: row[column + 4], inactive: row[column + 5])
                return result
            }
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }
}
