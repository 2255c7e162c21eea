import ClickModel
import Domain

/// The reports, the same on SQLite and PostgreSQL. Whole days are read from
/// the daily rollups, the partial days at the ends of a range from the
/// per-minute ones; every sum goes through `forEachIntegerRow`.
public enum ReportsSQL {
    // MARK: offers

    /// Per offer: how many of its members have a conversion, and something due, in the range.
    struct MemberCounts: Sendable {
        var withConversions: Int64 = 0
        var withPaymentsDue: Int64 = 0
    }

    static func combine(totals: ([Offer], [UInt32: KPISums]), members: [UInt32: MemberCounts]) -> [OfferKPIs] {
        var (offers, sums) = totals
        for (offerID, counts) in members where sums[offerID] != nil {
            sums[offerID]!.membersWithConversions = counts.withConversions
            sums[offerID]!.membersWithPaymentsDue = counts.withPaymentsDue
        }
        return offers.map { OfferKPIs(offer: $0, sums: sums[$0.id] ?? KPISums()) }
    }

    /// The selected offers and every KPI of theirs but the two that count members.
    static func offerTotals(_ db: some SQLConnection, _ query: ReportQuery, _ spans: ReportSpans) throws -> ([Offer], [UInt32: KPISums]) {
        let offers = try selectedOffers(db, query)
        var sums: [UInt32: KPISums] = [:]
        for offer in offers { sums[offer.id] = KPISums() }
        try db.forEachIntegerRow("SELECT offer_id, COUNT(*) FROM memberships WHERE created_at < ? GROUP BY offer_id", [.integer(query.to)]) { row in
            sums[UInt32(truncatingIfNeeded: row[0])]?.members = row[1]
        }
        // Rows of offer, clicks, conversions, sales, commissions, paid; ?1 and ?2 are the span.
        func add(_ sql: String, from: Int64, to: Int64) throws {
            try db.forEachIntegerRow(sql, [.integer(from), .integer(to)]) { row in
                let offerID = UInt32(truncatingIfNeeded: row[0])
                guard var offer = sums[offerID] else { return }
                offer.clicks += row[1]
                offer.conversions += row[2]
                offer.totalSales += row[3]
                offer.commissionsEarned += row[4]
                offer.paid += row[5]
                sums[offerID] = offer
            }
        }
        if let (first, end) = spans.days {
            // Every row as it lies (day, then offer): summing here costs less than SQLite's GROUP BY.
            try add("SELECT offer_id, billable, conversions, sales, commissions, paid FROM offer_daily WHERE day >= ?1 AND day < ?2",
                    from: first, to: end)
        }
        for (from, to) in spans.edges {
            try add("""
                SELECT offer_id, CAST(SUM(billable) AS BIGINT), 0, 0, 0, 0 FROM click_rollups WHERE minute >= ?1 AND minute < ?2 GROUP BY offer_id
                """, from: from, to: to)
            try add("""
                SELECT offer_id, 0, \(ReportsSQL.sums(["conversions", "sales", "commissions", "paid"]))
                FROM conversion_rollups WHERE minute >= ?1 AND minute < ?2 GROUP BY offer_id
                """, from: from, to: to)
        }
        return (offers, sums)
    }

    /// Counts, per offer, the members with a conversion and those with
    /// something due in the range, from their days and the partial days' minutes.
    static func memberCounts(_ db: some SQLConnection, _ spans: ReportSpans) throws -> [UInt32: MemberCounts] {
        var counts: [UInt32: MemberCounts] = [:]
        func count(_ key: UInt64, conversions: Int64, due: Int64) {
            guard conversions > 0 || due > 0 else { return }
            let offerID = UInt32(truncatingIfNeeded: key >> 32)
            var offer = counts[offerID] ?? MemberCounts()
            if conversions > 0 { offer.withConversions += 1 }
            if due > 0 { offer.withPaymentsDue += 1 }
            counts[offerID] = offer
        }
        // Members of the partial days (and their whole days, when there are partial days): conversions, and earned minus paid.
        var members: [UInt64: (conversions: Int64, due: Int64)] = [:]
        if let (first, end) = spans.days {
            // In member order (the table's key): each member's days are summed as
            // they pass, and only its total goes into the table with the edges'.
            var current: UInt64 = .max
            var running: (conversions: Int64, due: Int64) = (0, 0)
            func flush() {
                guard current != .max else { return }
                if spans.edges.isEmpty {
                    count(current, conversions: running.conversions, due: running.due)  // no partial days: the member is done
                } else {
                    members[current] = running
                }
            }
            try db.forEachIntegerRow("""
                SELECT offer_id, partner_id, conversions, commissions, paid FROM member_daily WHERE day >= ?1 AND day < ?2
                ORDER BY offer_id, partner_id
                """, [.integer(first), .integer(end)]) { row in
                let key = UInt64(row[0]) << 32 | UInt64(row[1])
                if key != current {
                    flush()
                    current = key
                    running = (0, 0)
                }
                running.conversions += row[2]
                running.due += row[3] - row[4]
            }
            flush()
        }
        for (from, to) in spans.edges {
            try db.forEachIntegerRow("""
                SELECT offer_id, partner_id, conversions, commissions, paid FROM conversion_rollups
                WHERE minute >= ?1 AND minute < ?2 AND partner_id != 0
                """, [.integer(from), .integer(to)]) { row in
                let key = UInt64(row[0]) << 32 | UInt64(row[1])
                var member = members[key] ?? (0, 0)
                member.conversions += row[2]
                member.due += row[3] - row[4]
                members[key] = member
            }
        }
        for (key, member) in members { count(key, conversions: member.conversions, due: member.due) }
        return counts
    }

    // MARK: members

    /// Whole days from the per-member days (clicks of the days not compacted
    /// yet by the minute), the partial days at the ends of the range from the
    /// per-minute rollups of the offer.
    public static func memberReport(_ db: some SQLConnection, offerID: UInt32, _ query: ReportQuery, members: [Member]) throws -> [MemberKPIs] {
        let spans = ReportSpans(query)
        var figures: [UInt32: MemberKPIs] = [:]
        for member in members { figures[member.partner.id] = MemberKPIs(member: member) }
        // Rows of partner, clicks, conversions, sales, commissions, paid; ?1 is the offer, ?2 and ?3 the span.
        func add(_ sql: String, from: Int64, to: Int64) throws {
            try db.forEachIntegerRow(sql, [.integer(Int64(offerID)), .integer(from), .integer(to)]) { row in
                let partnerID = UInt32(truncatingIfNeeded: row[0])
                guard var member = figures[partnerID] else { return }
                member.clicks += row[1]
                member.conversions += row[2]
                member.totalSales += row[3]
                member.commissionsEarned += row[4]
                member.paid += row[5]
                figures[partnerID] = member
            }
        }
        let money = sums(["conversions", "sales", "commissions", "paid"])
        let clicksByMinute = """
            SELECT credited_partner_id, CAST(SUM(billable) AS BIGINT), 0, 0, 0, 0 FROM click_rollups
            WHERE minute >= ?2 AND minute < ?3 AND offer_id = ?1 GROUP BY credited_partner_id
            """
        if let (first, end) = spans.days {
            try add("""
                SELECT partner_id, 0, \(money) FROM member_daily WHERE offer_id = ?1 AND day >= ?2 AND day < ?3 GROUP BY partner_id
                """, from: first, to: end)
            let compactedEnd = min(end, try CompactedRollups.memberDays.through(db) + 1)
            if first < compactedEnd {
                try add("""
                    SELECT partner_id, CAST(SUM(billable) AS BIGINT), 0, 0, 0, 0
                    FROM member_click_daily WHERE offer_id = ?1 AND day >= ?2 AND day < ?3 GROUP BY partner_id
                    """, from: first, to: compactedEnd)
            }
            if max(first, compactedEnd) < end {
                try add(clicksByMinute, from: max(first, compactedEnd) * 1440, to: end * 1440)
            }
        }
        for (from, to) in spans.edges {
            try add(clicksByMinute, from: from, to: to)
            try add("""
                SELECT partner_id, 0, \(money) FROM conversion_rollups
                WHERE minute >= ?2 AND minute < ?3 AND offer_id = ?1 GROUP BY partner_id
                """, from: from, to: to)
        }
        return members.compactMap { figures[$0.partner.id] }
    }

    // MARK: days

    /// Whole UTC days: every day the range touches, from the daily rollups.
    public static func dailySeries(_ db: some SQLConnection, _ query: ReportQuery) throws -> [DailyPoint] {
        let firstDay = floorDiv(query.from, 86_400_000), lastDay = floorDiv(query.to - 1, 86_400_000)
        guard firstDay <= lastDay else { return [] }
        let offerIDs = Set(try selectedOffers(db, query).map(\.id))
        guard !offerIDs.isEmpty else { return [] }
        var points: [Int64: DailyPoint] = [:]
        try db.forEachIntegerRow("SELECT day, offer_id, billable, sales FROM offer_daily WHERE day >= ?1 AND day <= ?2",
                                 [.integer(firstDay), .integer(lastDay)]) { row in
            guard offerIDs.contains(UInt32(truncatingIfNeeded: row[1])) else { return }
            var point = points[row[0]] ?? DailyPoint(day: row[0], clicks: 0, sales: 0)
            point.clicks += row[2]
            point.sales += row[3]
            points[row[0]] = point
        }
        return (firstDay...lastDay).map { points[$0] ?? DailyPoint(day: $0, clicks: 0, sales: 0) }
    }

    /// The offers a report covers: by status, type and ids, in id order.
    static func selectedOffers(_ db: some SQLConnection, _ query: ReportQuery) throws -> [Offer] {
        try db.rows("SELECT \(CatalogueSQL.offerColumns) FROM offers ORDER BY id").map(CatalogueSQL.offer(from:)).filter { offer in
            (query.status == nil || offer.effectiveStatus(at: query.now) == query.status)
                && (query.type == nil || offer.type == query.type)
                && (query.offerIDs == nil || query.offerIDs!.contains(offer.id))
        }
    }

    /// Sums of the columns, as BIGINT on both databases (a PostgreSQL sum of bigints is numeric).
    static func sums(_ columns: [String]) -> String {
        columns.map { "CAST(SUM(\($0)) AS BIGINT)" }.joined(separator: ", ")
    }
}

/// A report's range as the whole UTC days it covers and the partial days at
/// its ends: whole days are read from the daily rollups, the rest by the minute.
public struct ReportSpans: Sendable {
    /// Days since the epoch, `[first, end)`; nil when the range holds no whole day.
    public var days: (first: Int64, end: Int64)?
    /// Minute ranges `[from, to)` outside the whole days, none of them empty.
    public var edges: [(from: Int64, to: Int64)]

    public init(_ query: ReportQuery) {
        // The range in whole minutes: a minute counts when it starts in `[from, to)`.
        let fromMinute = floorDiv(query.from + 59_999, 60_000), toMinute = floorDiv(query.to + 59_999, 60_000)
        let firstDay = floorDiv(fromMinute + 1439, 1440)
        let endDay = max(firstDay, floorDiv(toMinute, 1440))
        if firstDay < endDay {
            days = (firstDay, endDay)
            edges = [(fromMinute, firstDay * 1440), (endDay * 1440, toMinute)].filter { $0.0 < $0.1 }
        } else {
            days = nil
            edges = fromMinute < toMinute ? [(fromMinute, toMinute)] : []
        }
    }
}

// MARK: - link variants

/// A rule (its index) and one of its variants.
struct VariantKey: Hashable, Comparable {
    var rule: Int, variant: Int
    static func < (a: VariantKey, b: VariantKey) -> Bool { (a.rule, a.variant) < (b.rule, b.variant) }
}

extension ReportsSQL {
    /// Clicks from `variant_daily`; conversions from the accepted conversions
    /// of the link's offer whose stored click took one of its rules.
    public static func variantReport(_ db: some SQLConnection, linkID: UInt32) throws -> VariantReport? {
        guard let link = try CatalogueSQL.link(db, id: linkID) else { return nil }
        // A link without rules of its own follows its offer's.
        let rules = try CatalogueSQL.offer(db, id: link.offerID)?.linkDefaults.rules(ofLinkWith: link.rules) ?? link.rules
        typealias Key = VariantKey
        var rows: [Key: VariantKPIs] = [:]
        func row(_ key: Key) -> VariantKPIs {
            rows[key] ?? VariantKPIs(rule: key.rule, variant: key.variant,
                                     destination: VariantReport.destination(of: rules, rule: key.rule, variant: key.variant),
                                     clicks: 0, uniqueClicks: 0, conversions: 0, sales: 0)
        }
        try db.forEachRow("""
            SELECT rule, variant, CAST(SUM(clicks) AS BIGINT), CAST(SUM(unique_clicks) AS BIGINT)
            FROM variant_daily WHERE link_id = ? GROUP BY rule, variant
            """, [.integer(Int64(linkID))]) { values in
            let key = Key(rule: Int(try values.int64(0)) - 1, variant: Int(try values.int64(1)))
            var kpis = row(key)
            kpis.clicks = try values.int64(2)
            kpis.uniqueClicks = try values.int64(3)
            rows[key] = kpis
        }
        func count(rule: Int64, variant: Int64, conversions: Int64, sales: Int64) {
            guard rule != 0 else { return }
            let key = Key(rule: Int(rule) - 1, variant: Int(variant))
            var kpis = row(key)
            kpis.conversions += conversions
            kpis.sales += sales
            rows[key] = kpis
        }
        // A conversion keeps its click's link, rule and variant.
        try db.forEachRow("""
            SELECT rule, variant, COUNT(*), CAST(SUM(amount) AS BIGINT) FROM conversions
            WHERE link_id = ? AND status = 'accepted' AND rule > 0 GROUP BY rule, variant
            """, [.integer(Int64(linkID))]) { values in
            count(rule: try values.int64(0), variant: try values.int64(1), conversions: try values.int64(2), sales: try values.int64(3))
        }
        // Those made before it did (link_id 0 with a click): their click is read.
        var older: [(ClickID, Int64)] = []
        try db.forEachRow("""
            SELECT click_id, amount FROM conversions
            WHERE offer_id = ? AND status = 'accepted' AND link_id = 0 AND click_id IS NOT NULL
            """, [.integer(Int64(link.offerID))]) { values in
            if let id = ClickID(try values.text(0)) { older.append((id, try values.int64(1))) }
        }
        for (id, amount) in older {
            guard let click = try ClickPagesSQL.click(db, id: id), click.linkID == linkID else { continue }
            count(rule: Int64(click.record.rule), variant: Int64(click.record.variant), conversions: 1, sales: amount)
        }
        return VariantReport(link: link, rows: rows.keys.sorted().map { rows[$0]! })
    }
}

// MARK: - by country and device

extension ReportsSQL {
    /// Clicks from `traffic_daily`; conversions from the accepted conversions
    /// created in the range, by their click's country and device classes.
    public static func trafficReport(_ db: some SQLConnection, by dimension: TrafficDimension, _ query: ReportQuery) throws -> [TrafficRow] {
        var sums = TrafficSums(by: dimension)
        let firstDay = floorDiv(query.from, 86_400_000), endDay = floorDiv(query.to + 86_399_999, 86_400_000)
        let offers = query.offerIDs.map { ids in ids.isEmpty ? " AND 0 = 1" : " AND offer_id IN (\(ids.sorted().map(String.init).joined(separator: ", ")))" } ?? ""
        try db.forEachRow("""
            SELECT country, devices, CAST(SUM(clicks) AS BIGINT), CAST(SUM(billable) AS BIGINT) FROM traffic_daily
            WHERE day >= ? AND day < ?\(offers) GROUP BY country, devices
            """, [.integer(firstDay), .integer(endDay)]) { row in
            sums.add(country: UInt16(truncatingIfNeeded: try row.int64(0)), devices: UInt16(truncatingIfNeeded: try row.int64(1)),
                     clicks: try row.int64(2), billable: try row.int64(3))
        }
        try db.forEachRow("""
            SELECT country, devices, COUNT(*) FROM conversions
            WHERE status = 'accepted' AND created_at >= ? AND created_at < ?\(offers) GROUP BY country, devices
            """, [.integer(firstDay * 86_400_000), .integer(endDay * 86_400_000)]) { row in
            sums.add(country: UInt16(truncatingIfNeeded: try row.int64(0)), devices: UInt16(truncatingIfNeeded: try row.int64(1)),
                     conversions: try row.int64(2))
        }
        return sums.items
    }
}
