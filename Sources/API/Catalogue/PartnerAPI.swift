import ClickModel
import Domain
import Foundation
import Hummingbird
import Services
import Wire

/// Checks `Authorization: Bearer <partner token>`: 401 without a known token,
/// 403 for a partner that is not active. Admin keys do not open it: the
/// partner API always acts as one partner.
struct RequirePartner: RouterMiddleware {
    typealias Context = ClicklineRequestContext

    let store: any CatalogueWriter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = RequireKey.bearerToken(request) else { throw APIError.unauthorized("a partner token is required") }
        guard let partner = try await store.partner(tokenHash: Secrets.hash(token)) else {
            throw APIError.unauthorized("the partner token is unknown or was replaced")
        }
        guard partner.status == .active else { throw APIError.forbidden("partner \(partner.code) is inactive") }
        var context = context
        context.partner = partner
        return try await next(request, context)
    }
}

/// The partner API (SPEC section 5): a partner sees only itself and its
/// direct children, and can credit only itself or a direct child.
package struct PartnerAPI: Sendable {
    let store: any CatalogueWriter & ClickStatsStore
    let links: PartnerLinks
    let urls: PublicURLs

    func register(on router: RouterGroup<ClicklineRequestContext>) {
        router.get("/v1/partner/me", use: me)
        router.get("/v1/partner/links", use: links)
        router.get("/v1/partner/children", use: children)
        router.post("/v1/partner/ads", use: createAd)
        router.get("/v1/partner/ads", use: listAds)
        router.post("/v1/partner/links/generate", use: generate)
        router.get("/v1/partner/stats", use: stats)
    }

    struct MeBody: Encodable {
        var partner: PartnerBody
        var parent: PartnerBody?
        var children: [PartnerBody]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(partner, forKey: .partner)
            try c.encode(parent, forKey: .parent)
            try c.encode(children, forKey: .children)
        }

        enum CodingKeys: String, CodingKey { case partner, parent, children }
    }

    @Sendable func me(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let me = try context.requirePartner()
        let parent = if let parentID = me.parentID { try await store.partner(id: parentID) } else { Partner?.none }
        let children = try await store.partners(PartnerQuery(parentID: me.id, limit: 10_000))
        return try JSONBody.response(MeBody(partner: PartnerBody(me), parent: parent.map { PartnerBody($0) },
                                            children: children.map { PartnerBody($0) }))
    }

    struct PartnerLinkBody: Encodable {
        var linkID: UInt32
        var code: String
        var offerID: UInt32
        var offerName: String
        var offerStatus: String
        var destinationURL: String
        var trackingURL: String

        enum CodingKeys: String, CodingKey {
            case code
            case linkID = "link_id"
            case offerID = "offer_id"
            case offerName = "offer_name"
            case offerStatus = "offer_status"
            case destinationURL = "destination_url"
            case trackingURL = "tracking_url"
        }
    }

    @Sendable func links(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let me = try context.requirePartner()
        let items = try await store.links(forMember: me.id).map { entry in
            PartnerLinkBody(linkID: entry.link.id, code: entry.link.code.value, offerID: entry.link.offerID, offerName: entry.offerName,
                            offerStatus: entry.offerStatus.rawValue, destinationURL: entry.link.destination.url,
                            trackingURL: urls.tracking(link: entry.link.code, partner: me.code))
        }
        return try JSONBody.response(Page(items: items, nextCursor: nil))
    }

    @Sendable func children(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let me = try context.requirePartner()
        let children = try await store.partners(PartnerQuery(parentID: me.id, limit: 10_000))
        return try JSONBody.response(Page(items: children.map { PartnerBody($0) }, nextCursor: nil))
    }

    @Sendable func createAd(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let me = try context.requirePartner()
        let input = try await JSONBody.decode(AdInput.self, from: request, context: context)
        return try JSONBody.response(AdBody(try await Self.createAd(input, by: me, store: store)), status: .created)
    }

    /// Checks `input` and stores it as one of `partner`'s ads: what the API
    /// and the Partner Center's Create Ad both do.
    package static func createAd(_ input: AdInput, by partner: Partner, store: any AdStore) async throws -> Ad {
        var ad = Ad(partnerID: partner.id, code: Code("x")!, name: try Validate.text(input.name, "name"))
        ad.description = try Validate.text(input.description ?? "", "description", max: 2000, allowEmpty: true)
        if let mediaType = input.mediaType {
            ad.mediaType = try Validate.text(mediaType, "media_type", max: 64)
        }
        ad.startsAt = try input.startsAt.map { value throws(APIError) in try Validate.time(value, "starts_at") }
        let taken = Set(try await store.ads(partnerID: partner.id).map(\.code))
        if let code = input.code {
            ad.code = try Validate.code(code, "code")
            if taken.contains(ad.code) { throw APIError.conflict("code", "you have an ad with the code \(ad.code) already") }
        } else {
            ad.code = Self.adCode(for: ad.name, avoiding: taken)
        }
        return try await store.createAd(ad)
    }

    /// A code from the ad's name (`Blog sidebar` → `blog-sidebar`), made unique
    /// among the partner's ads with a number.
    static func adCode(for name: String, avoiding taken: Set<Code>) -> Code {
        var slug = ""
        for character in name.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                slug.append(character)
            } else if !slug.isEmpty && slug.last != "-" {
                slug.append("-")
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        if slug.isEmpty { slug = "ad" }
        slug = String(slug.prefix(24))
        var candidate = Code(slug)!
        var number = 2
        while taken.contains(candidate) {
            candidate = Code("\(slug)-\(number)")!
            number += 1
        }
        return candidate
    }

    @Sendable func listAds(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let subject = try await subjectPartner(request, context)
        return try JSONBody.response(Page(items: try await store.ads(partnerID: subject.id).map(AdBody.init), nextCursor: nil))
    }

    struct GenerateInput: Decodable {
        var linkCode: String
        var forPartnerCode: String?
        var adCode: String?

        enum CodingKeys: String, CodingKey {
            case linkCode = "link_code"
            case forPartnerCode = "for_partner_code"
            case adCode = "ad_code"
        }
    }

    /// The tracking URL of a link for the partner or one of its direct children,
    /// with one of the partner's own ads.
    @Sendable func generate(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let me = try context.requirePartner()
        let input = try await JSONBody.decode(GenerateInput.self, from: request, context: context)
        let generated = try await links.generate(
            by: me, linkCode: try Validate.code(input.linkCode, "link_code"),
            forPartner: try input.forPartnerCode.map { code throws(APIError) in try Validate.code(code, "for_partner_code") },
            ad: try input.adCode.map { code throws(APIError) in try Validate.code(code, "ad_code") })
        struct Generated: Encodable {
            var url: String
            var link_code: String
            var partner_code: String
            var credited_partner_code: String
            var ad_code: String?
        }
        return try JSONBody.response(Generated(url: generated.url, link_code: generated.link.code.value, partner_code: me.code.value,
                                               credited_partner_code: generated.credited.code.value, ad_code: generated.ad?.code.value))
    }

    struct StatsRowBody: Encodable {
        var link: String?
        var ad: String?
        var child: String?
        var clicks: Int64
        var billable: Int64
        var unique: Int64
        var bot: Int64
        var unattributed: Int64
        var inactive: Int64
        var capped: Int64
        var expired: Int64
        var invalid: Int64
    }

    /// Click statistics of the partner (or of one of its direct children with
    /// `partner_code`), by link, ad and child; from the per-minute rollups.
    @Sendable func stats(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let subject = try await subjectPartner(request, context)
        let query = request.uri.queryParameters.dictionary
        let now = Timestamp.now()
        let to = try query["to"].map { value throws(APIError) in try Validate.time(value, "to") } ?? now + 60_000
        let from = try query["from"].map { value throws(APIError) in try Validate.time(value, "from") } ?? to - 30 * 86_400_000
        guard from < to else { throw APIError.invalid("from", "must be before to") }
        var dimensions: [ClickStatsDimension] = []
        if let by = query["by"], !by.isEmpty {
            for name in by.split(separator: ",") {
                dimensions.append(try Validate.choice(String(name), "by", as: ClickStatsDimension.self))
            }
        }
        let rows = try await store.partnerClickStats(PartnerClickStatsQuery(partnerID: subject.id, from: from, to: to, dimensions: dimensions))
        let items = rows.map { row in
            StatsRowBody(link: row.linkCode, ad: row.adCode, child: row.childCode, clicks: row.counts.clicks,
                         billable: row.counts.billable, unique: row.counts.unique, bot: row.counts.bot,
                         unattributed: row.counts.unattributed, inactive: row.counts.inactive,
                         capped: row.counts.capped, expired: row.counts.expired, invalid: row.counts.invalid)
        }
        struct StatsBody: Encodable {
            var partner_code: String
            var from: String
            var to: String
            var by: [String]
            var items: [StatsRowBody]
        }
        return try JSONBody.response(StatsBody(partner_code: subject.code.value, from: Timestamp.format(from), to: Timestamp.format(to),
                                               by: dimensions.map(\.rawValue), items: items))
    }

    /// The partner itself, or with `partner_code` one of its direct children;
    /// anyone else is 403.
    func subjectPartner(_ request: Request, _ context: ClicklineRequestContext) async throws -> Partner {
        let me = try context.requirePartner()
        guard let text = request.uri.queryParameters.dictionary["partner_code"] else { return me }
        let code = try Validate.code(text, "partner_code")
        if code == me.code { return me }
        guard let other = try await store.partner(code: code), other.parentID == me.id else {
            throw APIError.forbidden("you can see only yourself and your direct referral partners")
        }
        return other
    }
}

extension ClicklineRequestContext {
    func requirePartner() throws -> Partner {
        guard let partner else { throw APIError.unauthorized("a partner token is required") }
        return partner
    }
}
