import ClickModel
import Domain

/// A member of an offer as the API shows it, and as `member.added` and the
/// promo-code events carry it. The URLs are made by the caller, which knows
/// the public bases.
package struct MemberBody: Encodable, Sendable {
    var offerID: UInt32
    var partnerID: UInt32
    var name: String
    var email: String?
    var partnerCode: String
    var status: String
    var payoutOverride: PayoutJSON?
    var startsAt: String?
    var endsAt: String?
    var promoCode: String?
    var promoUses: Int
    var trackingURL: String?
    var dashboardURL: String
    var createdAt: String
    /// For members of promo-code offers: `active`, `leaked` or `replaced`.
    var promoCodeStatus: String?
    var leak: LeakBody?
    /// The codes the member held before, newest first: each `replaced`.
    var previousCodes: [PreviousCodeBody] = []
    /// Only in answers to adding members: `created` or `existing`.
    package var addition: String?

    /// - Parameter trackingURL: the member's tracking URL on a link offer, nil on a promo-code one.
    package init(_ member: Member, trackingURL: String?, dashboardURL: String) {
        offerID = member.offerID
        partnerID = member.partner.id
        name = member.partner.name
        email = member.partner.email
        partnerCode = member.partner.code.value
        status = member.status.rawValue
        payoutOverride = member.payoutOverride.map(PayoutJSON.init)
        startsAt = Timestamp.format(member.startsAt)
        endsAt = Timestamp.format(member.endsAt)
        promoCode = member.promoCode
        promoUses = member.promoUses
        self.trackingURL = trackingURL
        self.dashboardURL = dashboardURL
        createdAt = Timestamp.format(member.createdAt)
        if member.promoCode != nil {
            promoCodeStatus = member.promoCodeStatus.rawValue
            leak = member.leak.map(LeakBody.init)
            previousCodes = member.previousCodes.map(PreviousCodeBody.init)
        }
    }

    /// A code given up for a new one: it credits nobody, and keeps the evidence it had.
    struct PreviousCodeBody: Encodable, Sendable {
        var code: String
        var promo_code_status = PromoCodeStatus.replaced.rawValue
        var replaced_at: String
        var leak: LeakBody?

        init(_ replaced: ReplacedPromoCode) {
            code = replaced.code
            replaced_at = Timestamp.format(replaced.replacedAt)
            leak = replaced.leak.map(LeakBody.init)
        }

        enum CodingKeys: String, CodingKey {
            case code, promo_code_status, replaced_at, leak
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(code, forKey: .code)
            try c.encode(promo_code_status, forKey: .promo_code_status)
            try c.encode(replaced_at, forKey: .replaced_at)
            try c.encode(leak, forKey: .leak)
        }
    }

    /// Why a code is taken for leaked (SPEC section 14).
    struct LeakBody: Encodable, Sendable {
        var flagged_at: String
        var reasons: [String]
        var orders: [String]
        var referrers: [String]
        var order_count: Int

        init(_ leak: PromoCodeLeak) {
            flagged_at = Timestamp.format(leak.flaggedAt)
            reasons = leak.reasons
            orders = leak.orders
            referrers = leak.referrers
            order_count = leak.orderCount
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, email, status
        case offerID = "offer_id"
        case partnerID = "partner_id"
        case partnerCode = "partner_code"
        case payoutOverride = "payout_override"
        case startsAt = "starts_at"
        case endsAt = "ends_at"
        case promoCode = "promo_code"
        case promoUses = "promo_uses"
        case trackingURL = "tracking_url"
        case dashboardURL = "dashboard_url"
        case createdAt = "created_at"
        case promoCodeStatus = "promo_code_status"
        case leak
        case previousCodes = "previous_codes"
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(offerID, forKey: .offerID)
        try c.encode(partnerID, forKey: .partnerID)
        try c.encode(name, forKey: .name)
        try c.encode(email, forKey: .email)
        try c.encode(partnerCode, forKey: .partnerCode)
        // Adding members answers `status: created | existing` (SPEC section 5);
        // everywhere else `status` is the membership's.
        try c.encode(addition ?? status, forKey: .status)
        try c.encode(payoutOverride, forKey: .payoutOverride)
        try c.encode(startsAt, forKey: .startsAt)
        try c.encode(endsAt, forKey: .endsAt)
        try c.encode(promoCode, forKey: .promoCode)
        try c.encode(promoUses, forKey: .promoUses)
        try c.encode(trackingURL, forKey: .trackingURL)
        try c.encode(dashboardURL, forKey: .dashboardURL)
        try c.encode(createdAt, forKey: .createdAt)
        if let promoCodeStatus {
            try c.encode(promoCodeStatus, forKey: .promoCodeStatus)
            try c.encode(leak, forKey: .leak)
            try c.encode(previousCodes, forKey: .previousCodes)
        }
    }
}
