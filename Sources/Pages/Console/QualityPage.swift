import API
import Domain
import Foundation
import Hummingbird
import Store

/// Quality: per partner over a range, the invalid clicks and their share,
/// flagged conversions, orders on leaked codes and commission held for
/// review (SPEC section 14), the partners with the most to look at first;
/// the whole report as CSV.
extension ConsolePages {
    func registerQuality(on pages: RouterGroup<PageContext>) {
        pages.get("/quality", use: qualityPage)
        pages.get("/quality.csv", use: qualityCSV)
    }

    /// The most partners the page lists; the CSV has them all.
    static let qualityRowsShown = 200

    /// The range of the page's form: one of the dashboard's, or custom dates.
    func qualityParameters(_ request: Request) -> [String: String] {
        let query = request.uri.queryParameters
        let range = query["range"].map(String.init) ?? "last_30_days"
        guard range == "custom" else { return ["range": range] }
        var parameters: [String: String] = [:]
        if let from = query["from"], !from.isEmpty { parameters["from"] = String(from) }
        if let to = query["to"], !to.isEmpty { parameters["to"] = String(to) }
        return parameters.isEmpty ? ["range": "last_30_days"] : parameters
    }

    @Sendable func qualityPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.read, request)
        let currency = try await store.currency()
        var problem: String?
        var selection: ReportAPI.Selection
        do {
            selection = try await ReportAPI.Selection(qualityParameters(request), projects: store)
        } catch let error as APIError where error.status == .unprocessableContent {
            problem = FormInput.errors(error)?.values.first
            selection = try await ReportAPI.Selection(["range": "last_30_days"], projects: store)
        }
        // Those with the most to look at first: invalid clicks, then flagged orders, then held money.
        let rows = try await store.qualityReport(selection.query).sorted {
            ($0.invalidClicks, $0.flaggedConversions + $0.leakedCodeOrders, $0.heldCommission, $1.partnerID)
                > ($1.invalidClicks, $1.flaggedConversions + $1.leakedCodeOrders, $1.heldCommission, $0.partnerID)
        }
        let days = "from=\(Self.day(selection.range.from))&to=\(Self.day(selection.range.to - 1))"
        var partners: [[String: Any]] = []
        for row in rows.prefix(Self.qualityRowsShown) {
            let name = try await store.partner(id: row.partnerID)?.name ?? "partner \(row.partnerID)"
            partners.append([
                "id": row.partnerID, "name": name, "clicks": Self.count(row.clicks), "invalid": Self.count(row.invalidClicks),
                "share": row.clicks == 0 ? "–" : String(format: "%.1f %%", row.invalidShare * 100),
                "flagged": Self.count(row.flaggedConversions), "leaked": Self.count(row.leakedCodeOrders),
                "held": Self.money(row.heldCommission, currency),
                "clicks_link": "/clicks?partner_id=\(row.partnerID)&flagged=1&\(days)",
            ])
        }
        let query = request.uri.queryParameters
        let range = problem == nil ? query["range"].map(String.init) ?? "last_30_days" : "last_30_days"
        return page("quality", [
            "title": "Quality", "section": "quality", "currency": currency.code, "partners": partners,
            "more": max(0, rows.count - Self.qualityRowsShown), "has_more": rows.count > Self.qualityRowsShown, "problem": problem ?? "",
            "from": Self.day(selection.range.from), "to": Self.day(selection.range.to - 1),
            "ranges": Self.ranges.map { ["name": $0.0, "label": $0.1, "selected": $0.0 == range] }, "custom": range == "custom",
            "csv": "/quality.csv" + (request.uri.query.map { "?" + $0 } ?? ""),
        ], context)
    }

    @Sendable func qualityCSV(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.read, request)
        let selection = try await ReportAPI.Selection(qualityParameters(request), projects: store)
        return ReportAPI.qualityCSV(try await store.qualityReport(selection.query), range: selection.range,
                                    currency: try await store.currency().code)
    }
}
