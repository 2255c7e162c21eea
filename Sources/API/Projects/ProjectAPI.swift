import ClickModel
import Domain
import Foundation
import Hummingbird
import Services

/// Projects and their workflow stages (SPEC section 8), behind an admin key:
/// partners enter a project, move through its stages, and in a sales-tracking
/// stage get their link or promo code and move on.
struct ProjectAPI: Sendable {
    let store: any CatalogueWriter & ProjectStore
    let urls: PublicURLs

    func register(on router: RouterGroup<ClicklineRequestContext>) {
        router.post("/v1/projects", use: createProject)
        router.get("/v1/projects", use: listProjects)
        router.get("/v1/projects/{id}", use: getProject)
        router.post("/v1/projects/{id}/stages", use: addStage)
        router.patch("/v1/projects/{id}/stages/{stage_id}", use: updateStage)
        router.delete("/v1/projects/{id}/stages/{stage_id}", use: deleteStage)
        router.post("/v1/projects/{id}/members", use: enter)
        router.post("/v1/projects/{id}/members/move", use: move)
        router.post("/v1/projects/{id}/stages/{stage_id}/generate", use: generate)
    }

    // MARK: projects and stages

    @Sendable func createProject(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let (project, stages) = try await JSONBody.decode(ProjectInput.self, from: request, context: context).validated()
        for (index, stage) in stages.enumerated() { try await checkOffer(of: stage, field: "stages.\(index).offer_id") }
        let created = try await store.createProject(project, stages: stages)
        return try JSONBody.response(ProjectBody(created, stages: try await store.stages(projectID: created.id), members: []), status: .created)
    }

    @Sendable func listProjects(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let paging = try Paging(request.uri.queryParameters.dictionary)
        let projects = try await store.projects(afterID: paging.after, limit: paging.limit)
        var items: [ProjectBody] = []
        for project in projects { items.append(ProjectBody(project, stages: try await store.stages(projectID: project.id), members: nil)) }
        return try JSONBody.response(Page(items: items, nextCursor: paging.next(projects) { $0.id }))
    }

    @Sendable func getProject(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let project = try await project(context)
        return try JSONBody.response(ProjectBody(project, stages: try await store.stages(projectID: project.id),
                                                 members: try await store.projectMembers(projectID: project.id)))
    }

    @Sendable func addStage(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let project = try await project(context)
        let input = try await JSONBody.decode(StageInput.self, from: request, context: context)
        let stage = try input.stage()
        try await checkOffer(of: stage, field: "offer_id")
        let added = try await store.addStage(projectID: project.id, stage, at: input.position)
        return try JSONBody.response(StageBody(added), status: .created)
    }

    @Sendable func updateStage(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let project = try await project(context)
        let stageID = try context.id("stage_id")
        let patch = try await JSONBody.decode(StagePatch.self, from: request, context: context)
        // The patched stage's offer is checked first, so that a wrong one is
        // named by its field; the store checks it again inside the update.
        if var patched = try await store.stages(projectID: project.id).first(where: { $0.id == stageID }) {
            try patch.apply(to: &patched)
            try await checkOffer(of: patched, field: "offer_id")
        }
        let updated = try await store.updateStage(projectID: project.id, stageID: stageID) { stage in try patch.apply(to: &stage) }
        return try JSONBody.response(StageBody(updated))
    }

    @Sendable func deleteStage(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let project = try await project(context)
        let stageID = try context.id("stage_id")
        let deletion = try await store.deleteStage(projectID: project.id, stageID: stageID)
        struct Body: Encodable {
            var deleted: UInt32
            var moved_to: UInt32?
            var moved_members: Int

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(deleted, forKey: .deleted)
                try c.encode(moved_to, forKey: .moved_to)
                try c.encode(moved_members, forKey: .moved_members)
            }

            enum CodingKeys: String, CodingKey { case deleted, moved_to, moved_members }
        }
        return try JSONBody.response(Body(deleted: stageID, moved_to: deletion.movedTo, moved_members: deletion.movedMembers))
    }

    // MARK: members

    @Sendable func enter(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let project = try await project(context)
        let ids = try await JSONBody.decode(PartnerIDsInput.self, from: request, context: context).required()
        try await requirePartners(ids)
        let entries = try await store.enterProject(projectID: project.id, partnerIDs: ids)
        let members = entries.map { entry in
            var body = ProjectMemberBody(entry.member)
            body.status = entry.entered ? "entered" : "existing"
            return body
        }
        return try JSONBody.response(["members": members], status: entries.contains { $0.entered } ? .created : .ok)
    }

    @Sendable func move(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let project = try await project(context)
        let input = try await JSONBody.decode(PartnerIDsInput.self, from: request, context: context)
        let ids = try input.required()
        guard let stageID = input.stageID else { throw APIError.invalid("stage_id", "is required: the stage to move them to") }
        guard try await store.stages(projectID: project.id).contains(where: { $0.id == stageID }) else {
            throw APIError.invalid("stage_id", "project \(project.id) has no stage \(stageID)")
        }
        let present = Set(try await store.projectMembers(projectID: project.id).map(\.partner.id))
        if let missing = ids.first(where: { !present.contains($0) }) {
            throw APIError.invalid("partner_ids", "partner \(missing) is not in project \(project.id); nobody was moved")
        }
        let moved = try await store.moveMembers(projectID: project.id, partnerIDs: ids, to: stageID)
        return try JSONBody.response(["members": moved.map(ProjectMemberBody.init)])
    }

    /// Makes each chosen member's link or promo code and moves it on; a member
    /// who had one already is told so and moved on all the same.
    @Sendable func generate(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let project = try await project(context)
        let stageID = try context.id("stage_id")
        guard let stage = try await store.stages(projectID: project.id).first(where: { $0.id == stageID }) else {
            throw APIError.notFound("project \(project.id) has no stage \(stageID)")
        }
        let input = try await JSONBody.decode(PartnerIDsInput.self, from: request, context: context)
        let ids = try input.optional()
        let terms = try input.terms()
        guard stage.kind != .custom else {
            throw APIError(.unprocessableContent, code: "custom_stage",
                           message: "stage \(stageID) is a custom stage; only generate_links and generate_promo_codes stages generate")
        }
        guard let offerID = stage.offerID, let offer = try await store.offer(id: offerID) else {
            throw APIError(.unprocessableContent, code: "offer_not_set_up", message: "stage \(stageID) has no offer yet; set one up with PATCH first")
        }
        let link = try await store.links(offerID: offer.id).first
        if offer.type == .link && link == nil {
            throw APIError(.unprocessableContent, code: "no_link", message: "offer \(offer.id) has no tracking link yet; add one first")
        }
        if let ids {
            let inStage = Set(try await store.projectMembers(projectID: project.id).filter { $0.stageID == stageID }.map(\.partner.id))
            if let missing = ids.first(where: { !inStage.contains($0) }) {
                throw APIError.invalid("partner_ids", "partner \(missing) is not in stage \(stageID); nothing was generated")
            }
        }
        let credentials = MemberCredentials(
            dashboardToken: { Secrets.make(.dashboardToken) },
            promoCode: offer.type == .promoCode ? PromoCodes.maker(for: offer.promo) : nil)
        let generations = try await store.generate(projectID: project.id, stageID: stageID, partnerIDs: ids, terms: terms, credentials: credentials)
        let what = offer.type == .promoCode ? "promo code" : "tracking link"
        let members = generations.map { generation in
            let member = generation.member
            return GenerationBody(
                partnerID: member.partner.id, name: member.partner.name, status: generation.created ? "created" : "existing",
                message: generation.created ? nil : "already had a \(what) for offer \(offer.id); moved on",
                stageID: generation.stageID,
                trackingURL: offer.type == .link ? link.map { urls.tracking(link: $0.code, partner: member.partner.code) } : nil,
                promoCode: member.promoCode, dashboardURL: urls.dashboard(token: member.dashboardToken))
        }
        return try JSONBody.response(["members": members], status: generations.contains { $0.created } ? .created : .ok)
    }

    // MARK: helpers

    func project(_ context: ClicklineRequestContext) async throws -> Project {
        let id = try context.id("id")
        guard let project = try await store.project(id: id) else { throw APIError.notFound("project \(id) does not exist") }
        return project
    }

    /// A generating stage's offer exists and is of the type the stage generates.
    func checkOffer(of stage: Stage, field: String) async throws {
        guard let offerID = stage.offerID, let type = stage.kind.offerType else { return }
        guard let offer = try await store.offer(id: offerID) else { throw APIError.invalid(field, "offer \(offerID) does not exist") }
        guard offer.type == type else {
            throw APIError.invalid(field, "a \(stage.kind.rawValue) stage needs a \(type.rawValue) offer; offer \(offerID) is a \(offer.type.rawValue) offer")
        }
    }

    func requirePartners(_ ids: [UInt32]) async throws {
        for id in ids where try await store.partner(id: id) == nil {
            throw APIError.invalid("partner_ids", "partner \(id) does not exist; nobody was added")
        }
    }
}
