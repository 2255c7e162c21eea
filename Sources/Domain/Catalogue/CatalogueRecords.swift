import ClickModel

// The catalogue as the admin and partner APIs see it: offers, tracking links,
// partners, members of offers, ads and Shopify stores. Times are milliseconds
// since the Unix epoch; ids are the store's (never 0); an id of 0 in a value
// handed to a `create` method means "not stored yet".

/// An offer: what a brand pays partners for, and where its links lead.
/// `expired` is derived, not stored: see `effectiveStatus(at:)`.
public struct Offer: Sendable, Equatable {
    public var id: UInt32
    public var name: String
    public var description: String
    public var type: OfferType
    public var status: OfferStatus
    public var payout: Payout
    /// The share of a child's commission its parent earns as a separate line.
    public var parentOverride: Percent?
    public var attributionWindowDays: Int
    public var creditPolicy: CreditPolicy
    public var holdDays: Int
    public var startsAt: Int64?
    public var endsAt: Int64?
    public var destination: Destination?
    public var fallback: Destination?
    public var clickParameter: String
    public var promo: PromoSettings?
    /// Authenticates server-to-server postbacks; shown and rotated, so stored as is.
    public var postbackToken: String?
    /// The rules, caps and expiry of the offer's links that have none of their own.
    public var linkDefaults: LinkDefaults
    /// What a leaked code's orders earn (SPEC section 14).
    public var leakedCodePolicy: LeakedCodePolicy = .credit
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: UInt32 = 0, name: String, description: String = "", type: OfferType = .link, status: OfferStatus = .active,
                payout: Payout = .flat(minorUnits: 0), parentOverride: Percent? = nil, attributionWindowDays: Int = 30,
                creditPolicy: CreditPolicy = .codeFirst, holdDays: Int = 0, startsAt: Int64? = nil, endsAt: Int64? = nil,
                destination: Destination? = nil, fallback: Destination? = nil, clickParameter: String = "clk",
                promo: PromoSettings? = nil, postbackToken: String? = nil, linkDefaults: LinkDefaults = LinkDefaults(),
                createdAt: Int64 = 0, updatedAt: Int64 = 0) {
        self.id = id
        self.name = name
        self.description = description
        self.type = type
        self.status = status
        self.payout = payout
        self.parentOverride = parentOverride
        self.attributionWindowDays = attributionWindowDays
        self.creditPolicy = creditPolicy
        self.holdDays = holdDays
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.destination = destination
        self.fallback = fallback
        self.clickParameter = clickParameter
        self.promo = promo
        self.postbackToken = postbackToken
        self.linkDefaults = linkDefaults
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The status a reader sees: `expired` for an active offer past its end.
    public func effectiveStatus(at now: Int64) -> EffectiveOfferStatus {
        switch status {
        case .active: if let endsAt, endsAt <= now { return .expired } else { return .active }
        case .paused: return .paused
        case .archived: return .archived
        }
    }
}

public enum OfferType: String, Sendable, Codable, CaseIterable {
    case link
    case promoCode = "promo_code"
}

/// `OfferStatus` plus the derived `expired`.
public enum EffectiveOfferStatus: String, Sendable, Codable, CaseIterable {
    case active, paused, archived, expired
}

/// A tracking link: one destination of one offer, named by a code.
public struct TrackingLink: Sendable, Equatable {
    public var id: UInt32
    public var offerID: UInt32
    public var code: Code
    public var destination: Destination
    /// From this time on (ms since the Unix epoch) the link sends shoppers to
    /// `expiredDestination`, else the offer's fallback URL; nil: never.
    public var expiresAt: Int64?
    public var expiredDestination: Destination?
    /// Where the click goes instead of `destination`: the first rule that matches chooses.
    public var rules: [LinkRule]
    /// At most so many clicks a period; past a cap, its fallback URL and the outcome `capped`.
    public var caps: [LinkCap]
    public var createdAt: Int64

    public init(id: UInt32 = 0, offerID: UInt32, code: Code, destination: Destination,
                expiresAt: Int64? = nil, expiredDestination: Destination? = nil, rules: [LinkRule] = [], caps: [LinkCap] = [],
                createdAt: Int64 = 0) {
        self.id = id
        self.offerID = offerID
        self.code = code
        self.destination = destination
        self.expiresAt = expiresAt
        self.expiredDestination = expiredDestination
        self.rules = rules
        self.caps = caps
        self.createdAt = createdAt
    }
}

/// A partner (member, affiliate), possibly the child of another.
public struct Partner: Sendable, Equatable {
    public var id: UInt32
    public var name: String
    public var email: String?
    public var code: Code
    public var parentID: UInt32?
    public var status: ActivityStatus
    public var createdAt: Int64

    public init(id: UInt32 = 0, name: String, email: String? = nil, code: Code, parentID: UInt32? = nil,
                status: ActivityStatus = .active, createdAt: Int64 = 0) {
        self.id = id
        self.name = name
        self.email = email
        self.code = code
        self.parentID = parentID
        self.status = status
        self.createdAt = createdAt
    }
}

/// A partner's membership of an offer, with the partner's name and code.
public struct Member: Sendable, Equatable {
    public var offerID: UInt32
    public var partner: Partner
    public var status: ActivityStatus
    /// Replaces the offer's payout for this member.
    public var payoutOverride: Payout?
    public var startsAt: Int64?
    public var endsAt: Int64?
    /// The member's code, for offers of type `promo_code`: upper case, unique in the workspace.
    public var promoCode: String?
    /// Orders the promo code was redeemed on.
    public var promoUses: Int
    /// Opens the member's dashboard; shown again, so stored as is.
    public var dashboardToken: String
    public var createdAt: Int64
    /// Whether the code earns as it should; `leaked` with `leak` its evidence.
    public var promoCodeStatus: PromoCodeStatus = .active
    public var leak: PromoCodeLeak?
    /// The codes the member held before, newest first.
    public var previousCodes: [ReplacedPromoCode] = []

    public init(offerID: UInt32, partner: Partner, status: ActivityStatus = .active, payoutOverride: Payout? = nil,
                startsAt: Int64? = nil, endsAt: Int64? = nil, promoCode: String? = nil, promoUses: Int = 0,
                dashboardToken: String, createdAt: Int64 = 0) {
        self.offerID = offerID
        self.partner = partner
        self.status = status
        self.payoutOverride = payoutOverride
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.promoCode = promoCode
        self.promoUses = promoUses
        self.dashboardToken = dashboardToken
        self.createdAt = createdAt
    }

    /// Whether the membership counts at `now`: active and within its dates.
    public func isLive(at now: Int64) -> Bool {
        status == .active && (startsAt ?? .min) <= now && now < (endsAt ?? .max)
    }
}

/// The terms new members of an offer start with.
public struct MemberTerms: Sendable {
    public var payoutOverride: Payout?
    public var startsAt: Int64?
    public var endsAt: Int64?

    public init(payoutOverride: Payout? = nil, startsAt: Int64? = nil, endsAt: Int64? = nil) {
        self.payoutOverride = payoutOverride
        self.startsAt = startsAt
        self.endsAt = endsAt
    }
}

/// Makes what a new member needs. Called inside the store's transaction; a
/// promo code that turns out to be taken is asked for again with the next
/// `attempt`, so a maker must vary its answer with the attempt.
public struct MemberCredentials: Sendable {
    public var dashboardToken: @Sendable () -> String
    /// nil for link offers, whose members have no code.
    public var promoCode: (@Sendable (_ partner: Partner, _ attempt: Int) -> String)?

    public init(dashboardToken: @escaping @Sendable () -> String,
                promoCode: (@Sendable (_ partner: Partner, _ attempt: Int) -> String)?) {
        self.dashboardToken = dashboardToken
        self.promoCode = promoCode
    }
}

/// One partner of an `addMembers` call: the member, and whether it is new.
public struct MemberAddition: Sendable {
    public var member: Member
    public var created: Bool

    public init(member: Member, created: Bool) {
        self.member = member
        self.created = created
    }
}

/// An ad of a partner: a code in its tracking URLs that keeps its statistics apart.
public struct Ad: Sendable, Equatable {
    public var id: UInt32
    public var partnerID: UInt32
    public var code: Code
    public var name: String
    public var description: String
    public var mediaType: String?
    public var startsAt: Int64?
    public var createdAt: Int64

    public init(id: UInt32 = 0, partnerID: UInt32, code: Code, name: String, description: String = "",
                mediaType: String? = nil, startsAt: Int64? = nil, createdAt: Int64 = 0) {
        self.id = id
        self.partnerID = partnerID
        self.code = code
        self.name = name
        self.description = description
        self.mediaType = mediaType
        self.startsAt = startsAt
        self.createdAt = createdAt
    }
}

/// A Shopify shop whose order webhooks credit partners.
public struct ShopifyStore: Sendable, Equatable {
    public var id: UInt32
    public var name: String
    public var shopDomain: String
    /// Signs the shop's webhooks; used again, so stored as is.
    public var webhookSecret: String
    public var createdAt: Int64

    public init(id: UInt32 = 0, name: String, shopDomain: String, webhookSecret: String, createdAt: Int64 = 0) {
        self.id = id
        self.name = name
        self.shopDomain = shopDomain
        self.webhookSecret = webhookSecret
        self.createdAt = createdAt
    }
}

/// A link a partner may share: a link of an offer it is an active member of.
public struct PartnerLink: Sendable, Equatable {
    public var link: TrackingLink
    public var offerName: String
    public var offerStatus: EffectiveOfferStatus

    public init(link: TrackingLink, offerName: String, offerStatus: EffectiveOfferStatus) {
        self.link = link
        self.offerName = offerName
        self.offerStatus = offerStatus
    }
}

/// What redeeming a promo code on an order came to.
public enum PromoRedemption: Sendable, Equatable {
    /// The code credits this member of this offer; its use was counted.
    case redeemed(Member, Offer)
    case refused(PromoRefusal)
}

/// Why a promo code credits nobody.
public enum PromoRefusal: String, Sendable, Equatable, CaseIterable {
    /// No member holds the code.
    case unknownCode = "unknown_code"
    /// The offer is paused, archived, expired or not started.
    case offerNotLive = "offer_not_live"
    /// The membership is inactive or outside its dates.
    case memberNotLive = "member_not_live"
    /// The code was redeemed as often as the offer allows.
    case usageLimitReached = "usage_limit_reached"
    /// The code is flagged as leaked and the offer's policy is
    /// `no_commission`: its orders earn nothing (the use still counts).
    case leakedCode = "leaked_code"
    /// The member was given a new code (`refresh_code`): the old one earns nothing.
    case replacedCode = "replaced_code"
}

extension Offer {
    /// Whether the offer takes clicks and codes at `now`: active and within its dates.
    public func isLive(at now: Int64) -> Bool {
        status == .active && (startsAt ?? .min) <= now && now < (endsAt ?? .max)
    }
}
