import Foundation
import Hummingbird
import StoreTesting
import Testing

@Suite("Admin API: partners and members")
struct MemberAPITests {
    @Test func partnersShowTheirTokenOnceAndStoreOnlyItsHash() async throws {
        try await APIFixture.run { api in
            let created = try await api.create("/v1/partners", ["name": "Jane Doe", "email": "jane@example.com", "code": "Jane"])
            let token = try #require(created.string("token"))
            #expect(token.hasPrefix("clp_") && token.count == 56)
            #expect(created.string("code") == "jane")
            let id = try #require(created.int("id"))
            let read = try await api.get("/v1/partners/\(id)")
            #expect(read["token"] == nil, "the token is shown only at creation")
            #expect(read.string("email") == "jane@example.com")

            // The database holds no token, only its hash.
            let stored = try api.fixture.location.storedBytes()
            #expect(!stored.isEmpty && stored.range(of: Data(token.utf8)) == nil)

            // A new token replaces the old one.
            let renewed = try await api.create("/v1/partners/\(id)/token", [String: Any]())
            let newToken = try #require(renewed.string("token"))
            #expect(try await api.get("/v1/partner/me", auth: .bearer(token)).status == 401)
            #expect(try await api.get("/v1/partner/me", auth: .bearer(newToken)).status == 200)
        }
    }

    @Test func partnersHaveParentsAndChildrenWithoutCycles() async throws {
        try await APIFixture.run { api in
            let alice = try await api.partner("Alice", code: "alice")
            let ben = try await api.partner("Ben", code: "ben", parent: alice.id)
            let cleo = try await api.partner("Cleo", code: "cleo", parent: ben.id)
            #expect(try await api.get("/v1/partners?parent_id=\(alice.id)").array("items").count == 1)
            #expect(try await api.get("/v1/partners?q=cle").int("items.0.id") == cleo.id)

            #expect(try await api.post("/v1/partners", ["name": "Dup", "code": "ALICE"]).status == 409)
            #expect(try await api.post("/v1/partners", ["name": "Orphan", "code": "orphan", "parent_id": 999]).errorField == "parent_id")
            #expect(try await api.post("/v1/partners", ["name": "Bad", "code": "b@d"]).errorField == "code")
            #expect(try await api.post("/v1/partners", ["name": "Mail", "code": "mail", "email": "not-an-email"]).errorField == "email")
            #expect(try await api.post("/v1/partners", ["name": "Status", "code": "status", "status": "banned"]).errorField == "status")

            let cycle = try await api.patch("/v1/partners/\(alice.id)", ["parent_id": cleo.id])
            #expect(cycle.status == 422)
            #expect(cycle.errorField == "parent_id")
            #expect(try await api.patch("/v1/partners/\(alice.id)", ["parent_id": alice.id]).errorField == "parent_id")
            #expect(try await api.patch("/v1/partners/\(ben.id)", ["code": "alice"]).status == 409)
            #expect(try await api.get("/v1/partners/\(alice.id)")["parent_id"] == nil, "nothing changed")

            let moved = try await api.patch("/v1/partners/\(cleo.id)", ["parent_id": NSNull(), "status": "inactive"])
            #expect(moved["parent_id"] == nil)
            #expect(moved.string("status") == "inactive")
        }
    }

    @Test func addingMembersIsIdempotentAndAnswersTheirLinks() async throws {
        try await APIFixture.run { api in
            let offer = try await api.linkOffer()
            _ = try await api.create("/v1/offers/\(offer)/links", ["code": "haircare"])
            let alice = try await api.partner("Alice", code: "alice")
            let ben = try await api.partner("Ben", code: "ben")

            let first = try await api.create("/v1/offers/\(offer)/members", ["partner_ids": [alice.id, ben.id]])
            #expect(first.array("members").count == 2)
            #expect(first.string("members.0.status") == "created")
            #expect(first.string("members.0.tracking_url") == "https://go.example.com/haircare/alice")
            let dashboard = try #require(first.string("members.0.dashboard_url"))
            #expect(dashboard.hasPrefix("https://partners.example.com/p/cld_"))
            #expect(first["members.0.promo_code"] == nil)

            let carol = try await api.partner("Carol", code: "carol")
            let again = try await api.post("/v1/offers/\(offer)/members", ["partner_ids": [alice.id, carol.id]])
            #expect(again.status == 201)
            #expect(again.string("members.0.status") == "existing")
            #expect(again.string("members.0.dashboard_url") == dashboard, "an existing member keeps its token")
            #expect(again.string("members.1.status") == "created")
            let repeated = try await api.post("/v1/offers/\(offer)/members", ["partner_ids": [alice.id]])
            #expect(repeated.status == 200, "nothing new")

            let unknown = try await api.post("/v1/offers/\(offer)/members", ["partner_ids": [ben.id, 999]])
            #expect(unknown.status == 422)
            #expect(unknown.errorField == "partner_ids")
            #expect(try await api.post("/v1/offers/\(offer)/members", ["partner_ids": [Int]()]).errorField == "partner_ids")
            #expect(try await api.post("/v1/offers/\(offer)/members", ["partner_ids": ["alice"]]).status == 400)
            #expect(try await api.get("/v1/offers/\(offer)/members").array("items").count == 3)
        }
    }

    @Test func promoCodesFollowTheNamingStrategyAndStayUnique() async throws {
        try await APIFixture.run { api in
            let offer = try await api.promoOffer()
            let jane = try await api.partner("Jane Doe", code: "jane")
            let otherJane = try await api.partner("Jane Roe", code: "jane2")
            let zoe = try await api.partner("Zoë Brunner", code: "zoe")
            let added = try await api.create("/v1/offers/\(offer)/members", ["partner_ids": [jane.id, otherJane.id, zoe.id]])
            #expect(added.string("members.0.promo_code") == "JANE20")
            #expect(added.string("members.1.promo_code") == "JANE20-2")
            #expect(added.string("members.2.promo_code") == "ZOE20")
            #expect(added["members.0.tracking_url"] == nil, "promo-code offers hand out codes, not links")

            // Unique in the workspace: another offer with the same naming gets other codes.
            let second = try await api.promoOffer()
            let elsewhere = try await api.create("/v1/offers/\(second)/members", ["partner_ids": [jane.id]])
            #expect(elsewhere.string("members.0.promo_code") == "JANE20-3")

            let custom = try await api.promoOffer(naming: ["strategy": "custom", "prefix": "spring", "length": 6])
            let code = try #require(try await api.create("/v1/offers/\(custom)/members", ["partner_ids": [zoe.id]]).string("members.0.promo_code"))
            #expect(code.hasPrefix("SPRING-") && code.count == 13)

            #expect(try await api.get("/v1/offers/\(offer)/members?q=zoe20").array("items").count == 1, "search by promo code")
            #expect(try await api.get("/v1/offers/\(offer)/members?q=roe").int("items.0.partner_id") == otherJane.id, "search by name")
        }
    }

    @Test func membersAreChangedRefreshedAndRemoved() async throws {
        try await APIFixture.run { api in
            let offer = try await api.promoOffer()
            let jane = try await api.partner("Jane Doe", code: "jane")
            _ = try await api.create("/v1/offers/\(offer)/members", ["partner_ids": [jane.id]])
            let path = "/v1/offers/\(offer)/members/\(jane.id)"

            let changed = try await api.patch(path, ["status": "inactive", "payout_override": ["type": "flat", "value": 450],
                                                     "ends_at": "2027-01-01T00:00:00Z"])
            #expect(changed.status == 200)
            #expect(changed.string("status") == "inactive")
            #expect(changed.int("payout_override.value") == 450)
            #expect(changed.string("ends_at") == "2027-01-01T00:00:00Z")
            #expect(changed.string("promo_code") == "JANE20")

            let refreshed = try await api.patch(path, ["refresh_code": true])
            let newCode = try #require(refreshed.string("promo_code"))
            #expect(newCode != "JANE20" && newCode.hasPrefix("JANE20"))

            #expect(try await api.patch(path, ["payout_override": ["type": "percent", "value": 101]]).errorField == "payout_override.value")
            #expect(try await api.patch(path, ["status": "paused"]).errorField == "status")
            #expect(try await api.get(path).string("status") == "inactive", "refused changes change nothing")

            #expect(try await api.delete(path).status == 204)
            #expect(try await api.get(path).status == 404)
            #expect(try await api.delete(path).status == 404)
        }
    }

    /// Who may call what: the admin API needs an admin key; an ops key reads
    /// ops only; a partner token never opens it.
    @Test func adminEndpointsNeedAnAdminKey() async throws {
        try await APIFixture.run { api in
            let alice = try await api.partner("Alice", code: "alice")
            let body: [String: Any] = ["name": "X", "payout": ["type": "flat", "value": 1]]
            #expect(try await api.post("/v1/offers", body, auth: .none).status == 401)
            #expect(try await api.post("/v1/offers", body, auth: .bearer("cla_wrong")).status == 401)
            #expect(try await api.post("/v1/offers", body, auth: .ops).status == 403)
            #expect(try await api.get("/v1/offers", auth: .ops).status == 403)
            #expect(try await api.post("/v1/offers", body, auth: .bearer(alice.token)).status == 401)
            #expect(try await api.get("/v1/partners", auth: .bearer(alice.token)).status == 401)
            let unauthorized = try await api.get("/v1/offers", auth: .none)
            #expect(unauthorized.headers[.wwwAuthenticate] == "Bearer")
            #expect(unauthorized.errorCode == "unauthorized")
            #expect(try await api.get("/v1/offers").array("items").isEmpty, "nothing was created")
        }
    }
}
