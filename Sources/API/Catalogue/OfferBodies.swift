import ClickModel
import Domain
import Foundation
import Wire

/// The fields of `POST /v1/offers` and `PATCH /v1/offers/{id}`, as sent.
package struct OfferInput: Decodable, Sendable {
    var name: Sent<String>
    var description: Sent<String>
    var type: Sent<String>
    var status: Sent<String>
    var payout: Sent<PayoutBody>
    var parentOverridePercent: Sent<Double>
    var attributionWindowDays: Sent<Int>
    var creditPolicy: Sent<String>
    var holdDays: Sent<Int>
    var leakedCodePolicy: Sent<String>
    var startsAt: Sent<String>
    var endsAt: Sent<String>
    var destinationURL: Sent<String>
    var fallbackURL: Sent<String>
    var clickParameter: Sent<String>
    var promo: Sent<PromoSettings>
    // Defaults for the offer's links (SPEC section 12).
    var rules: Sent<[LinkRuleInput]>
    var caps: Sent<[LinkCapInput]>
    var expiresAt: Sent<String>
    var expiredURL: Sent<String>

    enum CodingKeys: String, CodingKey {
        case name, description, type, status, payout, rules, caps
        case expiresAt = "expires_at"
        case expiredURL = "expired_url"
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
        case promo
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.sent(String.self, forKey: .name)
        description = try c.sent(String.self, forKey: .description)
        type = try c.sent(String.self, forKey: .type)
        status = try c.sent(String.self, forKey: .status)
        payout = try c.sent(PayoutBody.self, forKey: .payout)
        parentOverridePercent = try c.sent(Double.self, forKey: .parentOverridePercent)
        attributionWindowDays = try c.sent(Int.self, forKey: .attributionWindowDays)
        creditPolicy = try c.sent(String.self, forKey: .creditPolicy)
        holdDays = try c.sent(Int.self, forKey: .holdDays)
        leakedCodePolicy = try c.sent(String.self, forKey: .leakedCodePolicy)
        startsAt = try c.sent(String.self, forKey: .startsAt)
        endsAt = try c.sent(String.self, forKey: .endsAt)
        destinationURL = try c.sent(String.self, forKey: .destinationURL)
        fallbackURL = try c.sent(String.self, forKey: .fallbackURL)
        clickParameter = try c.sent(String.self, forKey: .clickParameter)
        promo = try c.sent(PromoSettings.self, forKey: .promo)
        rules = try c.sent([LinkRuleInput].self, forKey: .rules)
        caps = try c.sent([LinkCapInput].self, forKey: .caps)
        expiresAt = try c.sent(String.self, forKey: .expiresAt)
        expiredURL = try c.sent(String.self, forKey: .expiredURL)
    }

    /// A new offer from these fields: `name` and `payout` are required.
    package func newOffer() throws(APIError) -> Offer {
        guard case .value = name else { throw .invalid("name", "is required") }
        guard case .value = payout else { throw .invalid("payout", "is required: {\"type\": \"flat\" or \"percent\", \"value\"}") }
        var offer = Offer(name: "")
        if let type = type.value { offer.type = try Validate.choice(type, "type", as: OfferType.self) }
        if offer.type == .promoCode { offer.promo = PromoSettings() }
        try apply(to: &offer, creating: true)
        return offer
    }

    /// Sets every field that was sent; `null` clears the fields that may be empty.
    package func apply(to offer: inout Offer, creating: Bool = false) throws(APIError) {
        switch name {
        case .value(let value): offer.name = try Validate.text(value, "name")
        case .null: throw .invalid("name", "must not be null")
        case .absent: break
        }
        if case .value(let value) = description { offer.description = try Validate.text(value, "description", max: 5000, allowEmpty: true) }
        if case .null = description { offer.description = "" }
        if !creating, let value = type.value, value != offer.type.rawValue {
            _ = try Validate.choice(value, "type", as: OfferType.self)
            throw .invalid("type", "cannot change once the offer exists; make a new offer")
        }
        if let value = status.value {
            if value == "expired" { throw .invalid("status", "expired follows from ends_at and cannot be set") }
            offer.status = try Validate.choice(value, "status", as: OfferStatus.self)
        }
        if let value = payout.value { offer.payout = try value.payout("payout") }
        switch parentOverridePercent {
        case .value(let value): offer.parentOverride = try PayoutBody.percent(value, "parent_override_percent")
        case .null: offer.parentOverride = nil
        case .absent: break
        }
        if let value = attributionWindowDays.value { offer.attributionWindowDays = try Validate.range(value, "attribution_window_days", 1...3650) }
        if let value = creditPolicy.value { offer.creditPolicy = try Validate.choice(value, "credit_policy", as: CreditPolicy.self) }
        if let value = holdDays.value { offer.holdDays = try Validate.range(value, "hold_days", 0...3650) }
        if let value = leakedCodePolicy.value {
            offer.leakedCodePolicy = try Validate.choice(value, "leaked_code_policy", as: LeakedCodePolicy.self)
        }
        switch startsAt {
        case .value(let value): offer.startsAt = try Validate.time(value, "starts_at")
        case .null: offer.startsAt = nil
        case .absent: break
        }
        switch endsAt {
        case .value(let value): offer.endsAt = try Validate.time(value, "ends_at")
        case .null: offer.endsAt = nil
        case .absent: break
        }
        try Validate.dates(startsAt: offer.startsAt, endsAt: offer.endsAt)
        switch destinationURL {
        case .value(let value): offer.destination = try Validate.destination(value, "destination_url")
        case .null: offer.destination = nil
        case .absent: break
        }
        switch fallbackURL {
        case .value(let value): offer.fallback = try Validate.destination(value, "fallback_url")
        case .null: offer.fallback = nil
        case .absent: break
        }
        if let value = clickParameter.value {
            guard Code(value) != nil, !value.hasPrefix("sub") else {
                throw .invalid("click_param", "a parameter name is 1 to 32 characters of A-Z a-z 0-9 - _ and not sub1..sub5")
            }
            offer.clickParameter = value
        }
        switch promo {
        case .value(let value):
            guard offer.type == .promoCode else { throw .invalid("promo", "only offers of type promo_code have promo settings") }
            if let problem = value.problem() { throw .invalid("promo." + problem.field, problem.message) }
            offer.promo = value
        case .null:
            if offer.type == .promoCode { throw .invalid("promo", "a promo_code offer keeps its promo settings") }
        case .absent: break
        }
        try applyLinkDefaults(to: &offer.linkDefaults)
    }

    /// `rules`, `caps`, `expires_at` and `expired_url`, validated as a link's; `null` or `[]` clears them.
    private func applyLinkDefaults(to defaults: inout LinkDefaults) throws(APIError) {
        do {
            if case .value(let value) = rules { defaults.rules = try LinkRuleInput.validate(value, parseTime: Timestamp.parse) }
            if case .value(let value) = caps { defaults.caps = try LinkCapInput.validate(value) }
        } catch {
            throw APIError(domain: error)
        }
        if case .null = rules { defaults.rules = [] }
        if case .null = caps { defaults.caps = [] }
        switch expiresAt {
        case .value(let value): defaults.expiresAt = try Validate.time(value, "expires_at")
        case .null: defaults.expiresAt = nil
        case .absent: break
        }
        switch expiredURL {
        case .value(let value): defaults.expiredDestination = try Validate.destination(value, "expired_url")
        case .null: defaults.expiredDestination = nil
        case .absent: break
        }
        if defaults.expiredDestination != nil && defaults.expiresAt == nil {
            throw .invalid("expired_url", "needs expires_at: the offer's links never expire without it")
        }
    }
}

/// An offer as the API shows it.
package struct LinkInput: Decodable {
    var code: String
    var destinationURL: String?
    var expiresAt: String?
    var expiredURL: String?
    var rules: [LinkRuleInput]?
    var caps: [LinkCapInput]?

    enum CodingKeys: String, CodingKey {
        case code, rules, caps
        case destinationURL = "destination_url"
        case expiresAt = "expires_at"
        case expiredURL = "expired_url"
    }
}

/// The fields of `PATCH /v1/offers/{id}/links/{link_id}`: what a link does,
/// not its name. A code is in URLs already shared, so it cannot change.
package struct LinkUpdate: Decodable, Sendable {
    var code: Sent<String>
    var destinationURL: Sent<String>
    var expiresAt: Sent<String>
    var expiredURL: Sent<String>
    var rules: Sent<[LinkRuleInput]>
    var caps: Sent<[LinkCapInput]>

    enum CodingKeys: String, CodingKey {
        case code, rules, caps
        case destinationURL = "destination_url"
        case expiresAt = "expires_at"
        case expiredURL = "expired_url"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.sent(String.self, forKey: .code)
        destinationURL = try c.sent(String.self, forKey: .destinationURL)
        expiresAt = try c.sent(String.self, forKey: .expiresAt)
        expiredURL = try c.sent(String.self, forKey: .expiredURL)
        rules = try c.sent([LinkRuleInput].self, forKey: .rules)
        caps = try c.sent([LinkCapInput].self, forKey: .caps)
    }

    /// Sets every field that was sent; `null` clears the expiry, the rules and the caps.
    package func apply(to link: inout TrackingLink) throws(APIError) {
        switch code {
        case .value(let value) where Code(value) == link.code: break
        case .value, .null: throw .invalid("code", "cannot change: it is in URLs already shared; make a new link")
        case .absent: break
        }
        switch destinationURL {
        case .value(let value): link.destination = try Validate.destination(value, "destination_url")
        case .null: throw .invalid("destination_url", "must not be null")
        case .absent: break
        }
        switch expiresAt {
        case .value(let value): link.expiresAt = try Validate.time(value, "expires_at")
        case .null: link.expiresAt = nil
        case .absent: break
        }
        switch expiredURL {
        case .value(let value): link.expiredDestination = try Validate.destination(value, "expired_url")
        case .null: link.expiredDestination = nil
        case .absent: break
        }
        do {
            if case .value(let value) = rules { link.rules = try LinkRuleInput.validate(value, parseTime: Timestamp.parse) }
            if case .value(let value) = caps { link.caps = try LinkCapInput.validate(value) }
        } catch {
            throw APIError(domain: error)
        }
        if case .null = rules { link.rules = [] }
        if case .null = caps { link.caps = [] }
    }
}

struct StoreInput: Decodable {
    var name: String
    var shopDomain: String
    var webhookSecret: String

    enum CodingKeys: String, CodingKey {
        case name
        case shopDomain = "shop_domain"
        case webhookSecret = "webhook_secret"
    }
}

struct StoreBody: Encodable {
    var id: UInt32
    var name: String
    var shopDomain: String
    var webhookSecret: String
    var webhookURL: String
    var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, name
        case shopDomain = "shop_domain"
        case webhookSecret = "webhook_secret"
        case webhookURL = "webhook_url"
        case createdAt = "created_at"
    }
}
