import ClickModel
import Domain
import Foundation

/// Emails to members (SPEC section 8): one message per member, rendered from
/// a template with the member's own link or code and dashboard, previewed or
/// put into the outbox that the mail sender delivers.
public struct MemberEmails: Sendable {
    public typealias Store = OfferStore & MemberStore & LinkStore & ProjectStore & OutboxStore

    /// A rendered message: queued (with its outbox id), previewed, or not
    /// queued because the partner has no address.
    public struct Message: Sendable {
        public enum Status: String, Sendable {
            case preview, queued
            case noAddress = "no_address"
        }

        public var id: Int64?
        public var partner: Partner
        public var subject: String
        public var body: String
        public var status: Status
    }

    let store: any Store
    let urls: PublicURLs

    public init(store: any Store, urls: PublicURLs) {
        self.store = store
        self.urls = urls
    }

    /// To the given members of the offer (every active member when nil).
    public func toMembers(of offerID: UInt32, partnerIDs: [UInt32]?, template: MemberEmail, preview: Bool) async throws -> [Message] {
        guard let offer = try await store.offer(id: offerID) else { throw DomainError.notFound("offer \(offerID) does not exist") }
        var recipients: [Recipient] = []
        if let partnerIDs {
            for id in Self.unique(partnerIDs) {
                guard let member = try await store.member(offerID: offer.id, partnerID: id) else {
                    throw DomainError.invalid("partner_ids", "partner \(id) is not a member of offer \(offer.id); nothing was sent")
                }
                recipients.append(Recipient(partner: member.partner, member: member))
            }
        } else {
            let members = try await store.members(MemberQuery(offerID: offer.id, limit: 10_001))
            guard members.count <= 10_000 else { throw DomainError.invalid("partner_ids", "the offer has over 10000 members; name them in batches") }
            recipients = members.filter { $0.status == .active }.map { Recipient(partner: $0.partner, member: $0) }
        }
        return try await send(template, offer: offer, stageID: nil, to: recipients, preview: preview)
    }

    /// To the given members of a project's stage (all of them when nil).
    /// Their links and codes are those of the stage's offer, or, for a stage
    /// without one, of the nearest generating stage before it.
    public func toMembers(of stageID: UInt32, in projectID: UInt32, partnerIDs: [UInt32]?, template: MemberEmail,
                          preview: Bool) async throws -> [Message] {
        guard try await store.project(id: projectID) != nil else { throw DomainError.notFound("project \(projectID) does not exist") }
        let stages = try await store.stages(projectID: projectID)
        guard let index = stages.firstIndex(where: { $0.id == stageID }) else {
            throw DomainError.notFound("project \(projectID) has no stage \(stageID)")
        }
        let inStage = try await store.projectMembers(projectID: projectID).filter { $0.stageID == stageID }
        var chosen = inStage.map(\.partner)
        if let partnerIDs {
            let byID = Dictionary(uniqueKeysWithValues: inStage.map { ($0.partner.id, $0.partner) })
            chosen = try Self.unique(partnerIDs).map { id in
                guard let partner = byID[id] else {
                    throw DomainError.invalid("partner_ids", "partner \(id) is not in stage \(stageID); nothing was sent")
                }
                return partner
            }
        }
        let offerID = stages[...index].reversed().lazy.compactMap(\.offerID).first
        let offer = if let offerID { try await store.offer(id: offerID) } else { Offer?.none }
        var recipients: [Recipient] = []
        for partner in chosen {
            let member = if let offer { try await store.member(offerID: offer.id, partnerID: partner.id) } else { Member?.none }
            recipients.append(Recipient(partner: partner, member: member))
        }
        return try await send(template, offer: offer, stageID: stageID, to: recipients, preview: preview)
    }

    /// Everything a message to one partner is made from.
    struct Recipient {
        var partner: Partner
        /// Its membership of the offer, when it has one.
        var member: Member?
    }

    /// Renders a message per recipient; unless previewing, queues those with an address.
    func send(_ template: MemberEmail, offer: Offer?, stageID: UInt32?, to recipients: [Recipient], preview: Bool) async throws -> [Message] {
        // What the template asks for must exist for every recipient: no message goes out with a hole in it.
        let memberFields: Set<String> = ["promo_code", "tracking_url", "starts_at", "ends_at", "dashboard_url"]
        if !template.usedFields.isDisjoint(with: memberFields) {
            guard let offer else {
                throw DomainError.invalid("body", "neither the stage nor a stage before it has an offer, so only {{name}} can be used")
            }
            if let missing = recipients.first(where: { $0.member == nil }) {
                throw DomainError.invalid("partner_ids", "partner \(missing.partner.id) is not a member of offer \(offer.id) yet; generate first")
            }
        }
        if let offer, offer.type == .link, template.usedFields.contains("promo_code") {
            throw DomainError.invalid("body", "offer \(offer.id) tracks links; it has no promo codes, so {{promo_code}} cannot be used")
        }
        if let offer, offer.type == .promoCode, template.usedFields.contains("tracking_url") {
            throw DomainError.invalid("body", "offer \(offer.id) tracks promo codes; it has no links, so {{tracking_url}} cannot be used")
        }
        let link = if let offer { try await store.links(offerID: offer.id).first } else { TrackingLink?.none }
        if let offer, template.usedFields.contains("tracking_url"), link == nil {
            throw DomainError.invalid("body", "offer \(offer.id) has no tracking link yet, so {{tracking_url}} cannot be used")
        }

        let drafts = recipients.map { recipient in
            let member = recipient.member
            let values = MemberEmail.Values(
                name: recipient.partner.name, promoCode: member?.promoCode,
                trackingURL: member != nil && offer?.type == .link ? link.map { urls.tracking(link: $0.code, partner: recipient.partner.code) } : nil,
                startsAt: Self.day(member?.startsAt ?? offer?.startsAt), endsAt: Self.day(member?.endsAt ?? offer?.endsAt),
                dashboardURL: member.map { urls.dashboard(token: $0.dashboardToken) })
            let rendered = template.render(values)
            return Message(id: nil, partner: recipient.partner, subject: rendered.subject, body: rendered.body, status: .preview)
        }
        guard !preview else { return drafts }
        let queued = try await store.enqueue(drafts.compactMap { draft in
            draft.partner.email.map {
                OutboxMessage(offerID: offer?.id, stageID: stageID, partnerID: draft.partner.id, to: $0, subject: draft.subject, body: draft.body)
            }
        })
        var ids = Dictionary(queued.map { ($0.partnerID, $0.id) }, uniquingKeysWith: { first, _ in first })
        return drafts.map { draft in
            var message = draft
            message.id = ids.removeValue(forKey: draft.partner.id)
            message.status = message.id == nil ? .noAddress : .queued
            return message
        }
    }

    /// A date of the member's terms as a template shows it: `2026-07-01` (UTC).
    static func day(_ milliseconds: Int64?) -> String? {
        guard let milliseconds else { return nil }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(Date.ISO8601FormatStyle().year().month().day())
    }

    static func unique(_ ids: [UInt32]) -> [UInt32] {
        var seen = Set<UInt32>()
        return ids.filter { seen.insert($0).inserted }
    }
}
