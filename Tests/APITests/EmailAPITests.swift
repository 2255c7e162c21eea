import Foundation
import Hummingbird
import Testing

@Suite("Emails to members")
struct EmailAPITests {
    @Test func offerEmailsArePreviewedThenQueuedPerMember() async throws {
        try await APIFixture.run { api in
            let offer = try await api.linkOffer()
            _ = try await api.create("/v1/offers/\(offer)/links", ["code": "hair"])
            let jane = try await api.partner("Jane", code: "jane").id
            let nick = try #require(try await api.create("/v1/partners", ["name": "Nick", "code": "nick"]).int("id"))
            let away = try await api.partner("Away", code: "away").id
            _ = try await api.create("/v1/offers/\(offer)/members", ["partner_ids": [jane, nick, away], "ends_at": "2027-01-31T00:00:00Z"])
            _ = try await api.patch("/v1/offers/\(offer)/members/\(away)", ["status": "inactive"])
            let template: [String: Any] = ["subject": "Your link, {{name}}", "body": "{{name}}: {{tracking_url}} until {{ends_at}}; {{dashboard_url}}"]

            let preview = try await api.post("/v1/offers/\(offer)/emails", template.merging(["preview": true]) { a, _ in a })
            #expect(preview.status == 200, "\(preview.text)")
            #expect(preview.array("messages").count == 2, "the active members")
            #expect(preview.string("messages.0.subject") == "Your link, Jane")
            #expect(preview.string("messages.0.body")?.hasPrefix("Jane: \(APIFixture.trackingBase)/hair/jane until 2027-01-31; \(APIFixture.dashboardBase)/p/cld_") == true)
            #expect(preview.string("messages.0.to") == "jane@example.com" && preview.string("messages.0.status") == "preview")
            #expect(try await api.get("/v1/outbox").array("items").isEmpty)

            let sent = try await api.post("/v1/offers/\(offer)/emails", template.merging(["partner_ids": [jane, nick, away]]) { a, _ in a })
            #expect(sent.status == 201)
            #expect(sent.array("messages").map { ($0 as? [String: Any])?["status"] as? String } == ["queued", "no_address", "queued"])
            let outbox = try await api.get("/v1/outbox?status=queued")
            #expect(outbox.array("items").count == 2)
            #expect(outbox.string("items.0.to") == "jane@example.com" && outbox.int("items.0.offer_id") == offer)
            #expect(outbox.int("items.0.attempts") == 0 && outbox.text.contains("\"sent_at\":null"))
            #expect(try await api.get("/v1/outbox?partner_id=\(away)").array("items").count == 1)
            #expect(try await api.get("/v1/outbox?status=lost").errorField == "status")
        }
    }

    @Test(arguments: [
        (#"{"subject": "Hi", "body": "your password is {{password}}"}"#, "body"),
        (#"{"subject": "Hi {{> header}}", "body": "x"}"#, "subject"),
        (#"{"subject": "Hi", "body": "{{#name}}unclosed"}"#, "body"),
        (#"{"subject": "Hi", "body": "{{=<% %>=}}"}"#, "body"),
        (#"{"subject": "Hi", "body": "code {{promo_code}}"}"#, "body"),
        (#"{"subject": "Hi\r\nBcc: everyone@example.org", "body": "x"}"#, "subject"),
        (#"{"subject": "", "body": "x"}"#, "subject"),
        (#"{"subject": "Hi", "body": ""}"#, "body"),
        (#"{"subject": "Hi", "body": "x", "partner_ids": [999]}"#, "partner_ids"),
        (#"{"subject": "Hi", "body": "x", "partner_ids": []}"#, "partner_ids"),
        (#"{"subject": 7, "body": "x"}"#, "subject"),
    ])
    func badEmailsAreRefusedAndQueueNothing(body: String, field: String) async throws {
        try await APIFixture.run { api in
            let offer = try await api.linkOffer()
            _ = try await api.create("/v1/offers/\(offer)/links", ["code": "hair"])
            let jane = try await api.partner("Jane", code: "jane").id
            _ = try await api.create("/v1/offers/\(offer)/members", ["partner_ids": [jane]])
            let refused = try await api.request(.post, "/v1/offers/\(offer)/emails", raw: body)
            #expect(refused.status == 422 || refused.status == 400, "\(refused.text)")
            #expect(refused.errorField == field, "\(refused.text)")
            #expect(try await api.get("/v1/outbox").array("items").isEmpty)
        }
    }

    /// A stage's members are emailed with the codes of the generating stage
    /// they came through; before generating, a code cannot be asked for.
    @Test func stageEmailsUseTheOfferOfTheStageTheyCameThrough() async throws {
        try await APIFixture.run { api in
            let offer = try await api.promoOffer()
            let jane = try await api.partner("Jane", code: "jane").id
            let project = try #require(try await api.create("/v1/projects", ["name": "P", "stages": [
                ["name": "Codes", "kind": "generate_promo_codes", "offer_id": offer], ["name": "Follow-up", "kind": "custom"],
            ]]).int("id"))
            let stages = try await ProjectAPITests.stages(api, project).map(\.id)
            _ = try await api.create("/v1/projects/\(project)/members", ["partner_ids": [jane]])
            let early = try await api.post("/v1/projects/\(project)/stages/\(stages[0])/emails",
                                           ["subject": "Hi", "body": "{{promo_code}}", "preview": true])
            #expect(early.errorField == "partner_ids", "Jane has no code before generating: \(early.text)")
            #expect(try await api.post("/v1/projects/\(project)/stages/\(stages[0])/emails",
                                       ["subject": "Welcome {{name}}", "body": "soon", "preview": true]).status == 200)
            _ = try await api.post("/v1/projects/\(project)/stages/\(stages[0])/generate", [String: Any]())
            let later = try await api.post("/v1/projects/\(project)/stages/\(stages[1])/emails",
                                           ["subject": "Hi", "body": "{{name}}: {{promo_code}}", "preview": true])
            #expect(later.string("messages.0.body") == "Jane: JANE20", "\(later.text)")
        }
    }
}
