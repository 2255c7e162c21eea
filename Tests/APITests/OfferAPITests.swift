import Foundation
import Hummingbird
import Testing

@Suite("Admin API: offers and links")
struct OfferAPITests {
    @Test func createdOfferAnswersItsFieldsAndAPostbackToken() async throws {
        try await APIFixture.run { api in
            let created = try await api.create("/v1/offers", [
                "name": "Haircare", "type": "link", "payout": ["type": "percent", "value": 12.5],
                "parent_override_percent": 20, "attribution_window_days": 7, "credit_policy": "click_first", "hold_days": 14,
                "starts_at": "2026-01-01T00:00:00Z", "destination_url": "https://shop.example.com/a?b=1", "click_param": "ref",
            ])
            #expect(created.string("payout.type") == "percent")
            #expect(created.double("payout.value") == 12.5)
            #expect(created.double("parent_override_percent") == 20)
            #expect(created.int("attribution_window_days") == 7)
            #expect(created.string("credit_policy") == "click_first")
            #expect(created.string("status") == "active")
            #expect(created.string("starts_at") == "2026-01-01T00:00:00Z")
            #expect(created.string("click_param") == "ref")
            let token = try #require(created.string("postback_token"))
            #expect(token.hasPrefix("clb_") && token.count == 56, "256 random bits as base32")

            let id = try #require(created.int("id"))
            let read = try await api.get("/v1/offers/\(id)")
            #expect(read.status == 200)
            #expect(read.string("name") == "Haircare")
            #expect(read.string("destination_url") == "https://shop.example.com/a?b=1")
            #expect(try await api.get("/v1/offers/999").status == 404)
            #expect(try await api.get("/v1/offers/abc").status == 404)
        }
    }

    @Test func listsFilterByStatusTypeAndNameAndPage() async throws {
        try await APIFixture.run { api in
            let summer = try await api.linkOffer(name: "Summer sale")
            _ = try await api.linkOffer(name: "Winter sale")
            _ = try await api.promoOffer()
            #expect(try await api.patch("/v1/offers/\(summer)", ["ends_at": "2020-01-01T00:00:00Z"]).string("status") == "expired")

            #expect(try await api.get("/v1/offers").array("items").count == 3)
            #expect(try await api.get("/v1/offers?type=promo_code").array("items").count == 1)
            let expired = try await api.get("/v1/offers?status=expired")
            #expect(expired.array("items").count == 1)
            #expect(expired.int("items.0.id") == summer)
            #expect(try await api.get("/v1/offers?status=active").array("items").count == 2)
            #expect(try await api.get("/v1/offers?q=winter").string("items.0.name") == "Winter sale")
            #expect(try await api.get("/v1/offers?status=gone").status == 422)

            let first = try await api.get("/v1/offers?limit=2")
            #expect(first.array("items").count == 2)
            let cursor = try #require(first.string("next_cursor"))
            let second = try await api.get("/v1/offers?limit=2&cursor=\(cursor)")
            #expect(second.array("items").count == 1)
            #expect(second["next_cursor"] == nil)
        }
    }

    @Test func patchChangesOnlyWhatIsSent() async throws {
        try await APIFixture.run { api in
            let id = try await api.linkOffer()
            let paused = try await api.patch("/v1/offers/\(id)", ["status": "paused", "fallback_url": NSNull()])
            #expect(paused.status == 200)
            #expect(paused.string("status") == "paused")
            #expect(paused["fallback_url"] == nil)
            #expect(paused.string("name") == "Haircare", "fields not sent stay")
            #expect(paused.double("payout.value") == 10)
            #expect(try await api.patch("/v1/offers/\(id)", ["status": "expired"]).errorField == "status")
            #expect(try await api.patch("/v1/offers/\(id)", ["type": "promo_code"]).errorField == "type")
            #expect(try await api.patch("/v1/offers/404", ["status": "paused"]).status == 404)
        }
    }

    /// An offer's rules, caps and expiry for its links: shown as sent, changed
    /// by PATCH, cleared by null, and refused whole when one part is wrong.
    @Test func linkDefaultsAreSetChangedAndCleared() async throws {
        try await APIFixture.run { api in
            let id = try await api.linkOffer()
            let set = try await api.patch("/v1/offers/\(id)", [
                "rules": [["name": "iPhone app", "if": [["type": "device", "in": ["ios"]]], "destination_url": "https://apps.apple.com/app/id1"]],
                "caps": [["scope": "partner", "period": "day", "max_clicks": 50]],
                "expires_at": "2027-01-31T23:59:59Z", "expired_url": "https://shop.example.com/over",
            ])
            #expect(set.status == 200, "\(set.text)")
            #expect(set.string("rules.0.name") == "iPhone app")
            #expect(set.string("rules.0.if.0.in.0") == "ios")
            #expect(set.int("caps.0.max_clicks") == 50)
            #expect(set.string("expires_at") == "2027-01-31T23:59:59Z")
            #expect(set.string("expired_url") == "https://shop.example.com/over")
            let bad = try await api.patch("/v1/offers/\(id)", ["rules": [], "caps": [["scope": "everyone", "period": "day", "max_clicks": 1]]])
            #expect(bad.status == 422 && bad.errorField == "caps[0].scope")
            let unchanged = try await api.get("/v1/offers/\(id)")
            #expect(unchanged.array("rules").count == 1, "a refused PATCH changes nothing")
            let cleared = try await api.patch("/v1/offers/\(id)", ["rules": NSNull(), "caps": [], "expires_at": NSNull(), "expired_url": NSNull()])
            #expect(cleared.status == 200, "\(cleared.text)")
            #expect(cleared.array("rules").isEmpty && cleared.array("caps").isEmpty)
            #expect(cleared["expires_at"] == nil && cleared["expired_url"] == nil)
        }
    }

    /// Bad input gets 400 or 422 naming the field, and changes nothing.
    @Test(arguments: [
        (#"{"name": 5, "payout": {"type": "flat", "value": 100}}"#, 400, "name"),
        (#"{"payout": {"type": "flat", "value": 100}}"#, 422, "name"),
        (#"{"name": "X"}"#, 422, "payout"),
        (#"{"name": "X", "type": "banner", "payout": {"type": "flat", "value": 100}}"#, 422, "type"),
        (#"{"name": "X", "payout": {"type": "bonus", "value": 100}}"#, 422, "payout.type"),
        (#"{"name": "X", "payout": {"type": "flat", "value": -1}}"#, 422, "payout.value"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 12.5}}"#, 422, "payout.value"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1e15}}"#, 422, "payout.value"),
        (#"{"name": "X", "payout": {"type": "percent", "value": 100.5}}"#, 422, "payout.value"),
        (#"{"name": "X", "payout": {"type": "percent", "value": 10.125}}"#, 422, "payout.value"),
        (#"{"name": "X", "payout": {"type": "flat", "value": "100"}}"#, 400, "payout.value"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "destination_url": "javascript:alert(1)"}"#, 422, "destination_url"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "destination_url": "https://a.example/\r\nSet-Cookie: x"}"#, 422, "destination_url"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "destination_url": "/relative"}"#, 422, "destination_url"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "fallback_url": "ftp://a.example/"}"#, 422, "fallback_url"),
        (#"{"name": "X\u0001", "payout": {"type": "flat", "value": 1}}"#, 422, "name"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "attribution_window_days": 0}"#, 422, "attribution_window_days"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "hold_days": -3}"#, 422, "hold_days"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "credit_policy": "last_click"}"#, 422, "credit_policy"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "starts_at": "yesterday"}"#, 422, "starts_at"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"}"#, 422, "ends_at"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "click_param": "c l k"}"#, 422, "click_param"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "promo": {"naming": {"strategy": "random"}}}"#, 422, "promo"),
        (#"{"name": "X", "type": "promo_code", "payout": {"type": "flat", "value": 1}, "promo": {"naming": {"strategy": "custom"}}}"#, 422, "promo.naming.prefix"),
        (#"{"name": "X", "type": "promo_code", "payout": {"type": "flat", "value": 1}, "promo": {"naming": {"strategy": "lottery"}}}"#, 400, "promo.naming.strategy"),
        (#"{"name": "X", "type": "promo_code", "payout": {"type": "flat", "value": 1}, "promo": {"discount": {"type": "percent", "value": 120}}}"#, 422, "promo.discount.value"),
        (#"{"name": "X", "type": "promo_code", "payout": {"type": "flat", "value": 1}, "promo": {"usage_limit_per_code": 0}}"#, 422, "promo.usage_limit_per_code"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "parent_override_percent": -5}"#, 422, "parent_override_percent"),
        // Defaults for the offer's links, validated as a link's own.
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "rules": [{"if": [{"type": "planet", "in": ["mars"]}], "destination_url": "https://a.example/"}]}"#, 422, "rules[0].if[0].type"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "rules": [{"if": [{"type": "ip", "in": ["10.0.0.0/33"]}], "destination_url": "https://a.example/"}]}"#, 422, "rules[0].if[0].in[0]"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "rules": [{"if": [], "split": [{"destination_url": "https://a.example/", "weight": 60}, {"destination_url": "https://b.example/", "weight": 30}]}]}"#, 422, "rules[0].split"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "rules": [{"if": [{"type": "partner", "in": ["nobody"]}], "destination_url": "https://a.example/"}]}"#, 422, "rules[0].if[0].in[0]"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "caps": [{"scope": "link", "period": "week", "max_clicks": 5}]}"#, 422, "caps[0].period"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "expires_at": "soon"}"#, 422, "expires_at"),
        (#"{"name": "X", "payout": {"type": "flat", "value": 1}, "expired_url": "https://a.example/over"}"#, 422, "expired_url"),
    ])
    func invalidOffersAreRefused(body: String, status: Int, field: String) async throws {
        try await APIFixture.run { api in
            let response = try await api.request(.post, "/v1/offers", raw: body)
            #expect(response.status == status, "\(response.text)")
            #expect(response.errorField == field, "\(response.text)")
            #expect(response.string("error.message")?.isEmpty == false)
            #expect(try await api.get("/v1/offers").array("items").isEmpty, "nothing was stored")
        }
    }

    @Test func malformedAndOversizedBodiesAreRefused() async throws {
        try await APIFixture.run { api in
            let broken = try await api.request(.post, "/v1/offers", raw: "{\"name\": ")
            #expect(broken.status == 400)
            #expect(broken.errorCode == "invalid_json")
            let array = try await api.request(.post, "/v1/offers", raw: "[1, 2]")
            #expect(array.status == 400)
            let empty = try await api.request(.post, "/v1/offers", raw: "")
            #expect(empty.status == 400)
            let huge = try await api.request(.post, "/v1/offers", raw: "{\"name\": \"" + String(repeating: "x", count: 1 << 21) + "\"}")
            #expect(huge.status == 413)
            #expect(try await api.get("/v1/offers").array("items").isEmpty)
        }
    }

    /// A link's destination, rules, caps and expiry change by PATCH; its code
    /// does not; bad input names its field and changes nothing.
    @Test func aLinkChangesWhatItDoesButNotItsCode() async throws {
        try await APIFixture.run { api in
            let offer = try await api.linkOffer()
            let other = try await api.linkOffer(name: "Other")
            let id = try #require(try await api.create("/v1/offers/\(offer)/links", ["code": "spring"]).int("id"))
            let path = "/v1/offers/\(offer)/links/\(id)"
            let changed = try await api.patch(path, [
                "destination_url": "https://shop.example.com/spring",
                "rules": [["if": [["type": "country", "in": ["CA"]]], "destination_url": "https://shop.example.ca/"]],
                "caps": [["scope": "link", "period": "total", "max_clicks": 500, "fallback_url": "https://shop.example.com/gone"]],
                "expires_at": "2027-01-31T23:59:59Z", "expired_url": "https://shop.example.com/over",
            ])
            #expect(changed.status == 200, "\(changed.text)")
            #expect(changed.string("code") == "spring")
            #expect(changed.string("destination_url") == "https://shop.example.com/spring")
            #expect(changed.string("rules.0.if.0.in.0") == "CA")
            #expect(changed.int("caps.0.max_clicks") == 500)
            #expect(changed.string("expired_url") == "https://shop.example.com/over")
            #expect(try await api.get(path).string("rules.0.destination_url") == "https://shop.example.ca/")

            let refusals: [([String: Any], String)] = [
                (["code": "autumn"], "code"),
                (["destination_url": NSNull()], "destination_url"),
                (["destination_url": "javascript:alert(1)"], "destination_url"),
                (["expires_at": NSNull()], "expired_url"),
                (["rules": [["if": [["type": "weather", "in": ["sun"]]], "destination_url": "https://a.example/"]]], "rules[0].if[0].type"),
                (["rules": [["if": [["type": "partner", "in": ["nobody"]]], "destination_url": "https://a.example/"]]], "rules[0].if[0].in[0]"),
                (["caps": [["scope": "link", "period": "day", "max_clicks": 0]]], "caps[0].max_clicks"),
            ]
            for (body, field) in refusals {
                let refused = try await api.patch(path, body)
                #expect(refused.status == 422 && refused.errorField == field, "\(body): \(refused.text)")
            }
            let unchanged = try await api.get(path)
            #expect(unchanged.string("code") == "spring" && unchanged.array("rules").count == 1 && unchanged.string("expires_at") != nil)

            let cleared = try await api.patch(path, ["rules": NSNull(), "caps": NSNull(), "expires_at": NSNull(), "expired_url": NSNull()])
            #expect(cleared.status == 200 && cleared.array("rules").isEmpty && cleared.array("caps").isEmpty && cleared["expires_at"] == nil)
            #expect(try await api.patch(path, ["code": "SPRING"]).status == 200, "the same code, in another case, is no change")
            #expect(try await api.get("/v1/offers/\(other)/links/\(id)").status == 404)
            #expect(try await api.patch("/v1/offers/\(offer)/links/999", ["rules": NSNull()]).status == 404)
        }
    }

    @Test func linksTakeTheOfferDestinationAndRefuseTakenCodes() async throws {
        try await APIFixture.run { api in
            let offer = try await api.linkOffer()
            let plain = try await api.create("/v1/offers/\(offer)/links", ["code": "Haircare"])
            #expect(plain.string("code") == "haircare", "codes are case-insensitive, kept folded")
            #expect(plain.string("destination_url") == "https://shop.example.com/haircare")
            let own = try await api.create("/v1/offers/\(offer)/links", ["code": "shampoo", "destination_url": "https://shop.example.com/s#top"])
            #expect(own.string("destination_url") == "https://shop.example.com/s#top")

            let taken = try await api.post("/v1/offers/\(offer)/links", ["code": "HAIRCARE"])
            #expect(taken.status == 409)
            #expect(taken.errorField == "code")
            #expect(try await api.post("/v1/offers/\(offer)/links", ["code": "hair care"]).errorField == "code")
            #expect(try await api.post("/v1/offers/\(offer)/links", ["code": String(repeating: "a", count: 33)]).status == 422)
            #expect(try await api.post("/v1/offers/\(offer)/links", ["code": "x", "destination_url": "data:text/html,hi"]).errorField == "destination_url")
            #expect(try await api.post("/v1/offers/77/links", ["code": "x"]).status == 404)

            let promo = try await api.promoOffer()
            #expect(try await api.post("/v1/offers/\(promo)/links", ["code": "nowhere"]).errorField == "destination_url")

            let links = try await api.get("/v1/offers/\(offer)/links")
            #expect(links.array("items").count == 2)
        }
    }

    @Test func postbackTokensRotate() async throws {
        try await APIFixture.run { api in
            let offer = try await api.linkOffer()
            let before = try await api.get("/v1/offers/\(offer)").string("postback_token")
            let after = try await api.post("/v1/offers/\(offer)/postback-token", [String: Any]())
            #expect(after.status == 200)
            #expect(after.string("postback_token") != before)
        }
    }

    @Test func shopifyStoresAreRegisteredOnce() async throws {
        try await APIFixture.run { api in
            let created = try await api.create("/v1/stores", [
                "name": "Main shop", "shop_domain": "Example.myshopify.com", "webhook_secret": "shpss_0123456789abcdef",
            ])
            let id = try #require(created.int("id"))
            #expect(created.string("shop_domain") == "example.myshopify.com")
            #expect(created.string("webhook_url") == "/v1/webhooks/shopify/\(id)")
            #expect(try await api.post("/v1/stores", ["name": "Again", "shop_domain": "example.myshopify.com",
                                                      "webhook_secret": "shpss_0123456789abcdef"]).status == 409)
            #expect(try await api.post("/v1/stores", ["name": "Bad", "shop_domain": "https://x/",
                                                      "webhook_secret": "shpss_0123456789abcdef"]).errorField == "shop_domain")
            #expect(try await api.post("/v1/stores", ["name": "Short", "shop_domain": "b.myshopify.com",
                                                      "webhook_secret": "x"]).errorField == "webhook_secret")
            #expect(try await api.get("/v1/stores").array("items").count == 1)
        }
    }
}
