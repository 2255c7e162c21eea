import ClickModel
import Domain
import Foundation
import Hummingbird
import Services
import Wire

/// The admin API of the catalogue (SPEC section 5): offers, links, partners,
/// members, ads and Shopify stores, behind an admin key.
struct CatalogueAPI: Sendable {
    let store: any CatalogueWriter
    let catalogue: Catalogue
    let memberships: Memberships
    let urls: PublicURLs

    func register(on router: RouterGroup<ClicklineRequestContext>) {
        router.post("/v1/offers", use: createOffer)
        router.get("/v1/offers", use: listOffers)
        router.get("/v1/offers/{id}", use: getOffer)
        router.patch("/v1/offers/{id}", use: updateOffer)
        router.post("/v1/offers/{id}/postback-token", use: rotatePostbackToken)
        router.post("/v1/offers/{id}/links", use: createLink)
        router.get("/v1/offers/{id}/links", use: listLinks)
        router.get("/v1/offers/{id}/links/{link_id}", use: getLink)
        router.patch("/v1/offers/{id}/links/{link_id}", use: updateLink)
        router.post("/v1/offers/{id}/members", use: addMembers)
        router.get("/v1/offers/{id}/members", use: listMembers)
        router.get("/v1/offers/{id}/members/{partner_id}", use: getMember)
        router.patch("/v1/offers/{id}/members/{partner_id}", use: updateMember)
        router.delete("/v1/offers/{id}/members/{partner_id}", use: removeMember)
        router.post("/v1/partners", use: createPartner)
        router.get("/v1/partners", use: listPartners)
        router.get("/v1/partners/{id}", use: getPartner)
        router.patch("/v1/partners/{id}", use: updatePartner)
        router.post("/v1/partners/{id}/token", use: issuePartnerToken)
        router.get("/v1/partners/{id}/ads", use: listPartnerAds)
        router.post("/v1/stores", use: createStore)
        router.get("/v1/stores", use: listStores)
    }

    // MARK: offers

    @Sendable func createOffer(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let created = try await catalogue.create(try await JSONBody.decode(OfferInput.self, from: request, context: context).newOffer())
        return try JSONBody.response(OfferBody(created, now: Timestamp.now()), status: .created)
    }

    @Sendable func listOffers(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let query = request.uri.queryParameters.dictionary
        let paging = try Paging(query)
        var filter = OfferQuery(afterID: paging.after, limit: paging.limit, now: Timestamp.now())
        if let status = query["status"] { filter.status = try Validate.choice(status, "status", as: EffectiveOfferStatus.self) }
        if let type = query["type"] { filter.type = try Validate.choice(type, "type", as: OfferType.self) }
        filter.text = query["q"]
        let offers = try await store.offers(filter)
        return try JSONBody.response(Page(items: offers.map { OfferBody($0, now: filter.now) }, nextCursor: paging.next(offers) { $0.id }))
    }

    @Sendable func getOffer(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        try await JSONBody.response(OfferBody(try offer(context), now: Timestamp.now()))
    }

    @Sendable func updateOffer(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try context.id("id")
        let input = try await JSONBody.decode(OfferInput.self, from: request, context: context)
        let updated = try await catalogue.update(offer: id) { offer throws(APIError) in try input.apply(to: &offer) }
        return try JSONBody.response(OfferBody(updated, now: Timestamp.now()))
    }

    @Sendable func rotatePostbackToken(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let updated = try await catalogue.rotatePostbackToken(ofOffer: try context.id("id"))
        return try JSONBody.response(OfferBody(updated, now: Timestamp.now()))
    }

    // MARK: links

    @Sendable func createLink(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let offer = try await offer(context)
        let input = try await JSONBody.decode(LinkInput.self, from: request, context: context)
        let link = try await catalogue.addLink(
            try Validate.code(input.code, "code"), to: offer,
            destination: try input.destinationURL.map { url throws(APIError) in try Validate.destination(url, "destination_url") },
            expiresAt: try input.expiresAt.map { time throws(APIError) in try Validate.time(time, "expires_at") },
            expiredDestination: try input.expiredURL.map { url throws(APIError) in try Validate.destination(url, "expired_url") },
            rules: try LinkRuleInput.validate(input.rules ?? [], parseTime: Timestamp.parse),
            caps: try LinkCapInput.validate(input.caps ?? []))
        return try JSONBody.response(LinkBody(link), status: .created)
    }

    @Sendable func listLinks(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let offer = try await offer(context)
        return try JSONBody.response(Page(items: try await store.links(offerID: offer.id).map(LinkBody.init), nextCursor: nil))
    }

    @Sendable func getLink(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        try await JSONBody.response(LinkBody(try link(context)))
    }

    @Sendable func updateLink(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let link = try await link(context)
        let input = try await JSONBody.decode(LinkUpdate.self, from: request, context: context)
        let updated = try await catalogue.update(link: link.id) { link throws(APIError) in try input.apply(to: &link) }
        return try JSONBody.response(LinkBody(updated))
    }

    /// The link `{link_id}` of the offer `{id}`; 404 when either is missing or the link is another offer's.
    private func link(_ context: ClicklineRequestContext) async throws -> TrackingLink {
        let offer = try await offer(context)
        let id = try context.id("link_id")
        guard let link = try await store.link(id: id), link.offerID == offer.id else {
            throw APIError.notFound("offer \(offer.id) has no link \(id)")
        }
        return link
    }

    // MARK: members

    @Sendable func addMembers(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let offer = try await offer(context)
        let input = try await JSONBody.decode(AddMembersInput.self, from: request, context: context)
        let additions = try await memberships.add(input.partnerIDs, to: offer, terms: try input.terms())
        let link = try await store.links(offerID: offer.id).first
        let members = additions.map { addition in
            var body = memberBody(addition.member, offer: offer, link: link)
            body.addition = addition.created ? "created" : "existing"
            return body
        }
        let anyCreated = additions.contains { $0.created }
        return try JSONBody.response(["members": members], status: anyCreated ? .created : .ok)
    }

    @Sendable func listMembers(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let offer = try await offer(context)
        let query = request.uri.queryParameters.dictionary
        let paging = try Paging(query)
        let members = try await store.members(MemberQuery(offerID: offer.id, text: query["q"], afterPartnerID: paging.after, limit: paging.limit))
        let link = try await store.links(offerID: offer.id).first
        return try JSONBody.response(Page(items: members.map { memberBody($0, offer: offer, link: link) },
                                          nextCursor: paging.next(members) { $0.partner.id }))
    }

    @Sendable func getMember(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let offer = try await offer(context)
        let partnerID = try context.id("partner_id")
        guard let member = try await store.member(offerID: offer.id, partnerID: partnerID) else {
            throw APIError.notFound("partner \(partnerID) is not a member of offer \(offer.id)")
        }
        return try JSONBody.response(memberBody(member, offer: offer, link: try await store.links(offerID: offer.id).first))
    }

    @Sendable func updateMember(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let offer = try await offer(context)
        let partnerID = try context.id("partner_id")
        let input = try await JSONBody.decode(MemberInput.self, from: request, context: context)
        let member = try await memberships.update(partnerID: partnerID, of: offer, refreshCode: input.refreshCode.value == true) { member in
            try input.apply(to: &member)
        }
        return try JSONBody.response(memberBody(member, offer: offer, link: try await store.links(offerID: offer.id).first))
    }

    @Sendable func removeMember(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let offer = try await offer(context)
        try await store.removeMember(offerID: offer.id, partnerID: try context.id("partner_id"))
        return Response(status: .noContent)
    }

    func memberBody(_ member: Member, offer: Offer, link: TrackingLink?) -> MemberBody {
        MemberBody(member, trackingURL: offer.type == .link ? link.map { urls.tracking(link: $0.code, partner: member.partner.code) } : nil,
                   dashboardURL: urls.dashboard(token: member.dashboardToken))
    }

    // MARK: partners

    @Sendable func createPartner(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let (created, token) = try await catalogue.create(try await JSONBody.decode(PartnerInput.self, from: request, context: context).newPartner())
        return try JSONBody.response(PartnerBody(created, token: token), status: .created)
    }

    @Sendable func listPartners(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let query = request.uri.queryParameters.dictionary
        let paging = try Paging(query)
        var filter = PartnerQuery(text: query["q"], afterID: paging.after, limit: paging.limit)
        if let parent = query["parent_id"] {
            guard let id = UInt32(parent) else { throw APIError.invalid("parent_id", "must be a partner id") }
            filter.parentID = id
        }
        let partners = try await store.partners(filter)
        return try JSONBody.response(Page(items: partners.map { PartnerBody($0) }, nextCursor: paging.next(partners) { $0.id }))
    }

    @Sendable func getPartner(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        try await JSONBody.response(PartnerBody(try partner(context)))
    }

    @Sendable func updatePartner(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try context.id("id")
        let input = try await JSONBody.decode(PartnerInput.self, from: request, context: context)
        if let code = input.code.value, let owner = try await store.partner(code: try Validate.code(code, "code")), owner.id != id {
            throw APIError.conflict("code", "the partner code \(code) is taken")
        }
        do {
            let updated = try await store.updatePartner(id: id) { partner throws(APIError) in try input.apply(to: &partner) }
            return try JSONBody.response(PartnerBody(updated))
        } catch let error as StoreError where input.parentID.value != nil && error.code != .unavailable {
            // The parent is missing or would make a cycle.
            throw APIError.invalid("parent_id", error.message)
        }
    }

    @Sendable func issuePartnerToken(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let partner = try await partner(context)
        let token = try await catalogue.issueToken(to: partner)
        return try JSONBody.response(PartnerBody(partner, token: token), status: .created)
    }

    @Sendable func listPartnerAds(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let partner = try await partner(context)
        return try JSONBody.response(Page(items: try await store.ads(partnerID: partner.id).map(AdBody.init), nextCursor: nil))
    }

    // MARK: Shopify stores

    @Sendable func createStore(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let input = try await JSONBody.decode(StoreInput.self, from: request, context: context)
        let name = try Validate.text(input.name, "name")
        let domain = input.shopDomain.lowercased()
        guard domain.utf8.count <= 255, domain.contains("."),
              domain.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
            throw APIError.invalid("shop_domain", "must be a host name like example.myshopify.com")
        }
        guard input.webhookSecret.utf8.count >= 16, input.webhookSecret.utf8.count <= 512 else {
            throw APIError.invalid("webhook_secret", "must be 16 to 512 bytes, as Shopify shows it")
        }
        if try await store.shopifyStores().contains(where: { $0.shopDomain == domain }) {
            throw APIError.conflict("shop_domain", "the shop \(domain) is registered already")
        }
        let created = try await store.createShopifyStore(ShopifyStore(name: name, shopDomain: domain, webhookSecret: input.webhookSecret))
        return try JSONBody.response(storeBody(created), status: .created)
    }

    @Sendable func listStores(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        try JSONBody.response(Page(items: try await store.shopifyStores().map(storeBody), nextCursor: nil))
    }

    func storeBody(_ shop: ShopifyStore) -> StoreBody {
        StoreBody(id: shop.id, name: shop.name, shopDomain: shop.shopDomain, webhookSecret: shop.webhookSecret,
                  webhookURL: "/v1/webhooks/shopify/\(shop.id)", createdAt: Timestamp.format(shop.createdAt))
    }

    // MARK: lookups

    func offer(_ context: ClicklineRequestContext) async throws -> Offer {
        let id = try context.id("id")
        guard let offer = try await store.offer(id: id) else { throw APIError.notFound("offer \(id) does not exist") }
        return offer
    }

    func partner(_ context: ClicklineRequestContext) async throws -> Partner {
        let id = try context.id("id")
        guard let partner = try await store.partner(id: id) else { throw APIError.notFound("partner \(id) does not exist") }
        return partner
    }
}

extension ClicklineRequestContext {
    /// A numeric id from the path; 404 when it is not one.
    func id(_ name: String) throws -> UInt32 {
        guard let text = parameters.get(name), let id = UInt32(text), id > 0 else {
            throw APIError.notFound("\(parameters.get(name) ?? "") is not an id")
        }
        return id
    }
}

extension Parameters {
    /// The query's parameters by name; the last wins when one repeats.
    package var dictionary: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in self { result[String(key)] = String(value) }
        return result
    }
}
