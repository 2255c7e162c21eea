import ClickModel
import Domain

/// Making the catalogue's records, with what each is given and what must
/// hold first: an offer its postback token, a link its destination (the
/// offer's when none is named) and a free code, a partner a parent that
/// exists, a free code and its API token.
public struct Catalogue: Sendable {
    public typealias Store = OfferStore & LinkStore & PartnerStore

    let store: any Store

    public init(store: any Store) {
        self.store = store
    }

    /// Stores a new offer with a postback token of its own.
    public func create(_ offer: Offer) async throws -> Offer {
        var offer = offer
        try await checkPartners(namedIn: offer.linkDefaults.rules)
        offer.postbackToken = Secrets.make(.postbackToken)
        return try await store.createOffer(offer)
    }

    /// Changes an offer with `change`, refusing default rules for its links
    /// that name a partner who does not exist.
    public func update(offer id: UInt32, _ change: @escaping @Sendable (inout Offer) throws -> Void) async throws -> Offer {
        guard var preview = try await store.offer(id: id) else { throw DomainError.notFound("offer \(id) does not exist") }
        try change(&preview)
        try await checkPartners(namedIn: preview.linkDefaults.rules)
        return try await store.updateOffer(id: id, change)
    }

    /// Changes a link with `change`: what it does, not its code. Its expired
    /// URL needs an expiry, and partner conditions must name partners that exist.
    public func update(link id: UInt32, _ change: @escaping @Sendable (inout TrackingLink) throws -> Void) async throws -> TrackingLink {
        guard var preview = try await store.link(id: id) else { throw DomainError.notFound("link \(id) does not exist") }
        try change(&preview)
        if preview.expiredDestination != nil && preview.expiresAt == nil {
            throw DomainError.invalid("expired_url", "needs expires_at: the link never expires without it")
        }
        try await checkPartners(namedIn: preview.rules)
        return try await store.updateLink(id: id, change)
    }

    /// Refuses rules whose partner conditions name a code no partner has, with the condition's field.
    func checkPartners(namedIn rules: [LinkRule]) async throws {
        for (r, rule) in rules.enumerated() {
            for (c, condition) in rule.conditions.enumerated() {
                guard case .partner(let codes) = condition else { continue }
                for (v, partner) in codes.enumerated() where try await store.partner(code: partner) == nil {
                    throw DomainError.invalid("rules[\(r)].if[\(c)].in[\(v)]", "no partner has the code \(partner)")
                }
            }
        }
    }

    /// Gives the offer a new postback token; the old one stops working at once.
    public func rotatePostbackToken(ofOffer id: UInt32) async throws -> Offer {
        try await store.updateOffer(id: id) { $0.postbackToken = Secrets.make(.postbackToken) }
    }

    /// Adds a tracking link to an offer, to `destination` or else the offer's
    /// own. From `expiresAt` on (when given), the link sends shoppers to
    /// `expiredDestination`, else to the offer's fallback URL. Past a cap,
    /// to the cap's fallback URL.
    public func addLink(_ code: Code, to offer: Offer, destination: Destination?,
                        expiresAt: Int64? = nil, expiredDestination: Destination? = nil,
                        rules: [LinkRule] = [], caps: [LinkCap] = []) async throws -> TrackingLink {
        guard let destination = destination ?? offer.destination else {
            throw DomainError.invalid("destination_url", "is required when the offer has no destination_url")
        }
        if expiredDestination != nil && expiresAt == nil {
            throw DomainError.invalid("expired_url", "needs expires_at: the link never expires without it")
        }
        if try await store.link(code: code) != nil { throw DomainError.conflict("code", "the link code \(code) is taken") }
        try await checkPartners(namedIn: rules)
        return try await store.createLink(TrackingLink(offerID: offer.id, code: code, destination: destination,
                                                       expiresAt: expiresAt, expiredDestination: expiredDestination, rules: rules,
                                                       caps: caps))
    }

    /// Stores a new partner and returns it with its API token, shown this once (only its hash is kept).
    public func create(_ partner: Partner) async throws -> (partner: Partner, token: String) {
        if let parentID = partner.parentID, try await store.partner(id: parentID) == nil {
            throw DomainError.invalid("parent_id", "partner \(parentID) does not exist")
        }
        if try await store.partner(code: partner.code) != nil { throw DomainError.conflict("code", "the partner code \(partner.code) is taken") }
        let token = Secrets.make(.partnerToken)
        return (try await store.createPartner(partner, tokenHash: Secrets.hash(token)), token)
    }

    /// Gives a partner a new API token, shown this once; the old one stops working.
    public func issueToken(to partner: Partner) async throws -> String {
        let token = Secrets.make(.partnerToken)
        try await store.setPartnerTokenHash(partnerID: partner.id, hash: Secrets.hash(token))
        return token
    }
}
