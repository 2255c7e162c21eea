import API
import ClickModel
import Domain
import EventsOut
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Services
import Store
import Wire

/// The Partner Center (SPEC section 15), under `/partner` for a signed-in
/// partner: its offers, the Link Generator (its links, its referral
/// partners, its ads, a tracking URL for itself or a child with an ad), and
/// its link tracking stats. And the member page `/p/{token}`, open to
/// whoever holds the link.
///
/// A partner sees only itself and its direct children; anything else is 404.
struct PartnerCenter: Sendable {
    let store: SQLStore
    let urls: PublicURLs
    let renderer: Renderer
    let links: PartnerLinks
    let eventTargets: TargetGuard

    init(pages: Pages) {
        store = pages.store
        urls = pages.urls
        renderer = pages.renderer
        links = PartnerLinks(store: pages.store, urls: pages.urls)
        eventTargets = pages.eventTargets
    }

    func register(on pages: RouterGroup<PageContext>) {
        pages.get("/partner", use: offers)
        pages.get("/partner/offers/{id}", use: offerPage)
        pages.get("/partner/links", use: linkGenerator)
        pages.get("/partner/ads", use: adsPage)
        pages.post("/partner/ads", use: createAd)
        pages.get("/partner/stats", use: stats)
        pages.get("/partner/sessions", use: sessionsPage)
        pages.get("/partner/postback", use: postbackPage)
        pages.post("/partner/postback", use: savePostback)
        pages.get("/p/{token}", use: memberPage)
    }

    func page(_ template: String, _ values: [String: Any], _ context: PageContext, status: HTTPResponse.Status = .ok) -> Response {
        renderer.page(template, values, context: context, status: status)
    }

    // MARK: my offers

    @Sendable func offers(_ request: Request, context: PageContext) async throws -> Response {
        let me = try context.signedInPartner(request)
        let currency = try await store.currency()
        var offers: [[String: Any]] = []
        for member in try await store.memberships(partnerID: me.id) {
            let dashboard = try await MemberDashboard.load(member: member, store: store, urls: urls)
            offers.append(Self.dashboardValues(dashboard, currency: currency, member: member))
        }
        return page("partner-offers", ["title": "My offers", "section": "offers", "offers": offers], context)
    }

    /// What the member page and "My offers" show of one membership.
    static func dashboardValues(_ data: MemberDashboard, currency: Currency, member: Member) -> [String: Any] {
        var values: [String: Any] = [
            "offer_id": data.offer.id, "offer": data.offer.name, "status": data.offer.status, "structure": data.commission_structure,
            "member_status": member.status.rawValue, "dates": Self.dates(member),
            "conversion_count": data.conversions.filter { $0.status == "accepted" }.count,
            "expected": ConsolePages.money(data.expected_commission, currency), "paid": ConsolePages.money(data.paid_commission, currency),
            "currency": currency.code, "dashboard_url": data.dashboard_url,
            "conversions": data.conversions.map { conversion in
                ["date": String(conversion.created_at.prefix(10)), "order": conversion.order_id, "sale": ConsolePages.money(conversion.amount, currency),
                 "commission": ConsolePages.money(conversion.commission, currency), "status": conversion.status]
            },
            "payments": data.payments.map { payment in
                ["date": String(payment.created_at.prefix(10)), "amount": ConsolePages.money(payment.amount, currency), "reference": payment.reference ?? ""]
            },
        ]
        if let code = data.promo_code { values["promo_code"] = code }
        if !member.previousCodes.isEmpty { values["previous_codes"] = member.previousCodes.map(\.code).joined(separator: ", ") }
        if let url = data.tracking_url { values["tracking_url"] = url }
        return values
    }

    /// One of the partner's offers with its conversions and payments; an
    /// offer it is not a member of is 404, as if it did not exist.
    @Sendable func offerPage(_ request: Request, context: PageContext) async throws -> Response {
        let me = try context.signedInPartner(request)
        let id = try ConsolePages.id(context)
        guard let member = try await store.member(offerID: id, partnerID: me.id) else { throw PageError.notFound("There is nothing here.") }
        let data = try await MemberDashboard.load(member: member, store: store, urls: urls)
        var values = Self.dashboardValues(data, currency: Currency(data.currency) ?? .usd, member: member)
        values["title"] = data.offer.name
        values["name"] = me.name
        values["section"] = "offers"
        return page("member", values, context)
    }

    static func dates(_ member: Member) -> String {
        switch (member.startsAt, member.endsAt) {
        case (nil, nil): "always"
        case (let start?, nil): "from " + ConsolePages.day(start)
        case (nil, let end?): "until " + ConsolePages.day(end - 1)
        case (let start?, let end?): ConsolePages.day(start) + " to " + ConsolePages.day(end - 1)
        }
    }

    // MARK: the member page

    /// A member's own page: open to whoever holds the link, as before the
    /// Partner Center; an unknown token is 404.
    @Sendable func memberPage(_ request: Request, context: PageContext) async throws -> Response {
        let data: MemberDashboard
        let member: Member
        do {
            let token = context.parameters.get("token") ?? ""
            guard token.hasPrefix("cld_"), let found = try await store.member(dashboardToken: token) else {
                throw PageError.notFound("No dashboard has this address. Ask the brand for your link.")
            }
            member = found
            data = try await MemberDashboard.load(member: member, store: store, urls: urls)
        }
        let currency = Currency(data.currency) ?? .usd
        var values = Self.dashboardValues(data, currency: currency, member: member)
        values["title"] = data.offer.name
        values["name"] = data.partner.name
        return page("member", values, context)
    }

    // MARK: the Link Generator

    /// The partner's links (My Sales Websites), its children (My Referral
    /// Partners), its ads, and Generate Link. Generating changes nothing, so
    /// its form is a GET: the result is this page with the URL.
    @Sendable func linkGenerator(_ request: Request, context: PageContext) async throws -> Response {
        let me = try context.signedInPartner(request)
        let query = request.uri.queryParameters
        let myLinks = try await store.links(forMember: me.id)
        let children = try await store.partners(PartnerQuery(parentID: me.id, limit: 10_000))
        let ads = try await store.ads(partnerID: me.id)
        let chosenLink = query["link"].map(String.init) ?? myLinks.first?.link.code.value ?? ""
        let chosenFor = query["for"].map(String.init) ?? me.code.value
        let chosenAd = query["ad"].map(String.init) ?? ""
        var values: [String: Any] = [
            "title": "Link Generator", "section": "links",
            "links": myLinks.map { entry in
                ["code": entry.link.code.value, "offer": entry.offerName, "status": entry.offerStatus.rawValue,
                 "destination": entry.link.destination.url, "tracking_url": urls.tracking(link: entry.link.code, partner: me.code),
                 "selected": entry.link.code.value == chosenLink]
            },
            "children": children.map { child in
                ["name": child.name, "code": child.code.value, "status": child.status.rawValue, "selected": child.code.value == chosenFor]
            },
            "ads": ads.map { ad in ["name": ad.name, "code": ad.code.value, "media": ad.mediaType ?? "", "selected": ad.code.value == chosenAd] },
            "self_selected": chosenFor == me.code.value, "me_code": me.code.value,
        ]
        if query["link"] != nil {
            do {
                let generated = try await links.generate(
                    by: me, linkCode: try Self.code(chosenLink, "link"),
                    forPartner: chosenFor.isEmpty ? nil : try Self.code(chosenFor, "for"),
                    ad: chosenAd.isEmpty ? nil : try Self.code(chosenAd, "ad"))
                values["generated"] = ["url": generated.url, "credited": generated.credited.name, "ad": generated.ad?.name ?? ""]
            } catch let error as DomainError where error.code == .invalid || error.code == .forbidden {
                values["generate_error"] = FormInput.capitalized(error.message)
            }
        }
        return page("partner-links", values, context, status: values["generate_error"] == nil ? .ok : .unprocessableContent)
    }

    static func code(_ text: String, _ field: String) throws -> Code {
        guard let code = Code(text) else { throw DomainError.invalid(field, "choose one of the list") }
        return code
    }

    // MARK: my ads

    @Sendable func adsPage(_ request: Request, context: PageContext) async throws -> Response {
        let me = try context.signedInPartner(request)
        let created = request.uri.queryParameters["created"].map(String.init)
        return try await adsPage(me, state: FormState(values: ["media_type": "link"]), created: created, context)
    }

    func adsPage(_ me: Partner, state: FormState, created: String? = nil, _ context: PageContext,
                 status: HTTPResponse.Status = .ok) async throws -> Response {
        var values = state.context
        values["title"] = "My Ads"
        values["section"] = "links"
        values["ads"] = try await store.ads(partnerID: me.id).map { ad in
            ["name": ad.name, "code": ad.code.value, "description": ad.description, "media": ad.mediaType ?? "",
             "starts": ConsolePages.day(ad.startsAt), "new": ad.code.value == created]
        }
        values["media_types"] = Self.mediaTypes.map { ["name": $0, "selected": $0 == (state.values["media_type"] ?? "link")] }
        if let created { values["created"] = created }
        return page("partner-ads", values, context, status: status)
    }

    static let mediaTypes = ["link", "banner", "video", "social post", "email", "podcast", "other"]

    /// Create Ad: the same checks and the same code as `POST /v1/partner/ads`.
    @Sendable func createAd(_ request: Request, context: PageContext) async throws -> Response {
        let me = try context.signedInPartner(request)
        let form = context.form
        do {
            var fields: [String: Any] = ["name": form["name"] ?? ""]
            if let description = form.text("description") { fields["description"] = description }
            if let media = form.text("media_type") { fields["media_type"] = media }
            if let start = try FormInput.date(form["starts_at"], field: "starts_at") { fields["starts_at"] = start }
            let ad = try await PartnerAPI.createAd(try FormInput.decode(AdInput.self, fields), by: me, store: store)
            return Renderer.redirect("/partner/ads?created=" + ad.code.value)
        } catch {
            guard let errors = FormInput.errors(error, fallback: "name") else { throw error }
            return try await adsPage(me, state: FormState(values: form.values, errors: errors), context, status: .unprocessableContent)
        }
    }

    // MARK: link tracking stats

    /// Clicks by link, by ad and by child for a range of days (the last 30
    /// by default); with `partner`, those of one of its direct children.
    /// Any other partner is 404.
    @Sendable func stats(_ request: Request, context: PageContext) async throws -> Response {
        let signedIn = try context.signedInPartner(request)
        let query = request.uri.queryParameters
        var me = signedIn
        if let code = query["partner"].map(String.init), !code.isEmpty, code != signedIn.code.value {
            guard let code = Code(code), let child = try await store.partner(code: code), child.parentID == signedIn.id else {
                throw PageError.notFound("There is nothing here.")
            }
            me = child
        }
        let children = try await store.partners(PartnerQuery(parentID: signedIn.id, limit: 10_000))
        let now = Timestamp.now()
        var problem: String?
        var from = now - 30 * 86_400_000, to = now + 60_000
        do {
            if let start = try FormInput.date(query["from"].map(String.init), field: "from").flatMap(Timestamp.parse) { from = start }
            if let end = try FormInput.date(query["to"].map(String.init), field: "to", endOfDay: true).flatMap(Timestamp.parse) { to = end }
            if from >= to { throw APIError.invalid("from", "The first day must come before the last.") }
        } catch let error as APIError {
            problem = error.message
            (from, to) = (now - 30 * 86_400_000, now + 60_000)
        }
        func table(_ dimension: ClickStatsDimension) async throws -> [[String: Any]] {
            try await store.partnerClickStats(PartnerClickStatsQuery(partnerID: me.id, from: from, to: to, dimensions: [dimension])).map { row in
                let name = switch dimension {
                case .link: row.linkCode
                case .ad: row.adCode
                case .child: row.childCode
                }
                return ["name": name ?? "(none)", "clicks": ConsolePages.count(row.counts.clicks), "billable": ConsolePages.count(row.counts.billable),
                        "unique": ConsolePages.count(row.counts.unique), "bot": ConsolePages.count(row.counts.bot)]
            }
        }
        return page("partner-stats", [
            "title": "Link Tracking Stats", "section": "stats", "problem": problem ?? "", "subject": me.name, "me_code": signedIn.code.value,
            "self_selected": me.id == signedIn.id,
            "children": children.map { ["name": $0.name, "code": $0.code.value, "selected": $0.id == me.id] },
            "from": ConsolePages.day(from), "to": ConsolePages.day(to - 1),
            "by_link": try await table(.link), "by_ad": try await table(.ad), "by_child": try await table(.child),
        ], context, status: problem == nil ? .ok : .unprocessableContent)
    }

    // MARK: postback

    /// The partner's postback: its template and method, whether the brand
    /// switched it off, and its last attempts.
    @Sendable func postbackPage(_ request: Request, context: PageContext) async throws -> Response {
        let me = try context.signedInPartner(request)
        let current = try await store.postback(partnerID: me.id)
        var values: [String: Any] = ["url_template": current?.template ?? "", "method": current?.method.rawValue ?? "GET"]
        if request.uri.queryParameters["saved"] != nil { values["saved"] = true }
        return try await postbackPage(me, state: FormState(values: values.compactMapValues { $0 as? String }), saved: values["saved"] != nil,
                                      context)
    }

    func postbackPage(_ me: Partner, state: FormState, saved: Bool = false, _ context: PageContext,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        var values = state.context
        values["title"] = "Postback"
        values["section"] = "postback"
        values["saved"] = saved
        values["macros"] = PostbackTemplate.macros.map { "{\($0)}" }.joined(separator: " ")
        values["methods"] = PostbackMethod.allCases.map { ["name": $0.rawValue, "selected": $0.rawValue == (state.values["method"] ?? "GET")] }
        if let postback = try await store.postback(partnerID: me.id) {
            values["status"] = postback.status == .active ? "on" : "off"
            values["disabled_reason"] = postback.disabledReason ?? ""
            values["attempts"] = try await store.attempts(endpointID: postback.endpointID, beforeID: 0, limit: 20).map { attempt in
                ["when": Timestamp.format(attempt.startedAt), "event": attempt.eventType.rawValue, "attempt": attempt.attempt,
                 "answer": attempt.statusCode.map(String.init) ?? "none", "ms": attempt.latencyMilliseconds, "error": attempt.error ?? ""]
            }
        }
        return page("partner-postback", values, context, status: status)
    }

    /// Saves the postback: the same checks as `PUT /v1/partner/postback`.
    @Sendable func savePostback(_ request: Request, context: PageContext) async throws -> Response {
        let me = try context.signedInPartner(request)
        let form = context.form
        do {
            _ = try await PostbackAPI.set(form.text("url_template"), method: form.text("method"), for: me, store: store, targets: eventTargets)
            return Renderer.redirect("/partner/postback?saved=1")
        } catch {
            guard let errors = FormInput.errors(error, fallback: "url_template") else { throw error }
            return try await postbackPage(me, state: FormState(values: form.values, errors: errors), context, status: .unprocessableContent)
        }
    }

    // MARK: sessions

    @Sendable func sessionsPage(_ request: Request, context: PageContext) async throws -> Response {
        let me = try context.signedInPartner(request)
        let sessions = try await store.sessions(of: .partner(me.id), now: Timestamp.now())
        return page("partner-sessions", [
            "title": "Active sessions", "section": "sessions",
            "sessions": sessions.map { session in
                ["key": session.keyHash.map { String(format: "%02x", $0) }.joined(), "browser": session.userAgent, "address": session.address,
                 "since": Timestamp.format(session.createdAt), "expires": Timestamp.format(session.expiresAt),
                 "current": context.sessionKeyHash == session.keyHash]
            },
        ], context)
    }
}
