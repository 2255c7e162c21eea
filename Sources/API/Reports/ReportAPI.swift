import ClickModel
import Domain
import Foundation
import Hummingbird
import Wire

/// `GET /v1/reports/...`: the brand's KPIs (SPEC section 6), read from the
/// rollups only, as JSON or with `format=csv` as a download.
package struct ReportAPI: Sendable {
    package init(store: any CatalogueWriter & ProjectStore & ReportStore & WorkspaceStore) { self.store = store }

    let store: any CatalogueWriter & ProjectStore & ReportStore & WorkspaceStore

    func register(on router: RouterGroup<ClicklineRequestContext>) {
        router.get("/v1/reports/summary", use: summary)
        router.get("/v1/reports/offers", use: offers)
        router.get("/v1/reports/offers/{id}/members", use: members)
        router.get("/v1/reports/links/{id}/variants", use: variants)
        router.get("/v1/reports/clicks", use: traffic)
        router.get("/v1/reports/quality", use: quality)
    }

    // MARK: by country and device

    struct TrafficBody: Encodable {
        var by: String
        var range: ReportRange
        var items: [TrafficRowBody]
    }

    struct TrafficRowBody: Encodable {
        var dimension: String
        var key: String?
        var clicks: Int64
        var billable: Int64
        var conversions: Int64

        // The key under the dimension's own name, null when unknown: {"country": "CA", ...}.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: DynamicKey.self)
            try c.encode(key, forKey: DynamicKey(dimension))
            try c.encode(clicks, forKey: DynamicKey("clicks"))
            try c.encode(billable, forKey: DynamicKey("billable"))
            try c.encode(conversions, forKey: DynamicKey("conversions"))
        }
    }

    struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// `by=country` or `by=device`: clicks, billable clicks and conversions
    /// over the range's whole UTC days, with the other reports' offer filters.
    @Sendable func traffic(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters.dictionary
        guard let by = parameters["by"] else { throw APIError.invalid("by", "is required: country or device") }
        let dimension = try Validate.choice(by, "by", as: TrafficDimension.self)
        // The rollups it reads are per offer and day only: no offer status or type, no KPI bounds.
        try Self.refuseOfferFilters(parameters, "range, from, to and project_id")
        let selection = try await Selection(parameters, projects: store)
        let rows = try await store.trafficReport(by: dimension, selection.query)
        return try JSONBody.response(TrafficBody(by: dimension.rawValue, range: selection.range, items: rows.map {
            TrafficRowBody(dimension: dimension.rawValue, key: $0.key, clicks: $0.clicks, billable: $0.billable, conversions: $0.conversions)
        }))
    }

    /// The offers report's filters (status, type, KPI bounds) are refused by
    /// the reports that do not read per offer; `takes` says what they do take.
    static func refuseOfferFilters(_ parameters: [String: String], _ takes: String) throws(APIError) {
        if let name = parameters.keys.sorted().first(where: { ["status", "type"].contains($0) || $0.hasPrefix("min_") || $0.hasPrefix("max_") }) {
            throw .invalid(name, "this report takes \(takes)")
        }
    }

    // MARK: partner quality

    struct QualityBody: Encodable {
        var range: ReportRange
        var currency: String
        var items: [QualityRowBody]
    }

    struct QualityRowBody: Encodable {
        var partner_id: UInt32
        var clicks: Int64
        var invalid_clicks: Int64
        var invalid_share: Double
        var flagged_conversions: Int64
        var leaked_code_orders: Int64
        var held_commission: Int64

        init(_ row: QualityRow) {
            partner_id = row.partnerID
            clicks = row.clicks
            invalid_clicks = row.invalidClicks
            invalid_share = (row.invalidShare * 10_000).rounded() / 10_000
            flagged_conversions = row.flaggedConversions
            leaked_code_orders = row.leakedCodeOrders
            held_commission = row.heldCommission
        }
    }

    /// Per partner over the range: clicks credited to it, the invalid ones
    /// (bots and invalid clicks) and their share, flagged conversions, orders
    /// on its leaked codes, and commission held for review (minor units);
    /// `format=csv` as a download.
    @Sendable func quality(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters.dictionary
        try Self.refuseOfferFilters(parameters, "range, from, to, project_id and format")
        if let format = parameters["format"], format != "json", format != "csv" { throw APIError.invalid("format", "must be json or csv") }
        let selection = try await Selection(parameters, projects: store)
        let rows = try await store.qualityReport(selection.query).map(QualityRowBody.init)
        let currency = try await currency()
        guard parameters["format"] == "csv" else {
            return try JSONBody.response(QualityBody(range: selection.range, currency: currency, items: rows))
        }
        return Self.qualityCSV(rows, range: selection.range, currency: currency)
    }

    /// The quality report as a download, as the API and the console's page give it.
    package static func qualityCSV(_ rows: [QualityRow], range: ReportRange, currency: String) -> Response {
        qualityCSV(rows.map(QualityRowBody.init), range: range, currency: currency)
    }

    static func qualityCSV(_ rows: [QualityRowBody], range: ReportRange, currency: String) -> Response {
        var csv = CSV(header: ["partner_id", "clicks", "invalid_clicks", "invalid_share", "flagged_conversions", "leaked_code_orders",
                               "held_commission", "currency"])
        for row in rows {
            csv.append([String(row.partner_id), String(row.clicks), String(row.invalid_clicks), String(row.invalid_share),
                        String(row.flagged_conversions), String(row.leaked_code_orders), String(row.held_commission), currency])
        }
        return csv.response(fileName: "quality_\(range.fileLabel).csv")
    }

    // MARK: link variants

    struct VariantRowBody: Encodable {
        var rule: Int
        var ruleName: String?
        var variant: Int
        var destinationURL: String?
        var clicks: Int64
        var uniqueClicks: Int64
        var conversions: Int64
        var totalSales: Int64
        var conversionRate: Double
        var conversionRateLow: Double
        var conversionRateHigh: Double

        enum CodingKeys: String, CodingKey {
            case rule, variant, clicks, conversions
            case ruleName = "rule_name"
            case destinationURL = "destination_url"
            case uniqueClicks = "unique_clicks"
            case totalSales = "total_sales"
            case conversionRate = "conversion_rate"
            case conversionRateLow = "conversion_rate_low"
            case conversionRateHigh = "conversion_rate_high"
        }
    }

    struct VariantsBody: Encodable {
        var linkID: UInt32
        var currency: String
        var items: [VariantRowBody]

        enum CodingKeys: String, CodingKey {
            case items, currency
            case linkID = "link_id"
        }
    }

    /// Per rule and variant of a link: clicks, unique clicks, conversions,
    /// sales (minor units) and the conversion rate (conversions per click)
    /// with its 95% Wilson interval.
    @Sendable func variants(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try context.id("id")
        guard let report = try await store.variantReport(linkID: id) else { throw APIError.notFound("link \(id) does not exist") }
        let items = report.rows.map { row in
            let rate = row.conversionRate
            return VariantRowBody(
                rule: row.rule, ruleName: report.link.rules.indices.contains(row.rule) ? report.link.rules[row.rule].name : nil,
                variant: row.variant, destinationURL: row.destination?.url, clicks: row.clicks, uniqueClicks: row.uniqueClicks,
                conversions: row.conversions, totalSales: row.sales,
                conversionRate: rate.rate, conversionRateLow: rate.low, conversionRateHigh: rate.high)
        }
        return try JSONBody.response(VariantsBody(linkID: id, currency: try await currency(), items: items))
    }

    /// The report's range, offer filters and KPI bounds, from the query.
    package struct Selection: Sendable {
        package var range: ReportRange
        package var query: ReportQuery
        /// `min_<kpi>` and `max_<kpi>`: offers outside them are left out.
        package var bounds: [(KPI, ClosedRange<Int64>)]

        /// - Parameter projects: where `project_id` is looked up: a project
        ///   selects the offers its stages are bound to.
        package init(_ parameters: [String: String], projects: any ProjectStore) async throws {
            let now = Timestamp.now()
            range = try ReportRange(parameters, now: now)
            query = ReportQuery(from: range.from, to: range.to, now: now)
            if let status = parameters["status"] { query.status = try Validate.choice(status, "status", as: EffectiveOfferStatus.self) }
            if let type = parameters["type"] { query.type = try Validate.choice(type, "type", as: OfferType.self) }
            if let text = parameters["project_id"] {
                guard let id = UInt32(text), try await projects.project(id: id) != nil else {
                    throw APIError.invalid("project_id", "project \(text) does not exist")
                }
                query.offerIDs = Set(try await projects.stages(projectID: id).compactMap(\.offerID))
            }
            var bounds: [KPI: ClosedRange<Int64>] = [:]
            for (name, text) in parameters where name.hasPrefix("min_") || name.hasPrefix("max_") {
                guard let kpi = KPI(rawValue: String(name.dropFirst(4))) else {
                    throw APIError.invalid(name, "bounds are min_ or max_ and a KPI: \(KPI.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                guard let value = Int64(text) else { throw APIError.invalid(name, "must be an integer (minor units for money)") }
                let current = bounds[kpi] ?? Int64.min...Int64.max
                bounds[kpi] = name.hasPrefix("min_") ? max(value, current.lowerBound)...current.upperBound
                                                     : current.lowerBound...min(value, current.upperBound)
            }
            self.bounds = bounds.map { ($0.key, $0.value) }.sorted { $0.0.rawValue < $1.0.rawValue }
        }

        package func keeps(_ sums: KPISums) -> Bool {
            bounds.allSatisfy { kpi, range in range.contains(kpi.value(sums)) }
        }
    }

    func currency() async throws -> String { try await store.currency().code }

    // MARK: summary

    struct SummaryBody: Encodable {
        var range: ReportRange
        var currency: String
        var offers: Int
        var kpis: [String: Int64]
        var definitions: [String: String]
    }

    @Sendable func summary(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let selection = try await Selection(request.uri.queryParameters.dictionary, projects: store)
        let rows = try await store.offerReport(selection.query).filter { selection.keeps($0.sums) }
        let total = rows.reduce(KPISums()) { $0 + $1.sums }
        return try await JSONBody.response(SummaryBody(
            range: selection.range, currency: try currency(), offers: rows.count,
            kpis: Dictionary(uniqueKeysWithValues: KPI.allCases.map { ($0.rawValue, $0.value(total)) }),
            definitions: Dictionary(uniqueKeysWithValues: KPI.allCases.map { ($0.rawValue, $0.definition) })))
    }

    // MARK: per offer

    /// `columns=a,b` (KPIs; all by default) and `sort=name`, `sort=-total_sales`...
    static func columns<C: RawRepresentable & CaseIterable>(_ text: String?, as type: C.Type) throws(APIError) -> [C] where C.RawValue == String {
        guard let text, !text.isEmpty else { return Array(C.allCases) }
        var columns: [C] = []
        for name in text.split(separator: ",") {
            guard let column = C(rawValue: String(name)) else {
                throw .invalid("columns", "columns are \(C.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !columns.contains(where: { $0.rawValue == column.rawValue }) { columns.append(column) }
        }
        return columns
    }

    struct Sort {
        var key: String
        var descending: Bool

        init(_ text: String?, allowed: [String], default fallback: String) throws(APIError) {
            var text = text ?? fallback
            descending = text.hasPrefix("-")
            if descending { text.removeFirst() }
            guard allowed.contains(text) else { throw .invalid("sort", "sort by \(allowed.joined(separator: ", ")), with - for descending") }
            key = text
        }
    }

    /// The per-offer report the API and the dashboard show: `columns=`,
    /// `sort=`, `q=` (part of the name) and the selection's filters.
    package struct OfferReport: Sendable {
        package var selection: Selection
        package var columns: [KPI]
        package var rows: [OfferKPIs]
        package var currency: Currency
    }

    package func offerReport(_ parameters: [String: String]) async throws -> OfferReport {
        let selection = try await Selection(parameters, projects: store)
        let columns = try Self.columns(parameters["columns"], as: KPI.self)
        let sort = try Sort(parameters["sort"], allowed: ["id", "name"] + KPI.allCases.map(\.rawValue), default: "id")
        var rows = try await store.offerReport(selection.query).filter { selection.keeps($0.sums) }
        if let text = parameters["q"]?.lowercased(), !text.isEmpty { rows = rows.filter { $0.offer.name.lowercased().contains(text) } }
        rows.sort { a, b in
            let ordered: Bool
            switch sort.key {
            case "id": ordered = a.offer.id < b.offer.id
            case "name": ordered = a.offer.name.localizedCaseInsensitiveCompare(b.offer.name) == .orderedAscending
            default:
                let kpi = KPI(rawValue: sort.key)!
                let (x, y) = (kpi.value(a.sums), kpi.value(b.sums))
                ordered = x == y ? a.offer.id < b.offer.id : x < y
            }
            return sort.descending ? !ordered && a.offer.id != b.offer.id : ordered
        }
        return OfferReport(selection: selection, columns: columns, rows: rows, currency: try await store.currency())
    }

    /// The report as a CSV download: money in the currency's units.
    package static func csv(_ report: OfferReport) -> Response {
        var csv = CSV(header: ["offer_id", "name", "status", "type"] + report.columns.map(\.rawValue))
        for row in report.rows {
            csv.append([String(row.offer.id), row.offer.name, row.offer.effectiveStatus(at: report.selection.query.now).rawValue,
                        row.offer.type.rawValue] + report.columns.map { kpi in
                let value = kpi.value(row.sums)
                return kpi.isMoney ? Money(minorUnits: value, currency: report.currency).decimalString : String(value)
            })
        }
        return csv.response(fileName: "offers_\(report.selection.range.fileLabel).csv")
    }

    @Sendable func offers(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters.dictionary
        let report = try await offerReport(parameters)
        if parameters["format"] == "csv" { return Self.csv(report) }
        let items = report.rows.map { row in
            OfferRowBody(offer_id: row.offer.id, name: row.offer.name, status: row.offer.effectiveStatus(at: report.selection.query.now).rawValue,
                         type: row.offer.type.rawValue,
                         kpis: Dictionary(uniqueKeysWithValues: report.columns.map { ($0.rawValue, $0.value(row.sums)) }))
        }
        return try JSONBody.response(ReportBody(range: report.selection.range, currency: report.currency.code,
                                                columns: report.columns.map(\.rawValue), items: items))
    }

    struct OfferRowBody: Encodable {
        var offer_id: UInt32
        var name: String
        var status: String
        var type: String
        var kpis: [String: Int64]
    }

    struct ReportBody<Item: Encodable>: Encodable {
        var range: ReportRange
        var currency: String
        var columns: [String]
        var items: [Item]
        var next_cursor: String? = nil

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(range, forKey: .range)
            try c.encode(currency, forKey: .currency)
            try c.encode(columns, forKey: .columns)
            try c.encode(items, forKey: .items)
            try c.encode(next_cursor, forKey: .next_cursor)
        }

        enum CodingKeys: String, CodingKey { case range, currency, columns, items, next_cursor }
    }

    // MARK: per member

    struct MemberRowBody: Encodable {
        var partner_id: UInt32
        var name: String
        var partner_code: String
        var promo_code: String?
        var status: String
        var kpis: [String: Int64]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(partner_id, forKey: .partner_id)
            try c.encode(name, forKey: .name)
            try c.encode(partner_code, forKey: .partner_code)
            try c.encode(promo_code, forKey: .promo_code)
            try c.encode(status, forKey: .status)
            try c.encode(kpis, forKey: .kpis)
        }

        enum CodingKeys: String, CodingKey { case partner_id, name, partner_code, promo_code, status, kpis }
    }

    /// An offer's members with their figures: `columns=`, `sort=`, `q=`
    /// (part of the name or the promo code) and the selection's range.
    package struct MemberReport: Sendable {
        package var offer: Offer
        package var selection: Selection
        package var columns: [MemberColumn]
        package var rows: [MemberKPIs]
        package var currency: Currency
    }

    package func memberReport(of offer: Offer, _ parameters: [String: String]) async throws -> MemberReport {
        let selection = try await Selection(parameters, projects: store)
        let columns = try Self.columns(parameters["columns"], as: MemberColumn.self)
        let sort = try Sort(parameters["sort"], allowed: ["partner_id", "name"] + MemberColumn.allCases.map(\.rawValue), default: "partner_id")
        var rows = try await store.memberReport(offerID: offer.id, selection.query, text: parameters["q"])
        rows.sort { a, b in
            let ordered: Bool
            switch sort.key {
            case "partner_id": ordered = a.member.partner.id < b.member.partner.id
            case "name": ordered = a.member.partner.name.localizedCaseInsensitiveCompare(b.member.partner.name) == .orderedAscending
            default:
                let column = MemberColumn(rawValue: sort.key)!
                let (x, y) = (column.value(a), column.value(b))
                ordered = x == y ? a.member.partner.id < b.member.partner.id : x < y
            }
            return sort.descending ? !ordered && a.member.partner.id != b.member.partner.id : ordered
        }
        return MemberReport(offer: offer, selection: selection, columns: columns, rows: rows, currency: try await store.currency())
    }

    package static func csv(_ report: MemberReport) -> Response {
        var csv = CSV(header: ["partner_id", "name", "partner_code", "promo_code", "status"] + report.columns.map(\.rawValue))
        for row in report.rows {
            csv.append([String(row.member.partner.id), row.member.partner.name, row.member.partner.code.value, row.member.promoCode ?? "",
                        row.member.status.rawValue] + report.columns.map { column in
                let value = column.value(row)
                return column.isMoney ? Money(minorUnits: value, currency: report.currency).decimalString : String(value)
            })
        }
        return csv.response(fileName: "offer-\(report.offer.id)-members_\(report.selection.range.fileLabel).csv")
    }

    @Sendable func members(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters.dictionary
        let offerID = try context.id("id")
        guard let offer = try await store.offer(id: offerID) else { throw APIError.notFound("offer \(offerID) does not exist") }
        let report = try await memberReport(of: offer, parameters)
        if parameters["format"] == "csv" { return Self.csv(report) }
        let items = report.rows.map { row in
            MemberRowBody(partner_id: row.member.partner.id, name: row.member.partner.name, partner_code: row.member.partner.code.value,
                          promo_code: row.member.promoCode, status: row.member.status.rawValue,
                          kpis: Dictionary(uniqueKeysWithValues: report.columns.map { ($0.rawValue, $0.value(row)) }))
        }
        return try JSONBody.response(ReportBody(range: report.selection.range, currency: report.currency.code,
                                                columns: report.columns.map(\.rawValue), items: items))
    }
}
