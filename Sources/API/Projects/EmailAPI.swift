import ClickModel
import Domain
import Foundation
import Hummingbird
import Services

/// Emails to members (SPEC section 8): rendered per member from a template,
/// previewed, or put into the outbox that the mail sender delivers.
struct EmailAPI: Sendable {
    let store: any CatalogueWriter & ProjectStore & OutboxStore
    let urls: PublicURLs

    func register(on router: RouterGroup<ClicklineRequestContext>) {
        router.post("/v1/offers/{id}/emails", use: emailOfferMembers)
        router.post("/v1/projects/{id}/stages/{stage_id}/emails", use: emailStageMembers)
        router.get("/v1/outbox", use: outbox)
    }

    struct EmailInput: Decodable {
        var partnerIDs: [UInt32]?
        var subject: String
        var body: String
        var preview: Bool?

        enum CodingKeys: String, CodingKey {
            case subject, body, preview
            case partnerIDs = "partner_ids"
        }

        func template() throws(APIError) -> MemberEmail {
            _ = try Validate.text(subject, "subject", max: 998)
            guard !subject.contains(where: \.isNewline) else { throw .invalid("subject", "must be one line") }
            guard !body.isEmpty, body.utf8.count <= 100_000 else { throw .invalid("body", "must be 1 to 100000 bytes") }
            do {
                return try MemberEmail(subject: subject, body: body)
            } catch {
                throw .invalid(error.field, error.message)
            }
        }
    }

    /// Everything a message to one partner is made from.
    struct Recipient {
        var partner: Partner
        /// Its membership of the offer, when it has one.
        var member: Member?
    }

    /// `POST /v1/offers/{id}/emails`: to the given members, or every active member.
    @Sendable func emailOfferMembers(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let offerID = try context.id("id")
        guard let offer = try await store.offer(id: offerID) else { throw APIError.notFound("offer \(offerID) does not exist") }
        let input = try await JSONBody.decode(EmailInput.self, from: request, context: context)
        let template = try input.template()
        var recipients: [Recipient] = []
        if let ids = try PartnerIDsInput.optional(input.partnerIDs) {
            for id in Self.unique(ids) {
                guard let member = try await store.member(offerID: offer.id, partnerID: id) else {
                    throw APIError.invalid("partner_ids", "partner \(id) is not a member of offer \(offer.id); nothing was sent")
                }
                recipients.append(Recipient(partner: member.partner, member: member))
            }
        } else {
            let members = try await store.members(MemberQuery(offerID: offer.id, limit: 10_001))
            guard members.count <= 10_000 else { throw APIError.invalid("partner_ids", "the offer has over 10000 members; name them in batches") }
            recipients = members.filter { $0.status == .active }.map { Recipient(partner: $0.partner, member: $0) }
        }
        return try await compose(template, offer: offer, stageID: nil, recipients: recipients, preview: input.preview ?? false)
    }

    /// `POST /v1/projects/{id}/stages/{stage_id}/emails`: to the given members of the stage, or all of them.
    /// Their links and codes are those of the stage's offer, or, for a stage
    /// without one, of the nearest generating stage before it.
    @Sendable func emailStageMembers(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let projectID = try context.id("id")
        let stageID = try context.id("stage_id")
        guard try await store.project(id: projectID) != nil else { throw APIError.notFound("project \(projectID) does not exist") }
        let stages = try await store.stages(projectID: projectID)
        guard let index = stages.firstIndex(where: { $0.id == stageID }) else {
            throw APIError.notFound("project \(projectID) has no stage \(stageID)")
        }
        let input = try await JSONBody.decode(EmailInput.self, from: request, context: context)
        let template = try input.template()
        let inStage = try await store.projectMembers(projectID: projectID).filter { $0.stageID == stageID }
        var chosen = inStage.map(\.partner)
        if let ids = try PartnerIDsInput.optional(input.partnerIDs) {
            let byID = Dictionary(uniqueKeysWithValues: inStage.map { ($0.partner.id, $0.partner) })
            chosen = try Self.unique(ids).map { id in
                guard let partner = byID[id] else { throw APIError.invalid("partner_ids", "partner \(id) is not in stage \(stageID); nothing was sent") }
                return partner
            }
        }
        // The stage's own offer, or for a stage without one the offer of the
        // nearest generating stage before it: where its members got their link or code.
        let offerID = stages[...index].reversed().lazy.compactMap(\.offerID).first
        let offer = if let offerID { try await store.offer(id: offerID) } else { Offer?.none }
        var recipients: [Recipient] = []
        for partner in chosen {
            let member = if let offer { try await store.member(offerID: offer.id, partnerID: partner.id) } else { Member?.none }
            recipients.append(Recipient(partner: partner, member: member))
        }
        return try await compose(template, offer: offer, stageID: stageID, recipients: recipients, preview: input.preview ?? false)
    }

    /// Renders a message per recipient; unless previewing, queues those with an address.
    func compose(_ template: MemberEmail, offer: Offer?, stageID: UInt32?, recipients: [Recipient], preview: Bool) async throws -> Response {
        // What the template asks for must exist for every recipient: no message goes out with a hole in it.
        let memberFields: Set<String> = ["promo_code", "tracking_url", "starts_at", "ends_at", "dashboard_url"]
        let needsMembership = !template.usedFields.isDisjoint(with: memberFields)
        if needsMembership {
            guard let offer else {
                throw APIError.invalid("body", "neither the stage nor a stage before it has an offer, so only {{name}} can be used")
            }
            if let missing = recipients.first(where: { $0.member == nil }) {
                throw APIError.invalid("partner_ids", "partner \(missing.partner.id) is not a member of offer \(offer.id) yet; generate first")
            }
        }
        if let offer, offer.type == .link, template.usedFields.contains("promo_code") {
            throw APIError.invalid("body", "offer \(offer.id) tracks links; it has no promo codes, so {{promo_code}} cannot be used")
        }
        if let offer, offer.type == .promoCode, template.usedFields.contains("tracking_url") {
            throw APIError.invalid("body", "offer \(offer.id) tracks promo codes; it has no links, so {{tracking_url}} cannot be used")
        }
        let link = if let offer { try await store.links(offerID: offer.id).first } else { TrackingLink?.none }
        if let offer, template.usedFields.contains("tracking_url"), link == nil {
            throw APIError.invalid("body", "offer \(offer.id) has no tracking link yet, so {{tracking_url}} cannot be used")
        }

        var drafts: [(recipient: Recipient, subject: String, body: String)] = []
        for recipient in recipients {
            let member = recipient.member
            let values = MemberEmail.Values(
                name: recipient.partner.name, promoCode: member?.promoCode,
                trackingURL: member != nil && offer?.type == .link ? link.map { urls.tracking(link: $0.code, partner: recipient.partner.code) } : nil,
                startsAt: Self.day(member?.startsAt ?? offer?.startsAt), endsAt: Self.day(member?.endsAt ?? offer?.endsAt),
                dashboardURL: member.map { urls.dashboard(token: $0.dashboardToken) })
            let rendered = template.render(values)
            drafts.append((recipient, rendered.subject, rendered.body))
        }

        var messages: [MessageBody] = []
        if preview {
            messages = drafts.map { MessageBody(partnerID: $0.recipient.partner.id, to: $0.recipient.partner.email, subject: $0.subject, body: $0.body, status: "preview") }
        } else {
            let queued = try await store.enqueue(drafts.compactMap { draft in
                draft.recipient.partner.email.map {
                    OutboxMessage(offerID: offer?.id, stageID: stageID, partnerID: draft.recipient.partner.id, to: $0, subject: draft.subject, body: draft.body)
                }
            })
            var ids = Dictionary(queued.map { ($0.partnerID, $0.id) }, uniquingKeysWith: { first, _ in first })
            messages = drafts.map { draft in
                let partner = draft.recipient.partner
                let id = ids.removeValue(forKey: partner.id)
                return MessageBody(id: id, partnerID: partner.id, to: partner.email, subject: draft.subject, body: draft.body,
                                   status: id == nil ? "no_address" : MessageStatus.queued.rawValue)
            }
        }
        let status: HTTPResponse.Status = messages.contains { $0.id != nil } ? .created : .ok
        return try JSONBody.response(["messages": messages], status: status)
    }

    /// `GET /v1/outbox?status=&partner_id=`: every message and where it stands.
    @Sendable func outbox(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let query = request.uri.queryParameters.dictionary
        var filter = OutboxQuery()
        if let text = query["limit"] {
            guard let limit = Int(text), (1...1000).contains(limit) else { throw APIError.invalid("limit", "must be from 1 to 1000") }
            filter.limit = limit
        }
        if let text = query["cursor"], !text.isEmpty {
            guard let after = Int64(text), after >= 0 else { throw APIError.invalid("cursor", "must be a cursor from next_cursor") }
            filter.afterID = after
        }
        if let status = query["status"] { filter.status = try Validate.choice(status, "status", as: MessageStatus.self) }
        if let partner = query["partner_id"] {
            guard let id = UInt32(partner) else { throw APIError.invalid("partner_id", "must be a partner id") }
            filter.partnerID = id
        }
        let messages = try await store.outbox(filter)
        let items = messages.map(OutboxItemBody.init)
        return try JSONBody.response(Page(items: items, nextCursor: messages.count == filter.limit ? messages.last.map { String($0.id) } : nil))
    }

    /// A date of the member's terms as a template shows it: `2026-07-01` (UTC).
    static func day(_ milliseconds: Int64?) -> String? {
        guard let milliseconds else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func unique(_ ids: [UInt32]) -> [UInt32] {
        var seen = Set<UInt32>()
        return ids.filter { seen.insert($0).inserted }
    }
}

/// One rendered message in the answer of an email request.
struct MessageBody: Encodable {
    var id: Int64?
    var partnerID: UInt32
    var to: String?
    var subject: String
    var body: String
    /// `preview`, `queued`, or `no_address` (the partner has no email; nothing was queued).
    var status: String

    enum CodingKeys: String, CodingKey {
        case id, to, subject, body, status
        case partnerID = "partner_id"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(partnerID, forKey: .partnerID)
        try c.encode(to, forKey: .to)
        try c.encode(subject, forKey: .subject)
        try c.encode(body, forKey: .body)
        try c.encode(status, forKey: .status)
    }
}

struct OutboxItemBody: Encodable {
    var id: Int64
    var offerID: UInt32?
    var stageID: UInt32?
    var partnerID: UInt32
    var to: String
    var subject: String
    var body: String
    var status: String
    var attempts: Int
    var lastError: String?
    var createdAt: String
    var sentAt: String?

    enum CodingKeys: String, CodingKey {
        case id, to, subject, body, status, attempts
        case offerID = "offer_id"
        case stageID = "stage_id"
        case partnerID = "partner_id"
        case lastError = "last_error"
        case createdAt = "created_at"
        case sentAt = "sent_at"
    }

    init(_ message: OutboxMessage) {
        id = message.id
        offerID = message.offerID
        stageID = message.stageID
        partnerID = message.partnerID
        to = message.to
        subject = message.subject
        body = message.body
        status = message.status.rawValue
        attempts = message.attempts
        lastError = message.lastError
        createdAt = Timestamp.format(message.createdAt)
        sentAt = Timestamp.format(message.sentAt)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(offerID, forKey: .offerID)
        try c.encode(stageID, forKey: .stageID)
        try c.encode(partnerID, forKey: .partnerID)
        try c.encode(to, forKey: .to)
        try c.encode(subject, forKey: .subject)
        try c.encode(body, forKey: .body)
        try c.encode(status, forKey: .status)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(sentAt, forKey: .sentAt)
    }
}
