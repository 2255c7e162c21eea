import ClickModel
import Dispatch
import GRDB
import Store
import Synchronization

extension SQLiteStore: ReportStore {
    /// Whole days are read from the daily rollups, the partial days at the
    /// ends of the range from the per-minute ones; the members that have
    /// conversions or something due are counted from the per-member days.
    ///
    /// The offers' totals and the members' pass are two reads side by side
    /// (the store keeps a pool of readers); the pass over every member's days
    /// is most of the work.
    public func offerReport(_ query: ReportQuery) throws -> [OfferKPIs] {
        let spans = ReportSpans(query)
        let totals = Mutex<Result<([Offer], [UInt32: KPISums]), any Error>?>(nil)
        let members = Mutex<Result<[UInt32: MemberCounts], any Error>?>(nil)
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                let result = Result { try read { db in try Self.offerTotals(db, query, spans) } }
                totals.withLock { $0 = result }
            } else {
                let result = Result { try read { db in try Self.memberCounts(db, spans) } }
                members.withLock { $0 = result }
            }
        }
        var (offers, sums) = try totals.withLock { $0! }.get()
        for (offerID, counts) in try members.withLock({ $0! }).get() where sums[offerID] != nil {
            sums[offerID]!.membersWithConversions = counts.withConversions
            sums[offerID]!.membersWithPaymentsDue = counts.withPaymentsDue
        }
        return offers.map { OfferKPIs(offer: $0, sums: sums[$0.id] ?? KPISums()) }
    }

    /// Per offer: how many of its members have a conversion, and something due, in the range.
    struct MemberCounts {
        var withConversions: Int64 = 0
        var withPaymentsDue: Int64 = 0
    }

    /// The selected offers and every KPI of theirs but the two that count members.
    static func offerTotals(_ db: Database, _ query: ReportQuery, _ spans: ReportSpans) throws -> ([Offer], [UInt32: KPISums]) {
        let offers = try selectedOffers(db, query)
        var sums: [UInt32: KPISums] = [:]
        for offer in offers { sums[offer.id] = KPISums() }
        let memberships = try RawStatement("SELECT offer_id, COUNT(*) FROM memberships WHERE created_at < ?1 GROUP BY offer_id", in: db)
        memberships.bind(1, query.to)
        try memberships.forEachRow { row in sums[UInt32(truncatingIfNeeded: row.int64(0))]?.members = row.int64(1) }
        // Rows of offer, clicks, conversions, sales, commissions, paid; bound ?1 and ?2 the span.
        func add(_ sql: String, from: Int64, to: Int64) throws {
            let statement = try RawStatement(sql, in: db)
            statement.bind(1, from)
            statement.bind(2, to)
            try statement.forEachRow { row in
                let offerID = UInt32(truncatingIfNeeded: row.int64(0))
                guard var offer = sums[offerID] else { return }
                offer.clicks += row.int64(1)
                offer.conversions += row.int64(2)
                offer.totalSales += row.int64(3)
                offer.commissionsEarned += row.int64(4)
                offer.paid += row.int64(5)
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
                SELECT offer_id, SUM(billable), 0, 0, 0, 0 FROM click_rollups WHERE minute >= ?1 AND minute < ?2 GROUP BY offer_id
                """, from: from, to: to)
            try add("""
                SELECT offer_id, 0, SUM(conversions), SUM(sales), SUM(commissions), SUM(paid)
                FROM conversion_rollups WHERE minute >= ?1 AND minute < ?2 GROUP BY offer_id
                """, from: from, to: to)
        }
        return (offers, sums)
    }

    /// Counts, per offer, the members with a conversion and those with
    /// something due in the range, from their days and the partial days' minutes.
    static func memberCounts(_ db: Database, _ spans: ReportSpans) throws -> [UInt32: MemberCounts] {
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
            // In member order: each member's days are summed as they pass, and
            // only its total goes into the table with the edges'.
            let perMember = try RawStatement("""
                SELECT offer_id, partner_id, conversions, commissions, paid FROM member_daily WHERE day >= ?1 AND day < ?2
                """, in: db)
            perMember.bind(1, first)
            perMember.bind(2, end)
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
            try perMember.forEachRow { row in
                let key = UInt64(row.int64(0)) << 32 | UInt64(row.int64(1))
                if key != current {
                    flush()
                    current = key
                    running = (0, 0)
                }
                running.conversions += row.int64(2)
                running.due += row.int64(3) - row.int64(4)
            }
            flush()
        }
        for (from, to) in spans.edges {
            let perMember = try RawStatement("""
                SELECT offer_id, partner_id, conversions, commissions, paid FROM conversion_rollups
                WHERE minute >= ?1 AND minute < ?2 AND partner_id != 0
                """, in: db)
            perMember.bind(1, from)
            perMember.bind(2, to)
            try perMember.forEachRow { row in
                let key = UInt64(row.int64(0)) << 32 | UInt64(row.int64(1))
                var member = members[key] ?? (0, 0)
                member.conversions += row.int64(2)
                member.due += row.int64(3) - row.int64(4)
                members[key] = member
            }
        }
        for (key, member) in members { count(key, conversions: member.conversions, due: member.due) }
        return counts
    }

    /// Whole days from the per-member days (clicks of the days not compacted
    /// yet by the minute), the partial days at the ends of the range from the
    /// per-minute rollups of the offer.
    public func memberReport(offerID: UInt32, _ query: ReportQuery, text: String?) throws -> [MemberKPIs] {
        let spans = ReportSpans(query)
        let members = try self.members(MemberQuery(offerID: offerID, text: text, limit: 1_000_000))  // by partner id
        return try read { db in
            var figures: [UInt32: MemberKPIs] = [:]
            for member in members { figures[member.partner.id] = MemberKPIs(member: member) }
            // Rows of partner, clicks, conversions, sales, commissions, paid; bound ?1 offer, ?2 and ?3 the span.
            func add(_ sql: String, from: Int64, to: Int64) throws {
                let statement = try RawStatement(sql, in: db)
                statement.bind(1, Int64(offerID))
                statement.bind(2, from)
                statement.bind(3, to)
                try statement.forEachRow { row in
                    let partnerID = UInt32(truncatingIfNeeded: row.int64(0))
                    guard var member = figures[partnerID] else { return }
                    member.clicks += row.int64(1)
                    member.conversions += row.int64(2)
                    member.totalSales += row.int64(3)
                    member.commissionsEarned += row.int64(4)
                    member.paid += row.int64(5)
                    figures[partnerID] = member
                }
            }
            let clicksByMinute = """
                SELECT credited_partner_id, SUM(billable), 0, 0, 0, 0 FROM click_rollups
                WHERE minute >= ?2 AND minute < ?3 AND offer_id = ?1 GROUP BY credited_partner_id
                """
            if let (first, end) = spans.days {
                try add("""
                    SELECT partner_id, 0, SUM(conversions), SUM(sales), SUM(commissions), SUM(paid)
                    FROM member_daily WHERE offer_id = ?1 AND day >= ?2 AND day < ?3 GROUP BY partner_id
                    """, from: first, to: end)
                let compactedEnd = min(end, try Self.compactedThrough(db, .memberDays) + 1)
                if first < compactedEnd {
                    try add("""
                        SELECT partner_id, SUM(billable), 0, 0, 0, 0
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
                    SELECT partner_id, 0, SUM(conversions), SUM(sales), SUM(commissions), SUM(paid) FROM conversion_rollups
                    WHERE minute >= ?2 AND minute < ?3 AND offer_id = ?1 GROUP BY partner_id
                    """, from: from, to: to)
            }
            return members.compactMap { figures[$0.partner.id] }
        }
    }

    /// Whole UTC days: every day the range touches, from the daily rollups.
    public func dailySeries(_ query: ReportQuery) throws -> [DailyPoint] {
        let firstDay = floorDiv(query.from, 86_400_000), lastDay = floorDiv(query.to - 1, 86_400_000)
        guard firstDay <= lastDay else { return [] }
        return try read { db in
            let offerIDs = Set(try Self.selectedOffers(db, query).map(\.id))
            guard !offerIDs.isEmpty else { return [] }
            var points: [Int64: DailyPoint] = [:]
            let statement = try RawStatement("SELECT day, offer_id, billable, sales FROM offer_daily WHERE day >= ?1 AND day <= ?2", in: db)
            statement.bind(1, firstDay)
            statement.bind(2, lastDay)
            try statement.forEachRow { row in
                guard offerIDs.contains(UInt32(truncatingIfNeeded: row.int64(1))) else { return }
                let day = row.int64(0)
                var point = points[day] ?? DailyPoint(day: day, clicks: 0, sales: 0)
                point.clicks += row.int64(2)
                point.sales += row.int64(3)
                points[day] = point
            }
            return (firstDay...lastDay).map { points[$0] ?? DailyPoint(day: $0, clicks: 0, sales: 0) }
        }
    }

    /// The offers a report covers: by status, type and ids, in id order.
    static func selectedOffers(_ db: Database, _ query: ReportQuery) throws -> [Offer] {
        try GRDBConnection(db).rows("SELECT \(CatalogueSQL.offerColumns) FROM offers ORDER BY id").map(CatalogueSQL.offer(from:)).filter { offer in
            (query.status == nil || offer.effectiveStatus(at: query.now) == query.status)
                && (query.type == nil || offer.type == query.type)
                && (query.offerIDs == nil || query.offerIDs!.contains(offer.id))
        }
    }

    /// The range in whole minutes: a minute counts when it starts in `[from, to)`.
    static func minutes(_ query: ReportQuery) -> (Int64, Int64) {
        (floorDiv(query.from + 59_999, 60_000), floorDiv(query.to + 59_999, 60_000))
    }
}

/// A report's range as the whole UTC days it covers and the partial days at
/// its ends: whole days are read from the daily rollups, the rest by the minute.
struct ReportSpans {
    /// Days since the epoch, `[first, end)`; nil when the range holds no whole day.
    var days: (first: Int64, end: Int64)?
    /// Minute ranges `[from, to)` outside the whole days, none of them empty.
    var edges: [(from: Int64, to: Int64)]

    init(_ query: ReportQuery) {
        let (fromMinute, toMinute) = SQLiteStore.minutes(query)
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
