import ClickModel
import Domain
import Foundation

/// An offer as the API shows it, and as `offer.updated` carries it.
package struct OfferBody: Encodable {
    var id: UInt32
    var name: String
    var description: String
    var type: String
    var status: String
    var payout: PayoutJSON
    var parentOverridePercent: Double?
    var attributionWindowDays: Int
    var creditPolicy: String
    var holdDays: Int
    var leakedCodePolicy: String
    var startsAt: String?
    var endsAt: String?
    var destinationURL: String?
    var fallbackURL: String?
    var clickParameter: String
    var promo: PromoSettings?
    var postbackToken: String?
    var rules: [LinkRuleInput]
    var caps: [LinkCapInput]
    var expiresAt: String?
    var expiredURL: String?
    var createdAt: String
    var updatedAt: String

    package init(_ offer: Offer, now: Int64) {
        id = offer.id
        name = offer.name
        description = offer.description
        type = offer.type.rawValue
        status = offer.effectiveStatus(at: now).rawValue
        payout = PayoutJSON(offer.payout)
        parentOverridePercent = offer.parentOverride.map { Double($0.basisPoints) / 100 }
        attributionWindowDays = offer.attributionWindowDays
        creditPolicy = offer.creditPolicy.rawValue
        holdDays = offer.holdDays
        leakedCodePolicy = offer.leakedCodePolicy.rawValue
        startsAt = Timestamp.format(offer.startsAt)
        endsAt = Timestamp.format(offer.endsAt)
        destinationURL = offer.destination?.url
        fallbackURL = offer.fallback?.url
        clickParameter = offer.clickParameter
        promo = offer.promo
        postbackToken = offer.postbackToken
        rules = offer.linkDefaults.rules.map { LinkRuleInput($0, formatTime: Timestamp.format) }
        caps = offer.linkDefaults.caps.map(LinkCapInput.init)
        expiresAt = Timestamp.format(offer.linkDefaults.expiresAt)
        expiredURL = offer.linkDefaults.expiredDestination?.url
        createdAt = Timestamp.format(offer.createdAt)
        updatedAt = Timestamp.format(offer.updatedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, type, status, payout
        case parentOverridePercent = "parent_override_percent"
        case attributionWindowDays = "attribution_window_days"
        case creditPolicy = "credit_policy"
        case holdDays = "hold_days"
        case leakedCodePolicy = "leaked_code_policy"
        case startsAt = "starts_at"
        case endsAt = "ends_at"
        case destinationURL = "destination_url"
        case fallbackURL = "fallback_url"
        case clickParameter = "click_param"
        case promo, rules, caps
        case postbackToken = "postback_token"
        case expiresAt = "expires_at"
        case expiredURL = "expired_url"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(type, forKey: .type)
        try c.encode(status, forKey: .status)
        try c.encode(payout, forKey: .payout)
        try c.encode(parentOverridePercent, forKey: .parentOverridePercent)
        try c.encode(attributionWindowDays, forKey: .attributionWindowDays)
        try c.encode(creditPolicy, forKey: .creditPolicy)
        try c.encode(holdDays, forKey: .holdDays)
        try c.encode(leakedCodePolicy, forKey: .leakedCodePolicy)
        try c.encode(startsAt, forKey: .startsAt)
        try c.encode(endsAt, forKey: .endsAt)
        try c.encode(destinationURL, forKey: .destinationURL)
        try c.encode(fallbackURL, forKey: .fallbackURL)
        try c.encode(clickParameter, forKey: .clickParameter)
        try c.encode(promo, forKey: .promo)
        try c.encode(postbackToken, forKey: .postbackToken)
        try c.encode(rules, forKey: .rules)
        try c.encode(caps, forKey: .caps)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(expiredURL, forKey: .expiredURL)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

/// A payout as JSON: `{"type": "flat", "value": 250}` (minor units) or
/// `{"type": "percent", "value": 12.5}`.
package struct PayoutJSON: Encodable, Sendable {
    var type: String
    var value: Double

    package init(_ payout: Payout) {
        switch payout {
        case .flat(let minorUnits):
            type = "flat"
            value = Double(minorUnits)
        case .percent(let percent):
            type = "percent"
            value = Double(percent.basisPoints) / 100
        }
    }
}
