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
    let workflow: ProjectWorkflow
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
        let created = try await workflow.create(project, stages: stages)
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
        let added = try await workflow.add(try input.stage(), to: project, at: input.position)
        return try JSONBody.response(StageBody(added), status: .created)
    }

    @Sendable func updateStage(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let project = try await project(context)
        let stageID = try context.id("stage_id")
        let patch = try await JSONBody.decode(StagePatch.self, from: request, context: context)
        let updated = try await workflow.update(stageID: stageID, of: project) { stage in try patch.apply(to: &stage) }
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
        let entries = try await workflow.enter(ids, into: project)
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
        let moved = try await workflow.move(ids, of: project, to: stageID)
        return try JSONBody.response(["members": moved.map(ProjectMemberBody.init)])
    }

    /// Makes each chosen member's link or promo code and moves it on; a member
    /// who had one already is told so and moved on all the same.
    @Sendable func generate(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let project = try await project(context)
        let stageID = try context.id("stage_id")
        let input = try await JSONBody.decode(PartnerIDsInput.self, from: request, context: context)
        let generated = try await workflow.generate(at: stageID, of: project, for: try input.optional(), terms: try input.terms())
        let (offer, link, generations) = (generated.offer, generated.link, generated.generations)
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
}
