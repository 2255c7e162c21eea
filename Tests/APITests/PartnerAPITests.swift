import Foundation
import Hummingbird
import Testing

@Suite("Partner API")
struct PartnerAPITests {
    /// An offer with a link; Alice (member) with her child Ben, and Dora, a
    /// member who is nobody's child.
    struct World {
        var offer: Int
        var alice: (id: Int, token: String)
        var ben: (id: Int, token: String)
        var dora: (id: Int, token: String)
    }

    static func world(_ api: APIClient) async throws -> World {
        let offer = try await api.linkOffer()
        _ = try await api.create("/v1/offers/\(offer)/links", ["code": "haircare"])
        let alice = try await api.partner("Alice", code: "alice")
        let ben = try await api.partner("Ben", code: "ben", parent: alice.id)
        let dora = try await api.partner("Dora", code: "dora")
        _ = try await api.create("/v1/offers/\(offer)/members", ["partner_ids": [alice.id, dora.id]])
        return World(offer: offer, alice: alice, ben: ben, dora: dora)
    }

    @Test func aPartnerSeesItselfItsParentAndItsChildren() async throws {
        try await APIFixture.run { api in
            let world = try await Self.world(api)
            let me = try await api.get("/v1/partner/me", auth: .bearer(world.alice.token))
            #expect(me.status == 200)
            #expect(me.string("partner.code") == "alice")
            #expect(me["parent"] == nil)
            #expect(me.string("children.0.code") == "ben")
            #expect(me["partner.token"] == nil)
            let ben = try await api.get("/v1/partner/me", auth: .bearer(world.ben.token))
            #expect(ben.string("parent.code") == "alice")

            let children = try await api.get("/v1/partner/children", auth: .bearer(world.alice.token))
            #expect(children.array("items").count == 1)

            let links = try await api.get("/v1/partner/links", auth: .bearer(world.alice.token))
            #expect(links.string("items.0.tracking_url") == "https://go.example.com/haircare/alice")
            #expect(links.string("items.0.offer_name") == "Haircare")
            #expect(try await api.get("/v1/partner/links", auth: .bearer(world.ben.token)).array("items").isEmpty, "Ben is no member")

            _ = try await api.patch("/v1/offers/\(world.offer)/members/\(world.alice.id)", ["status": "inactive"])
            #expect(try await api.get("/v1/partner/links", auth: .bearer(world.alice.token)).array("items").isEmpty)

            #expect(try await api.get("/v1/partner/me", auth: .none).status == 401)
            #expect(try await api.get("/v1/partner/me", auth: .admin).status == 401, "an admin key is not a partner token")
            _ = try await api.patch("/v1/partners/\(world.dora.id)", ["status": "inactive"])
            #expect(try await api.get("/v1/partner/me", auth: .bearer(world.dora.token)).status == 403)
        }
    }

    @Test func adsGetCodesAndStayWithTheirPartner() async throws {
        try await APIFixture.run { api in
            let world = try await Self.world(api)
            let alice = APIClient.Auth.bearer(world.alice.token)
            let ad = try await api.create("/v1/partner/ads", ["name": "Blog sidebar", "description": "Right column",
                                                              "media_type": "banner", "starts_at": "2026-06-01T00:00:00Z"], auth: alice)
            #expect(ad.string("code") == "blog-sidebar")
            #expect(ad.string("media_type") == "banner")
            let second = try await api.create("/v1/partner/ads", ["name": "Blog sidebar"], auth: alice)
            #expect(second.string("code") == "blog-sidebar-2")
            let own = try await api.create("/v1/partner/ads", ["name": "Insta", "code": "insta"], auth: alice)
            #expect(own.string("code") == "insta")
            #expect(try await api.post("/v1/partner/ads", ["name": "Again", "code": "INSTA"], auth: alice).status == 409)
            #expect(try await api.post("/v1/partner/ads", ["name": ""], auth: alice).errorField == "name")
            #expect(try await api.post("/v1/partner/ads", ["name": "X", "starts_at": "soon"], auth: alice).errorField == "starts_at")

            #expect(try await api.get("/v1/partner/ads", auth: alice).array("items").count == 3)
            _ = try await api.create("/v1/partner/ads", ["name": "Ben's video"], auth: .bearer(world.ben.token))
            // A parent may look at its direct child's ads; nobody else may.
            #expect(try await api.get("/v1/partner/ads?partner_code=ben", auth: alice).array("items").count == 1)
            #expect(try await api.get("/v1/partner/ads?partner_code=alice", auth: .bearer(world.dora.token)).status == 403)
            #expect(try await api.get("/v1/partner/ads?partner_code=alice", auth: .bearer(world.ben.token)).status == 403)
            #expect(try await api.get("/v1/partner/ads?partner_code=nobody", auth: alice).status == 403)
            #expect(try await api.get("/v1/partners/\(world.alice.id)/ads").array("items").count == 3, "the brand sees all")
        }
    }

    @Test func partnersGenerateLinksForThemselvesAndDirectChildrenOnly() async throws {
        try await APIFixture.run { api in
            let world = try await Self.world(api)
            let alice = APIClient.Auth.bearer(world.alice.token)
            _ = try await api.create("/v1/partner/ads", ["name": "Blog", "code": "blog"], auth: alice)
            _ = try await api.create("/v1/partner/ads", ["name": "Dora's", "code": "doras"], auth: .bearer(world.dora.token))

            let mine = try await api.post("/v1/partner/links/generate", ["link_code": "haircare"], auth: alice)
            #expect(mine.status == 200)
            #expect(mine.string("url") == "https://go.example.com/haircare/alice")
            let forChild = try await api.post("/v1/partner/links/generate",
                                              ["link_code": "HairCare", "for_partner_code": "ben", "ad_code": "blog"], auth: alice)
            #expect(forChild.string("url") == "https://go.example.com/haircare/alice.ben/blog")
            #expect(forChild.string("credited_partner_code") == "ben")
            let forSelf = try await api.post("/v1/partner/links/generate", ["link_code": "haircare", "for_partner_code": "alice"], auth: alice)
            #expect(forSelf.string("url") == "https://go.example.com/haircare/alice")

            // Not a direct child, someone else's ad, an unknown link, an offer it is not in: refused.
            let notChild = try await api.post("/v1/partner/links/generate", ["link_code": "haircare", "for_partner_code": "dora"], auth: alice)
            #expect(notChild.status == 403)
            #expect(try await api.post("/v1/partner/links/generate", ["link_code": "haircare", "ad_code": "doras"], auth: alice).errorField == "ad_code")
            #expect(try await api.post("/v1/partner/links/generate", ["link_code": "nolink"], auth: alice).errorField == "link_code")
            #expect(try await api.post("/v1/partner/links/generate", ["link_code": "haircare"], auth: .bearer(world.ben.token)).status == 403)
            // Grandchildren are not direct children.
            let cleo = try await api.partner("Cleo", code: "cleo", parent: world.ben.id)
            _ = cleo
            #expect(try await api.post("/v1/partner/links/generate", ["link_code": "haircare", "for_partner_code": "cleo"], auth: alice).status == 403)
        }
    }

    @Test func statsAreOnlyForThemselvesAndDirectChildren() async throws {
        try await APIFixture.run { api in
            let world = try await Self.world(api)
            let alice = APIClient.Auth.bearer(world.alice.token)
            let own = try await api.get("/v1/partner/stats?by=link,ad,child", auth: alice)
            #expect(own.status == 200)
            #expect(own.array("items").isEmpty, "no clicks yet")
            #expect(try await api.get("/v1/partner/stats?partner_code=ben", auth: alice).status == 200)
            #expect(try await api.get("/v1/partner/stats?partner_code=alice", auth: .bearer(world.dora.token)).status == 403)
            #expect(try await api.get("/v1/partner/stats?partner_code=dora", auth: alice).status == 403)
            #expect(try await api.get("/v1/partner/stats?by=country", auth: alice).errorField == "by")
            #expect(try await api.get("/v1/partner/stats?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", auth: alice).errorField == "from")
        }
    }
}
