import APIDocument
import ClickModel
import Domain
import Foundation
import Hummingbird
import Mustache
import Ops
import Services
import ServiceLifecycle

/// The pages people look at (SPEC section 6 and 7): `/login`, `/dashboard`
/// (brand), `/ops` (live), `/p/{token}` (a member's own), and what feeds
/// them: `/v1/dashboard/{token}` and `/v1/ops/live/stream`.
struct PagesAPI: Sendable {
    let store: any CatalogueWriter & ConversionStore & KeyStore & ProjectStore & ReportStore & WorkspaceStore
    /// The keys that open the live stream (remembered through an outage of the store).
    let opsKeys: any KeyStore
    let urls: PublicURLs
    let sessions: Sessions
    let sources: OpsSources
    let library: MustacheLibrary

    init(store: any CatalogueWriter & ConversionStore & KeyStore & ProjectStore & ReportStore & WorkspaceStore, opsKeys: any KeyStore, urls: PublicURLs, sessions: Sessions, sources: OpsSources) {
        self.store = store
        self.opsKeys = opsKeys
        self.urls = urls
        self.sessions = sessions
        self.sources = sources
        var library = MustacheLibrary()
        for (name, text) in Templates.all {
            // The templates are part of the program; one that does not parse is a bug caught by every page test.
            if let template = try? MustacheTemplate(string: text) { library.register(template, named: name) }
        }
        self.library = library
    }

    func register(on router: Router<ClicklineRequestContext>) {
        router.get("/login", use: loginPage)
        router.post("/login", use: login)
        router.post("/logout", use: logout)
        router.get("/dashboard", use: dashboard)
        router.get("/ops", use: ops)
        router.get("/p/{token}", use: partnerPage)
        router.get("/v1/dashboard/{token}", use: partnerDashboard)
        router.group().add(middleware: RequireKey([.ops, .admin], keys: opsKeys, sessions: sessions))
            .get("/v1/ops/live/stream", use: liveStream)
    }

    func page(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(values, withTemplate: template) ?? "template \(template) is missing"
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:",
        ]
        headers.set("X-Frame-Options", "DENY")
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    /// Only paths of this site, never another host.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\\\"),
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return "/dashboard" }
        return next
    }

    // MARK: login

    @Sendable func loginPage(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        page("login", ["title": "Sign in", "next": Self.safeNext(request.uri.queryParameters.dictionary["next"])])
    }

    @Sendable func login(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 * 1024)
        let fields = Dictionary(ConversionAPI.formFields(String(buffer: body)), uniquingKeysWith: { _, last in last })
        let next = Self.safeNext(fields["next"])
        guard let key = fields["key"], !key.isEmpty, let role = try await store.role(forKeyHash: Secrets.hash(key)) else {
            return page("login", ["title": "Sign in", "next": next, "error": "That key is unknown or revoked."], status: .unauthorized)
        }
        let token = sessions.open(role: role, now: Timestamp.now())
        return Self.redirect(role == .ops && next == "/dashboard" ? "/ops" : next, cookie: Sessions.setCookie(token))
    }

    @Sendable func logout(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        if let token = Sessions.cookie(request) { sessions.close(token) }
        return Self.redirect("/login", cookie: Sessions.clearCookie)
    }

    enum SessionCheck {
        case role(KeyRole)
        /// Not signed in, or with a role this page does not open.
        case answer(Response)
    }

    /// The session's role, or the answer that sends the browser to sign in.
    func session(_ request: Request, path: String, roles: Set<KeyRole>) -> SessionCheck {
        guard let role = sessions.role(of: request, now: Timestamp.now()) else {
            let next = path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/?=&_-"))) ?? "/dashboard"
            return .answer(Self.redirect("/login?next=\(next)"))
        }
        guard roles.contains(role) else {
            return .answer(page("login", ["title": "Sign in", "next": path, "error": "This page needs an admin key; an \(role.rawValue) key opens /ops."],
                                 status: .forbidden))
        }
        return .role(role)
    }

    // MARK: dashboard

    @Sendable func dashboard(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        if case .answer(let answer) = session(request, path: "/dashboard", roles: [KeyRole.admin]) { return answer }
        let parameters = request.uri.queryParameters.dictionary
        let selection: ReportAPI.Selection
        do {
            selection = try await ReportAPI.Selection(parameters, projects: store)
        } catch {
            selection = try await ReportAPI.Selection([:], projects: store)
        }
        let currency = try await store.currency()
        let rows = try await store.offerReport(selection.query)
        let total = rows.reduce(KPISums()) { $0 + $1.sums }
        func show(_ kpi: KPI, _ value: Int64) -> String {
            kpi.isMoney ? Self.money(value, currency) : value.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
        }
        let labels: [KPI: String] = [
            .members: "members", .membersWithConversions: "members with conversions", .conversions: "conversions", .clicks: "billable clicks",
            .totalSales: "total sales", .salesPerMember: "sales per member", .commissionsEarned: "commissions earned",
            .avgCommissionPerMember: "average commission per member", .paymentsDue: "payments due", .membersWithPaymentsDue: "members with payments due",
        ]
        let tiles: [[String: Any]] = KPI.allCases.map { kpi in
            ["key": kpi.rawValue, "value": show(kpi, kpi.value(total)) + (kpi.isMoney ? " " + currency.code : ""), "name": labels[kpi] ?? kpi.rawValue]
        }
        let offers: [[String: Any]] = rows.map { row in
            ["id": row.offer.id, "name": row.offer.name, "status": row.offer.effectiveStatus(at: selection.query.now).rawValue,
             "members": show(.members, row.sums.members), "clicks": show(.clicks, row.sums.clicks),
             "conversions": show(.conversions, row.sums.conversions), "sales": Self.money(row.sums.totalSales, currency),
             "commissions": Self.money(row.sums.commissionsEarned, currency), "due": Self.money(row.sums.paymentsDue, currency)]
        }
        let current = selection.range.preset ?? "custom"
        let ranges: [[String: Any]] = [("last_6_months", "Last 6 months"), ("month_to_date", "Month to date"), ("last_30_days", "Last 30 days")]
            .map { ["name": $0.0, "label": $0.1, "current": $0.0 == current] }
        return page("dashboard", [
            "title": "Dashboard", "tiles": tiles, "offers": offers, "ranges": ranges, "range": current, "currency": currency.code,
            "from": String(Timestamp.format(selection.range.from).prefix(10)), "to": String(Timestamp.format(selection.range.to).prefix(10)),
            "chart": Chart.clicksAndSales(try await store.dailySeries(selection.query), currency: currency),
        ])
    }

    /// 1234567 minor units of USD as `12,345.67`.
    static func money(_ minorUnits: Int64, _ currency: Currency) -> String {
        let text = Money(minorUnits: minorUnits, currency: currency).decimalString
        let negative = text.hasPrefix("-")
        let parts = text.dropFirst(negative ? 1 : 0).split(separator: ".", maxSplits: 1)
        var whole = String(parts[0])
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole = String(whole.dropLast(3))
        }
        return (negative ? "-" : "") + whole + grouped + (parts.count > 1 ? "." + parts[1] : "")
    }

    // MARK: ops

    @Sendable func ops(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let role: KeyRole
        switch session(request, path: "/ops", roles: [KeyRole.admin, .ops]) {
        case .role(let signedIn): role = signedIn
        case .answer(let answer): return answer
        }
        let live = LiveReport(live: sources.live(), workers: sources.workers())
        let workers: [[String: Any]] = live.workers.map { worker in
            ["id": worker.id, "requests": worker.requests, "fill": String(format: "%.1f %%", worker.ringFill * 100), "dropped": worker.dropped,
             "p50": String(format: "%.0f", worker.p50Microseconds), "p99": String(format: "%.0f", worker.p99Microseconds),
             "catalogue": worker.catalogueVersion]
        }
        return page("ops", [
            "title": "Live", "admin": role == .admin, "workers": workers,
            "rate1": String(format: "%.0f", live.clicksPerSecond.oneSecond), "rate10": String(format: "%.1f", live.clicksPerSecond.tenSeconds),
            "rate60": String(format: "%.1f", live.clicksPerSecond.sixtySeconds), "clicks": live.totals.clicks, "billable": live.totals.billable,
            "bot": live.totals.bot, "dropped": live.totals.dropped,
        ])
    }

    /// `/v1/ops/live` every second as Server-Sent Events (`event: live`). A
    /// stream ends after ten minutes (the browser reconnects) or when the
    /// service shuts down, so it never holds a shutdown up.
    @Sendable func liveStream(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let sources = self.sources
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
        headers.set("X-Accel-Buffering", "no")
        return Response(
            status: .ok,
            headers: headers,
            body: .init { writer in
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                let deadline = ContinuousClock.now + .seconds(600)
                while !Task.isCancelled, !Task.isShuttingDownGracefully, ContinuousClock.now < deadline {
                    let report = LiveReport(live: sources.live(), workers: sources.workers())
                    let json = String(decoding: try encoder.encode(report), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: "event: live\ndata: \(json)\n\n"))
                    try? await Task.sleep(for: .seconds(1))
                }
                try await writer.finish(nil)
            })
    }

    // MARK: a member's dashboard

    struct PartnerDashboard: Encodable {
        struct OfferPart: Encodable {
            var id: UInt32
            var name: String
            var type: String
            var status: String
            var payout: PayoutBody
            var parent_override_percent: Double?
            var hold_days: Int
            var starts_at: String?
            var ends_at: String?
        }
        struct ConversionPart: Encodable {
            var id: Int64
            var order_id: String
            var amount: Int64
            var commission: Int64
            var status: String
            var created_at: String
        }
        struct PaymentPart: Encodable {
            var id: Int64
            var amount: Int64
            var reference: String?
            var created_at: String
        }

        var partner: PartnerBody
        var offer: OfferPart
        var promo_code: String?
        var tracking_url: String?
        var commission_structure: String
        var currency: String
        var conversions: [ConversionPart]
        var expected_commission: Int64
        var paid_commission: Int64
        var payments: [PaymentPart]
    }

    func partnerDashboardData(_ context: ClicklineRequestContext) async throws -> PartnerDashboard {
        guard let token = context.parameters.get("token"), token.hasPrefix("cld_"), let member = try await store.member(dashboardToken: token),
              let offer = try await store.offer(id: member.offerID) else {
            throw APIError.notFound("no dashboard has this address; ask the brand for your link")
        }
        let currency = try await store.currency()
        let link = try await store.links(offerID: offer.id).first
        let conversions = try await store.conversions(ConversionQuery(offerID: offer.id, partnerID: member.partner.id, limit: 1000))
        // Lines earned in this offer, including a parent's override lines on its children's sales.
        var expected: Int64 = 0, paid: Int64 = 0
        var rows: [PartnerDashboard.ConversionPart] = []
        for conversion in conversions {
            let mine = conversion.commissions.filter { $0.partnerID == member.partner.id }
            rows.append(.init(id: conversion.id, order_id: conversion.orderID, amount: conversion.amount.minorUnits,
                              commission: mine.filter { $0.status != .reversed }.reduce(0) { $0 + $1.amount.minorUnits },
                              status: conversion.status.rawValue, created_at: Timestamp.format(conversion.createdAt)))
            for line in mine {
                switch line.status {
                case .pending, .approved: expected += line.amount.minorUnits
                case .paid: paid += line.amount.minorUnits
                case .reversed: break
                }
            }
        }
        let payout = member.payoutOverride ?? offer.payout
        var structure: String
        switch payout {
        case .flat(let minorUnits): structure = "You earn \(Self.money(minorUnits, currency)) \(currency.code) per sale"
        case .percent(let percent): structure = "You earn \(percent)% of each sale"
        }
        if let parentOverride = offer.parentOverride {
            structure += "; when a partner you referred makes a sale, you earn \(parentOverride)% of their commission"
        }
        structure += offer.holdDays > 0 ? ". Commissions are confirmed \(offer.holdDays) days after the sale." : "."
        let payments = try await store.payments(partnerID: member.partner.id, afterID: 0, limit: 1000)
            .filter { $0.offerID == nil || $0.offerID == offer.id }
        return PartnerDashboard(
            partner: PartnerBody(member.partner),
            offer: .init(id: offer.id, name: offer.name, type: offer.type.rawValue, status: offer.effectiveStatus(at: Timestamp.now()).rawValue,
                         payout: PayoutBody(payout), parent_override_percent: offer.parentOverride.map { Double($0.basisPoints) / 100 },
                         hold_days: offer.holdDays, starts_at: Timestamp.format(offer.startsAt), ends_at: Timestamp.format(offer.endsAt)),
            promo_code: member.promoCode,
            tracking_url: offer.type == .link ? link.map { urls.tracking(link: $0.code, partner: member.partner.code) } : nil,
            commission_structure: structure, currency: currency.code, conversions: rows, expected_commission: expected,
            paid_commission: paid,
            payments: payments.map { .init(id: $0.id, amount: $0.amount.minorUnits, reference: $0.reference, created_at: Timestamp.format($0.createdAt)) })
    }

    @Sendable func partnerDashboard(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        try await JSONBody.response(try partnerDashboardData(context))
    }

    @Sendable func partnerPage(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let data: PartnerDashboard
        do {
            data = try await partnerDashboardData(context)
        } catch let error as APIError where error.status == .notFound {
            return page("login", ["title": "Not found", "error": error.message, "next": "/dashboard"], status: .notFound)
        }
        let currency = Currency(data.currency) ?? .usd
        let conversions: [[String: Any]] = data.conversions.map { conversion in
            ["date": String(conversion.created_at.prefix(10)), "order": conversion.order_id, "sale": Self.money(conversion.amount, currency),
             "commission": Self.money(conversion.commission, currency), "status": conversion.status]
        }
        let payments: [[String: Any]] = data.payments.map { payment in
            ["date": String(payment.created_at.prefix(10)), "amount": Self.money(payment.amount, currency), "reference": payment.reference ?? ""]
        }
        var values: [String: Any] = [
            "title": data.offer.name, "offer": data.offer.name, "name": data.partner.name, "structure": data.commission_structure,
            "conversion_count": data.conversions.filter { $0.status == "accepted" }.count, "expected": Self.money(data.expected_commission, currency),
            "paid": Self.money(data.paid_commission, currency), "currency": currency.code, "conversions": conversions, "payments": payments,
            "tracking_url": data.tracking_url ?? "(the brand has not made a link for this offer yet)",
        ]
        if let code = data.promo_code { values["promo_code"] = code }
        return page("partner", values)
    }
}
