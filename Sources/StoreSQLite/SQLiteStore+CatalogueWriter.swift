import ClickModel
import Foundation
import GRDB
import Store

extension SQLiteStore: CatalogueWriter {
    // MARK: offers

    static let offerColumns = """
        id, name, description, type, status, payout_type, payout_value, parent_override_bp, attribution_window_days,
        credit_policy, hold_days, starts_at, ends_at, destination_url, fallback_url, click_param, promo, postback_token,
        created_at, updated_at
        """

    public func createOffer(_ offer: Offer) throws -> Offer {
        try write { db in
            var offer = offer
            offer.createdAt = Self.now()
            offer.updatedAt = offer.createdAt
            try db.execute(sql: """
                INSERT INTO offers (\(Self.offerColumns.replacingOccurrences(of: "id, name", with: "name")))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: StatementArguments(Self.offerValues(offer)))
            offer.id = UInt32(db.lastInsertedRowID)
            return offer
        }
    }

    public func offer(id: UInt32) throws -> Offer? {
        try read { db in try Self.fetchOffer(db, id: id) }
    }

    public func offers(_ query: OfferQuery) throws -> [Offer] {
        try read { db in
            var conditions = ["id > ?"]
            var arguments: [(any DatabaseValueConvertible)?] = [Int64(query.afterID)]
            if let type = query.type {
                conditions.append("type = ?")
                arguments.append(type.rawValue)
            }
            switch query.status {
            case nil: break
            case .expired?:
                conditions.append("status = 'active' AND ends_at IS NOT NULL AND ends_at <= ?")
                arguments.append(query.now)
            case .active?:
                conditions.append("status = 'active' AND (ends_at IS NULL OR ends_at > ?)")
                arguments.append(query.now)
            case let status?:
                conditions.append("status = ?")
                arguments.append(status.rawValue)
            }
            if let text = query.text, !text.isEmpty {
                conditions.append("name LIKE ? ESCAPE '\\'")
                arguments.append(Self.likePattern(text))
            }
            arguments.append(query.limit)
            let rows = try Row.fetchAll(db, sql: """
                SELECT \(Self.offerColumns) FROM offers WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?
                """, arguments: StatementArguments(arguments))
            return try rows.map(Self.offer(from:))
        }
    }

    public func updateOffer(id: UInt32, _ change: (inout Offer) throws -> Void) throws -> Offer {
        try write { db in
            guard var offer = try Self.fetchOffer(db, id: id) else { throw StoreError(.notFound, "offer \(id) does not exist") }
            let before = offer
            try change(&offer)
            offer.id = before.id
            offer.createdAt = before.createdAt
            guard offer != before else { return offer }
            offer.updatedAt = Self.now()
            var values = Self.offerValues(offer)
            values.append(Int64(id))
            try db.execute(sql: """
                UPDATE offers SET name = ?, description = ?, type = ?, status = ?, payout_type = ?, payout_value = ?,
                    parent_override_bp = ?, attribution_window_days = ?, credit_policy = ?, hold_days = ?, starts_at = ?,
                    ends_at = ?, destination_url = ?, fallback_url = ?, click_param = ?, promo = ?, postback_token = ?,
                    created_at = ?, updated_at = ?
                WHERE id = ?
                """, arguments: StatementArguments(values))
            return offer
        }
    }

    static func fetchOffer(_ db: Database, id: UInt32) throws -> Offer? {
        try Row.fetchOne(db, sql: "SELECT \(offerColumns) FROM offers WHERE id = ?", arguments: [Int64(id)]).map(offer(from:))
    }

    /// The values of `offerColumns` after `id`, in order.
    static func offerValues(_ offer: Offer) -> [(any DatabaseValueConvertible)?] {
        let (payoutType, payoutValue) = payoutColumns(offer.payout)
        let promo = offer.promo.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        return [offer.name, offer.description, offer.type.rawValue, offer.status.rawValue, payoutType, payoutValue,
                offer.parentOverride?.basisPoints, offer.attributionWindowDays, offer.creditPolicy.rawValue, offer.holdDays,
                offer.startsAt, offer.endsAt, offer.destination?.url, offer.fallback?.url, offer.clickParameter, promo,
                offer.postbackToken, offer.createdAt, offer.updatedAt]
    }

    static func offer(from row: Row) throws -> Offer {
        let promo: PromoSettings? = try (row["promo"] as String?).map { try JSONDecoder().decode(PromoSettings.self, from: Data($0.utf8)) }
        return Offer(
            id: UInt32(row["id"] as Int64), name: row["name"], description: row["description"],
            type: OfferType(rawValue: row["type"]) ?? .link, status: OfferStatus(rawValue: row["status"]) ?? .paused,
            payout: payout(type: row["payout_type"], value: row["payout_value"]) ?? .flat(minorUnits: 0),
            parentOverride: (row["parent_override_bp"] as Int64?).flatMap { Percent(basisPoints: $0) },
            attributionWindowDays: row["attribution_window_days"], creditPolicy: CreditPolicy(rawValue: row["credit_policy"]) ?? .codeFirst,
            holdDays: row["hold_days"], startsAt: row["starts_at"], endsAt: row["ends_at"],
            destination: (row["destination_url"] as String?).flatMap { try? Destination(validating: $0) },
            fallback: (row["fallback_url"] as String?).flatMap { try? Destination(validating: $0) },
            clickParameter: row["click_param"], promo: promo, postbackToken: row["postback_token"],
            createdAt: row["created_at"], updatedAt: row["updated_at"])
    }

    static func payoutColumns(_ payout: Payout?) -> (String?, Int64?) {
        switch payout {
        case nil: return (nil, nil)
        case .flat(let minorUnits)?: return ("flat", minorUnits)
        case .percent(let percent)?: return ("percent", percent.basisPoints)
        }
    }

    static func payout(type: String?, value: Int64?) -> Payout? {
        guard let type, let value else { return nil }
        switch type {
        case "flat": return .flat(minorUnits: value)
        case "percent": return Percent(basisPoints: value).map(Payout.percent)
        default: return nil
        }
    }

    /// A LIKE pattern matching `text` anywhere, with its wildcards escaped.
    static func likePattern(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }

    // MARK: links

    public func createLink(_ link: TrackingLink) throws -> TrackingLink {
        try write { db in
            guard try Self.fetchOffer(db, id: link.offerID) != nil else {
                throw StoreError(.notFound, "offer \(link.offerID) does not exist")
            }
            var link = link
            link.createdAt = Self.now()
            try db.execute(sql: "INSERT INTO links (offer_id, code, destination_url, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [Int64(link.offerID), link.code.value, link.destination.url, link.createdAt])
            link.id = UInt32(db.lastInsertedRowID)
            return link
        }
    }

    public func links(offerID: UInt32) throws -> [TrackingLink] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, offer_id, code, destination_url, created_at FROM links WHERE offer_id = ? ORDER BY id",
                             arguments: [Int64(offerID)]).compactMap(Self.link(from:))
        }
    }

    public func link(code: Code) throws -> TrackingLink? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT id, offer_id, code, destination_url, created_at FROM links WHERE code = ?",
                             arguments: [code.value]).flatMap(Self.link(from:))
        }
    }

    public func links(forMember partnerID: UInt32) throws -> [PartnerLink] {
        try read { db in
            let now = Self.now()
            return try Row.fetchAll(db, sql: """
                SELECT l.id, l.offer_id, l.code, l.destination_url, l.created_at, o.name, o.status, o.ends_at
                FROM memberships m JOIN links l ON l.offer_id = m.offer_id JOIN offers o ON o.id = m.offer_id
                WHERE m.partner_id = ? AND m.status = 'active'
                ORDER BY l.id
                """, arguments: [Int64(partnerID)]).compactMap { row in
                guard let link = Self.link(from: row) else { return nil }
                let offer = Offer(name: row[5], status: OfferStatus(rawValue: row[6]) ?? .paused, endsAt: row[7])
                return PartnerLink(link: link, offerName: offer.name, offerStatus: offer.effectiveStatus(at: now))
            }
        }
    }

    static func link(from row: Row) -> TrackingLink? {
        guard let code = Code(row[2]), let destination = try? Destination(validating: row[3] as String) else { return nil }
        return TrackingLink(id: UInt32(row[0] as Int64), offerID: UInt32(row[1] as Int64), code: code, destination: destination,
                            createdAt: row[4])
    }

    // MARK: partners

    static let partnerColumns = "p.id, p.name, p.email, p.code, p.parent_id, p.status, p.created_at"

    public func createPartner(_ partner: Partner, tokenHash: [UInt8]?) throws -> Partner {
        try write { db in
            if let parentID = partner.parentID, try Self.fetchPartner(db, id: parentID) == nil {
                throw StoreError(.notFound, "parent partner \(parentID) does not exist")
            }
            var partner = partner
            partner.createdAt = Self.now()
            try db.execute(sql: """
                INSERT INTO partners (name, email, code, parent_id, status, token_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [partner.name, partner.email, partner.code.value, partner.parentID.map { Int64($0) },
                                 partner.status.rawValue, tokenHash.map { Data($0) }, partner.createdAt, partner.createdAt])
            partner.id = UInt32(db.lastInsertedRowID)
            return partner
        }
    }

    public func partner(id: UInt32) throws -> Partner? {
        try read { db in try Self.fetchPartner(db, id: id) }
    }

    public func partner(code: Code) throws -> Partner? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.partnerColumns) FROM partners p WHERE p.code = ?", arguments: [code.value])
                .flatMap { Self.partner(from: $0) }
        }
    }

    public func partner(tokenHash: [UInt8]) throws -> Partner? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.partnerColumns) FROM partners p WHERE p.token_hash = ?", arguments: [Data(tokenHash)])
                .flatMap { Self.partner(from: $0) }
        }
    }

    public func partners(_ query: PartnerQuery) throws -> [Partner] {
        try read { db in
            var conditions = ["p.id > ?"]
            var arguments: [(any DatabaseValueConvertible)?] = [Int64(query.afterID)]
            if let parentID = query.parentID {
                conditions.append("p.parent_id = ?")
                arguments.append(Int64(parentID))
            }
            if let text = query.text, !text.isEmpty {
                conditions.append("(p.name LIKE ? ESCAPE '\\' OR p.email LIKE ? ESCAPE '\\' OR p.code LIKE ? ESCAPE '\\')")
                let pattern = Self.likePattern(text)
                arguments += [pattern, pattern, pattern]
            }
            arguments.append(query.limit)
            return try Row.fetchAll(db, sql: """
                SELECT \(Self.partnerColumns) FROM partners p WHERE \(conditions.joined(separator: " AND ")) ORDER BY p.id LIMIT ?
                """, arguments: StatementArguments(arguments)).compactMap { Self.partner(from: $0) }
        }
    }

    public func updatePartner(id: UInt32, _ change: (inout Partner) throws -> Void) throws -> Partner {
        try write { db in
            guard var partner = try Self.fetchPartner(db, id: id) else { throw StoreError(.notFound, "partner \(id) does not exist") }
            let before = partner
            try change(&partner)
            partner.id = before.id
            partner.createdAt = before.createdAt
            guard partner != before else { return partner }
            if let parentID = partner.parentID, parentID != before.parentID {
                try Self.checkParent(db, parentID: parentID, of: id)
            }
            try db.execute(sql: """
                UPDATE partners SET name = ?, email = ?, code = ?, parent_id = ?, status = ?, updated_at = ? WHERE id = ?
                """, arguments: [partner.name, partner.email, partner.code.value, partner.parentID.map { Int64($0) },
                                 partner.status.rawValue, Self.now(), Int64(id)])
            return partner
        }
    }

    /// A parent must exist and must not be the partner or one of its descendants.
    static func checkParent(_ db: Database, parentID: UInt32, of id: UInt32) throws {
        var cursor: UInt32? = parentID
        var steps = 0
        while let current = cursor {
            guard current != id else { throw StoreError(.invalid, "a partner cannot be its own ancestor") }
            guard let partner = try fetchPartner(db, id: current) else {
                throw StoreError(.notFound, "parent partner \(current) does not exist")
            }
            cursor = partner.parentID
            steps += 1
            if steps > 10_000 { throw StoreError(.invalid, "the parent chain does not end") }
        }
    }

    public func setPartnerTokenHash(partnerID: UInt32, hash: [UInt8]) throws {
        try write { db in
            try db.execute(sql: "UPDATE partners SET token_hash = ? WHERE id = ?", arguments: [Data(hash), Int64(partnerID)])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "partner \(partnerID) does not exist") }
        }
    }

    static func fetchPartner(_ db: Database, id: UInt32) throws -> Partner? {
        try Row.fetchOne(db, sql: "SELECT \(partnerColumns) FROM partners p WHERE p.id = ?", arguments: [Int64(id)])
            .flatMap { partner(from: $0) }
    }

    /// A partner from `partnerColumns` starting at column `offset`.
    static func partner(from row: Row, offset: Int = 0) -> Partner? {
        guard let code = Code(row[offset + 3]) else { return nil }
        return Partner(id: UInt32(row[offset] as Int64), name: row[offset + 1], email: row[offset + 2], code: code,
                       parentID: (row[offset + 4] as Int64?).map { UInt32($0) },
                       status: ActivityStatus(rawValue: row[offset + 5]) ?? .inactive, createdAt: row[offset + 6])
    }

    // MARK: members

    static let memberSelect = """
        SELECT m.offer_id, m.status, m.payout_type, m.payout_value, m.starts_at, m.ends_at, m.promo_code, m.promo_uses,
               m.dashboard_token, m.created_at, \(partnerColumns)
        FROM memberships m JOIN partners p ON p.id = m.partner_id
        """

    public func addMembers(offerID: UInt32, partnerIDs: [UInt32], terms: MemberTerms, credentials: MemberCredentials) throws -> [MemberAddition] {
        try write { db in try Self.insertMembers(db, offerID: offerID, partnerIDs: partnerIDs, terms: terms, credentials: credentials) }
    }

    /// `addMembers` within a transaction of the caller's.
    static func insertMembers(_ db: Database, offerID: UInt32, partnerIDs: [UInt32], terms: MemberTerms,
                              credentials: MemberCredentials) throws -> [MemberAddition] {
        guard try fetchOffer(db, id: offerID) != nil else { throw StoreError(.notFound, "offer \(offerID) does not exist") }
        var additions: [MemberAddition] = []
        var seen = Set<UInt32>()
        for partnerID in partnerIDs where seen.insert(partnerID).inserted {
            guard let partner = try fetchPartner(db, id: partnerID) else {
                throw StoreError(.notFound, "partner \(partnerID) does not exist")
            }
            if let member = try fetchMember(db, offerID: offerID, partnerID: partnerID) {
                additions.append(MemberAddition(member: member, created: false))
                continue
            }
            let (payoutType, payoutValue) = payoutColumns(terms.payoutOverride)
            let promoCode = try credentials.promoCode.map { make in try freePromoCode(db, for: partner, make: make) }
            try db.execute(sql: """
                INSERT INTO memberships (offer_id, partner_id, status, starts_at, ends_at, created_at, payout_type, payout_value,
                                         promo_code, promo_uses, dashboard_token)
                VALUES (?, ?, 'active', ?, ?, ?, ?, ?, ?, 0, ?)
                """, arguments: [Int64(offerID), Int64(partnerID), terms.startsAt, terms.endsAt, now(), payoutType, payoutValue,
                                 promoCode, credentials.dashboardToken()])
            guard let member = try fetchMember(db, offerID: offerID, partnerID: partnerID) else {
                throw StoreError(.unavailable, "the new member cannot be read back")
            }
            additions.append(MemberAddition(member: member, created: true))
        }
        return additions
    }

    /// The first code from `make` that no member holds yet.
    static func freePromoCode(_ db: Database, for partner: Partner, make: (Partner, Int) -> String) throws -> String {
        for attempt in 0..<64 {
            let code = make(partner, attempt)
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM memberships WHERE promo_code = ?", arguments: [code]) == nil {
                return code
            }
        }
        throw StoreError(.conflict, "no free promo code could be made for partner \(partner.id)")
    }

    public func member(offerID: UInt32, partnerID: UInt32) throws -> Member? {
        try read { db in try Self.fetchMember(db, offerID: offerID, partnerID: partnerID) }
    }

    public func members(_ query: MemberQuery) throws -> [Member] {
        try read { db in
            var conditions = ["m.offer_id = ?", "m.partner_id > ?"]
            var arguments: [(any DatabaseValueConvertible)?] = [Int64(query.offerID), Int64(query.afterPartnerID)]
            if let text = query.text, !text.isEmpty {
                conditions.append("(p.name LIKE ? ESCAPE '\\' OR m.promo_code LIKE ? ESCAPE '\\')")
                let pattern = Self.likePattern(text)
                arguments += [pattern, pattern]
            }
            arguments.append(query.limit)
            return try Row.fetchAll(db, sql: """
                \(Self.memberSelect) WHERE \(conditions.joined(separator: " AND ")) ORDER BY m.partner_id LIMIT ?
                """, arguments: StatementArguments(arguments)).compactMap(Self.member(from:))
        }
    }

    public func memberships(partnerID: UInt32) throws -> [Member] {
        try read { db in
            try Row.fetchAll(db, sql: "\(Self.memberSelect) WHERE m.partner_id = ? ORDER BY m.offer_id",
                             arguments: [Int64(partnerID)]).compactMap(Self.member(from:))
        }
    }

    public func member(dashboardToken: String) throws -> Member? {
        try read { db in
            try Row.fetchOne(db, sql: "\(Self.memberSelect) WHERE m.dashboard_token = ?", arguments: [dashboardToken])
                .flatMap(Self.member(from:))
        }
    }

    public func updateMember(offerID: UInt32, partnerID: UInt32, _ change: (inout Member) throws -> Void) throws -> Member {
        try write { db in
            guard var member = try Self.fetchMember(db, offerID: offerID, partnerID: partnerID) else {
                throw StoreError(.notFound, "partner \(partnerID) is not a member of offer \(offerID)")
            }
            let before = member
            try change(&member)
            guard member != before else { return member }
            let (payoutType, payoutValue) = Self.payoutColumns(member.payoutOverride)
            try db.execute(sql: """
                UPDATE memberships SET status = ?, payout_type = ?, payout_value = ?, starts_at = ?, ends_at = ?, promo_code = ?,
                    promo_uses = ?, dashboard_token = ?
                WHERE offer_id = ? AND partner_id = ?
                """, arguments: [member.status.rawValue, payoutType, payoutValue, member.startsAt, member.endsAt, member.promoCode,
                                 member.promoUses, member.dashboardToken, Int64(offerID), Int64(partnerID)])
            return try Self.fetchMember(db, offerID: offerID, partnerID: partnerID) ?? member
        }
    }

    public func refreshPromoCode(offerID: UInt32, partnerID: UInt32, make: (Partner, Int) -> String) throws -> Member {
        try write { db in
            guard let member = try Self.fetchMember(db, offerID: offerID, partnerID: partnerID) else {
                throw StoreError(.notFound, "partner \(partnerID) is not a member of offer \(offerID)")
            }
            let code = try Self.freePromoCode(db, for: member.partner, make: make)
            try db.execute(sql: "UPDATE memberships SET promo_code = ?, promo_uses = 0 WHERE offer_id = ? AND partner_id = ?",
                           arguments: [code, Int64(offerID), Int64(partnerID)])
            return try Self.fetchMember(db, offerID: offerID, partnerID: partnerID) ?? member
        }
    }

    public func removeMember(offerID: UInt32, partnerID: UInt32) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM memberships WHERE offer_id = ? AND partner_id = ?", arguments: [Int64(offerID), Int64(partnerID)])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "partner \(partnerID) is not a member of offer \(offerID)") }
        }
    }

    public func redeemPromoCode(_ code: String, at now: Int64) throws -> PromoRedemption {
        try write { db in
            guard let member = try Row.fetchOne(db, sql: "\(Self.memberSelect) WHERE m.promo_code = ?", arguments: [code.uppercased()])
                .flatMap(Self.member(from:)) else { return .refused(.unknownCode) }
            guard let offer = try Self.fetchOffer(db, id: member.offerID), offer.isLive(at: now) else { return .refused(.offerNotLive) }
            guard member.isLive(at: now), member.partner.status == .active else { return .refused(.memberNotLive) }
            if let limit = offer.promo?.usageLimitPerCode, member.promoUses >= limit { return .refused(.usageLimitReached) }
            try db.execute(sql: "UPDATE memberships SET promo_uses = promo_uses + 1 WHERE offer_id = ? AND partner_id = ?",
                           arguments: [Int64(member.offerID), Int64(member.partner.id)])
            var redeemed = member
            redeemed.promoUses += 1
            return .redeemed(redeemed, offer)
        }
    }

    static func fetchMember(_ db: Database, offerID: UInt32, partnerID: UInt32) throws -> Member? {
        try Row.fetchOne(db, sql: "\(memberSelect) WHERE m.offer_id = ? AND m.partner_id = ?",
                         arguments: [Int64(offerID), Int64(partnerID)]).flatMap(member(from:))
    }

    static func member(from row: Row) -> Member? {
        guard let partner = partner(from: row, offset: 10) else { return nil }
        return Member(
            offerID: UInt32(row[0] as Int64), partner: partner, status: ActivityStatus(rawValue: row[1]) ?? .inactive,
            payoutOverride: payout(type: row[2], value: row[3]), startsAt: row[4], endsAt: row[5], promoCode: row[6],
            promoUses: row[7], dashboardToken: row[8] ?? "", createdAt: row[9])
    }

    // MARK: ads

    public func createAd(_ ad: Ad) throws -> Ad {
        try write { db in
            guard try Self.fetchPartner(db, id: ad.partnerID) != nil else {
                throw StoreError(.notFound, "partner \(ad.partnerID) does not exist")
            }
            var ad = ad
            ad.createdAt = Self.now()
            try db.execute(sql: """
                INSERT INTO ads (partner_id, code, name, description, media_type, starts_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [Int64(ad.partnerID), ad.code.value, ad.name, ad.description, ad.mediaType, ad.startsAt, ad.createdAt])
            ad.id = UInt32(db.lastInsertedRowID)
            return ad
        }
    }

    public func ads(partnerID: UInt32) throws -> [Ad] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, partner_id, code, name, description, media_type, starts_at, created_at FROM ads WHERE partner_id = ? ORDER BY id
                """, arguments: [Int64(partnerID)]).compactMap { row in
                guard let code = Code(row[2]) else { return nil }
                return Ad(id: UInt32(row[0] as Int64), partnerID: UInt32(row[1] as Int64), code: code, name: row[3],
                          description: row[4], mediaType: row[5], startsAt: row[6], createdAt: row[7])
            }
        }
    }

    // MARK: Shopify stores

    public func createShopifyStore(_ store: ShopifyStore) throws -> ShopifyStore {
        try write { db in
            var store = store
            store.createdAt = Self.now()
            try db.execute(sql: "INSERT INTO shopify_stores (name, shop_domain, webhook_secret, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [store.name, store.shopDomain, store.webhookSecret, store.createdAt])
            store.id = UInt32(db.lastInsertedRowID)
            return store
        }
    }

    public func shopifyStores() throws -> [ShopifyStore] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, shop_domain, webhook_secret, created_at FROM shopify_stores ORDER BY id")
                .map(Self.shopifyStore(from:))
        }
    }

    public func shopifyStore(id: UInt32) throws -> ShopifyStore? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT id, name, shop_domain, webhook_secret, created_at FROM shopify_stores WHERE id = ?",
                             arguments: [Int64(id)]).map(Self.shopifyStore(from:))
        }
    }

    static func shopifyStore(from row: Row) -> ShopifyStore {
        ShopifyStore(id: UInt32(row[0] as Int64), name: row[1], shopDomain: row[2], webhookSecret: row[3], createdAt: row[4])
    }
}
