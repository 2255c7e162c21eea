import ClickModel
import Domain

/// Partners as members of offers: adding them with what they share (a
/// promo code by the offer's naming, or the offer's links) and a dashboard
/// of their own, changing their terms, and giving a member a new code.
public struct Memberships: Sendable {
    public typealias Store = PartnerStore & MemberStore

    let store: any Store

    public init(store: any Store) {
        self.store = store
    }

    /// What a new member of `offer` is given: a dashboard token, and for a
    /// promo-code offer a code made by the offer's naming strategy.
    public static func credentials(for offer: Offer) -> MemberCredentials {
        MemberCredentials(
            dashboardToken: { Secrets.make(.dashboardToken) },
            promoCode: offer.type == .promoCode ? PromoCodes.maker(for: offer.promo) : nil)
    }

    /// Adds the partners to the offer; a partner already a member keeps its
    /// code and token and comes back with `created` false. An unknown partner
    /// adds nobody.
    ///
    /// - Parameter codes: promo codes the brand chose for some of them,
    ///   checked before anyone is added; the others get the offer's naming.
    public func add(_ partnerIDs: [UInt32], to offer: Offer, terms: MemberTerms, codes: [UInt32: String] = [:]) async throws -> [MemberAddition] {
        for id in partnerIDs where try await store.partner(id: id) == nil {
            throw DomainError.invalid("partner_ids", "partner \(id) does not exist; nobody was added")
        }
        var credentials = Self.credentials(for: offer)
        if !codes.isEmpty {
            guard offer.type == .promoCode else { throw DomainError.invalid("codes", "only members of promo_code offers have a code") }
            var chosen: [UInt32: String] = [:]
            for (id, text) in codes { chosen[id] = try PromoCodes.chosen(text, field: "code_\(id)") }
            credentials.promoCode = PromoCodes.maker(for: offer.promo, chosen: chosen)
        }
        return try await store.addMembers(offerID: offer.id, partnerIDs: partnerIDs, terms: terms, credentials: credentials)
    }

    /// Changes a member by `change`; with `refreshCode`, then gives it a new
    /// promo code, and the old one stops crediting it.
    public func update(partnerID: UInt32, of offer: Offer, refreshCode: Bool,
                       _ change: @escaping @Sendable (inout Member) throws -> Void) async throws -> Member {
        if refreshCode, offer.type != .promoCode {
            throw DomainError.invalid("refresh_code", "only members of promo_code offers have a code")
        }
        var member = try await store.updateMember(offerID: offer.id, partnerID: partnerID, change)
        if refreshCode {
            let promo = offer.promo ?? PromoSettings()
            member = try await store.refreshPromoCode(offerID: offer.id, partnerID: partnerID) { partner, attempt in
                // A refreshed code must differ from the old one, so the name's first spelling is skipped.
                PromoCodes.make(promo, for: partner, attempt: attempt + 1)
            }
        }
        return member
    }
}
