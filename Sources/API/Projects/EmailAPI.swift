import ClickModel
import Domain
import Foundation
import Hummingbird
import Services
import Wire

/// Emails to members (SPEC section 8): rendered per member from a template,
/// previewed, or put into the outbox that the mail sender delivers.
struct EmailAPI: Sendable {
    let store: any OutboxStore
    let emails: MemberEmails

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

    /// `POST /v1/offers/{id}/emails`: to the given members, or every active member.
    @Sendable func emailOfferMembers(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let offerID = try context.id("id")
        let input = try await JSONBody.decode(EmailInput.self, from: request, context: context)
        let messages = try await emails.toMembers(of: offerID, partnerIDs: try PartnerIDsInput.optional(input.partnerIDs),
                                                  template: try input.template(), preview: input.preview ?? false)
        return try answer(messages)
    }

    /// `POST /v1/projects/{id}/stages/{stage_id}/emails`: to the given members of the stage, or all of them.
    @Sendable func emailStageMembers(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let projectID = try context.id("id")
        let stageID = try context.id("stage_id")
        let input = try await JSONBody.decode(EmailInput.self, from: request, context: context)
        let messages = try await emails.toMembers(of: stageID, in: projectID, partnerIDs: try PartnerIDsInput.optional(input.partnerIDs),
                                                  template: try input.template(), preview: input.preview ?? false)
        return try answer(messages)
    }

    func answer(_ messages: [MemberEmails.Message]) throws -> Response {
        let bodies = messages.map { message in
            MessageBody(id: message.id, partnerID: message.partner.id, to: message.partner.email, subject: message.subject,
                        body: message.body, status: message.status.rawValue)
        }
        return try JSONBody.response(["messages": bodies], status: messages.contains { $0.id != nil } ? .created : .ok)
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
        partnerID = message.partnerID ?? 0  // the API lists members' messages only
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
