import API
import ClickModel
import Domain
import Foundation
import Hummingbird
import Store
import Wire

/// Clicks: the stored clicks of a range, a partner's or all, with why each
/// flagged one did not count (SPEC section 14), a page at a time; what the
/// Quality page's partners lead to.
extension ConsolePages {
    func registerClicks(on pages: RouterGroup<PageContext>) {
        pages.get("/clicks", use: clicksPage)
    }

    static let clicksPerPage = 100

    @Sendable func clicksPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.read, request)
        let form = request.uri.queryParameters
        func field(_ name: String) -> String? { form[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        let flaggedOnly = field("flagged") != nil
        var fields = ["limit": String(Self.clicksPerPage)]
        for name in ["partner_id", "from", "to", "cursor"] { fields[name] = field(name) }
        if flaggedOnly { fields["flagged"] = "true" }
        var problem: String?
        var listing = ClickListing(clicks: [], next: nil)
        do {
            listing = try await store.clicks(try ClickAPI.query(fields))
        } catch let error as APIError where error.status == .unprocessableContent {
            problem = FormInput.errors(error)?.values.first
        }
        var names: [UInt32: String] = [:]
        for id in Set(listing.clicks.map(\.creditedPartnerID)) where id != 0 {
            names[id] = try await store.partner(id: id)?.name ?? "partner \(id)"
        }
        let rows: [[String: Any]] = listing.clicks.map { click in
            let flags = invalidClicks.flags(of: click.record)
            return [
                "id": click.id.description, "time": Timestamp.format(Int64(click.record.id.milliseconds)).prefix(19).replacingOccurrences(of: "T", with: " "),
                "partner": click.creditedPartnerID == 0 ? "none" : names[click.creditedPartnerID] ?? "",
                "link": click.linkID, "outcome": click.outcome.description,
                "flags": flags.map { ["code": $0.code, "detail": $0.detail] }, "flagged": !flags.isEmpty,
            ]
        }
        var next: String?
        if let cursor = listing.next {
            var link = URLComponents()
            link.path = "/clicks"
            link.queryItems = ["partner_id", "from", "to"].compactMap { name in fields[name].map { URLQueryItem(name: name, value: $0) } }
                + (flaggedOnly ? [URLQueryItem(name: "flagged", value: "1")] : []) + [URLQueryItem(name: "cursor", value: cursor.description)]
            next = link.string
        }
        var partner: Partner?
        if let id = fields["partner_id"].flatMap(UInt32.init) { partner = try await store.partner(id: id) }
        return page("clicks", [
            "title": partner.map { "Clicks of \($0.name)" } ?? "Clicks", "section": "quality", "clicks": rows, "problem": problem ?? "",
            "partner_id": fields["partner_id"] ?? "", "from": fields["from"] ?? "", "to": fields["to"] ?? "", "flagged_only": flaggedOnly,
            "next": next ?? "", "first_page": fields["cursor"] == nil,
        ], context)
    }
}

