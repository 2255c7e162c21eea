import ClickModel
import Domain
import Synchronization

/// The catalogue's narrow storage protocols kept in memory, for testing the
/// use cases with neither HTTP nor a database. It keeps the stores' contract
/// where the use cases lean on it: codes unique, members added once (a member
/// already there keeps its code), unknown partners refused.
final class InMemoryCatalogue: OfferStore, LinkStore, PartnerStore, MemberStore, AdStore, Sendable {
    struct State {
        var offers: [UInt32: Offer] = [:]
        var links: [UInt32: TrackingLink] = [:]
        var partners: [UInt32: Partner] = [:]
        var tokenHashes: [UInt32: [UInt8]] = [:]
        var members: [MemberKey: Member] = [:]
        var ads: [UInt32: Ad] = [:]
        var nextID: UInt32 = 1

        mutating func id() -> UInt32 {
            defer { nextID += 1 }
            return nextID
        }
    }

    struct MemberKey: Hashable {
        var offerID: UInt32
        var partnerID: UInt32
    }

    let state = Mutex(State())

    // MARK: offers

    func createOffer(_ offer: Offer) async throws -> Offer {
        state.withLock { state in
            var offer = offer
            offer.id = state.id()
            state.offers[offer.id] = offer
            return offer
        }
    }

    func offer(id: UInt32) async throws -> Offer? { state.withLock { $0.offers[id] } }

    func offers(_ query: OfferQuery) async throws -> [Offer] { state.withLock { $0.offers.values.sorted { $0.id < $1.id } } }

    func updateOffer(id: UInt32, _ change: @escaping @Sendable (inout Offer) throws -> Void) async throws -> Offer {
        try state.withLock { state in
            guard var offer = state.offers[id] else { throw StoreError(.notFound, "offer \(id) does not exist") }
            try change(&offer)
            state.offers[id] = offer
            return offer
        }
    }

    // MARK: links

    func createLink(_ link: TrackingLink) async throws -> TrackingLink {
        try state.withLock { state in
            guard state.offers[link.offerID] != nil else { throw StoreError(.notFound, "offer \(link.offerID) does not exist") }
            guard !state.links.values.contains(where: { $0.code == link.code }) else { throw StoreError(.conflict, "already exists") }
            var link = link
            link.id = state.id()
            state.links[link.id] = link
            return link
        }
    }

    func links(offerID: UInt32) async throws -> [TrackingLink] {
        state.withLock { $0.links.values.filter { $0.offerID == offerID }.sorted { $0.id < $1.id } }
    }

    func link(code: Code) async throws -> TrackingLink? { state.withLock { $0.links.values.first { $0.code == code } } }

    func link(id: UInt32) async throws -> TrackingLink? { state.withLock { $0.links[id] } }

    func updateLink(id: UInt32, _ change: @escaping @Sendable (inout TrackingLink) throws -> Void) async throws -> TrackingLink {
        try state.withLock { state in
            guard var link = state.links[id] else { throw StoreError(.notFound, "link \(id) does not exist") }
            try change(&link)
            state.links[id] = link
            return link
        }
    }

    func links(forMember partnerID: UInt32) async throws -> [PartnerLink] { [] }

    // MARK: partners

    func createPartner(_ partner: Partner, tokenHash: [UInt8]?) async throws -> Partner {
        try state.withLock { state in
            guard !state.partners.values.contains(where: { $0.code == partner.code }) else { throw StoreError(.conflict, "already exists") }
            var partner = partner
            partner.id = state.id()
            state.partners[partner.id] = partner
            state.tokenHashes[partner.id] = tokenHash
            return partner
        }
    }

    func partner(id: UInt32) async throws -> Partner? { state.withLock { $0.partners[id] } }

    func partner(code: Code) async throws -> Partner? { state.withLock { $0.partners.values.first { $0.code == code } } }

    func partner(tokenHash: [UInt8]) async throws -> Partner? {
        state.withLock { state in state.tokenHashes.first { $0.value == tokenHash }.flatMap { state.partners[$0.key] } }
    }

    func partners(_ query: PartnerQuery) async throws -> [Partner] {
        state.withLock { $0.partners.values.filter { query.parentID == nil || $0.parentID == query.parentID }.sorted { $0.id < $1.id } }
    }

    func updatePartner(id: UInt32, _ change: @escaping @Sendable (inout Partner) throws -> Void) async throws -> Partner {
        try state.withLock { state in
            guard var partner = state.partners[id] else { throw StoreError(.notFound, "partner \(id) does not exist") }
            try change(&partner)
            state.partners[id] = partner
            return partner
        }
    }

    func setPartnerTokenHash(partnerID: UInt32, hash: [UInt8]) async throws {
        state.withLock { $0.tokenHashes[partnerID] = hash }
    }

    // MARK: members

    func addMembers(offerID: UInt32, partnerIDs: [UInt32], terms: MemberTerms, credentials: MemberCredentials) async throws -> [MemberAddition] {
        try state.withLock { state in
            guard let partners = Optional(partnerIDs.compactMap({ state.partners[$0] })), partners.count == partnerIDs.count else {
                throw StoreError(.notFound, "refers to something that does not exist")
            }
            return partners.map { partner in
                let key = MemberKey(offerID: offerID, partnerID: partner.id)
                if let existing = state.members[key] { return MemberAddition(member: existing, created: false) }
                var attempt = 0
                var code = credentials.promoCode?(partner, attempt)
                while let taken = code, state.members.values.contains(where: { $0.promoCode == taken }) {
                    attempt += 1
                    code = credentials.promoCode?(partner, attempt)
                }
                let member = Member(offerID: offerID, partner: partner, payoutOverride: terms.payoutOverride, startsAt: terms.startsAt,
                                    endsAt: terms.endsAt, promoCode: code, dashboardToken: credentials.dashboardToken())
                state.members[key] = member
                return MemberAddition(member: member, created: true)
            }
        }
    }

    func member(offerID: UInt32, partnerID: UInt32) async throws -> Member? {
        state.withLock { $0.members[MemberKey(offerID: offerID, partnerID: partnerID)] }
    }

    func members(_ query: MemberQuery) async throws -> [Member] {
        state.withLock { $0.members.values.filter { $0.offerID == query.offerID }.sorted { $0.partner.id < $1.partner.id } }
    }

    func memberships(partnerID: UInt32) async throws -> [Member] { state.withLock { $0.members.values.filter { $0.partner.id == partnerID } } }

    func updateMember(offerID: UInt32, partnerID: UInt32, _ change: @escaping @Sendable (inout Member) throws -> Void) async throws -> Member {
        try state.withLock { state in
            let key = MemberKey(offerID: offerID, partnerID: partnerID)
            guard var member = state.members[key] else { throw StoreError(.notFound, "partner \(partnerID) is not a member") }
            try change(&member)
            state.members[key] = member
            return member
        }
    }

    func refreshPromoCode(offerID: UInt32, partnerID: UInt32,
                          make: @escaping @Sendable (_ partner: Partner, _ attempt: Int) -> String) async throws -> Member {
        try state.withLock { state in
            let key = MemberKey(offerID: offerID, partnerID: partnerID)
            guard var member = state.members[key] else { throw StoreError(.notFound, "partner \(partnerID) is not a member") }
            var attempt = 0
            var code = make(member.partner, attempt)
            while state.members.values.contains(where: { $0.promoCode == code }) {
                attempt += 1
                code = make(member.partner, attempt)
            }
            member.promoCode = code
            member.promoUses = 0
            state.members[key] = member
            return member
        }
    }

    func removeMember(offerID: UInt32, partnerID: UInt32) async throws {
        _ = state.withLock { $0.members.removeValue(forKey: MemberKey(offerID: offerID, partnerID: partnerID)) }
    }

    func member(dashboardToken: String) async throws -> Member? { state.withLock { $0.members.values.first { $0.dashboardToken == dashboardToken } } }

    func redeemPromoCode(_ code: String, at now: Int64) async throws -> PromoRedemption { .refused(.unknownCode) }

    // MARK: ads

    func createAd(_ ad: Ad) async throws -> Ad {
        state.withLock { state in
            var ad = ad
            ad.id = state.id()
            state.ads[ad.id] = ad
            return ad
        }
    }

    func ads(partnerID: UInt32) async throws -> [Ad] { state.withLock { $0.ads.values.filter { $0.partnerID == partnerID } } }
}
