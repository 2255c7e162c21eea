import Domain

/// Quality and fraud (SPEC section 14), the same on SQLite and PostgreSQL;
/// each function runs inside the caller's transaction.
public enum QualitySQL {
    /// Adds an order to the evidence that `member`'s code has leaked. The
    /// first time, the code is flagged and the brand told: the
    /// `promo_code.leaked` event, and an email to each owner through the outbox.
    static func addLeakEvidence(_ db: some SQLConnection, _ member: Member, order: String, referrer: String?, reason: String,
                                urls: MemberURLs, now: Int64) throws {
        guard let flagged = try CatalogueSQL.addLeakEvidence(db, member, order: order, referrer: referrer, reason: reason, now: now) else {
            return
        }
        try EventsSQL.emitMember(db, .promoCodeLeaked, flagged, urls: urls, now: now)
        let code = flagged.promoCode ?? ""
        let body = """
            The promo code \(code) of \(flagged.partner.name) (offer \(flagged.offerID)) looks leaked: order \(order) \
            came from \(referrer ?? "a coupon site"), a coupon, deal or cashback site.

            The code keeps earning as the offer's policy says. To give \(flagged.partner.name) a new code and stop the
            old one earning: PATCH /v1/offers/\(flagged.offerID)/members/\(flagged.partner.id) {"refresh_code": true}.
            The member's promo_code_status and leak show the orders and referrers found.
            """
        let owners = try db.rows("SELECT email FROM team_members WHERE role = 'owner' ORDER BY id").map { try $0.text(0) }
        _ = try OutboxSQL.enqueue(db, owners.map { owner in
            OutboxMessage(offerID: flagged.offerID, partnerID: nil, to: owner, subject: "Promo code \(code) looks leaked", body: body)
        }, now: now)
    }
}
