import ClickModel
import Domain

/// A partner makes a tracking URL of a link of an offer it is an active
/// member of, for itself or one of its direct referral partners, with one of
/// its own ads or none (SPEC section 5).
public struct PartnerLinks: Sendable {
    public typealias Store = LinkStore & MemberStore & PartnerStore & AdStore

    /// A generated URL and what it credits.
    public struct Generated: Sendable, Equatable {
        public var url: String
        public var link: TrackingLink
        /// The partner whose URL it is.
        public var partner: Partner
        /// Who its clicks credit: the partner, or the child it was made for.
        public var credited: Partner
        public var ad: Ad?
    }

    let store: any Store
    let urls: PublicURLs

    public init(store: any Store, urls: PublicURLs) {
        self.store = store
        self.urls = urls
    }

    /// Makes `partner`'s URL of the link `linkCode`, crediting `forPartner`
    /// (a direct child of `partner`; itself when nil) and naming `ad` (one of
    /// `partner`'s ads) when given.
    public func generate(by partner: Partner, linkCode: Code, forPartner childCode: Code?, ad adCode: Code?) async throws -> Generated {
        guard let link = try await store.link(code: linkCode) else { throw DomainError.invalid("link_code", "there is no link \(linkCode)") }
        guard let membership = try await store.member(offerID: link.offerID, partnerID: partner.id), membership.status == .active else {
            throw DomainError.forbidden("you are not an active member of the offer of link \(linkCode)")
        }
        var credited = partner
        if let childCode, childCode != partner.code {
            guard let child = try await store.partner(code: childCode), child.parentID == partner.id else {
                throw DomainError.forbidden("you can generate links only for yourself and your direct referral partners")
            }
            credited = child
        }
        var ad: Ad?
        if let adCode {
            guard let owned = try await store.ads(partnerID: partner.id).first(where: { $0.code == adCode }) else {
                throw DomainError.invalid("ad_code", "you have no ad \(adCode)")
            }
            ad = owned
        }
        let url = urls.tracking(link: link.code, partner: partner.code, child: credited.id == partner.id ? nil : credited.code, ad: ad?.code)
        return Generated(url: url, link: link, partner: partner, credited: credited, ad: ad)
    }
}
