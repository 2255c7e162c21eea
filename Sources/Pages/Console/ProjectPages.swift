import API
import ClickModel
import Domain
import Foundation
import Hummingbird
import Services
import Store

/// Projects: their settings (stages added, ordered, deleted, sales stages
/// set up with an offer), and the board, where members are moved, given
/// their code or link at a sales stage, and emailed.
extension ConsolePages {
    func registerProjects(on pages: RouterGroup<PageContext>) {
        pages.get("/projects", use: projectsPage)
        pages.post("/projects", use: createProject)
        pages.get("/projects/{id}", use: board)
        pages.post("/projects/{id}/members", use: enterProject)
        pages.post("/projects/{id}/move", use: moveMembers)
        pages.get("/projects/{id}/settings", use: projectSettings)
        pages.post("/projects/{id}/stages", use: addStage)
        pages.post("/projects/{id}/order", use: orderStages)
        pages.post("/projects/{id}/stages/{stage_id}/delete", use: deleteStage)
        pages.post("/projects/{id}/stages/{stage_id}/offer", use: setUpOffer)
        pages.post("/projects/{id}/stages/{stage_id}/generate", use: generateAtStage)
        pages.get("/projects/{id}/generated", use: generatedPage)
        pages.post("/projects/{id}/stages/{stage_id}/email", use: emailStage)
    }

    func project(_ context: PageContext) async throws -> Project {
        let id = try Self.id(context)
        guard let project = try await store.project(id: id) else { throw PageError.notFound("There is no project \(id).") }
        return project
    }

    func stage(_ context: PageContext, of project: Project) async throws -> Stage {
        let id = try Self.id(context, "stage_id")
        guard let stage = try await store.stages(projectID: project.id).first(where: { $0.id == id }) else {
            throw PageError.notFound("The project has no such stage.")
        }
        return stage
    }

    static let stageKindLabels: [StageKind: String] = [
        .custom: "Custom", .generatePromoCodes: "Generate Promo Codes", .generateLinks: "Generate Sales Links",
    ]

    @Sendable func projectsPage(_ request: Request, context: PageContext) async throws -> Response {
        let teammate = try context.team(.read, request)
        var projects: [[String: Any]] = []
        for project in try await store.projects(afterID: 0, limit: 1000) {
            let stages = try await store.stages(projectID: project.id)
            let members = try await store.projectMembers(projectID: project.id)
            projects.append(["id": project.id, "name": project.name, "stages": stages.count, "members": members.count])
        }
        return page("projects", ["title": "Projects", "section": "projects", "projects": projects, "can_act": teammate.role.may(.manage)], context)
    }

    @Sendable func createProject(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        do {
            let (project, stages) = try FormInput.decode(ProjectInput.self, ["name": context.form["name"] ?? ""]).validated()
            let created = try await workflow.create(project, stages: stages)
            return Renderer.redirect("/projects/\(created.id)/settings")
        } catch {
            guard let errors = FormInput.errors(error, fallback: "name") else { throw error }
            var values = try await projectsValues(context)
            values.merge(FormState(values: context.form.values, errors: errors).context) { $1 }
            return page("projects", values, context, status: .unprocessableContent)
        }
    }

    func projectsValues(_ context: PageContext) async throws -> [String: Any] {
        let projects = try await store.projects(afterID: 0, limit: 1000).map { ["id": $0.id, "name": $0.name] as [String: Any] }
        return ["title": "Projects", "section": "projects", "projects": projects, "can_act": true]
    }

    // MARK: the board

    /// The message a stage's email starts from: the member's code or link
    /// when the stage (or one before it) has an offer.
    static func defaultStageBody(_ offer: Offer?) -> String {
        guard let offer else { return "Hi {{name}},\n\nThank you!" }
        return "Hi {{name}},\n\n" + (offer.type == .promoCode ? "Your promo code is {{promo_code}}." : "Your link is {{tracking_url}}")
            + "\nFollow your sales and commission on your dashboard: {{dashboard_url}}\n\nThank you!"
    }

    @Sendable func board(_ request: Request, context: PageContext) async throws -> Response {
        let teammate = try context.team(.read, request)
        let project = try await project(context)
        let stages = try await store.stages(projectID: project.id)
        let members = try await store.projectMembers(projectID: project.id)
        let inProject = Set(members.map(\.partner.id))
        let outside = try await store.partners(PartnerQuery(limit: 500)).filter { !inProject.contains($0.id) }
        var offers: [UInt32: Offer] = [:]
        for id in Set(stages.compactMap(\.offerID)) { offers[id] = try await store.offer(id: id) }
        let query = request.uri.queryParameters
        return page("board", [
            "title": project.name, "section": "projects", "project": ["id": project.id, "name": project.name],
            "stages": stages.enumerated().map { index, stage in
                let offer = stage.offerID.flatMap { offers[$0] }
                // A stage's emails speak of its offer, or of the nearest stage's before it.
                let emailOffer = stages[...index].reversed().lazy.compactMap(\.offerID).first.flatMap { offers[$0] }
                return ["id": stage.id, "name": stage.name, "kind": Self.stageKindLabels[stage.kind] ?? "", "sales": stage.kind != .custom,
                        "offer": offer?.name ?? "", "ready": offer != nil, "project_id": project.id, "submission": FormToken.make(),
                        "body": Self.defaultStageBody(emailOffer),
                        "members": members.filter { $0.stageID == stage.id }.map { ["id": $0.partner.id, "name": $0.partner.name] }]
            },
            "targets": stages.map { ["id": $0.id, "name": $0.name] }, "has_stages": !stages.isEmpty,
            "outside": outside.map { ["id": $0.id, "name": $0.name, "code": $0.code.value] },
            "can_act": teammate.role.may(.manage), "moved": query["moved"].map(String.init) ?? "",
            "sent": query["sent"].map(String.init) ?? "", "subject": "Next steps with {{name}}",
            "problem": query["problem"].map(String.init) ?? "",
        ], context)
    }

    @Sendable func enterProject(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let project = try await project(context)
        let ids = context.form.ids("partner")
        guard !ids.isEmpty else { return Renderer.redirect("/projects/\(project.id)?problem=Choose%20partners%20to%20add.") }
        _ = try await workflow.enter(ids, into: project)
        return Renderer.redirect("/projects/\(project.id)?moved=\(ids.count)")
    }

    @Sendable func moveMembers(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let project = try await project(context)
        let ids = context.form.ids("partner")
        guard !ids.isEmpty else { return Renderer.redirect("/projects/\(project.id)?problem=Select%20members%20to%20move.") }
        guard let stageID = context.form["to"].flatMap({ UInt32($0) }) else { throw DomainError.invalid("to", "Choose the stage to move them to.") }
        let moved = try await workflow.move(ids, of: project, to: stageID)
        return Renderer.redirect("/projects/\(project.id)?moved=\(moved.count)")
    }

    /// Generate at a sales stage for the selected members: those who had a
    /// code or link are told so and moved on; the others get theirs and move on.
    @Sendable func generateAtStage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let project = try await project(context)
        let stage = try await stage(context, of: project)
        let ids = context.form.ids("partner")
        return try await once(context, pending: "/projects/\(project.id)") {
            let generated = try await workflow.generate(at: stage.id, of: project, for: ids.isEmpty ? nil : ids, terms: MemberTerms())
            return "/projects/\(project.id)/generated?offer=\(generated.offer.id)&" + generated.generations.map {
                "partner=\($0.member.partner.id)" + ($0.created ? "" : "&existing=\($0.member.partner.id)")
            }.joined(separator: "&")
        }
    }

    @Sendable func generatedPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.read, request)
        let project = try await project(context)
        let query = request.uri.queryParameters
        guard let offerID = query["offer"].flatMap({ UInt32(String($0)) }), let offer = try await store.offer(id: offerID) else {
            throw PageError.notFound("Nothing was generated.")
        }
        let existing = Set(query.getAll("existing").compactMap { UInt32(String($0)) })
        let link = try await store.links(offerID: offer.id).first
        var rows: [[String: Any]] = []
        for id in query.getAll("partner").compactMap({ UInt32(String($0)) }) {
            guard let member = try await store.member(offerID: offer.id, partnerID: id) else { continue }
            rows.append(["id": id, "name": member.partner.name, "existing": existing.contains(id),
                         "code": member.promoCode ?? link.map { urls.tracking(link: $0.code, partner: member.partner.code) } ?? ""])
        }
        return page("generated", ["title": "Generated", "section": "projects", "project": ["id": project.id, "name": project.name],
                                  "offer": offer.name, "members": rows, "had": existing.count], context)
    }

    @Sendable func emailStage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let project = try await project(context)
        let stage = try await stage(context, of: project)
        let form = context.form
        let ids = form.ids("partner")
        let template: MemberEmail
        do {
            template = try MemberEmail(subject: form["subject"] ?? "", body: form["body"] ?? "")
        } catch {
            throw DomainError.invalid(error.field, error.message)
        }
        return try await once(context, pending: "/projects/\(project.id)") {
            let messages = try await emails.toMembers(of: stage.id, in: project.id, partnerIDs: ids.isEmpty ? nil : ids, template: template,
                                                      preview: false)
            return "/projects/\(project.id)?sent=\(messages.filter { $0.status == .queued }.count)"
        }
    }

    // MARK: settings

    @Sendable func projectSettings(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let project = try await project(context)
        return try await settingsPage(project, state: FormState(values: ["kind": "custom"]), context)
    }

    func settingsPage(_ project: Project, state: FormState, _ context: PageContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        let stages = try await store.stages(projectID: project.id)
        let members = try await store.projectMembers(projectID: project.id)
        let offers = try await store.offers(OfferQuery(limit: 1000, now: Self.now()))
        var values = state.context
        values["title"] = "\(project.name): settings"
        values["section"] = "projects"
        values["project"] = ["id": project.id, "name": project.name]
        values["stages"] = stages.enumerated().map { index, stage in
            ["id": stage.id, "name": stage.name, "kind": Self.stageKindLabels[stage.kind] ?? "", "position": index + 1,
             "sales": stage.kind != .custom, "project_id": project.id, "members": members.filter { $0.stageID == stage.id }.count,
             "offer_type": stage.kind.offerType?.rawValue ?? "",
             "offers": offers.filter { $0.type == stage.kind.offerType }.map { ["id": $0.id, "name": $0.name, "selected": $0.id == stage.offerID] },
             "offer": offers.first { $0.id == stage.offerID }?.name ?? ""] as [String: Any]
        }
        values["kinds"] = StageKind.allCases.map { ["name": $0.rawValue, "label": Self.stageKindLabels[$0] ?? ""] }
        values["positions"] = (0...stages.count).map {
            ["value": $0, "label": $0 == stages.count ? "At the end" : "Before \(stages[$0].name)", "last": $0 == stages.count]
        }
        return page("project-settings", values, context, status: status)
    }

    @Sendable func addStage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let project = try await project(context)
        let form = context.form
        do {
            var input: [String: Any] = ["name": form["name"] ?? "", "kind": form["kind"] ?? "custom"]
            if let position = form["position"].flatMap({ Int($0) }) { input["position"] = position }
            let stageInput = try FormInput.decode(StageInput.self, input)
            _ = try await workflow.add(try stageInput.stage(), to: project, at: stageInput.position)
            return Renderer.redirect("/projects/\(project.id)/settings")
        } catch {
            guard let errors = FormInput.errors(error, fallback: "name") else { throw error }
            return try await settingsPage(project, state: FormState(values: form.values, errors: errors), context, status: .unprocessableContent)
        }
    }

    /// Saves the order the stages were put in (positions 1, 2, 3... typed or set by the arrows).
    @Sendable func orderStages(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let project = try await project(context)
        let stages = try await store.stages(projectID: project.id)
        let wanted = stages.enumerated().map { index, stage in
            (stage: stage, position: context.form["position_\(stage.id)"].flatMap { Int($0) } ?? index + 1, index: index)
        }.sorted { ($0.position, $0.index) < ($1.position, $1.index) }
        for (target, entry) in wanted.enumerated() where entry.stage.position != target {
            _ = try await workflow.update(stageID: entry.stage.id, of: project) { $0.position = target }
        }
        return Renderer.redirect("/projects/\(project.id)/settings")
    }

    /// Deletes a stage; its members move on to the next stage.
    @Sendable func deleteStage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let project = try await project(context)
        let stage = try await stage(context, of: project)
        _ = try await store.deleteStage(projectID: project.id, stageID: stage.id)
        return Renderer.redirect("/projects/\(project.id)/settings")
    }

    /// Set up offer: an existing offer, or a new one made now (the offer
    /// form comes back to the project once it is saved).
    @Sendable func setUpOffer(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let project = try await project(context)
        let stage = try await stage(context, of: project)
        guard let type = stage.kind.offerType else { throw DomainError.invalid("offer_id", "A custom stage has no offer.") }
        if context.form["offer_id"] == "new" {
            return Renderer.redirect("/offers/new?type=\(type.rawValue)&project=\(project.id)&stage=\(stage.id)")
        }
        guard let offerID = context.form["offer_id"].flatMap({ UInt32($0) }) else { throw DomainError.invalid("offer_id", "Choose an offer.") }
        _ = try await workflow.update(stageID: stage.id, of: project) { $0.offerID = offerID }
        return Renderer.redirect("/projects/\(project.id)/settings")
    }
}
