/// The state of an offer as the brand set it. `expired` is not stored: an
/// active offer whose `ends_at` has passed counts as expired.
public enum OfferStatus: String, Sendable, Codable, CaseIterable {
    case active, paused, archived
}

/// Whether a partner, or a partner's membership of an offer, is in effect.
public enum ActivityStatus: String, Sendable, Codable, CaseIterable {
    case active, inactive
}

/// Everything the edge needs to answer a tracking URL, as plain values read
/// from the store. `LinkTable` indexes it. Ids are the store's row ids (never 0);
/// times are milliseconds since the Unix epoch, nil when unbounded.
public struct CatalogData: Sendable {
    public var offers: [Offer]
    public var links: [Link]
    public var partners: [Partner]
    public var memberships: [Membership]
    public var ads: [Ad]

    public init(offers: [Offer] = [], links: [Link] = [], partners: [Partner] = [], memberships: [Membership] = [], ads: [Ad] = []) {
        self.offers = offers
        self.links = links
        self.partners = partners
        self.memberships = memberships
        self.ads = ads
    }

    public struct Offer: Sendable {
        public var id: UInt32
        public var status: OfferStatus
        public var startsAt: Int64?
        public var endsAt: Int64?
        public var fallback: Destination?
        /// The query parameter that carries the click id; `clk` unless the offer sets another.
        public var clickParameter: String
        /// The rules, caps and expiry of the offer's links that have none of their own.
        public var linkDefaults: LinkDefaults

        public init(id: UInt32, status: OfferStatus = .active, startsAt: Int64? = nil, endsAt: Int64? = nil,
                    fallback: Destination? = nil, clickParameter: String = "clk", linkDefaults: LinkDefaults = LinkDefaults()) {
            self.id = id
            self.status = status
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.fallback = fallback
            self.clickParameter = clickParameter
            self.linkDefaults = linkDefaults
        }
    }

    public struct Link: Sendable {
        public var id: UInt32
        public var offerID: UInt32
        public var code: Code
        public var destination: Destination
        /// From this time on, the link is expired: `expiredDestination`, else the offer's fallback URL.
        public var expiresAt: Int64?
        public var expiredDestination: Destination?
        /// The first rule that matches a click chooses its destination.
        public var rules: [LinkRule]
        /// At most so many clicks a period; past a cap, its fallback URL.
        public var caps: [LinkCap]

        public init(id: UInt32, offerID: UInt32, code: Code, destination: Destination,
                    expiresAt: Int64? = nil, expiredDestination: Destination? = nil, rules: [LinkRule] = [], caps: [LinkCap] = []) {
            self.id = id
            self.offerID = offerID
            self.code = code
            self.destination = destination
            self.expiresAt = expiresAt
            self.expiredDestination = expiredDestination
            self.rules = rules
            self.caps = caps
        }
    }

    public struct Partner: Sendable {
        public var id: UInt32
        public var code: Code
        /// The parent partner's id, or nil for a top-level partner.
        public var parentID: UInt32?
        public var status: ActivityStatus

        public init(id: UInt32, code: Code, parentID: UInt32? = nil, status: ActivityStatus = .active) {
            self.id = id
            self.code = code
            self.parentID = parentID
            self.status = status
        }
    }

    public struct Membership: Sendable {
        public var offerID: UInt32
        public var partnerID: UInt32
        public var status: ActivityStatus
        public var startsAt: Int64?
        public var endsAt: Int64?

        public init(offerID: UInt32, partnerID: UInt32, status: ActivityStatus = .active, startsAt: Int64? = nil, endsAt: Int64? = nil) {
            self.offerID = offerID
            self.partnerID = partnerID
            self.status = status
            self.startsAt = startsAt
            self.endsAt = endsAt
        }
    }

    public struct Ad: Sendable {
        public var id: UInt32
        /// The partner who owns the ad; only that partner's URLs can name it.
        public var partnerID: UInt32
        public var code: Code

        public init(id: UInt32, partnerID: UInt32, code: Code) {
            self.id = id
            self.partnerID = partnerID
            self.code = code
        }
    }
}

/// An offer's rules, caps and expiry for its links (SPEC section 12: "offer
/// bodies, as defaults that the offer's links inherit"). Each of the three
/// is taken whole, never merged: a link with rules of its own uses only its
/// own, one with caps of its own only its own, one with its own `expires_at`
/// its own expiry (and its own `expired_url`, or none). An inherited cap
/// counts each link's clicks apart, as if the link had it.
public struct LinkDefaults: Sendable, Equatable {
    public var rules: [LinkRule]
    public var caps: [LinkCap]
    public var expiresAt: Int64?
    public var expiredDestination: Destination?

    public init(rules: [LinkRule] = [], caps: [LinkCap] = [], expiresAt: Int64? = nil, expiredDestination: Destination? = nil) {
        self.rules = rules
        self.caps = caps
        self.expiresAt = expiresAt
        self.expiredDestination = expiredDestination
    }

    public var isEmpty: Bool { rules.isEmpty && caps.isEmpty && expiresAt == nil }

    /// The rules a link with `own` rules follows.
    public func rules(ofLinkWith own: [LinkRule]) -> [LinkRule] { own.isEmpty ? rules : own }

    /// The caps a link with `own` caps is counted against.
    public func caps(ofLinkWith own: [LinkCap]) -> [LinkCap] { own.isEmpty ? caps : own }

    /// When a link with its own `expiresAt` (maybe nil) expires, and where it then sends shoppers.
    public func expiry(ofLinkWith expiresAt: Int64?, _ expiredDestination: Destination?) -> (at: Int64?, destination: Destination?) {
        expiresAt != nil ? (expiresAt, expiredDestination) : (self.expiresAt, self.expiredDestination)
    }
}
