import Foundation
import Hummingbird
import Testing

@Suite("Webhook endpoints through the API")
struct WebhookAPITests {
    /// With the default settings (public https targets only), a URL that
    /// leads inside is refused when saved, naming `url`, and nothing is
    /// stored. `localhost` is looked up by the system's resolver.
    @Test(arguments: ["https://127.0.0.1/hook", "https://[::1]/hook", "https://10.0.0.1/hook", "https://169.254.169.254/latest/meta-data/",
                      "https://localhost/hook", "http://93.184.215.14/hook", "https://user:secret@hooks.example.com/",
                      "ftp://hooks.example.com/", "https://hooks.example.com/a\r\nb", "https://" + String(repeating: "a", count: 2050) + ".example/"])
    func urlsThatLeadInsideOrAreMalformedAreRefused(_ url: String) async throws {
        try await APIFixture.run { api in
            let refused = try await api.post("/v1/webhooks", ["url": url, "events": ["conversion.created"]])
            #expect(refused.status == 422, "\(refused.text)")
            #expect(refused.errorField == "url", "\(refused.text)")
            #expect(try await api.get("/v1/webhooks").array("items").isEmpty)
        }
    }

    @Test(arguments: [
        (#"{"url": "https://93.184.215.14/hook", "events": ["conversion.made"]}"#, "events", "conversion.made"),
        (#"{"url": "https://93.184.215.14/hook", "events": []}"#, "events", "at least one"),
        (#"{"url": "https://93.184.215.14/hook", "events": ["webhook.test"]}"#, "events", "webhook.test"),
        (#"{"url": "https://93.184.215.14/hook"}"#, "events", "at least one"),
        (#"{"events": ["conversion.created"]}"#, "url", "required"),
    ])
    func badEventTypesAreRefusedByName(_ body: String, _ field: String, _ named: String) async throws {
        try await APIFixture.run { api in
            let refused = try await api.request(.post, "/v1/webhooks", raw: body)
            #expect(refused.status == 422 && refused.errorField == field, "\(refused.text)")
            #expect(refused.text.contains(named), "\(refused.text)")
            #expect(try await api.get("/v1/webhooks").array("items").isEmpty)
        }
    }

    /// The secret is in the answer to the creation and to a rotation, and
    /// nowhere else; a change and a deletion do what they say.
    @Test func theSecretIsShownOnce() async throws {
        try await APIFixture.run { api in
            let created = try await api.post("/v1/webhooks", ["url": "https://93.184.215.14/hook", "events": ["conversion.created", "conversion.created"]])
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.int("id"))
            let secret = try #require(created.string("secret"))
            #expect(secret.hasPrefix("whsec_") && Data(base64Encoded: String(secret.dropFirst(6)))?.count == 32)
            #expect(created.array("events").count == 1 && created.string("status") == "active")
            let listed = try await api.get("/v1/webhooks")
            #expect(listed.array("items").count == 1 && !listed.text.contains(secret) && !listed.text.contains("\"secret\""))
            #expect(!(try await api.get("/v1/webhooks/\(id)")).text.contains(secret))

            let rotated = try await api.post("/v1/webhooks/\(id)/rotate", [String: Any]())
            let newSecret = try #require(rotated.string("secret"))
            #expect(newSecret != secret && rotated.string("previous_secret_expires_at") != nil)
            #expect(!(try await api.get("/v1/webhooks/\(id)")).text.contains(newSecret))

            let changed = try await api.patch("/v1/webhooks/\(id)", ["status": "disabled", "events": ["conversion.reversed"]])
            #expect(changed.string("status") == "disabled" && changed.array("events").map { $0 as? String } == ["conversion.reversed"])
            #expect(try await api.patch("/v1/webhooks/\(id)", ["status": "paused"]).errorField == "status")
            #expect(try await api.patch("/v1/webhooks/\(id)", ["url": "https://127.0.0.1/"]).errorField == "url")

            let test = try await api.post("/v1/webhooks/\(id)/test", [String: Any]())
            #expect(test.status == 202 && test.string("event_id")?.hasPrefix("evt_") == true)
            #expect(try await api.post("/v1/webhooks/\(id)/replay", ["event_id": test.string("event_id")!]).int("queued") == 1)
            #expect(try await api.post("/v1/webhooks/\(id)/replay", ["from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"]).errorField == "to")
            #expect(try await api.post("/v1/webhooks/\(id)/replay", [String: Any]()).errorField == "event_id")
            #expect(try await api.post("/v1/webhooks/\(id)/replay", ["event_id": "evt_unknown"]).status == 404)

            #expect(try await api.delete("/v1/webhooks/\(id)").status == 204)
            #expect(try await api.get("/v1/webhooks/\(id)").status == 404)
            #expect(try await api.get("/v1/webhooks/\(id)/deliveries").status == 404)
        }
    }
}

@Suite("Partners' postbacks through the API")
struct PostbackAPITests {
    @Test(arguments: [
        (#"{"url_template": "https://93.184.215.14/pb?cid={clickid}"}"#, "url_template", "{clickid} is not a macro"),
        (#"{"url_template": "https://127.0.0.1/pb?cid={click_id}"}"#, "url_template", "127.0.0.1"),
        (#"{"url_template": "https://localhost/pb?cid={click_id}"}"#, "url_template", "loopback"),
        (#"{"url_template": "http://93.184.215.14/pb?cid={click_id}"}"#, "url_template", "https"),
        (#"{"url_template": "https://93.184.215.14/pb?cid={click_id}", "method": "PUT"}"#, "method", "GET, POST_FORM or POST_JSON"),
        (#"{"method": "GET"}"#, "url_template", "required"),
    ])
    func badTemplatesAreRefusedAndNothingIsSet(_ body: String, _ field: String, _ named: String) async throws {
        try await APIFixture.run { api in
            let jane = try await api.partner("Jane", code: "jane")
            let refused = try await api.request(.put, "/v1/partner/postback", auth: .bearer(jane.token), raw: body)
            #expect(refused.status == 422 && refused.errorField == field, "\(refused.text)")
            #expect(refused.text.contains(named), "\(refused.text)")
            #expect(try await api.get("/v1/partner/postback", auth: .bearer(jane.token)).status == 404)
        }
    }

    /// The partner sets it; the brand sees it and switches it off, and the
    /// partner's next change leaves it off.
    @Test func theBrandSeesAndSwitchesAPartnersPostback() async throws {
        try await APIFixture.run { api in
            let jane = try await api.partner("Jane", code: "jane")
            let template = "https://93.184.215.14/pb?cid={click_id}&payout={commission}"
            let set = try await api.request(.put, "/v1/partner/postback", auth: .bearer(jane.token),
                                            json: ["url_template": template, "method": "POST_FORM"])
            #expect(set.status == 200 && set.string("status") == "active" && set.string("method") == "POST_FORM", "\(set.text)")
            #expect(try await api.get("/v1/partners/\(jane.id)/postback").string("url_template") == template)
            #expect(try await api.get("/v1/partner/postback").status == 401, "an admin key is no partner token")
            let off = try await api.patch("/v1/partners/\(jane.id)/postback", ["status": "disabled"])
            #expect(off.string("status") == "disabled" && off.string("disabled_reason") == "disabled by the brand")
            let again = try await api.request(.put, "/v1/partner/postback", auth: .bearer(jane.token), json: ["url_template": template])
            #expect(again.string("status") == "disabled" && again.string("method") == "GET")
            #expect(try await api.patch("/v1/partners/\(jane.id)/postback", ["status": "off"]).errorField == "status")
            let nick = try await api.partner("Nick", code: "nick")
            #expect(try await api.get("/v1/partners/\(nick.id)/postback").status == 404)
            #expect(try await api.get("/v1/partner/postback/deliveries", auth: .bearer(jane.token)).array("items").isEmpty)
        }
    }
}
