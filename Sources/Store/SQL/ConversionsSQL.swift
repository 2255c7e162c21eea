import ClickModel
import Domain
import Foundation
import Wire

/// Conversions, commissions and payments, the same on SQLite and PostgreSQL.
/// Each function runs inside the caller's transaction; `ConversionStore`
/// gives the contract.
public enum ConversionsSQL {
    /// The offer whose postback token this is; compared again in constant time
    /// after the index finds it, whose timing reveals no more than "found".
    public static func offer(_ db: some SQLConnection, postbackToken: String) throws -> Offer? {
        guard let offer = try CatalogueSQL.offer(db, postbackToken: postbackToken), let stored = offer.postbackToken,
              constantTimeEquals(Array(stored.utf8), Array(postbackToken.utf8)) else { return nil }
        return offer
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    // MARK: recording

    /// - Parameter memberURLs: for `promo_code.redeemed`, which carries the code's member.
    /// - Parameter rates: the offers' conversion rates, for `ConversionRateOutlier`; without them the rule is not applied.
    static func record(_ db: some SQLConnection, _ request: ConversionRequest, memberURLs: MemberURLs = .paths,
                       rates: OfferConversionRates? = nil, plan: (ConversionEvidence) -> ConversionPlan) throws -> ConversionRecording {
        if let delivery = request.shopify, let seen = try seenDelivery(db, delivery, orderID: request.orderID) {
            return seen
        }

        // The evidence: the code's member, the click, and the offer they name.
        var candidates = AttributionCandidates()
        var offerID = request.offerID
        var codeMember: Member?
        for code in request.codes {
            let upper = code.uppercased()
            guard let member = try CatalogueSQL.member(db, promoCode: upper), offerID == nil || offerID == member.offerID else { continue }
            offerID = offerID ?? member.offerID
            let offer = try CatalogueSQL.offer(db, id: member.offerID)
            var refusal = PromoRules.refusal(of: member, in: offer, at: request.now)
            if refusal == nil, member.promoCodeStatus == .leaked, offer?.leakedCodePolicy == .noCommission { refusal = .leakedCode }
            candidates.code = .init(code: upper, partnerID: refusal == nil ? member.partner.id : nil, refusal: refusal?.rawValue)
            // A leaked code credits nobody under no_commission, but it was used: counted, and more evidence.
            if refusal == nil || refusal == .leakedCode { codeMember = member }
            break
        }
        // A code its member gave up still names the offer and whose it was: the
        // order is recorded, and the code credits nobody.
        var replacedCodePartnerID: UInt32?
        if candidates.code == nil {
            for code in request.codes {
                let upper = code.uppercased()
                guard let replaced = try CatalogueSQL.replacedPromoCode(db, upper), offerID == nil || offerID == replaced.offerID else { continue }
                offerID = offerID ?? replaced.offerID
                replacedCodePartnerID = replaced.partnerID
                candidates.code = .init(code: upper, partnerID: nil, refusal: PromoRefusal.replacedCode.rawValue)
                break
            }
        }
        if candidates.code == nil, let first = request.codes.first {
            candidates.code = .init(code: first.uppercased(), partnerID: nil, refusal: PromoRefusal.unknownCode.rawValue)
        }
        var click: StoredClick?
        if let text = request.clickID {
            if let id = ClickID(text), let stored = try ClickPagesSQL.click(db, id: id), offerID == nil || offerID == stored.offerID {
                offerID = offerID ?? stored.offerID
                click = stored
                candidates.click = .init(clickID: text, found: true, partnerID: stored.creditedPartnerID,
                                         clickedAt: Int64(id.milliseconds), billable: stored.outcome == .billable)
            } else {
                candidates.click = .init(clickID: text, found: false)
            }
        }
        guard let offerID, let offer = try CatalogueSQL.offer(db, id: offerID) else {
            if let delivery = request.shopify { try insertDelivery(db, delivery, orderID: request.orderID, conversionID: nil, now: request.now) }
            return .ignored(reason: "no promo code of a member and no click of an offer of this workspace")
        }
        if let existing = try conversion(db, offerID: offer.id, orderID: request.orderID) {
            if let delivery = request.shopify { try insertDelivery(db, delivery, orderID: request.orderID, conversionID: existing.id, now: request.now) }
            return .existing(existing)
        }

        var terms: [UInt32: CreditTerms] = [:]
        var partners: [UInt32: Partner] = [:]
        for partnerID in [candidates.code?.partnerID, candidates.click.flatMap { $0.partnerID == 0 ? nil : $0.partnerID }].compactMap({ $0 })
        where partners[partnerID] == nil {
            // A member's row carries its partner; a click's partner may have left the offer since.
            let member = try CatalogueSQL.member(db, offerID: offer.id, partnerID: partnerID, previousCodes: false)
            partners[partnerID] = try member?.partner ?? CatalogueSQL.partner(db, id: partnerID)
            terms[partnerID] = CreditTerms(payoutOverride: member?.payoutOverride, parentID: partners[partnerID]?.parentID)
        }
        let planned = plan(ConversionEvidence(offer: offer, candidates: candidates, terms: terms, amount: request.amount, now: request.now))

        // The write: conversion, commission lines, the code's use, rollups.
        let minute = floorDiv(request.now, 60_000)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let subIDs = click?.subIDValues ?? []
        // The leak signals this order carries, counted before the write so that the order is flagged with them.
        let leakReasons = try codeMember.map { member in
            try QualitySQL.leakSignals(db, of: request, on: member, clickPartnerID: candidates.click?.partnerID)
        } ?? []
        // Suspect, not refused: a flag changes money only through the offer's policy.
        var flags = [
            request.fastConversion.flag(clickedAt: candidates.click.flatMap { $0.found ? $0.clickedAt : nil }, convertedAt: request.now),
            codeMember.flatMap { PromoCodeLeak.orderFlag(code: $0.promoCode ?? "", reasons: leakReasons, referrer: request.couponSite,
                                                         alreadyLeaked: $0.promoCodeStatus == .leaked) },
        ].compactMap { $0 }
        if let customer = request.customer, let partnerID = planned.decision.partnerID {
            // The credited partner is one of the candidates read above.
            if let flag = SelfReferral.flag(customer: customer, partnerEmail: partners[partnerID]?.email) {
                flags.append(flag)
            }
            if request.sharedCustomer.minimumPartners > 0 {
                let others = try db.row("""
                    SELECT COUNT(DISTINCT partner_id) FROM conversions
                    WHERE customer_hash = ? AND created_at >= ? AND partner_id IS NOT NULL AND partner_id != ? AND status = 'accepted'
                    """, [.text(customer.hash), .integer(request.now - Int64(request.sharedCustomer.windowDays) * 86_400_000),
                          .integer(Int64(partnerID))])?.int(0) ?? 0
                if let flag = request.sharedCustomer.flag(partners: others + 1) { flags.append(flag) }
            }
        }
        if let rates, offer.type == .link, request.conversionRate.factor > 0, let partnerID = planned.decision.partnerID {
            let known = try rates.rates(db, offerID: offer.id, rule: request.conversionRate, now: request.now)
            var partner = known.partners[partnerID] ?? .init(clicks: 0, conversions: 0)
            let others = ConversionRateOutlier.Counts(clicks: known.total.clicks - partner.clicks,
                                                      conversions: known.total.conversions - partner.conversions)
            partner.conversions += 1  // this one
            if let flag = request.conversionRate.flag(partner: partner, others: others) { flags.append(flag) }
        }
        let held = ReviewRules.holds(flags: flags, policy: offer.leakedCodePolicy)
        func sub(_ index: Int) -> SQLValue { SQLValue(subIDs.count > index ? subIDs[index] : nil) }
        let conversionID = try db.row("""
            INSERT INTO conversions (offer_id, order_id, partner_id, amount, currency, event, source, click_id,
                                     sub1, sub2, sub3, sub4, sub5, candidates, decision, minute, created_at, country, devices,
                                     link_id, rule, variant, flags, review, code_partner_id, customer_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, [
                .integer(Int64(offer.id)), .text(request.orderID), SQLValue(planned.decision.partnerID), .integer(request.amount.minorUnits),
                .text(request.amount.currency.code), SQLValue(request.event), .text(request.source.rawValue), SQLValue(request.clickID),
                sub(0), sub(1), sub(2), sub(3), sub(4),
                .text(String(decoding: try encoder.encode(candidates), as: UTF8.self)),
                .text(String(decoding: try encoder.encode(planned.decision), as: UTF8.self)), .integer(minute), .integer(request.now),
                .integer(Int64(click?.country.rawValue ?? 0)), .integer(Int64(click?.devices ?? 0)),
                .integer(Int64(click?.linkID ?? 0)), .integer(Int64(click?.record.rule ?? 0)), .integer(Int64(click?.record.variant ?? 0)),
                flags.isEmpty ? .null : .text(String(decoding: try encoder.encode(flags), as: UTF8.self)),
                held ? .text(Conversion.Review.held.rawValue) : .null, SQLValue(codeMember?.partner.id ?? replacedCodePartnerID),
                SQLValue(request.customer?.hash),
            ])?.int64(0)
        guard let conversionID else { throw StoreError(.unavailable, "the conversion's id was not returned") }
        var (status, availableAt) = HoldPolicy.newLine(of: offer, at: request.now)
        var reviewLog: [ReviewEntry] = []
        if held {
            status = .held
            let entry = ReviewEntry(decision: .held, reason: flags.map(\.detail).joined(separator: "; "), by: ReviewRules.service,
                                    at: request.now)
            try ReviewSQL.log(db, conversionID: conversionID, entry)
            reviewLog.append(entry)
        }
        var commissions: [Commission] = []
        for line in planned.lines {
            let lineID = try db.row("""
                INSERT INTO commissions (conversion_id, offer_id, partner_id, amount, kind, status, available_at, minute, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, [.integer(conversionID), .integer(Int64(offer.id)), .integer(Int64(line.partnerID)), .integer(line.minorUnits),
                      .text(line.kind.rawValue), .text(status.rawValue), .integer(availableAt), .integer(minute), .integer(request.now)])?.int64(0)
            guard let lineID else { throw StoreError(.unavailable, "the commission line's id was not returned") }
            commissions.append(Commission(id: lineID, conversionID: conversionID, offerID: offer.id, partnerID: line.partnerID,
                                          amount: Money(minorUnits: line.minorUnits, currency: request.amount.currency), kind: line.kind,
                                          status: status, availableAt: availableAt, paymentID: nil, reversesID: nil))
        }
        // The rollups once per row the conversion touches, not once per line and again for the sale.
        var sums: [UInt32: RollupSums] = [:]
        for line in planned.lines { sums[line.partnerID, default: RollupSums()].commissions += line.minorUnits }
        sums[planned.decision.partnerID ?? 0, default: RollupSums()].conversions += 1
        sums[planned.decision.partnerID ?? 0, default: RollupSums()].sales += request.amount.minorUnits
        try addRollups(db, minute: minute, offerID: offer.id, sums)
        if let member = codeMember {
            // The code was used on this order, whoever is credited.
            try db.execute("UPDATE memberships SET promo_uses = promo_uses + 1 WHERE offer_id = ? AND partner_id = ?",
                           [.integer(Int64(member.offerID)), .integer(Int64(member.partner.id))])
        }
        if let delivery = request.shopify {
            try insertDelivery(db, delivery, orderID: request.orderID, conversionID: conversionID, now: request.now)
        }
        // What was written, as reading it back would give it, and told to the brand's systems.
        var created = Conversion(
            id: conversionID, offerID: offer.id, orderID: request.orderID, partnerID: planned.decision.partnerID, amount: request.amount,
            status: .accepted, event: request.event, source: request.source, clickID: request.clickID,
            subIDs: (0..<5).map { subIDs.count > $0 ? subIDs[$0] : nil }, candidates: candidates, decision: planned.decision,
            commissions: commissions, createdAt: request.now, reversedAt: nil)
        created.flags = flags
        created.review = held ? .held : nil
        created.reviewLog = reviewLog
        try EventsSQL.emitConversion(db, .conversionCreated, created, now: request.now)
        if var used = codeMember {
            used.promoUses += 1  // as the update above left it
            try EventsSQL.emitMember(db, .promoCodeRedeemed, used, urls: memberURLs, now: request.now)
            // The order's leak signals, added to the code's evidence together.
            if !leakReasons.isEmpty {
                try QualitySQL.addLeakEvidence(db, used, order: request.orderID, referrer: request.couponSite, reasons: leakReasons,
                                               urls: memberURLs, now: request.now)
            }
        }
        return .created(created)
    }

    /// A delivery seen before: by its webhook id, its event id, or its store and order.
    static func seenDelivery(_ db: some SQLConnection, _ delivery: ShopifyDelivery, orderID: String) throws -> ConversionRecording? {
        guard let row = try db.row("""
            SELECT conversion_id FROM shopify_deliveries
            WHERE webhook_id = ? OR event_id = ? OR (store_id = ? AND order_id = ?) LIMIT 1
            """, [SQLValue(delivery.webhookID), SQLValue(delivery.eventID), .integer(Int64(delivery.storeID)), .text(orderID)]) else { return nil }
        if let id = try row.optionalInt64(0), let conversion = try conversion(db, id: id) { return .existing(conversion) }
        return .ignored(reason: "this delivery or order was received before")
    }

    static func insertDelivery(_ db: some SQLConnection, _ delivery: ShopifyDelivery, orderID: String, conversionID: Int64?, now: Int64) throws {
        try db.execute("""
            INSERT INTO shopify_deliveries (store_id, webhook_id, event_id, order_id, conversion_id, received_at) VALUES (?, ?, ?, ?, ?, ?)
            """, [.integer(Int64(delivery.storeID)), SQLValue(delivery.webhookID), SQLValue(delivery.eventID), .text(orderID),
                  SQLValue(conversionID), .integer(now)])
    }

    /// Adds to the conversion rollups of a minute and to the daily ones of its day.
    static func addRollup(_ db: some SQLConnection, minute: Int64, offerID: UInt32, partnerID: UInt32, conversions: Int64 = 0,
                          sales: Int64 = 0, commissions: Int64 = 0, paid: Int64 = 0) throws {
        try addRollups(db, minute: minute, offerID: offerID,
                       [partnerID: RollupSums(conversions: conversions, sales: sales, commissions: commissions, paid: paid)])
    }

    /// What one change adds to a partner's rollup rows.
    struct RollupSums {
        var conversions: Int64 = 0
        var sales: Int64 = 0
        var commissions: Int64 = 0
        var paid: Int64 = 0

        var values: [SQLValue] { [.integer(conversions), .integer(sales), .integer(commissions), .integer(paid)] }

        static func + (a: RollupSums, b: RollupSums) -> RollupSums {
            RollupSums(conversions: a.conversions + b.conversions, sales: a.sales + b.sales, commissions: a.commissions + b.commissions,
                       paid: a.paid + b.paid)
        }
    }

    /// Adds each partner's sums (partner 0: none credited) to its minute and
    /// day rows, and their total to the offer's day row: one upsert per row,
    /// partners in id order, so that transactions take the rows' locks in
    /// the same order.
    static func addRollups(_ db: some SQLConnection, minute: Int64, offerID: UInt32, _ sums: [UInt32: RollupSums]) throws {
        let day = floorDiv(minute, 1440)
        for (partnerID, figures) in sums.sorted(by: { $0.key < $1.key }) {
            try db.execute(RollupUpserts.minute, [.integer(minute), .integer(Int64(offerID)), .integer(Int64(partnerID))] + figures.values)
            guard partnerID != 0 else { continue }
            try db.execute(RollupUpserts.memberDay, [.integer(day), .integer(Int64(offerID)), .integer(Int64(partnerID))] + figures.values)
        }
        let total = sums.values.reduce(RollupSums(), +)
        try db.execute(RollupUpserts.offerDay, [.integer(day), .integer(Int64(offerID))] + total.values)
    }

    /// The upserts of `addRollup`, written out once: each adds the four sums to its row.
    private enum RollupUpserts {
        static let sums = ["conversions", "sales", "commissions", "paid"]

        static func added(_ table: String) -> String {
            sums.map { "\($0) = \(table).\($0) + excluded.\($0)" }.joined(separator: ", ")
        }

        static let minute = """
            INSERT INTO conversion_rollups (minute, offer_id, partner_id, \(sums.joined(separator: ", "))) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (minute, offer_id, partner_id) DO UPDATE SET \(added("conversion_rollups"))
            """
        static let offerDay = """
            INSERT INTO offer_daily (day, offer_id, \(sums.joined(separator: ", "))) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (day, offer_id) DO UPDATE SET \(added("offer_daily"))
            """
        static let memberDay = """
            INSERT INTO member_daily (day, offer_id, partner_id, \(sums.joined(separator: ", "))) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (offer_id, partner_id, day) DO UPDATE SET \(added("member_daily"))
            """
    }

    // MARK: reading

    static let conversionColumns = """
        id, offer_id, order_id, partner_id, amount, currency, status, event, source, click_id, sub1, sub2, sub3, sub4, sub5,
        candidates, decision, created_at, reversed_at, flags, review
        """

    public static func conversion(_ db: some SQLConnection, id: Int64) throws -> Conversion? {
        try db.row("SELECT \(conversionColumns) FROM conversions WHERE id = ?", [.integer(id)]).map { try conversion(from: $0, db) }
    }

    static func conversion(_ db: some SQLConnection, offerID: UInt32, orderID: String) throws -> Conversion? {
        try db.row("SELECT \(conversionColumns) FROM conversions WHERE offer_id = ? AND order_id = ?", [.integer(Int64(offerID)), .text(orderID)])
            .map { try conversion(from: $0, db) }
    }

    public static func conversions(_ db: some SQLConnection, _ query: ConversionQuery) throws -> [Conversion] {
        var conditions = ["id > ?"]
        var arguments: [SQLValue] = [.integer(query.afterID)]
        if let offerID = query.offerID { conditions.append("offer_id = ?"); arguments.append(.integer(Int64(offerID))) }
        if let partnerID = query.partnerID { conditions.append("partner_id = ?"); arguments.append(.integer(Int64(partnerID))) }
        if let status = query.status { conditions.append("status = ?"); arguments.append(.text(status.rawValue)) }
        if let review = query.review { conditions.append("review = ?"); arguments.append(.text(review.rawValue)) }
        if let from = query.from { conditions.append("created_at >= ?"); arguments.append(.integer(from)) }
        if let to = query.to { conditions.append("created_at < ?"); arguments.append(.integer(to)) }
        arguments.append(SQLValue(query.limit))
        return try db.rows("SELECT \(conversionColumns) FROM conversions WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?",
                           arguments).map { try conversion(from: $0, db) }
    }

    static func conversion(from row: SQLRow, _ db: some SQLConnection) throws -> Conversion {
        let currency = Currency(try row.text(5)) ?? .usd
        let id = try row.int64(0)
        let decoder = JSONDecoder()
        let commissions = try db.rows("""
            SELECT id, conversion_id, offer_id, partner_id, amount, kind, status, available_at, payment_id, reverses_id
            FROM commissions WHERE conversion_id = ? ORDER BY id
            """, [.integer(id)]).map { line in
            Commission(id: try line.int64(0), conversionID: try line.int64(1), offerID: try line.id(2), partnerID: try line.id(3),
                       amount: Money(minorUnits: try line.int64(4), currency: currency),
                       kind: CommissionLine.Kind(rawValue: try line.text(5)) ?? .direct,
                       status: Commission.Status(rawValue: try line.text(6)) ?? .pending, availableAt: try line.int64(7),
                       paymentID: try line.optionalInt64(8), reversesID: try line.optionalInt64(9))
        }
        var conversion = Conversion(
            id: id, offerID: try row.id(1), orderID: try row.text(2), partnerID: try row.optionalID(3),
            amount: Money(minorUnits: try row.int64(4), currency: currency),
            status: Conversion.Status(rawValue: try row.text(6)) ?? .accepted, event: try row.optionalText(7),
            source: ConversionSource(rawValue: try row.text(8)) ?? .postback, clickID: try row.optionalText(9),
            subIDs: try (10...14).map { try row.optionalText($0) },
            candidates: try decoder.decode(AttributionCandidates.self, from: Data(try row.text(15).utf8)),
            decision: try decoder.decode(AttributionDecision.self, from: Data(try row.text(16).utf8)),
            commissions: commissions, createdAt: try row.int64(17), reversedAt: try row.optionalInt64(18))
        if let flags = try row.optionalText(19) { conversion.flags = try decoder.decode([QualityFlag].self, from: Data(flags.utf8)) }
        if let review = try row.optionalText(20) {
            conversion.review = Conversion.Review(rawValue: review)
            conversion.reviewLog = try ReviewSQL.log(db, conversionID: id)
        }
        return conversion
    }

    // MARK: reversal

    public static func reverse(_ db: some SQLConnection, id: Int64, at now: Int64) throws -> Conversion {
        guard let conversion = try conversion(db, id: id) else { throw StoreError(.notFound, "conversion \(id) does not exist") }
        guard conversion.status == .accepted else { return conversion }
        let minute = try db.row("SELECT minute FROM conversions WHERE id = ?", [.integer(id)])?.int64(0) ?? 0
        try db.execute("UPDATE conversions SET status = 'reversed', reversed_at = ? WHERE id = ?", [.integer(now), .integer(id)])
        try addRollup(db, minute: minute, offerID: conversion.offerID, partnerID: conversion.partnerID ?? 0,
                      conversions: -1, sales: -conversion.amount.minorUnits)
        for line in conversion.commissions where line.reversesID == nil {
            switch line.status {
            case .pending, .approved, .held:
                try db.execute("UPDATE commissions SET status = 'reversed' WHERE id = ?", [.integer(line.id)])
            case .paid:
                // Paid money is not taken back silently: a negative line, due at once.
                try db.execute("""
                    INSERT INTO commissions (conversion_id, offer_id, partner_id, amount, kind, status, available_at, minute, reverses_id, created_at)
                    VALUES (?, ?, ?, ?, ?, 'approved', ?, ?, ?, ?)
                    """, [.integer(id), .integer(Int64(line.offerID)), .integer(Int64(line.partnerID)), .integer(-line.amount.minorUnits),
                          .text(line.kind.rawValue), .integer(now), .integer(minute), .integer(line.id), .integer(now)])
            case .rejected:
                // Taken out of the rollups when it was rejected.
                try db.execute("UPDATE commissions SET status = 'reversed' WHERE id = ?", [.integer(line.id)])
                continue
            case .reversed:
                continue
            }
            try addRollup(db, minute: minute, offerID: line.offerID, partnerID: line.partnerID, commissions: -line.amount.minorUnits)
        }
        guard let reversed = try self.conversion(db, id: id) else { throw StoreError(.unavailable, "the conversion cannot be read back") }
        try EventsSQL.emitConversion(db, .conversionReversed, reversed, now: now)
        return reversed
    }

    // MARK: payments

    /// Lines whose hold has ended become due, each told as `commission.approved`
    /// (the line, with its conversion and offer). Returns how many.
    @discardableResult
    public static func approveMatured(_ db: some SQLConnection, now: Int64) throws -> Int {
        let matured = try db.rows("""
            SELECT id, conversion_id, offer_id, partner_id, amount, kind, available_at, reverses_id FROM commissions
            WHERE status = 'pending' AND available_at <= ? ORDER BY id
            """, [.integer(now)])
        guard !matured.isEmpty else { return 0 }
        let currency = try WorkspaceSQL.currency(db)
        try db.execute("UPDATE commissions SET status = 'approved' WHERE status = 'pending' AND available_at <= ?", [.integer(now)])
        for row in matured {
            let line = Commission(id: try row.int64(0), conversionID: try row.int64(1), offerID: try row.id(2), partnerID: try row.id(3),
                                  amount: Money(minorUnits: try row.int64(4), currency: currency),
                                  kind: CommissionLine.Kind(rawValue: try row.text(5)) ?? .direct, status: .approved,
                                  availableAt: try row.int64(6), paymentID: nil, reversesID: try row.optionalInt64(7))
            try EventsSQL.emit(db, .commissionApproved, data: ApprovedCommission(line: line), now: now)
        }
        return matured.count
    }

    /// `commission.approved`'s data: the line as the API shows it within its
    /// conversion, with the conversion and offer it belongs to.
    struct ApprovedCommission: Encodable {
        let line: Commission

        func encode(to encoder: any Encoder) throws {
            try ConversionBody.CommissionBody(line).encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(line.conversionID, forKey: .conversion_id)
            try c.encode(line.offerID, forKey: .offer_id)
        }

        enum Keys: String, CodingKey { case conversion_id, offer_id }
    }

    static func dueFilter(_ query: PaymentQuery) -> (String, [SQLValue]) {
        var conditions = ["c.status = 'approved'"]
        var arguments: [SQLValue] = []
        if let offerID = query.offerID { conditions.append("c.offer_id = ?"); arguments.append(.integer(Int64(offerID))) }
        if !query.partnerIDs.isEmpty {
            conditions.append("c.partner_id IN (\(Array(repeating: "?", count: query.partnerIDs.count).joined(separator: ", ")))")
            arguments += query.partnerIDs.map { .integer(Int64($0)) }
        }
        return (conditions.joined(separator: " AND "), arguments)
    }

    public static func due(_ db: some SQLConnection, _ query: PaymentQuery, currency: Currency) throws -> [PaymentDue] {
        try approveMatured(db, now: query.now)
        let (filter, arguments) = dueFilter(query)
        return try db.rows("""
            SELECT c.partner_id, CAST(SUM(c.amount) AS BIGINT), COUNT(*) FROM commissions c WHERE \(filter)
            GROUP BY c.partner_id ORDER BY c.partner_id
            """, arguments).compactMap { row in
            guard let partner = try CatalogueSQL.partner(db, id: try row.id(0)) else { return nil }
            return PaymentDue(partner: partner, amount: Money(minorUnits: try row.int64(1), currency: currency), commissions: try row.int(2))
        }
    }

    public static func pay(_ db: some SQLConnection, _ query: PaymentQuery, reference: String?, currency: Currency) throws -> [Payment] {
        try approveMatured(db, now: query.now)
        let (filter, arguments) = dueFilter(query)
        let due = try db.rows("""
            SELECT c.partner_id, CAST(SUM(c.amount) AS BIGINT), COUNT(*) FROM commissions c WHERE \(filter) GROUP BY c.partner_id
            HAVING SUM(c.amount) > 0 ORDER BY c.partner_id
            """, arguments)
        var payments: [Payment] = []
        for row in due {
            let partnerID = try row.id(0)
            let amount = try row.int64(1)
            let count = try row.int(2)
            let paymentID = try db.row("""
                INSERT INTO payments (partner_id, amount, currency, offer_id, reference, commissions, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, [.integer(Int64(partnerID)), .integer(amount), .text(currency.code), SQLValue(query.offerID), SQLValue(reference),
                      SQLValue(count), .integer(query.now)])?.int64(0)
            guard let paymentID else { throw StoreError(.unavailable, "the payment's id was not returned") }
            // Each paid line counts as paid in the rollup of its conversion's minute.
            let lines = try db.rows("SELECT c.id, c.minute, c.offer_id, c.amount FROM commissions c WHERE \(filter) AND c.partner_id = ?",
                                    arguments + [.integer(Int64(partnerID))])
            for line in lines {
                try db.execute("UPDATE commissions SET status = 'paid', payment_id = ? WHERE id = ?", [.integer(paymentID), .integer(try line.int64(0))])
                try addRollup(db, minute: try line.int64(1), offerID: try line.id(2), partnerID: partnerID, paid: try line.int64(3))
            }
            let payment = Payment(id: paymentID, partnerID: partnerID, amount: Money(minorUnits: amount, currency: currency),
                                  offerID: query.offerID, reference: reference, commissions: count, createdAt: query.now)
            try EventsSQL.emit(db, .paymentCreated, data: PaymentBody(payment), now: query.now)
            payments.append(payment)
        }
        return payments
    }

    public static func payments(_ db: some SQLConnection, partnerID: UInt32?, afterID: Int64, limit: Int) throws -> [Payment] {
        var sql = "SELECT id, partner_id, amount, currency, offer_id, reference, commissions, created_at FROM payments WHERE id > ?"
        var arguments: [SQLValue] = [.integer(afterID)]
        if let partnerID { sql += " AND partner_id = ?"; arguments.append(.integer(Int64(partnerID))) }
        sql += " ORDER BY id LIMIT ?"
        arguments.append(SQLValue(limit))
        return try db.rows(sql, arguments).map { row in
            Payment(id: try row.int64(0), partnerID: try row.id(1),
                    amount: Money(minorUnits: try row.int64(2), currency: Currency(try row.text(3)) ?? .usd),
                    offerID: try row.optionalID(4), reference: try row.optionalText(5), commissions: try row.int(6), createdAt: try row.int64(7))
        }
    }
}
