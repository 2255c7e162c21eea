import ClickModel
import Domain
import Foundation

/// The catalogue's reads and writes (offers, links, partners, members, ads,
/// Shopify stores), the same on SQLite and PostgreSQL. Each function runs
/// inside the caller's transaction; `CatalogueWriter` gives the contract.
public enum CatalogueSQL {
    // MARK: offers

    public static let offerColumns = """
        id, name, description, type, status, payout_type, payout_value, parent_override_bp, attribution_window_days,
        credit_policy, hold_days, starts_at, ends_at, destination_url, fallback_url, click_param, promo, postback_token,
        created_at, updated_at, link_rules, link_caps, link_expires_at, link_expired_url, leaked_code_policy
        """

    public static func createOffer(_ db: some SQLConnection, _ offer: Offer, now: Int64) throws -> Offer {
        var offer = offer
        offer.createdAt = now
        offer.updatedAt = now
        let row = try db.row("""
            INSERT INTO offers (\(offerColumns.replacingOccurrences(of: "id, name", with: "name")))
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, offerValues(offer))
        offer.id = try returnedID(row)
        return offer
    }

    public static func offer(_ db: some SQLConnection, id: UInt32) throws -> Offer? {
        try db.row("SELECT \(offerColumns) FROM offers WHERE id = ?", [.integer(Int64(id))]).map(offer(from:))
    }

    /// The offer whose postback token this is.
    public static func offer(_ db: some SQLConnection, postbackToken: String) throws -> Offer? {
        try db.row("SELECT \(offerColumns) FROM offers WHERE postback_token = ?", [.text(postbackToken)]).map(offer(from:))
    }

    public static func offers(_ db: some SQLConnection, _ query: OfferQuery) throws -> [Offer] {
        var conditions = ["id > ?"]
        var arguments: [SQLValue] = [.integer(Int64(query.afterID))]
        if let type = query.type {
            conditions.append("type = ?")
            arguments.append(.text(type.rawValue))
        }
        switch query.status {
        case nil: break
        case .expired?:
            conditions.append("status = 'active' AND ends_at IS NOT NULL AND ends_at <= ?")
            arguments.append(.integer(query.now))
        case .active?:
            conditions.append("status = 'active' AND (ends_at IS NULL OR ends_at > ?)")
            arguments.append(.integer(query.now))
        case let status?:
            conditions.append("status = ?")
            arguments.append(.text(status.rawValue))
        }
        if let text = query.text, !text.isEmpty {
            conditions.append(contains("name"))
            arguments.append(.text(likePattern(text)))
        }
        arguments.append(SQLValue(query.limit))
        return try db.rows("SELECT \(offerColumns) FROM offers WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?",
                           arguments).map(offer(from:))
    }

    public static func updateOffer(_ db: some SQLConnection, id: UInt32, now: Int64, _ change: (inout Offer) throws -> Void) throws -> Offer {
        guard var offer = try offer(db, id: id) else { throw StoreError(.notFound, "offer \(id) does not exist") }
        let before = offer
        try change(&offer)
        offer.id = before.id
        offer.createdAt = before.createdAt
        guard offer != before else { return offer }
        offer.updatedAt = now
        try db.execute("""
            UPDATE offers SET name = ?, description = ?, type = ?, status = ?, payout_type = ?, payout_value = ?,
                parent_override_bp = ?, attribution_window_days = ?, credit_policy = ?, hold_days = ?, starts_at = ?,
                ends_at = ?, destination_url = ?, fallback_url = ?, click_param = ?, promo = ?, postback_token = ?,
                created_at = ?, updated_at = ?, link_rules = ?, link_caps = ?, link_expires_at = ?, link_expired_url = ?,
                leaked_code_policy = ?
            WHERE id = ?
            """, offerValues(offer) + [.integer(Int64(id))])
        return offer
    }

    /// The values of `offerColumns` after `id`, in order.
    static func offerValues(_ offer: Offer) -> [SQLValue] {
        let (payoutType, payoutValue) = payoutColumns(offer.payout)
        let promo = offer.promo.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        return [.text(offer.name), .text(offer.description), .text(offer.type.rawValue), .text(offer.status.rawValue),
                SQLValue(payoutType), SQLValue(payoutValue), SQLValue(offer.parentOverride?.basisPoints),
                SQLValue(offer.attributionWindowDays), .text(offer.creditPolicy.rawValue), SQLValue(offer.holdDays),
                SQLValue(offer.startsAt), SQLValue(offer.endsAt), SQLValue(offer.destination?.url), SQLValue(offer.fallback?.url),
                .text(offer.clickParameter), SQLValue(promo), SQLValue(offer.postbackToken), .integer(offer.createdAt),
                .integer(offer.updatedAt), StoredList.value(offer.linkDefaults.rules), StoredList.value(offer.linkDefaults.caps),
                SQLValue(offer.linkDefaults.expiresAt), SQLValue(offer.linkDefaults.expiredDestination?.url),
                .text(offer.leakedCodePolicy.rawValue)]
    }

    public static func offer(from row: SQLRow) throws -> Offer {
        let promo: PromoSettings? = try row.optionalText(16).map { try JSONDecoder().decode(PromoSettings.self, from: Data($0.utf8)) }
        var offer = Offer(
            id: try row.id(0), name: try row.text(1), description: try row.text(2),
            type: OfferType(rawValue: try row.text(3)) ?? .link, status: OfferStatus(rawValue: try row.text(4)) ?? .paused,
            payout: payout(type: try row.optionalText(5), value: try row.optionalInt64(6)) ?? .flat(minorUnits: 0),
            parentOverride: try row.optionalInt64(7).flatMap { Percent(basisPoints: $0) },
            attributionWindowDays: try row.int(8), creditPolicy: CreditPolicy(rawValue: try row.text(9)) ?? .codeFirst,
            holdDays: try row.int(10), startsAt: try row.optionalInt64(11), endsAt: try row.optionalInt64(12),
            destination: try row.optionalText(13).flatMap { try? Destination(validating: $0) },
            fallback: try row.optionalText(14).flatMap { try? Destination(validating: $0) },
            clickParameter: try row.text(15), promo: promo, postbackToken: try row.optionalText(17),
            linkDefaults: LinkDefaults(
                rules: StoredList.decode(try row.optionalText(20)), caps: StoredList.decode(try row.optionalText(21)),
                expiresAt: try row.optionalInt64(22),
                expiredDestination: try row.optionalText(23).flatMap { try? Destination(validating: $0) }),
            createdAt: try row.int64(18), updatedAt: try row.int64(19))
        offer.leakedCodePolicy = LeakedCodePolicy(rawValue: try row.text(24)) ?? .credit
        return offer
    }

    public static func payoutColumns(_ payout: Payout?) -> (String?, Int64?) {
        switch payout {
        case nil: return (nil, nil)
        case .flat(let minorUnits)?: return ("flat", minorUnits)
        case .percent(let percent)?: return ("percent", percent.basisPoints)
        }
    }

    public static func payout(type: String?, value: Int64?) -> Payout? {
        guard let type, let value else { return nil }
        switch type {
        case "flat": return .flat(minorUnits: value)
        case "percent": return Percent(basisPoints: value).map(Payout.percent)
        default: return nil
        }
    }

    /// A condition that `column` holds the next argument's pattern, ignoring
    /// ASCII case on both databases (SQLite's LIKE does; PostgreSQL's does not).
    public static func contains(_ column: String) -> String { "lower(\(column)) LIKE lower(?) ESCAPE '\\'" }

    /// A LIKE pattern matching `text` anywhere, with its wildcards escaped.
    public static func likePattern(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }

    static func returnedID(_ row: SQLRow?) throws -> UInt32 {
        guard let row else { throw StoreError(.unavailable, "the new row's id was not returned") }
        return try row.id(0)
    }

    // MARK: links

    static let linkColumns = "l.id, l.offer_id, l.code, l.destination_url, l.created_at, l.expires_at, l.expired_url, l.rules, l.caps"

    public static func createLink(_ db: some SQLConnection, _ link: TrackingLink, now: Int64) throws -> TrackingLink {
        guard try offer(db, id: link.offerID) != nil else { throw StoreError(.notFound, "offer \(link.offerID) does not exist") }
        var link = link
        link.createdAt = now
        link.id = try returnedID(try db.row(
            """
            INSERT INTO links (offer_id, code, destination_url, created_at, expires_at, expired_url, rules, caps)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [.integer(Int64(link.offerID)), .text(link.code.value), .text(link.destination.url), .integer(now),
             link.expiresAt.map { .integer($0) } ?? .null, link.expiredDestination.map { .text($0.url) } ?? .null,
             StoredList.value(link.rules), StoredList.value(link.caps)]))
        return link
    }

    public static func updateLink(_ db: some SQLConnection, id: UInt32, _ change: (inout TrackingLink) throws -> Void) throws -> TrackingLink {
        guard let before = try link(db, id: id) else { throw StoreError(.notFound, "link \(id) does not exist") }
        var link = before
        try change(&link)
        (link.id, link.offerID, link.code, link.createdAt) = (before.id, before.offerID, before.code, before.createdAt)
        guard link != before else { return link }
        try db.execute("""
            UPDATE links SET destination_url = ?, expires_at = ?, expired_url = ?, rules = ?, caps = ? WHERE id = ?
            """, [.text(link.destination.url), link.expiresAt.map { .integer($0) } ?? .null,
                  link.expiredDestination.map { .text($0.url) } ?? .null, StoredList.value(link.rules), StoredList.value(link.caps),
                  .integer(Int64(id))])
        return link
    }

    public static func links(_ db: some SQLConnection, offerID: UInt32) throws -> [TrackingLink] {
        try db.rows("SELECT \(linkColumns) FROM links l WHERE l.offer_id = ? ORDER BY l.id", [.integer(Int64(offerID))])
            .compactMap(link(from:))
    }

    public static func link(_ db: some SQLConnection, id: UInt32) throws -> TrackingLink? {
        try db.row("SELECT \(linkColumns) FROM links l WHERE l.id = ?", [.integer(Int64(id))]).flatMap(link(from:))
    }

    public static func link(_ db: some SQLConnection, code: Code) throws -> TrackingLink? {
        try db.row("SELECT \(linkColumns) FROM links l WHERE l.code = ?", [.text(code.value)]).flatMap(link(from:))
    }

    public static func links(_ db: some SQLConnection, forMember partnerID: UInt32, now: Int64) throws -> [PartnerLink] {
        try db.rows("""
            SELECT \(linkColumns), o.name, o.status, o.ends_at
            FROM memberships m JOIN links l ON l.offer_id = m.offer_id JOIN offers o ON o.id = m.offer_id
            WHERE m.partner_id = ? AND m.status = 'active'
            ORDER BY l.id
            """, [.integer(Int64(partnerID))]).compactMap { row in
            guard let link = try link(from: row) else { return nil }
            let offer = Offer(name: try row.text(9), status: OfferStatus(rawValue: try row.text(10)) ?? .paused, endsAt: try row.optionalInt64(11))
            return PartnerLink(link: link, offerName: offer.name, offerStatus: offer.effectiveStatus(at: now))
        }
    }

    static func link(from row: SQLRow) throws -> TrackingLink? {
        guard let code = Code(try row.text(2)), let destination = try? Destination(validating: try row.text(3)) else { return nil }
        return TrackingLink(id: try row.id(0), offerID: try row.id(1), code: code, destination: destination,
                            expiresAt: try row.optionalInt64(5),
                            expiredDestination: try row.optionalText(6).flatMap { try? Destination(validating: $0) },
                            rules: StoredList.decode(try row.optionalText(7)), caps: StoredList.decode(try row.optionalText(8)),
                            createdAt: try row.int64(4))
    }

    // MARK: partners

    public static let partnerColumns = "p.id, p.name, p.email, p.code, p.parent_id, p.status, p.created_at"

    public static func createPartner(_ db: some SQLConnection, _ partner: Partner, tokenHash: [UInt8]?, now: Int64) throws -> Partner {
        if let parentID = partner.parentID, try self.partner(db, id: parentID) == nil {
            throw StoreError(.notFound, "parent partner \(parentID) does not exist")
        }
        var partner = partner
        partner.createdAt = now
        partner.id = try returnedID(try db.row("""
            INSERT INTO partners (name, email, code, parent_id, status, token_hash, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, [.text(partner.name), SQLValue(partner.email), .text(partner.code.value), SQLValue(partner.parentID),
                  .text(partner.status.rawValue), tokenHash.map { .blob($0) } ?? .null, .integer(now), .integer(now)]))
        return partner
    }

    public static func partner(_ db: some SQLConnection, id: UInt32) throws -> Partner? {
        try db.row("SELECT \(partnerColumns) FROM partners p WHERE p.id = ?", [.integer(Int64(id))]).flatMap { try partner(from: $0) }
    }

    public static func partner(_ db: some SQLConnection, code: Code) throws -> Partner? {
        try db.row("SELECT \(partnerColumns) FROM partners p WHERE p.code = ?", [.text(code.value)]).flatMap { try partner(from: $0) }
    }

    public static func partner(_ db: some SQLConnection, tokenHash: [UInt8]) throws -> Partner? {
        try db.row("SELECT \(partnerColumns) FROM partners p WHERE p.token_hash = ?", [.blob(tokenHash)]).flatMap { try partner(from: $0) }
    }

    public static func partners(_ db: some SQLConnection, _ query: PartnerQuery) throws -> [Partner] {
        var conditions = ["p.id > ?"]
        var arguments: [SQLValue] = [.integer(Int64(query.afterID))]
        if let parentID = query.parentID {
            conditions.append("p.parent_id = ?")
            arguments.append(.integer(Int64(parentID)))
        }
        if let text = query.text, !text.isEmpty {
            conditions.append("(\(contains("p.name")) OR \(contains("p.email")) OR \(contains("p.code")))")
            let pattern = SQLValue.text(likePattern(text))
            arguments += [pattern, pattern, pattern]
        }
        arguments.append(SQLValue(query.limit))
        return try db.rows("""
            SELECT \(partnerColumns) FROM partners p WHERE \(conditions.joined(separator: " AND ")) ORDER BY p.id LIMIT ?
            """, arguments).compactMap { try partner(from: $0) }
    }

    public static func updatePartner(_ db: some SQLConnection, id: UInt32, now: Int64,
                                     _ change: (inout Partner) throws -> Void) throws -> Partner {
        guard var partner = try partner(db, id: id) else { throw StoreError(.notFound, "partner \(id) does not exist") }
        let before = partner
        try change(&partner)
        partner.id = before.id
        partner.createdAt = before.createdAt
        guard partner != before else { return partner }
        if let parentID = partner.parentID, parentID != before.parentID {
            try checkParent(db, parentID: parentID, of: id)
        }
        try db.execute("UPDATE partners SET name = ?, email = ?, code = ?, parent_id = ?, status = ?, updated_at = ? WHERE id = ?",
                       [.text(partner.name), SQLValue(partner.email), .text(partner.code.value), SQLValue(partner.parentID),
                        .text(partner.status.rawValue), .integer(now), .integer(Int64(id))])
        return partner
    }

    /// A parent must exist and must not be the partner or one of its descendants.
    static func checkParent(_ db: some SQLConnection, parentID: UInt32, of id: UInt32) throws {
        var cursor: UInt32? = parentID
        var steps = 0
        while let current = cursor {
            guard current != id else { throw StoreError(.invalid, "a partner cannot be its own ancestor") }
            guard let partner = try partner(db, id: current) else { throw StoreError(.notFound, "parent partner \(current) does not exist") }
            cursor = partner.parentID
            steps += 1
            if steps > 10_000 { throw StoreError(.invalid, "the parent chain does not end") }
        }
    }

    public static func setPartnerTokenHash(_ db: some SQLConnection, partnerID: UInt32, hash: [UInt8]) throws {
        let changed = try db.execute("UPDATE partners SET token_hash = ? WHERE id = ?", [.blob(hash), .integer(Int64(partnerID))])
        guard changed == 1 else { throw StoreError(.notFound, "partner \(partnerID) does not exist") }
    }

    /// A partner from `partnerColumns` starting at column `offset`.
    public static func partner(from row: SQLRow, offset: Int = 0) throws -> Partner? {
        guard let code = Code(try row.text(offset + 3)) else { return nil }
        return Partner(id: try row.id(offset), name: try row.text(offset + 1), email: try row.optionalText(offset + 2), code: code,
                       parentID: try row.optionalID(offset + 4),
                       status: ActivityStatus(rawValue: try row.text(offset + 5)) ?? .inactive, createdAt: try row.int64(offset + 6))
    }

    // MARK: members

    static let memberSelect = """
        SELECT m.offer_id, m.status, m.payout_type, m.payout_value, m.starts_at, m.ends_at, m.promo_code, m.promo_uses,
               m.dashboard_token, m.created_at, \(partnerColumns),
               m.promo_code_status, m.leak_flagged_at, m.leak_reasons, m.leak_orders, m.leak_referrers, m.leak_order_count
        FROM memberships m JOIN partners p ON p.id = m.partner_id
        """

    /// Adds the partners to the offer, each with `member.added` and, on a
    /// promo-code offer, `promo_code.generated`; one already a member comes back as it is.
    public static func addMembers(_ db: some SQLConnection, offerID: UInt32, partnerIDs: [UInt32], terms: MemberTerms,
                                  credentials: MemberCredentials, urls: MemberURLs, now: Int64) throws -> [MemberAddition] {
        guard try offer(db, id: offerID) != nil else { throw StoreError(.notFound, "offer \(offerID) does not exist") }
        var additions: [MemberAddition] = []
        var seen = Set<UInt32>()
        for partnerID in partnerIDs where seen.insert(partnerID).inserted {
            guard let partner = try partner(db, id: partnerID) else { throw StoreError(.notFound, "partner \(partnerID) does not exist") }
            if let member = try member(db, offerID: offerID, partnerID: partnerID) {
                additions.append(MemberAddition(member: member, created: false))
                continue
            }
            let (payoutType, payoutValue) = payoutColumns(terms.payoutOverride)
            let promoCode = try credentials.promoCode.map { make in try freePromoCode(db, for: partner, make: make) }
            try db.execute("""
                INSERT INTO memberships (offer_id, partner_id, status, starts_at, ends_at, created_at, payout_type, payout_value,
                                         promo_code, promo_uses, dashboard_token)
                VALUES (?, ?, 'active', ?, ?, ?, ?, ?, ?, 0, ?)
                """, [.integer(Int64(offerID)), .integer(Int64(partnerID)), SQLValue(terms.startsAt), SQLValue(terms.endsAt),
                      .integer(now), SQLValue(payoutType), SQLValue(payoutValue), SQLValue(promoCode),
                      .text(credentials.dashboardToken())])
            guard let member = try member(db, offerID: offerID, partnerID: partnerID) else {
                throw StoreError(.unavailable, "the new member cannot be read back")
            }
            try EventsSQL.emitMember(db, .memberAdded, member, urls: urls, now: now)
            if member.promoCode != nil { try EventsSQL.emitMember(db, .promoCodeGenerated, member, urls: urls, now: now) }
            additions.append(MemberAddition(member: member, created: true))
        }
        return additions
    }

    /// The first code from `make` that no member holds and none held before:
    /// a replaced code is never given again, so its orders never credit a newcomer.
    static func freePromoCode(_ db: some SQLConnection, for partner: Partner, make: (Partner, Int) -> String) throws -> String {
        for attempt in 0..<64 {
            let code = make(partner, attempt)
            if try db.row("""
                SELECT 1 FROM memberships WHERE promo_code = ? UNION ALL SELECT 1 FROM replaced_promo_codes WHERE code = ?
                """, [.text(code), .text(code)]) == nil { return code }
        }
        throw StoreError(.conflict, "no free promo code could be made for partner \(partner.id)")
    }

    /// - Parameter previousCodes: whether to read the codes the member held before (a query more).
    public static func member(_ db: some SQLConnection, offerID: UInt32, partnerID: UInt32, previousCodes: Bool = true) throws -> Member? {
        guard let member = try db.row("\(memberSelect) WHERE m.offer_id = ? AND m.partner_id = ?",
                                      [.integer(Int64(offerID)), .integer(Int64(partnerID))]).flatMap(member(from:)) else { return nil }
        return previousCodes ? try withPreviousCodes(db, [member])[0] : member
    }

    /// The member holding this promo code (as stored: upper case).
    public static func member(_ db: some SQLConnection, promoCode: String) throws -> Member? {
        try db.row("\(memberSelect) WHERE m.promo_code = ?", [.text(promoCode)]).flatMap(member(from:))
    }

    public static func members(_ db: some SQLConnection, _ query: MemberQuery) throws -> [Member] {
        var conditions = ["m.offer_id = ?", "m.partner_id > ?"]
        var arguments: [SQLValue] = [.integer(Int64(query.offerID)), .integer(Int64(query.afterPartnerID))]
        if let text = query.text, !text.isEmpty {
            conditions.append("(\(contains("p.name")) OR \(contains("m.promo_code")))")
            let pattern = SQLValue.text(likePattern(text))
            arguments += [pattern, pattern]
        }
        arguments.append(SQLValue(query.limit))
        return try withPreviousCodes(db, try db.rows("""
            \(memberSelect) WHERE \(conditions.joined(separator: " AND ")) ORDER BY m.partner_id LIMIT ?
            """, arguments).compactMap(member(from:)))
    }

    public static func memberships(_ db: some SQLConnection, partnerID: UInt32) throws -> [Member] {
        try withPreviousCodes(db, try db.rows("\(memberSelect) WHERE m.partner_id = ? ORDER BY m.offer_id", [.integer(Int64(partnerID))])
            .compactMap(member(from:)))
    }

    /// The members with the codes they held before. Members are read one
    /// offer or one partner at a time, so the replaced codes are read by the
    /// shorter of the two lists, in chunks that stay well inside the
    /// parameters a statement may bind (an offer may have 100,000 members);
    /// other members' codes that this reads are left out below.
    static func withPreviousCodes(_ db: some SQLConnection, _ members: [Member]) throws -> [Member] {
        let holders = members.filter { $0.promoCode != nil }
        guard !holders.isEmpty else { return members }
        let offers = Set(holders.map(\.offerID)).sorted(), partners = Set(holders.map(\.partner.id)).sorted()
        let (column, ids) = offers.count <= partners.count ? ("offer_id", offers) : ("partner_id", partners)
        var previous: [MemberKey: [ReplacedPromoCode]] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = ids[start..<min(start + 500, ids.count)]
            // A member's codes share its offer and partner, so they come in one chunk, newest first.
            for row in try db.rows("""
                SELECT offer_id, partner_id, code, replaced_at, leak_flagged_at, leak_reasons, leak_orders, leak_referrers, leak_order_count
                FROM replaced_promo_codes WHERE \(column) IN (\(chunk.map { _ in "?" }.joined(separator: ", "))) ORDER BY id DESC
                """, chunk.map { SQLValue.integer(Int64($0)) }) {
                let code = ReplacedPromoCode(code: try row.text(2), replacedAt: try row.int64(3), leak: try leak(from: row, at: 4))
                previous[MemberKey(offerID: try row.id(0), partnerID: try row.id(1)), default: []].append(code)
            }
        }
        guard !previous.isEmpty else { return members }
        return members.map { member in
            var member = member
            member.previousCodes = previous[MemberKey(offerID: member.offerID, partnerID: member.partner.id)] ?? []
            return member
        }
    }

    private struct MemberKey: Hashable {
        var offerID: UInt32
        var partnerID: UInt32
    }

    /// Leak evidence from its five columns, `leak_flagged_at` first; nil when the code had not leaked.
    static func leak(from row: SQLRow, at offset: Int) throws -> PromoCodeLeak? {
        guard let flaggedAt = try row.optionalInt64(offset) else { return nil }
        func lines(_ index: Int) throws -> [String] { (try row.optionalText(index) ?? "").split(separator: "\n").map(String.init) }
        return PromoCodeLeak(flaggedAt: flaggedAt, reasons: try lines(offset + 1), orders: try lines(offset + 2),
                             referrers: try lines(offset + 3), orderCount: try row.int(offset + 4))
    }

    /// The code `code` was before its member was given a new one, with whose it was.
    static func replacedPromoCode(_ db: some SQLConnection, _ code: String) throws -> (offerID: UInt32, partnerID: UInt32)? {
        guard let row = try db.row("SELECT offer_id, partner_id FROM replaced_promo_codes WHERE code = ?", [.text(code)]) else { return nil }
        return (try row.id(0), try row.id(1))
    }

    public static func member(_ db: some SQLConnection, dashboardToken: String) throws -> Member? {
        guard let member = try db.row("\(memberSelect) WHERE m.dashboard_token = ?", [.text(dashboardToken)])
            .flatMap(member(from:)) else { return nil }
        return try withPreviousCodes(db, [member])[0]
    }

    public static func updateMember(_ db: some SQLConnection, offerID: UInt32, partnerID: UInt32,
                                    _ change: (inout Member) throws -> Void) throws -> Member {
        guard var member = try member(db, offerID: offerID, partnerID: partnerID) else {
            throw StoreError(.notFound, "partner \(partnerID) is not a member of offer \(offerID)")
        }
        let before = member
        try change(&member)
        guard member != before else { return member }
        let (payoutType, payoutValue) = payoutColumns(member.payoutOverride)
        try db.execute("""
            UPDATE memberships SET status = ?, payout_type = ?, payout_value = ?, starts_at = ?, ends_at = ?, promo_code = ?,
                promo_uses = ?, dashboard_token = ?
            WHERE offer_id = ? AND partner_id = ?
            """, [.text(member.status.rawValue), SQLValue(payoutType), SQLValue(payoutValue), SQLValue(member.startsAt),
                  SQLValue(member.endsAt), SQLValue(member.promoCode), SQLValue(member.promoUses), .text(member.dashboardToken),
                  .integer(Int64(offerID)), .integer(Int64(partnerID))])
        return try self.member(db, offerID: offerID, partnerID: partnerID) ?? member
    }

    /// Gives the member a new code (`promo_code.generated`). The old one is
    /// kept as replaced, with its leak evidence: it credits nobody from now on.
    public static func refreshPromoCode(_ db: some SQLConnection, offerID: UInt32, partnerID: UInt32,
                                        make: (Partner, Int) -> String, urls: MemberURLs, now: Int64) throws -> Member {
        guard let member = try member(db, offerID: offerID, partnerID: partnerID) else {
            throw StoreError(.notFound, "partner \(partnerID) is not a member of offer \(offerID)")
        }
        let code = try freePromoCode(db, for: member.partner, make: make)
        if let old = member.promoCode {
            let leak = member.leak
            try db.execute("""
                INSERT INTO replaced_promo_codes (code, offer_id, partner_id, replaced_at, leak_flagged_at, leak_reasons, leak_orders,
                                                  leak_referrers, leak_order_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(old), .integer(Int64(offerID)), .integer(Int64(partnerID)), .integer(now), SQLValue(leak?.flaggedAt),
                      SQLValue(leak?.reasons.joined(separator: "\n")), SQLValue(leak?.orders.joined(separator: "\n")),
                      SQLValue(leak?.referrers.joined(separator: "\n")), .integer(Int64(leak?.orderCount ?? 0))])
        }
        // A new code starts clean: the old one's evidence no longer applies.
        try db.execute("""
            UPDATE memberships SET promo_code = ?, promo_uses = 0, promo_code_status = 'active', leak_flagged_at = NULL,
                leak_reasons = NULL, leak_orders = NULL, leak_referrers = NULL, leak_order_count = 0
            WHERE offer_id = ? AND partner_id = ?
            """, [.text(code), .integer(Int64(offerID)), .integer(Int64(partnerID))])
        let refreshed = try self.member(db, offerID: offerID, partnerID: partnerID) ?? member
        try EventsSQL.emitMember(db, .promoCodeGenerated, refreshed, urls: urls, now: now)
        return refreshed
    }

    public static func removeMember(_ db: some SQLConnection, offerID: UInt32, partnerID: UInt32) throws {
        let changed = try db.execute("DELETE FROM memberships WHERE offer_id = ? AND partner_id = ?",
                                     [.integer(Int64(offerID)), .integer(Int64(partnerID))])
        guard changed == 1 else { throw StoreError(.notFound, "partner \(partnerID) is not a member of offer \(offerID)") }
    }

    public static func redeemPromoCode(_ db: some SQLConnection, _ code: String, at now: Int64) throws -> PromoRedemption {
        guard let member = try member(db, promoCode: code.uppercased()) else {
            return .refused(try replacedPromoCode(db, code.uppercased()) == nil ? .unknownCode : .replacedCode)
        }
        let offer = try offer(db, id: member.offerID)
        if let refusal = PromoRules.refusal(of: member, in: offer, at: now) { return .refused(refusal) }
        guard let offer else { return .refused(.offerNotLive) }
        try db.execute("UPDATE memberships SET promo_uses = promo_uses + 1 WHERE offer_id = ? AND partner_id = ?",
                       [.integer(Int64(member.offerID)), .integer(Int64(member.partner.id))])
        var redeemed = member
        redeemed.promoUses += 1
        return .redeemed(redeemed, offer)
    }

    static func member(from row: SQLRow) throws -> Member? {
        guard let partner = try partner(from: row, offset: 10) else { return nil }
        var member = Member(
            offerID: try row.id(0), partner: partner, status: ActivityStatus(rawValue: try row.text(1)) ?? .inactive,
            payoutOverride: payout(type: try row.optionalText(2), value: try row.optionalInt64(3)), startsAt: try row.optionalInt64(4),
            endsAt: try row.optionalInt64(5), promoCode: try row.optionalText(6), promoUses: try row.int(7),
            dashboardToken: try row.optionalText(8) ?? "", createdAt: try row.int64(9))
        member.promoCodeStatus = PromoCodeStatus(rawValue: try row.text(17)) ?? .active
        member.leak = try leak(from: row, at: 18)
        return member
    }

    /// Adds an order to the evidence that `member`'s code has leaked, and
    /// flags the code when it was not yet. Returns the member when this
    /// flagged it (so the brand is told once), nil otherwise.
    static func addLeakEvidence(_ db: some SQLConnection, _ member: Member, order: String, referrer: String?, reasons: [String],
                                now: Int64) throws -> Member? {
        let leak = (member.leak ?? PromoCodeLeak(flaggedAt: now)).adding(order: order, referrer: referrer, reasons: reasons)
        try db.execute("""
            UPDATE memberships SET promo_code_status = 'leaked', leak_flagged_at = ?, leak_reasons = ?, leak_orders = ?, leak_referrers = ?,
                leak_order_count = ?
            WHERE offer_id = ? AND partner_id = ?
            """, [.integer(leak.flaggedAt), .text(leak.reasons.joined(separator: "\n")), .text(leak.orders.joined(separator: "\n")),
                  .text(leak.referrers.joined(separator: "\n")), .integer(Int64(leak.orderCount)),
                  .integer(Int64(member.offerID)), .integer(Int64(member.partner.id))])
        guard member.promoCodeStatus != .leaked else { return nil }
        var flagged = member
        flagged.promoCodeStatus = .leaked
        flagged.leak = leak
        return flagged
    }

    // MARK: ads

    public static func createAd(_ db: some SQLConnection, _ ad: Ad, now: Int64) throws -> Ad {
        guard try partner(db, id: ad.partnerID) != nil else { throw StoreError(.notFound, "partner \(ad.partnerID) does not exist") }
        var ad = ad
        ad.createdAt = now
        ad.id = try returnedID(try db.row("""
            INSERT INTO ads (partner_id, code, name, description, media_type, starts_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, [.integer(Int64(ad.partnerID)), .text(ad.code.value), .text(ad.name), .text(ad.description), SQLValue(ad.mediaType),
                  SQLValue(ad.startsAt), .integer(now)]))
        return ad
    }

    public static func ads(_ db: some SQLConnection, partnerID: UInt32) throws -> [Ad] {
        try db.rows("""
            SELECT id, partner_id, code, name, description, media_type, starts_at, created_at FROM ads WHERE partner_id = ? ORDER BY id
            """, [.integer(Int64(partnerID))]).compactMap { row in
            guard let code = Code(try row.text(2)) else { return nil }
            return Ad(id: try row.id(0), partnerID: try row.id(1), code: code, name: try row.text(3), description: try row.text(4),
                      mediaType: try row.optionalText(5), startsAt: try row.optionalInt64(6), createdAt: try row.int64(7))
        }
    }

    // MARK: Shopify stores

    public static func createShopifyStore(_ db: some SQLConnection, _ store: ShopifyStore, now: Int64) throws -> ShopifyStore {
        var store = store
        store.createdAt = now
        store.id = try returnedID(try db.row(
            "INSERT INTO shopify_stores (name, shop_domain, webhook_secret, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            [.text(store.name), .text(store.shopDomain), .text(store.webhookSecret), .integer(now)]))
        return store
    }

    public static func shopifyStores(_ db: some SQLConnection) throws -> [ShopifyStore] {
        try db.rows("SELECT id, name, shop_domain, webhook_secret, created_at FROM shopify_stores ORDER BY id").map(shopifyStore(from:))
    }

    public static func shopifyStore(_ db: some SQLConnection, id: UInt32) throws -> ShopifyStore? {
        try db.row("SELECT id, name, shop_domain, webhook_secret, created_at FROM shopify_stores WHERE id = ?", [.integer(Int64(id))])
            .map(shopifyStore(from:))
    }

    static func shopifyStore(from row: SQLRow) throws -> ShopifyStore {
        ShopifyStore(id: try row.id(0), name: try row.text(1), shopDomain: try row.text(2), webhookSecret: try row.text(3),
                     createdAt: try row.int64(4))
    }
}

/// A link's rules and caps in their columns (`rules`, `caps`): JSON of their
/// Codable form, NULL for none.
public enum StoredList {
    public static func value<Item: Encodable>(_ items: [Item]) -> SQLValue {
        guard !items.isEmpty, let data = try? JSONEncoder().encode(items) else { return .null }
        return .text(String(decoding: data, as: UTF8.self))
    }

    /// The items of a column's text; none for NULL. Text that no longer reads
    /// as such items (written by a later version, or by hand) gives none too,
    /// so the link keeps redirecting to its destination.
    public static func decode<Item: Decodable>(_ text: String?, as type: Item.Type = Item.self) -> [Item] {
        guard let text, !text.isEmpty else { return [] }
        return (try? JSONDecoder().decode([Item].self, from: Data(text.utf8))) ?? []
    }
}
