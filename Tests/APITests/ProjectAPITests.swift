import ClickModel
import Domain
import Foundation
import Hummingbird
import Store
import Testing

@Suite("Projects and workflow stages")
struct ProjectAPITests {
    /// The stages of a project in order, as `[(id, kind, [partner ids])]`.
    static func stages(_ api: APIClient, _ project: Int) async throws -> [(id: Int, kind: String, members: [Int])] {
        let body = try await api.get("/v1/projects/\(project)")
        #expect(body.status == 200, "\(body.text)")
        return body.array("stages").indices.map { index in
            (body.int("stages.\(index).id") ?? -1, body.string("stages.\(index).kind") ?? "",
             body.array("stages.\(index).members").indices.compactMap { body.int("stages.\(index).members.\($0).partner_id") })
        }
    }

    /// The seed's migration: members of an old custom stage end up in the
    /// promo-code stage put right behind it, get their codes there (one of
    /// them had one already) and move on.
    @Test func theSeedWorkflow() async throws {
        try await APIFixture.run { api in
            let offer = try await api.promoOffer()
            let jane = try await api.partner("Jane", code: "jane").id
            let zoe = try await api.partner("Zoë", code: "zoe").id
            let mark = try await api.partner("Mark", code: "mark").id
            // Mark joined the offer before the project: he keeps his code.
            let marksCode = try #require(try await api.create("/v1/offers/\(offer)/members", ["partner_ids": [mark]]).string("members.0.promo_code"))

            let created = try await api.create("/v1/projects", ["name": "Spring recruiting", "stages": [["name": "Vetting", "kind": "custom"]]])
            let project = try #require(created.int("id"))
            let vetting = try #require(created.int("stages.0.id"))
            #expect(created.string("stages.0.kind") == "custom" && created.text.contains("\"offer_id\":null"))
            let entered = try await api.post("/v1/projects/\(project)/members", ["partner_ids": [jane, zoe, mark]])
            #expect(entered.status == 201)
            #expect(entered.array("members").count == 3 && entered.string("members.0.status") == "entered")
            #expect(entered.int("members.0.stage_id") == vetting)
            #expect(try await api.post("/v1/projects/\(project)/members", ["partner_ids": [jane]]).string("members.0.status") == "existing")

            // A sales-tracking stage right after the custom one, its offer set up afterwards.
            let promo = try await api.create("/v1/projects/\(project)/stages", ["name": "Codes", "kind": "generate_promo_codes", "position": 1])
            let codes = try #require(promo.int("id"))
            #expect(promo.int("position") == 1 && promo.text.contains("\"offer_id\":null"))
            let setUp = try await api.patch("/v1/projects/\(project)/stages/\(codes)", ["offer_id": offer])
            #expect(setUp.status == 200 && setUp.int("offer_id") == offer, "\(setUp.text)")
            let followUp = try #require(try await api.create("/v1/projects/\(project)/stages", ["name": "Follow-up", "kind": "custom"]).int("id"))

            // Deleting the custom stage moves its members into the new stage.
            let deleted = try await api.delete("/v1/projects/\(project)/stages/\(vetting)")
            #expect(deleted.status == 200, "\(deleted.text)")
            #expect(deleted.int("moved_to") == codes && deleted.int("moved_members") == 3)
            var stages = try await Self.stages(api, project)
            #expect(stages.map(\.id) == [codes, followUp])
            #expect(stages[0].members == [jane, zoe, mark])

            // Generating: codes for Jane and Zoë, Mark told he had one; all move on.
            let generated = try await api.post("/v1/projects/\(project)/stages/\(codes)/generate", [String: Any]())
            #expect(generated.status == 201, "\(generated.text)")
            let rows = generated.array("members").indices.map { index in
                (generated.int("members.\(index).partner_id"), generated.string("members.\(index).status"),
                 generated.string("members.\(index).promo_code"), generated.int("members.\(index).stage_id"))
            }
            #expect(rows.count == 3)
            #expect(rows[0] == (jane, "created", "JANE20", followUp))
            #expect(rows[1] == (zoe, "created", "ZOE20", followUp))
            #expect(rows[2] == (mark, "existing", marksCode, followUp))
            #expect(generated.string("members.2.message")?.contains("already had a promo code") == true)
            #expect(generated["members.0.message"] == nil)
            #expect(generated.string("members.0.dashboard_url")?.hasPrefix(APIFixture.dashboardBase + "/p/cld_") == true)
            stages = try await Self.stages(api, project)
            #expect(stages[0].members.isEmpty && stages[1].members == [jane, zoe, mark])

            // They are members of the offer now, with codes that redeem.
            #expect(try await api.get("/v1/offers/\(offer)/members").array("items").count == 3)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            guard case .redeemed(let member, _) = try await api.store.redeemPromoCode("zoe20", at: now) else {
                Issue.record("Zoë's new code does not redeem")
                return
            }
            #expect(member.partner.id == UInt32(zoe))
        }
    }

    @Test func stagesAreAddedReorderedSetUpAndDeleted() async throws {
        try await APIFixture.run { api in
            let linkOffer = try await api.linkOffer()
            let promoOffer = try await api.promoOffer()
            let project = try #require(try await api.create("/v1/projects", ["name": "Creators", "stages": [
                ["name": "Outreach", "kind": "custom"], ["name": "Links", "kind": "generate_links", "offer_id": linkOffer],
            ]]).int("id"))
            let stages = try await Self.stages(api, project)
            let (outreach, links) = (stages[0].id, stages[1].id)
            let first = try #require(try await api.create("/v1/projects/\(project)/stages", ["name": "Sign-up", "kind": "custom", "position": 0]).int("id"))
            let last = try #require(try await api.create("/v1/projects/\(project)/stages", ["name": "Wrap-up", "kind": "custom", "position": 99]).int("id"))
            #expect(try await Self.stages(api, project).map(\.id) == [first, outreach, links, last])
            // Reordering: the stage takes the index given.
            #expect(try await api.patch("/v1/projects/\(project)/stages/\(last)", ["position": 1]).int("position") == 1)
            #expect(try await Self.stages(api, project).map(\.id) == [first, last, outreach, links])
            #expect(try await api.get("/v1/projects/\(project)").array("stages").indices.map { $0 } == [0, 1, 2, 3])

            // Offers must fit the stage.
            #expect(try await api.patch("/v1/projects/\(project)/stages/\(links)", ["offer_id": promoOffer]).errorField == "offer_id")
            #expect(try await api.patch("/v1/projects/\(project)/stages/\(links)", ["offer_id": 999]).errorField == "offer_id")
            #expect(try await api.patch("/v1/projects/\(project)/stages/\(first)", ["offer_id": linkOffer]).errorField == "offer_id")
            #expect(try await api.patch("/v1/projects/\(project)/stages/\(links)", ["kind": "custom"]).errorField == "kind")
            #expect(try await api.post("/v1/projects/\(project)/stages", ["name": "X", "kind": "generate_promo_codes", "offer_id": linkOffer]).errorField == "offer_id")
            #expect(try await api.post("/v1/projects", ["name": "Y", "stages": [["name": "Z", "kind": "weekly"]]]).errorField == "stages.0.kind")
            #expect(try await api.post("/v1/projects", ["name": " "]).errorField == "name")
            #expect(try await api.post("/v1/projects/\(project)/stages", ["name": "X", "kind": "custom", "position": -1]).errorField == "position")
            #expect(try await Self.stages(api, project).count == 4, "nothing refused was added")

            // Deleting the last stage moves its members to the one before.
            let partner = try await api.partner("Ana", code: "ana").id
            _ = try await api.post("/v1/projects/\(project)/members", ["partner_ids": [partner]])
            #expect(try await api.post("/v1/projects/\(project)/members/move", ["partner_ids": [partner], "stage_id": links]).status == 200)
            let deleted = try await api.delete("/v1/projects/\(project)/stages/\(links)")
            #expect(deleted.int("moved_to") == outreach)
            #expect(try await Self.stages(api, project).last?.members == [partner])

            // A project's only stage keeps its members: they would have nowhere to go.
            let lone = try #require(try await api.create("/v1/projects", ["name": "Lone", "stages": [["name": "Only", "kind": "custom"]]]).int("id"))
            let only = try await Self.stages(api, lone)[0].id
            _ = try await api.post("/v1/projects/\(lone)/members", ["partner_ids": [partner]])
            #expect(try await api.delete("/v1/projects/\(lone)/stages/\(only)").status == 409)
            #expect(try await api.delete("/v1/projects/\(project)/stages/\(only)").status == 404, "a stage of another project")
            #expect(try await api.delete("/v1/projects/999/stages/\(only)").status == 404)
            #expect(try await api.get("/v1/projects").array("items").count == 2)
        }
    }

    @Test func membersMoveOneByOneOrManyAtOnce() async throws {
        try await APIFixture.run { api in
            let project = try #require(try await api.create("/v1/projects", ["name": "P", "stages": [
                ["name": "A", "kind": "custom"], ["name": "B", "kind": "custom"], ["name": "C", "kind": "custom"],
            ]]).int("id"))
            let ids = try await Self.stages(api, project).map(\.id)
            var partners: [Int] = []
            for name in ["ana", "bo", "cy"] { partners.append(try await api.partner(name, code: name).id) }
            _ = try await api.create("/v1/projects/\(project)/members", ["partner_ids": partners])
            let moved = try await api.post("/v1/projects/\(project)/members/move", ["partner_ids": [partners[0], partners[1]], "stage_id": ids[2]])
            #expect(moved.status == 200 && moved.int("members.1.stage_id") == ids[2])
            _ = try await api.post("/v1/projects/\(project)/members/move", ["partner_ids": [partners[0]], "stage_id": ids[1]])
            #expect(try await Self.stages(api, project).map(\.members) == [[partners[2]], [partners[0]], [partners[1]]])

            // Someone outside the project, or a stage of nowhere: nobody moves.
            let outsider = try await api.partner("Dee", code: "dee").id
            let refused = try await api.post("/v1/projects/\(project)/members/move", ["partner_ids": [partners[2], outsider], "stage_id": ids[0]])
            #expect(refused.status == 422 && refused.errorField == "partner_ids")
            #expect(try await api.post("/v1/projects/\(project)/members/move", ["partner_ids": [partners[2]], "stage_id": 999]).errorField == "stage_id")
            #expect(try await api.post("/v1/projects/\(project)/members/move", ["partner_ids": [partners[2]]]).errorField == "stage_id")
            #expect(try await api.post("/v1/projects/\(project)/members", ["partner_ids": [999]]).errorField == "partner_ids")
            #expect(try await api.post("/v1/projects/\(project)/members", ["partner_ids": []]).errorField == "partner_ids")
            #expect(try await Self.stages(api, project).map(\.members) == [[partners[2]], [partners[0]], [partners[1]]])
        }
    }

    @Test func generatingIsRefusedWhenItCannotBeDoneWhole() async throws {
        try await APIFixture.run { api in
            let bare = try #require(try await api.create("/v1/offers", [
                "name": "No link yet", "type": "link", "payout": ["type": "flat", "value": 100], "destination_url": "https://shop.example.com/",
            ]).int("id"))
            let project = try #require(try await api.create("/v1/projects", ["name": "P", "stages": [
                ["name": "Vet", "kind": "custom"], ["name": "Links", "kind": "generate_links"],
            ]]).int("id"))
            let stages = try await Self.stages(api, project)
            let ana = try await api.partner("Ana", code: "ana").id
            let bo = try await api.partner("Bo", code: "bo").id
            _ = try await api.create("/v1/projects/\(project)/members", ["partner_ids": [ana, bo]])
            _ = try await api.post("/v1/projects/\(project)/members/move", ["partner_ids": [ana], "stage_id": stages[1].id])

            #expect(try await api.post("/v1/projects/\(project)/stages/\(stages[0].id)/generate", [String: Any]()).errorCode == "custom_stage")
            #expect(try await api.post("/v1/projects/\(project)/stages/\(stages[1].id)/generate", [String: Any]()).errorCode == "offer_not_set_up")
            _ = try await api.patch("/v1/projects/\(project)/stages/\(stages[1].id)", ["offer_id": bare])
            #expect(try await api.post("/v1/projects/\(project)/stages/\(stages[1].id)/generate", [String: Any]()).errorCode == "no_link")
            _ = try await api.create("/v1/offers/\(bare)/links", ["code": "bare"])
            // Bo is still vetting: naming him generates nothing for anyone.
            let notInStage = try await api.post("/v1/projects/\(project)/stages/\(stages[1].id)/generate", ["partner_ids": [ana, bo]])
            #expect(notInStage.errorField == "partner_ids")
            #expect(try await api.get("/v1/offers/\(bare)/members").array("items").isEmpty)
            #expect(try await api.post("/v1/projects/\(project)/stages/\(stages[1].id)/generate", ["starts_at": "tomorrow"]).errorField == "starts_at")

            // The last stage: members get their link and stay in it.
            let done = try await api.post("/v1/projects/\(project)/stages/\(stages[1].id)/generate",
                                          ["starts_at": "2026-12-01T00:00:00Z", "ends_at": "2027-01-31T00:00:00Z"])
            #expect(done.status == 201, "\(done.text)")
            #expect(done.string("members.0.tracking_url") == APIFixture.trackingBase + "/bare/ana")
            #expect(done.int("members.0.stage_id") == stages[1].id)
            let member = try await api.get("/v1/offers/\(bare)/members/\(ana)")
            #expect(member.string("starts_at") == "2026-12-01T00:00:00Z" && member.string("ends_at") == "2027-01-31T00:00:00Z")
        }
    }

    @Test func reportsFilterByProject() async throws {
        try await APIFixture.run { api in
            let inProject = try await api.linkOffer(name: "In")
            _ = try await api.linkOffer(name: "Out")
            let project = try #require(try await api.create("/v1/projects", ["name": "P", "stages": [
                ["name": "Links", "kind": "generate_links", "offer_id": inProject], ["name": "Vet", "kind": "custom"],
            ]]).int("id"))
            #expect(try await api.get("/v1/reports/summary").int("offers") == 2)
            #expect(try await api.get("/v1/reports/summary?project_id=\(project)").int("offers") == 1)
            let report = try await api.get("/v1/reports/offers?project_id=\(project)")
            #expect(report.array("items").count == 1 && report.int("items.0.offer_id") == inProject)
            #expect(try await api.get("/v1/reports/summary?project_id=999").errorField == "project_id")
            #expect(try await api.get("/v1/reports/summary?project_id=x").errorField == "project_id")
        }
    }
}
