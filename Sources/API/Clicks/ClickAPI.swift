import ClickModel
import Domain
import Foundation
import Hummingbird
import Wire

/// Stored clicks, each with its quality flags (SPEC section 14): what a brand
/// looks at to see why a click did not count.
package struct ClickAPI: Sendable {
    let store: any ClickReader
    /// Names the flags of `invalid` clicks as today's settings do.
    let rules: InvalidClickRules

    func register(on router: RouterGroup<ClicklineRequestContext>) {
        router.get("/v1/clicks", use: list)
        router.get("/v1/clicks/{click_id}", use: get)
    }

    @Sendable func get(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let text = context.parameters.get("click_id") ?? ""
        guard let id = ClickID(text) else { throw APIError.notFound("\(text.prefix(40)) is not a click id") }
        // Clicks wait a moment in the edge's rings and the writer's batch before they are stored.
        guard let click = try await store.click(id: id) else {
            throw APIError.notFound("click \(id) is not stored: it is older than the retention, not written yet, or unknown")
        }
        return try JSONBody.response(body(click))
    }

    /// `?from&to` (dates or RFC 3339 times, every stored click by default),
    /// `offer_id`, `partner_id`, `link_id`, `outcome`, `flagged=true`,
    /// `limit` (1 to 1000, 100) and `cursor`.
    @Sendable func list(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let query = try Self.query(request.uri.queryParameters.dictionary)
        let listing = try await store.clicks(query)
        return try JSONBody.response(Page(items: listing.clicks.map(body), nextCursor: listing.next?.description))
    }

    package static func query(_ fields: [String: String]) throws(APIError) -> ClickQuery {
        let from = try fields["from"].map { text throws(APIError) in try ReportRange.instant(text, "from", endOfDay: false) } ?? 0
        // The largest time a click id holds: every click.
        let to = try fields["to"].map { text throws(APIError) in try ReportRange.instant(text, "to", endOfDay: true) } ?? 0xFFFF_FFFF_FFFF
        guard from < to else { throw .invalid("from", "must be before to") }
        var query = ClickQuery(from: from, to: to)
        query.offerID = try fields["offer_id"].map { text throws(APIError) in try id(text, "offer_id", "an offer id") }
        query.partnerID = try fields["partner_id"].map { text throws(APIError) in try id(text, "partner_id", "a partner id") }
        query.linkID = try fields["link_id"].map { text throws(APIError) in try id(text, "link_id", "a link id") }
        if let text = fields["outcome"] {
            guard let outcome = ClickOutcome.allCases.first(where: { $0.description == text }) else {
                throw .invalid("outcome", "must be one of \(ClickOutcome.allCases.map(\.description).joined(separator: ", "))")
            }
            query.outcome = outcome
        }
        switch fields["flagged"] {
        case nil, "false": break
        case "true": query.flaggedOnly = true
        default: throw .invalid("flagged", "must be true or false")
        }
        if let text = fields["limit"] {
            guard let limit = Int(text), (1...1000).contains(limit) else { throw .invalid("limit", "must be from 1 to 1000") }
            query.limit = limit
        }
        if let text = fields["cursor"], !text.isEmpty {
            guard let cursor = ClickCursor(text) else { throw .invalid("cursor", "must be a cursor from next_cursor") }
            query.after = cursor
        }
        return query
    }

    private static func id(_ text: String, _ field: String, _ what: String) throws(APIError) -> UInt32 {
        guard let id = UInt32(text), id > 0 else { throw .invalid(field, "must be \(what)") }
        return id
    }

    private func body(_ click: StoredClick) -> ClickBody {
        ClickBody(click, flags: rules.flags(of: click.record))
    }
}
