import ClickModel
import Foundation
import GRDB
import Store

extension SQLiteStore: ConversionStore {
    public func offer(postbackToken: String) throws -> Offer? {
        // Found by its index, then compared again in constant time: the lookup
        // itself is a B-tree seek, whose timing reveals no more than "found".
        try read { db in
            guard let offer = try CatalogueSQL.offer(GRDBConnection(db), postbackToken: postbackToken),
                  let stored = offer.postbackToken,
                  Self.constantTimeEquals(Array(stored.utf8), Array(postbackToken.utf8)) else { return nil }
            return offer
        }
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    // MARK: recording

    public func recordConversion(_ request: ConversionRequest, plan: (ConversionEvidence) -> ConversionPlan) throws -> ConversionRecording {
        try write { db in
            if let delivery = request.shopify, let seen = try Self.seenDelivery(db, delivery, orderID: request.orderID) {
                return seen
            }

            // The evidence: the code's member, the click, and the offer they name.
            var candidates = AttributionCandidates()
            var offerID = request.offerID
            var codeMember: Member?
            for code in request.codes {
                let upper = code.uppercased()
                guard let member = try CatalogueSQL.member(GRDBConnection(db), promoCode: upper),
                      offerID == nil || offerID == member.offerID else { continue }
                offerID = offerID ?? member.offerID
                let refusal = try Self.promoRefusal(db, member: member, now: request.now)
                candidates.code = .init(code: upper, partnerID: refusal == nil ? member.partner.id : nil, refusal: refusal?.rawValue)
                if refusal == nil { codeMember = member }
                break
            }
            if candidates.code == nil, let first = request.codes.first {
                candidates.code = .init(code: first.uppercased(), partnerID: nil, refusal: PromoRefusal.unknownCode.rawValue)
            }
            var click: StoredClickRow?
            if let text = request.clickID {
                if let id = ClickID(text), let stored = try Self.fetchClick(db, id: id), offerID == nil || offerID == stored.offerID {
                    offerID = offerID ?? stored.offerID
                    click = stored
                    candidates.click = .init(clickID: text, found: true, partnerID: stored.creditedPartnerID,
                                             clickedAt: Int64(id.milliseconds), billable: stored.outcome == .billable)
                } else {
                    candidates.click = .init(clickID: text, found: false)
                }
            }
            guard let offerID, let offer = try Self.fetchOffer(db, id: offerID) else {
                if let delivery = request.shopify { try Self.insertDelivery(db, delivery, orderID: request.orderID, conversionID: nil, now: request.now) }
                return .ignored(reason: "no promo code of a member and no click of an offer of this workspace")
            }
            if let existing = try Self.fetchConversion(db, offerID: offer.id, orderID: request.orderID) {
                if let delivery = request.shopify { try Self.insertDelivery(db, delivery, orderID: request.orderID, conversionID: existing.id, now: request.now) }
                return .existing(existing)
            }

            var terms: [UInt32: CreditTerms] = [:]
            for partnerID in [candidates.code?.partnerID, candidates.click.flatMap { $0.partnerID == 0 ? nil : $0.partnerID }].compactMap({ $0 }) {
                let member = try Self.fetchMember(db, offerID: offer.id, partnerID: partnerID)
                let partner = try Self.fetchPartner(db, id: partnerID)
                terms[partnerID] = CreditTerms(payoutOverride: member?.payoutOverride, parentID: partner?.parentID)
            }
            let planned = plan(ConversionEvidence(offer: offer, candidates: candidates, terms: terms, amount: request.amount, now: request.now))

            // The write: conversion, commission lines, the code's use, rollups.
            let minute = floorDiv(request.now, 60_000)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let subIDs = click?.subIDs ?? []
            try db.execute(sql: """
                INSERT INTO conversions (offer_id, order_id, partner_id, amount, currency, event, source, click_id,
                                         sub1, sub2, sub3, sub4, sub5, candidates, decision, minute, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    Int64(offer.id), request.orderID, planned.decision.partnerID.map { Int64($0) }, request.amount.minorUnits,
                    request.amount.currency.code, request.event, request.source.rawValue, request.clickID,
                    subIDs.count > 0 ? subIDs[0] : nil, subIDs.count > 1 ? subIDs[1] : nil, subIDs.count > 2 ? subIDs[2] : nil,
                    subIDs.count > 3 ? subIDs[3] : nil, subIDs.count > 4 ? subIDs[4] : nil,
                    String(decoding: try encoder.encode(candidates), as: UTF8.self),
                    String(decoding: try encoder.encode(planned.decision), as: UTF8.self), minute, request.now,
                ])
            let conversionID = db.lastInsertedRowID
            let availableAt = request.now + Int64(offer.holdDays) * 86_400_000
            let status: Commission.Status = offer.holdDays == 0 ? .approved : .pending
            for line in planned.lines {
                try db.execute(sql: """
                    INSERT INTO commissions (conversion_id, offer_id, partner_id, amount, kind, status, available_at, minute, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [conversionID, Int64(offer.id), Int64(line.partnerID), line.minorUnits, line.kind.rawValue,
                                     status.rawValue, availableAt, minute, request.now])
                try Self.addRollup(db, minute: minute, offerID: offer.id, partnerID: line.partnerID, commissions: line.minorUnits)
            }
            if let partnerID = planned.decision.partnerID {
                try Self.addRollup(db, minute: minute, offerID: offer.id, partnerID: partnerID, conversions: 1, sales: request.amount.minorUnits)
            } else {
                try Self.addRollup(db, minute: minute, offerID: offer.id, partnerID: 0, conversions: 1, sales: request.amount.minorUnits)
            }
            if let member = codeMember {
                // The code was used on this order, whoever is credited.
                try db.execute(sql: "UPDATE memberships SET promo_uses = promo_uses + 1 WHERE offer_id = ? AND partner_id = ?",
                               arguments: [Int64(member.offerID), Int64(member.partner.id)])
            }
            if let delivery = request.shopify {
                try Self.insertDelivery(db, delivery, orderID: request.orderID, conversionID: conversionID, now: request.now)
            }
            guard let stored = try Self.fetchConversion(db, id: conversionID) else {
                throw StoreError(.unavailable, "the conversion cannot be read back")
            }
            return .created(stored)
        }
    }

    static func promoRefusal(_ db: Database, member: Member, now: Int64) throws -> PromoRefusal? {
        guard let offer = try fetchOffer(db, id: member.offerID), offer.isLive(at: now) else { return .offerNotLive }
        guard member.isLive(at: now), member.partner.status == .active else { return .memberNotLive }
        if let limit = offer.promo?.usageLimitPerCode, member.promoUses >= limit { return .usageLimitReached }
        return nil
    }

    /// A delivery seen before: by its webhook id, its event id, or its store and order.
    static func seenDelivery(_ db: Database, _ delivery: ShopifyDelivery, orderID: String) throws -> ConversionRecording? {
        let row = try Row.fetchOne(db, sql: """
            SELECT conversion_id FROM shopify_deliveries
            WHERE webhook_id = ? OR event_id = ? OR (store_id = ? AND order_id = ?) LIMIT 1
            """, arguments: [delivery.webhookID, delivery.eventID, Int64(delivery.storeID), orderID])
        guard let row else { return nil }
        if let id = row[0] as Int64?, let conversion = try fetchConversion(db, id: id) { return .existing(conversion) }
        return .ignored(reason: "this delivery or order was received before")
    }

    static func insertDelivery(_ db: Database, _ delivery: ShopifyDelivery, orderID: String, conversionID: Int64?, now: Int64) throws {
        try db.execute(sql: """
            INSERT INTO shopify_deliveries (store_id, webhook_id, event_id, order_id, conversion_id, received_at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [Int64(delivery.storeID), delivery.webhookID, delivery.eventID, orderID, conversionID, now])
    }

    static func addRollup(_ db: Database, minute: Int64, offerID: UInt32, partnerID: UInt32, conversions: Int64 = 0, sales: Int64 = 0,
                          commissions: Int64 = 0, paid: Int64 = 0) throws {
        try db.execute(sql: """
            INSERT INTO conversion_rollups (minute, offer_id, partner_id, conversions, sales, commissions, paid) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (minute, offer_id, partner_id) DO UPDATE SET
                conversions = conversions + excluded.conversions, sales = sales + excluded.sales,
                commissions = commissions + excluded.commissions, paid = paid + excluded.paid
            """, arguments: [minute, Int64(offerID), Int64(partnerID), conversions, sales, commissions, paid])
        let day = floorDiv(minute, 1440)
        try db.execute(sql: """
            INSERT INTO offer_daily (day, offer_id, conversions, sales, commissions, paid) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (day, offer_id) DO UPDATE SET
                conversions = conversions + excluded.conversions, sales = sales + excluded.sales,
                commissions = commissions + excluded.commissions, paid = paid + excluded.paid
            """, arguments: [day, Int64(offerID), conversions, sales, commissions, paid])
        guard partnerID != 0 else { return }
        try db.execute(sql: """
            INSERT INTO member_daily (day, offer_id, partner_id, conversions, sales, commissions, paid) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (offer_id, partner_id, day) DO UPDATE SET
                conversions = conversions + excluded.conversions, sales = sales + excluded.sales,
                commissions = commissions + excluded.commissions, paid = paid + excluded.paid
            """, arguments: [day, Int64(offerID), Int64(partnerID), conversions, sales, commissions, paid])
    }

    // MARK: reading

    static let conversionColumns = """
        id, offer_id, order_id, partner_id, amount, currency, status, event, source, click_id, sub1, sub2, sub3, sub4, sub5,
        candidates, decision, created_at, reversed_at
        """

    public func conversion(id: Int64) throws -> Conversion? {
        try read { db in try Self.fetchConversion(db, id: id) }
    }

    public func conversions(_ query: ConversionQuery) throws -> [Conversion] {
        try read { db in
            var conditions = ["id > ?"]
            var arguments: [(any DatabaseValueConvertible)?] = [query.afterID]
            if let offerID = query.offerID { conditions.append("offer_id = ?"); arguments.append(Int64(offerID)) }
            if let partnerID = query.partnerID { conditions.append("partner_id = ?"); arguments.append(Int64(partnerID)) }
            if let status = query.status { conditions.append("status = ?"); arguments.append(status.rawValue) }
            if let from = query.from { conditions.append("created_at >= ?"); arguments.append(from) }
            if let to = query.to { conditions.append("created_at < ?"); arguments.append(to) }
            arguments.append(query.limit)
            let rows = try Row.fetchAll(db, sql: """
                SELECT \(Self.conversionColumns) FROM conversions WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?
                """, arguments: StatementArguments(arguments))
            return try rows.map { try Self.conversion(from: $0, db) }
        }
    }

    static func fetchConversion(_ db: Database, id: Int64) throws -> Conversion? {
        try Row.fetchOne(db, sql: "SELECT \(conversionColumns) FROM conversions WHERE id = ?", arguments: [id]).map { try conversion(from: $0, db) }
    }

    static func fetchConversion(_ db: Database, offerID: UInt32, orderID: String) throws -> Conversion? {
        try Row.fetchOne(db, sql: "SELECT \(conversionColumns) FROM conversions WHERE offer_id = ? AND order_id = ?",
                         arguments: [Int64(offerID), orderID]).map { try conversion(from: $0, db) }
    }

    static func conversion(from row: Row, _ db: Database) throws -> Conversion {
        let currency = Currency(row["currency"] as String) ?? .usd
        let id: Int64 = row["id"]
        let decoder = JSONDecoder()
        let commissions = try Row.fetchAll(db, sql: """
            SELECT id, conversion_id, offer_id, partner_id, amount, kind, status, available_at, payment_id, reverses_id
            FROM commissions WHERE conversion_id = ? ORDER BY id
            """, arguments: [id]).map { line in
            Commission(id: line[0], conversionID: line[1], offerID: UInt32(line[2] as Int64), partnerID: UInt32(line[3] as Int64),
                       amount: Money(minorUnits: line[4], currency: currency), kind: CommissionLine.Kind(rawValue: line[5]) ?? .direct,
                       status: Commission.Status(rawValue: line[6]) ?? .pending, availableAt: line[7], paymentID: line[8], reversesID: line[9])
        }
        return Conversion(
            id: id, offerID: UInt32(row["offer_id"] as Int64), orderID: row["order_id"],
            partnerID: (row["partner_id"] as Int64?).map { UInt32($0) }, amount: Money(minorUnits: row["amount"], currency: currency),
            status: Conversion.Status(rawValue: row["status"]) ?? .accepted, event: row["event"],
            source: ConversionSource(rawValue: row["source"]) ?? .postback, clickID: row["click_id"],
            subIDs: [row["sub1"], row["sub2"], row["sub3"], row["sub4"], row["sub5"]],
            candidates: try decoder.decode(AttributionCandidates.self, from: Data((row["candidates"] as String).utf8)),
            decision: try decoder.decode(AttributionDecision.self, from: Data((row["decision"] as String).utf8)),
            commissions: commissions, createdAt: row["created_at"], reversedAt: row["reversed_at"])
    }

    // MARK: reversal

    public func reverseConversion(id: Int64, at now: Int64) throws -> Conversion {
        try write { db in
            guard let conversion = try Self.fetchConversion(db, id: id) else { throw StoreError(.notFound, "conversion \(id) does not exist") }
            guard conversion.status == .accepted else { return conversion }
            let minute: Int64 = try Int64.fetchOne(db, sql: "SELECT minute FROM conversions WHERE id = ?", arguments: [id]) ?? 0
            try db.execute(sql: "UPDATE conversions SET status = 'reversed', reversed_at = ? WHERE id = ?", arguments: [now, id])
            try Self.addRollup(db, minute: minute, offerID: conversion.offerID, partnerID: conversion.partnerID ?? 0,
                               conversions: -1, sales: -conversion.amount.minorUnits)
            for line in conversion.commissions where line.reversesID == nil {
                switch line.status {
                case .pending, .approved:
                    try db.execute(sql: "UPDATE commissions SET status = 'reversed' WHERE id = ?", arguments: [line.id])
                case .paid:
                    // Paid money is not taken back silently: a negative line, due at once.
                    try db.execute(sql: """
                        INSERT INTO commissions (conversion_id, offer_id, partner_id, amount, kind, status, available_at, minute, reverses_id, created_at)
                        VALUES (?, ?, ?, ?, ?, 'approved', ?, ?, ?, ?)
                        """, arguments: [id, Int64(line.offerID), Int64(line.partnerID), -line.amount.minorUnits, line.kind.rawValue,
                                         now, minute, line.id, now])
                case .reversed:
                    continue
                }
                try Self.addRollup(db, minute: minute, offerID: line.offerID, partnerID: line.partnerID, commissions: -line.amount.minorUnits)
            }
            guard let reversed = try Self.fetchConversion(db, id: id) else { throw StoreError(.unavailable, "the conversion cannot be read back") }
            return reversed
        }
    }

    // MARK: payments

    /// Lines whose hold has ended become due.
    static func approveMatured(_ db: Database, now: Int64) throws {
        try db.execute(sql: "UPDATE commissions SET status = 'approved' WHERE status = 'pending' AND available_at <= ?", arguments: [now])
    }

    static func dueFilter(_ query: PaymentQuery) -> (String, [(any DatabaseValueConvertible)?]) {
        var conditions = ["c.status = 'approved'"]
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let offerID = query.offerID { conditions.append("c.offer_id = ?"); arguments.append(Int64(offerID)) }
        if !query.partnerIDs.isEmpty {
            conditions.append("c.partner_id IN (\(Array(repeating: "?", count: query.partnerIDs.count).joined(separator: ", ")))")
            arguments += query.partnerIDs.map { Int64($0) }
        }
        return (conditions.joined(separator: " AND "), arguments)
    }

    public func paymentsDue(_ query: PaymentQuery) throws -> [PaymentDue] {
        let currency = try currency()
        return try write { db in
            try Self.approveMatured(db, now: query.now)
            let (filter, arguments) = Self.dueFilter(query)
            return try Row.fetchAll(db, sql: """
                SELECT c.partner_id, SUM(c.amount), COUNT(*) FROM commissions c WHERE \(filter) GROUP BY c.partner_id ORDER BY c.partner_id
                """, arguments: StatementArguments(arguments)).compactMap { row in
                guard let partner = try Self.fetchPartner(db, id: UInt32(row[0] as Int64)) else { return nil }
                return PaymentDue(partner: partner, amount: Money(minorUnits: row[1], currency: currency), commissions: row[2])
            }
        }
    }

    public func pay(_ query: PaymentQuery, reference: String?) throws -> [Payment] {
        let currency = try currency()
        return try write { db in
            try Self.approveMatured(db, now: query.now)
            let (filter, arguments) = Self.dueFilter(query)
            let due = try Row.fetchAll(db, sql: """
                SELECT c.partner_id, SUM(c.amount), COUNT(*) FROM commissions c WHERE \(filter) GROUP BY c.partner_id
                HAVING SUM(c.amount) > 0 ORDER BY c.partner_id
                """, arguments: StatementArguments(arguments))
            var payments: [Payment] = []
            for row in due {
                let partnerID: Int64 = row[0]
                let amount: Int64 = row[1]
                let count: Int = row[2]
                try db.execute(sql: """
                    INSERT INTO payments (partner_id, amount, currency, offer_id, reference, commissions, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [partnerID, amount, currency.code, query.offerID.map { Int64($0) }, reference, count, query.now])
                let paymentID = db.lastInsertedRowID
                // Each paid line counts as paid in the rollup of its conversion's minute.
                let lines = try Row.fetchAll(db, sql: "SELECT c.id, c.minute, c.offer_id, c.amount FROM commissions c WHERE \(filter) AND c.partner_id = ?",
                                             arguments: StatementArguments(arguments + [partnerID]))
                for line in lines {
                    try db.execute(sql: "UPDATE commissions SET status = 'paid', payment_id = ? WHERE id = ?", arguments: [paymentID, line[0] as Int64])
                    try Self.addRollup(db, minute: line[1], offerID: UInt32(line[2] as Int64), partnerID: UInt32(partnerID), paid: line[3])
                }
                payments.append(Payment(id: paymentID, partnerID: UInt32(partnerID), amount: Money(minorUnits: amount, currency: currency),
                                        offerID: query.offerID, reference: reference, commissions: count, createdAt: query.now))
            }
            return payments
        }
    }

    public func payments(partnerID: UInt32?, afterID: Int64, limit: Int) throws -> [Payment] {
        try read { db in
            var sql = "SELECT id, partner_id, amount, currency, offer_id, reference, commissions, created_at FROM payments WHERE id > ?"
            var arguments: [(any DatabaseValueConvertible)?] = [afterID]
            if let partnerID { sql += " AND partner_id = ?"; arguments.append(Int64(partnerID)) }
            sql += " ORDER BY id LIMIT ?"
            arguments.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                Payment(id: row[0], partnerID: UInt32(row[1] as Int64), amount: Money(minorUnits: row[2], currency: Currency(row[3] as String) ?? .usd),
                        offerID: (row[4] as Int64?).map { UInt32($0) }, reference: row[5], commissions: row[6], createdAt: row[7])
            }
        }
    }
}
