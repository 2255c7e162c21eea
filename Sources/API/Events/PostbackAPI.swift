import ClickModel
import Domain
import EventsOut
import Foundation
import Hummingbird
import Wire

/// Partners' postbacks (SPEC section 13): the partner's tracker hears of each
/// conversion credited to it, and of its reversal, at a URL template of its
/// own; the brand sees it and can switch it off.
package struct PostbackAPI: Sendable {
    let store: any EventStore
    let targets: TargetGuard

    /// `PUT` and `GET /v1/partner/postback`, `GET /v1/partner/postback/deliveries`, with the partner's token.
    func registerPartner(on router: RouterGroup<ClicklineRequestContext>) {
        router.put("/v1/partner/postback", use: put)
        router.get("/v1/partner/postback", use: mine)
        router.get("/v1/partner/postback/deliveries", use: myDeliveries)
    }

    /// `GET` and `PATCH /v1/partners/{id}/postback`, with an admin key.
    func registerAdmin(on router: RouterGroup<ClicklineRequestContext>) {
        router.get("/v1/partners/{id}/postback", use: show)
        router.patch("/v1/partners/{id}/postback", use: switchStatus)
    }

    struct PostbackInput: Decodable {
        var urlTemplate: String?
        var method: String?
        var status: String?

        enum CodingKeys: String, CodingKey {
            case urlTemplate = "url_template"
            case method, status
        }
    }

    @Sendable func put(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        guard let partner = context.partner else { throw APIError.unauthorized("a partner token is required") }
        let input = try await JSONBody.decode(PostbackInput.self, from: request, context: context)
        return try JSONBody.response(PostbackBody(try await Self.set(input.urlTemplate, method: input.method, for: partner, store: store,
                                                                     targets: targets)))
    }

    /// Sets a partner's postback after the template's checks: its macros, and
    /// where its host leads. The Partner Center's form goes through it too.
    package static func set(_ text: String?, method name: String?, for partner: Partner, store: any EventStore,
                            targets: TargetGuard) async throws -> Postback {
        guard let text, !text.isEmpty else { throw APIError.invalid("url_template", "is required") }
        let template = try PostbackTemplate(text)
        do {
            _ = try await targets.check(template.withoutMacros)
        } catch {
            throw APIError.invalid("url_template", error.message)
        }
        let method = try name.map { name throws(APIError) -> PostbackMethod in
            guard let method = PostbackMethod(rawValue: name) else { throw .invalid("method", "must be GET, POST_FORM or POST_JSON") }
            return method
        } ?? .get
        return try await store.setPostback(partnerID: partner.id, template: template, method: method, now: Timestamp.now())
    }

    @Sendable func mine(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        guard let partner = context.partner else { throw APIError.unauthorized("a partner token is required") }
        guard let postback = try await store.postback(partnerID: partner.id) else { throw APIError.notFound("no postback is set") }
        return try JSONBody.response(PostbackBody(postback))
    }

    /// The postback's delivery log, newest first.
    @Sendable func myDeliveries(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        guard let partner = context.partner else { throw APIError.unauthorized("a partner token is required") }
        guard let postback = try await store.postback(partnerID: partner.id) else { throw APIError.notFound("no postback is set") }
        return try await AttemptBody.page(of: postback.endpointID, request, store: store)
    }

    @Sendable func show(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try context.id("id")
        guard let postback = try await store.postback(partnerID: id) else { throw APIError.notFound("partner \(id) has no postback") }
        return try JSONBody.response(PostbackBody(postback))
    }

    /// `PATCH /v1/partners/{id}/postback` `{status}`: the brand's switch.
    @Sendable func switchStatus(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try context.id("id")
        let input = try await JSONBody.decode(PostbackInput.self, from: request, context: context)
        guard let status = input.status.flatMap(EndpointStatus.init(rawValue:)) else {
            throw APIError.invalid("status", "must be active or disabled")
        }
        return try JSONBody.response(PostbackBody(try await store.setPostbackStatus(partnerID: id, status)))
    }
}

/// A postback as the partner and the brand see it.
struct PostbackBody: Encodable {
    var partner_id: UInt32
    var url_template: String
    var method: String
    var status: String
    var disabled_reason: String?

    init(_ postback: Postback) {
        partner_id = postback.partnerID
        url_template = postback.template
        method = postback.method.rawValue
        status = postback.status.rawValue
        disabled_reason = postback.disabledReason
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(partner_id, forKey: .partner_id)
        try c.encode(url_template, forKey: .url_template)
        try c.encode(method, forKey: .method)
        try c.encode(status, forKey: .status)
        try c.encode(disabled_reason, forKey: .disabled_reason)
    }

    enum CodingKeys: String, CodingKey { case partner_id, url_template, method, status, disabled_reason }
}
