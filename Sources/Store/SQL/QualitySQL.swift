import Synchronization
import Domain

/// Quality and fraud (SPEC section 14), the same on SQLite and PostgreSQL;
/// each function runs inside the caller's transaction.
public enum QualitySQL {
    /// The leak signals an order on `member`'s code carries, its redemption
    /// counted: the check every order on a member's code goes through (the
    /// coupon site itself is found before, from the order's referrer).
    /// - Parameter clickPartnerID: the partner of the click the order names, if it names one.
    /// - Returns: the reasons (`PromoCodeLeak.couponSite` and the others) in a fixed order; empty when none fired.
    public static func leakSignals(_ db: some SQLConnection, of request: ConversionRequest, on member: Member,
                                   clickPartnerID: UInt32?) throws -> [String] {
        var reasons: [String] = []
        if request.couponSite != nil { reasons.append(PromoCodeLeak.couponSite) }
        // A customer never seen before, and no click of the code's owner on the order.
        var newWithoutClick = false
        if let customer = request.customer, clickPartnerID != member.partner.id {
            newWithoutClick = try db.row("SELECT 1 FROM conversions WHERE customer_hash = ? LIMIT 1", [.text(customer.hash)]) == nil
        }
        let signals = try countRedemption(db, member, newWithoutClick: newWithoutClick, spike: request.redemptionSpike,
                                          newCustomers: request.newCustomers, now: request.now)
        if signals.spike { reasons.append(PromoCodeLeak.redemptionSpike) }
        if signals.newCustomers { reasons.append(PromoCodeLeak.newCustomers) }
        return reasons
    }

    /// Counts a redemption of `member`'s code in its hour (and whether it was
    /// a new customer's without a click of the owner); says whether the hour
    /// is a spike against the code's own trailing hours (`RedemptionSpike`;
    /// only hours since the member joined count) and whether the new-customer
    /// signal fires (`NewCustomerSignal`).
    static func countRedemption(_ db: some SQLConnection, _ member: Member, newWithoutClick: Bool, spike: RedemptionSpike,
                                newCustomers: NewCustomerSignal, now: Int64) throws -> (spike: Bool, newCustomers: Bool) {
        let hour = floorDiv(now, 3_600_000)
        let key: [SQLValue] = [.integer(Int64(member.offerID)), .integer(Int64(member.partner.id))]
        guard let orders = try db.row("""
            INSERT INTO code_redemption_hours (offer_id, partner_id, hour, orders, new_unclicked) VALUES (?, ?, ?, 1, ?)
            ON CONFLICT (offer_id, partner_id, hour) DO UPDATE SET orders = code_redemption_hours.orders + 1,
                new_unclicked = code_redemption_hours.new_unclicked + excluded.new_unclicked
            RETURNING orders
            """, key + [.integer(hour), .integer(newWithoutClick ? 1 : 0)])?.int(0) else { return (false, false) }
        let watchesNewCustomers = newCustomers.sharePercent > 0 && newWithoutClick
        guard orders >= spike.minimumOrders || watchesNewCustomers else { return (false, false) }
        // A week back: the spike's trailing hours, and the new-customer signal's day and the six before it.
        let first = max(hour - Int64(RedemptionSpike.trailingHours), floorDiv(member.createdAt, 3_600_000))
        var trailing = [Int](repeating: 0, count: Int(max(0, hour - first)))
        var recent = NewCustomerSignal.Counts(orders: 0, newWithoutClick: 0), before = recent
        for row in try db.rows("""
            SELECT hour, orders, new_unclicked FROM code_redemption_hours WHERE offer_id = ? AND partner_id = ? AND hour >= ? AND hour <= ?
            """, key + [.integer(first), .integer(hour)]) {
            let (at, count, new) = (try row.int64(0), try row.int(1), try row.int(2))
            if at < hour { trailing[Int(at - first)] = count }
            if hour - at < Int64(NewCustomerSignal.recentHours) {
                recent.orders += count
                recent.newWithoutClick += new
            } else {
                before.orders += count
                before.newWithoutClick += new
            }
        }
        let spiked = orders >= spike.minimumOrders && spike.isSpike(orders: orders, trailing: trailing)
        return (spiked, watchesNewCustomers && newCustomers.fires(recent: recent, before: before))
    }

    /// Adds an order to the evidence that `member`'s code has leaked. The
    /// first time, the code is flagged and the brand told: the
    /// `promo_code.leaked` event, and an email to each owner through the outbox.
    static func addLeakEvidence(_ db: some SQLConnection, _ member: Member, order: String, referrer: String?, reasons: [String],
                                urls: MemberURLs, now: Int64) throws {
        guard let flagged = try CatalogueSQL.addLeakEvidence(db, member, order: order, referrer: referrer, reasons: reasons, now: now) else {
            return
        }
        try EventsSQL.emitMember(db, .promoCodeLeaked, flagged, urls: urls, now: now)
        let code = flagged.promoCode ?? ""
        let body = """
            The promo code \(code) of \(flagged.partner.name) (offer \(flagged.offerID)) looks leaked: \(Self.why(reasons, order: order, referrer: referrer)).

            The code keeps earning as the offer's policy says. To give \(flagged.partner.name) a new code and stop the
            old one earning: PATCH /v1/offers/\(flagged.offerID)/members/\(flagged.partner.id) {"refresh_code": true}.
            The member's promo_code_status and leak show the orders and referrers found.
            """
        try OutboxSQL.enqueueToOwners(db, offerID: flagged.offerID, subject: "Promo code \(code) looks leaked", body: body, now: now)
    }

    static func why(_ reasons: [String], order: String, referrer: String?) -> String {
        reasons.map { reason in
            switch reason {
            case PromoCodeLeak.redemptionSpike: "order \(order) made an hour of redemptions far above the code's usual hours"
            case PromoCodeLeak.newCustomers: "order \(order) made a day of orders mostly by new customers with no click of its owner"
            default: "order \(order) came from \(referrer ?? "a coupon site"), a coupon, deal or cashback site"
            }
        }.joined(separator: "; ")
    }

    // MARK: the partner quality report

    /// `QualityRow`s of the range: clicks from the per-minute rollups (kept
    /// whole), conversions and commission lines by their creation time.
    public static func report(_ db: some SQLConnection, _ query: ReportQuery) throws -> [QualityRow] {
        var rows: [UInt32: QualityRow] = [:]
        func add(_ sql: String, _ arguments: [SQLValue], _ body: (inout QualityRow, UnsafeBufferPointer<Int64>) -> Void) throws {
            try db.forEachIntegerRow(sql, arguments) { values in
                let id = UInt32(truncatingIfNeeded: values[0])
                var row = rows[id] ?? QualityRow(partnerID: id)
                body(&row, values)
                rows[id] = row
            }
        }
        let offers = query.offerIDs.map { ids in " AND offer_id IN (\(ids.isEmpty ? "NULL" : ids.sorted().map(String.init).joined(separator: ", ")))" } ?? ""
        let minutes: [SQLValue] = [.integer(floorDiv(query.from, 60_000)), .integer(floorDiv(query.to + 59_999, 60_000))]
        let times: [SQLValue] = [.integer(query.from), .integer(query.to)]
        try add("""
            SELECT credited_partner_id, CAST(SUM(clicks) AS BIGINT), CAST(SUM(bot) + SUM(invalid) AS BIGINT) FROM click_rollups
            WHERE minute >= ? AND minute < ? AND credited_partner_id != 0\(offers) GROUP BY credited_partner_id
            """, minutes) { row, values in
            row.clicks += values[1]
            row.invalidClicks += values[2]
        }
        try add("""
            SELECT partner_id, COUNT(*) FROM conversions
            WHERE created_at >= ? AND created_at < ? AND partner_id IS NOT NULL AND flags IS NOT NULL AND status = 'accepted'\(offers)
            GROUP BY partner_id
            """, times) { row, values in row.flaggedConversions += values[1] }
        try add("""
            SELECT code_partner_id, COUNT(*) FROM conversions
            WHERE created_at >= ? AND created_at < ? AND code_partner_id IS NOT NULL AND flags LIKE '%"leaked_code"%'\(offers)
            GROUP BY code_partner_id
            """, times) { row, values in row.leakedCodeOrders += values[1] }
        try add("""
            SELECT partner_id, CAST(SUM(amount) AS BIGINT) FROM commissions
            WHERE created_at >= ? AND created_at < ? AND status = 'held'\(offers) GROUP BY partner_id
            """, times) { row, values in row.heldCommission += values[1] }
        return rows.values.sorted { $0.partnerID < $1.partnerID }
    }
}

/// Each link offer's partners' billable clicks and conversions over the
/// conversion-rate rule's window, read from the member report's rollups at
/// most every ten minutes per offer (`ConversionRateOutlier`), so that
/// judging a conversion costs a dictionary lookup rather than a report.
final class OfferConversionRates: Sendable {
    typealias Counts = ConversionRateOutlier.Counts
    struct Rates: Sendable {
        var readAt: Int64
        var partners: [UInt32: Counts]
        var total: Counts
    }

    static let refreshMilliseconds: Int64 = 600_000
    private let offers = Mutex<[UInt32: Rates]>([:])

    /// The offer's rates as of at most ten minutes before `now`, read in the caller's transaction when older.
    func rates(_ db: some SQLConnection, offerID: UInt32, rule: ConversionRateOutlier, now: Int64) throws -> Rates {
        if let known = offers.withLock({ $0[offerID] }), now - known.readAt < Self.refreshMilliseconds, known.readAt <= now { return known }
        let members = try CatalogueSQL.members(db, MemberQuery(offerID: offerID, text: nil, limit: 1_000_000))
        let window = ReportQuery(from: now - Int64(rule.windowDays) * 86_400_000, to: now, now: now)
        var rates = Rates(readAt: now, partners: [:], total: Counts(clicks: 0, conversions: 0))
        for row in try ReportsSQL.memberReport(db, offerID: offerID, window, members: members) {
            rates.partners[row.member.partner.id] = Counts(clicks: row.clicks, conversions: row.conversions)
            rates.total.clicks += row.clicks
            rates.total.conversions += row.conversions
        }
        offers.withLock { offers in
            if offers.count >= 10_000 { offers.removeAll() }  // never unbounded
            offers[offerID] = rates
        }
        return rates
    }
}
