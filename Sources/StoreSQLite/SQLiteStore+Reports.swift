import ClickModel
import GRDB
import Store

extension SQLiteStore: ReportStore {
    public func offerReport(_ query: ReportQuery) throws -> [OfferKPIs] {
        let (fromMinute, toMinute) = Self.minutes(query)
        return try read { db in
            let offers = try Row.fetchAll(db, sql: "SELECT \(Self.offerColumns) FROM offers ORDER BY id").map(Self.offer(from:)).filter { offer in
                (query.status == nil || offer.effectiveStatus(at: query.now) == query.status)
                    && (query.type == nil || offer.type == query.type)
                    && (query.offerIDs == nil || query.offerIDs!.contains(offer.id))
            }
            var sums: [UInt32: KPISums] = [:]
            for offer in offers { sums[offer.id] = KPISums() }
            for row in try Row.fetchAll(db, sql: "SELECT offer_id, COUNT(*) FROM memberships WHERE created_at < ? GROUP BY offer_id",
                                        arguments: [query.to]) {
                sums[UInt32(row[0] as Int64)]?.members = row[1]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT offer_id, SUM(billable) FROM click_rollups WHERE minute >= ? AND minute < ? GROUP BY offer_id
                """, arguments: [fromMinute, toMinute]) {
                sums[UInt32(row[0] as Int64)]?.clicks = row[1]
            }
            let conversions = try Row.fetchCursor(db, sql: """
                SELECT offer_id, partner_id, SUM(conversions), SUM(sales), SUM(commissions), SUM(paid)
                FROM conversion_rollups WHERE minute >= ? AND minute < ? GROUP BY offer_id, partner_id
                """, arguments: [fromMinute, toMinute])
            while let row = try conversions.next() {
                let offerID = UInt32(row[0] as Int64)
                guard var offer = sums[offerID] else { continue }
                let partnerID: Int64 = row[1]
                let (count, sales, earned, paid): (Int64, Int64, Int64, Int64) = (row[2], row[3], row[4], row[5])
                offer.conversions += count
                offer.totalSales += sales
                offer.commissionsEarned += earned
                offer.paid += paid
                if partnerID != 0 && count > 0 { offer.membersWithConversions += 1 }
                if partnerID != 0 && earned - paid > 0 { offer.membersWithPaymentsDue += 1 }
                sums[offerID] = offer
            }
            return offers.map { OfferKPIs(offer: $0, sums: sums[$0.id] ?? KPISums()) }
        }
    }

    public func memberReport(offerID: UInt32, _ query: ReportQuery, text: String?) throws -> [MemberKPIs] {
        let (fromMinute, toMinute) = Self.minutes(query)
        var members = try self.members(MemberQuery(offerID: offerID, text: text, limit: 1_000_000))
        members.sort { $0.partner.id < $1.partner.id }
        return try read { db in
            var figures: [UInt32: MemberKPIs] = [:]
            for member in members { figures[member.partner.id] = MemberKPIs(member: member) }
            for row in try Row.fetchAll(db, sql: """
                SELECT credited_partner_id, SUM(billable) FROM click_rollups
                WHERE minute >= ? AND minute < ? AND offer_id = ? GROUP BY credited_partner_id
                """, arguments: [fromMinute, toMinute, Int64(offerID)]) {
                figures[UInt32(row[0] as Int64)]?.clicks = row[1]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT partner_id, SUM(conversions), SUM(sales), SUM(commissions), SUM(paid) FROM conversion_rollups
                WHERE minute >= ? AND minute < ? AND offer_id = ? GROUP BY partner_id
                """, arguments: [fromMinute, toMinute, Int64(offerID)]) {
                let partnerID = UInt32(row[0] as Int64)
                guard var member = figures[partnerID] else { continue }
                member.conversions = row[1]
                member.totalSales = row[2]
                member.commissionsEarned = row[3]
                member.paid = row[4]
                figures[partnerID] = member
            }
            return members.compactMap { figures[$0.partner.id] }
        }
    }

    public func dailySeries(_ query: ReportQuery) throws -> [DailyPoint] {
        let (fromMinute, toMinute) = Self.minutes(query)
        let offerIDs = try offerReport(query).map { $0.offer.id }
        guard !offerIDs.isEmpty else { return [] }
        let list = offerIDs.map(String.init).joined(separator: ",")
        return try read { db in
            var points: [Int64: DailyPoint] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT minute / 1440, SUM(billable) FROM click_rollups
                WHERE minute >= ? AND minute < ? AND offer_id IN (\(list)) GROUP BY minute / 1440
                """, arguments: [fromMinute, toMinute]) {
                let day: Int64 = row[0]
                points[day, default: DailyPoint(day: day, clicks: 0, sales: 0)].clicks = row[1]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT minute / 1440, SUM(sales) FROM conversion_rollups
                WHERE minute >= ? AND minute < ? AND offer_id IN (\(list)) GROUP BY minute / 1440
                """, arguments: [fromMinute, toMinute]) {
                let day: Int64 = row[0]
                points[day, default: DailyPoint(day: day, clicks: 0, sales: 0)].sales = row[1]
            }
            let firstDay = Self.floorDiv(query.from, 86_400_000), lastDay = Self.floorDiv(query.to - 1, 86_400_000)
            guard firstDay <= lastDay else { return [] }
            return (firstDay...lastDay).map { points[$0] ?? DailyPoint(day: $0, clicks: 0, sales: 0) }
        }
    }

    /// The range in whole minutes: a minute counts when it starts in `[from, to)`.
    static func minutes(_ query: ReportQuery) -> (Int64, Int64) {
        (floorDiv(query.from + 59_999, 60_000), floorDiv(query.to + 59_999, 60_000))
    }
}
