import ClickModel
import Domain
import Services
import Synchronization
import Testing

/// Projects kept in memory over an `InMemoryCatalogue`: stages in order,
/// members in a stage each, and generating as the store does it (the
/// stage's offer joined through the catalogue, then the next stage).
final class InMemoryProjects: ProjectStore, OfferStore, LinkStore, PartnerStore, Sendable {
    struct State {
        var projects: [UInt32: Project] = [:]
        var stages: [UInt32: [Stage]] = [:]
        var members: [UInt32: [UInt32: ProjectMember]] = [:]
        var nextID: UInt32 = 1000
    }

    let catalogue = InMemoryCatalogue()
    let state = Mutex(State())

    func createProject(_ project: Project, stages: [Stage]) async throws -> Project {
        state.withLock { state in
            var project = project
            project.id = state.nextID
            state.nextID += 1
            state.projects[project.id] = project
            state.stages[project.id] = stages.enumerated().map { index, stage in
                var stage = stage
                stage.id = state.nextID + UInt32(index)
                stage.projectID = project.id
                stage.position = index
                return stage
            }
            state.nextID += UInt32(stages.count)
            return project
        }
    }

    func project(id: UInt32) async throws -> Project? { state.withLock { $0.projects[id] } }
    func projects(afterID: UInt32, limit: Int) async throws -> [Project] { state.withLock { Array($0.projects.values) } }
    func stages(projectID: UInt32) async throws -> [Stage] { state.withLock { $0.stages[projectID] ?? [] } }
    func projectMembers(projectID: UInt32) async throws -> [ProjectMember] {
        state.withLock { ($0.members[projectID] ?? [:]).values.sorted { $0.partner.id < $1.partner.id } }
    }

    func addStage(projectID: UInt32, _ stage: Stage, at position: Int?) async throws -> Stage {
        state.withLock { state in
            var stage = stage
            stage.id = state.nextID
            state.nextID += 1
            stage.projectID = projectID
            var stages = state.stages[projectID] ?? []
            stages.insert(stage, at: min(position ?? stages.count, stages.count))
            state.stages[projectID] = stages.enumerated().map { index, stage in
                var stage = stage
                stage.position = index
                return stage
            }
            return state.stages[projectID]!.first { $0.id == stage.id }!
        }
    }

    func updateStage(projectID: UInt32, stageID: UInt32, _ change: @escaping @Sendable (inout Stage) throws -> Void) async throws -> Stage {
        try state.withLock { state in
            guard let index = state.stages[projectID]?.firstIndex(where: { $0.id == stageID }) else { throw StoreError(.notFound, "no stage") }
            try change(&state.stages[projectID]![index])
            return state.stages[projectID]![index]
        }
    }

    func deleteStage(projectID: UInt32, stageID: UInt32) async throws -> StageDeletion { StageDeletion(movedTo: nil, movedMembers: 0) }

    func enterProject(projectID: UInt32, partnerIDs: [UInt32]) async throws -> [ProjectEntry] {
        var entries: [ProjectEntry] = []
        for id in partnerIDs {
            guard let partner = try await catalogue.partner(id: id) else { throw StoreError(.notFound, "no partner") }
            entries.append(state.withLock { state in
                if let member = state.members[projectID]?[id] { return ProjectEntry(member: member, entered: false) }
                let member = ProjectMember(partner: partner, stageID: state.stages[projectID]![0].id, enteredAt: 0)
                state.members[projectID, default: [:]][id] = member
                return ProjectEntry(member: member, entered: true)
            })
        }
        return entries
    }

    func moveMembers(projectID: UInt32, partnerIDs: [UInt32], to stageID: UInt32) async throws -> [ProjectMember] {
        state.withLock { state in
            partnerIDs.compactMap { id in
                state.members[projectID]?[id]?.stageID = stageID
                return state.members[projectID]?[id]
            }
        }
    }

    func generate(projectID: UInt32, stageID: UInt32, partnerIDs: [UInt32]?, terms: MemberTerms,
                  credentials: MemberCredentials) async throws -> [Generation] {
        let (stage, next, chosen) = state.withLock { state in
            let stages = state.stages[projectID]!
            let index = stages.firstIndex { $0.id == stageID }!
            let inStage = (state.members[projectID] ?? [:]).values.filter { $0.stageID == stageID }.map(\.partner.id).sorted()
            return (stages[index], index + 1 < stages.count ? stages[index + 1].id : stageID, partnerIDs ?? inStage)
        }
        let additions = try await catalogue.addMembers(offerID: stage.offerID!, partnerIDs: chosen, terms: terms, credentials: credentials)
        _ = try await moveMembers(projectID: projectID, partnerIDs: chosen, to: next)
        return additions.map { Generation(member: $0.member, created: $0.created, stageID: next) }
    }

    // The catalogue's parts, from the in-memory catalogue.
    func createOffer(_ offer: Offer) async throws -> Offer { try await catalogue.createOffer(offer) }
    func offer(id: UInt32) async throws -> Offer? { try await catalogue.offer(id: id) }
    func offers(_ query: OfferQuery) async throws -> [Offer] { try await catalogue.offers(query) }
    func updateOffer(id: UInt32, _ change: @escaping @Sendable (inout Offer) throws -> Void) async throws -> Offer {
        try await catalogue.updateOffer(id: id, change)
    }
    func createLink(_ link: TrackingLink) async throws -> TrackingLink { try await catalogue.createLink(link) }
    func links(offerID: UInt32) async throws -> [TrackingLink] { try await catalogue.links(offerID: offerID) }
    func link(code: Code) async throws -> TrackingLink? { try await catalogue.link(code: code) }
    func link(id: UInt32) async throws -> TrackingLink? { try await catalogue.link(id: id) }
    func updateLink(id: UInt32, _ change: @escaping @Sendable (inout TrackingLink) throws -> Void) async throws -> TrackingLink {
        try await catalogue.updateLink(id: id, change)
    }
    func links(forMember partnerID: UInt32) async throws -> [PartnerLink] { [] }
    func createPartner(_ partner: Partner, tokenHash: [UInt8]?) async throws -> Partner { try await catalogue.createPartner(partner, tokenHash: tokenHash) }
    func partner(id: UInt32) async throws -> Partner? { try await catalogue.partner(id: id) }
    func partner(code: Code) async throws -> Partner? { try await catalogue.partner(code: code) }
    func partner(tokenHash: [UInt8]) async throws -> Partner? { try await catalogue.partner(tokenHash: tokenHash) }
    func partners(_ query: PartnerQuery) async throws -> [Partner] { try await catalogue.partners(query) }
    func updatePartner(id: UInt32, _ change: @escaping @Sendable (inout Partner) throws -> Void) async throws -> Partner {
        try await catalogue.updatePartner(id: id, change)
    }
    func setPartnerTokenHash(partnerID: UInt32, hash: [UInt8]) async throws { try await catalogue.setPartnerTokenHash(partnerID: partnerID, hash: hash) }
}

@Suite("Use cases: projects")
struct ProjectWorkflowTests {
    @Test func stagesMustGenerateWithAnOfferOfTheirKind() async throws {
        let store = InMemoryProjects()
        let workflow = ProjectWorkflow(store: store)
        let links = try await store.createOffer(Offer(name: "Links", destination: try Destination(validating: "https://shop.example.com/")))
        let codes = try await store.createOffer(Offer(name: "Codes", type: .promoCode))
        await UseCaseTests.expectRefusal(.invalid, field: "stages.1.offer_id") {
            _ = try await workflow.create(Project(name: "P"), stages: [Stage(name: "Sign-up", kind: .custom),
                                                                       Stage(name: "Links", kind: .generateLinks, offerID: codes.id)])
        }
        await UseCaseTests.expectRefusal(.invalid, field: "stages.0.offer_id") {
            _ = try await workflow.create(Project(name: "P"), stages: [Stage(name: "Links", kind: .generateLinks, offerID: 404)])
        }
        let project = try await workflow.create(Project(name: "P"), stages: [Stage(name: "Links", kind: .generateLinks, offerID: links.id)])
        let stage = try #require(try await store.stages(projectID: project.id).first)
        await UseCaseTests.expectRefusal(.invalid, field: "offer_id") {
            _ = try await workflow.update(stageID: stage.id, of: project) { $0.offerID = codes.id }
        }
        #expect(try await store.stages(projectID: project.id).first?.offerID == links.id, "the refused change changed nothing")
    }

    @Test func generatingIsRefusedUntilItCanBeDoneAndThenMovesMembersOn() async throws {
        let store = InMemoryProjects()
        let workflow = ProjectWorkflow(store: store)
        let offer = try await store.createOffer(Offer(name: "Spring", destination: try Destination(validating: "https://shop.example.com/")))
        let project = try await workflow.create(Project(name: "Spring"), stages: [
            Stage(name: "Sign-up", kind: .custom), Stage(name: "Links", kind: .generateLinks), Stage(name: "Live", kind: .custom),
        ])
        let stages = try await store.stages(projectID: project.id)
        let paula = try await store.createPartner(Partner(name: "Paula", code: Code("paula")!), tokenHash: nil)
        let carl = try await store.createPartner(Partner(name: "Carl", code: Code("carl")!), tokenHash: nil)

        await UseCaseTests.expectRefusal(.invalid, field: "partner_ids") { _ = try await workflow.enter([paula.id, 404], into: project) }
        let entries = try await workflow.enter([paula.id, carl.id], into: project)
        #expect(entries.map(\.member.stageID) == [stages[0].id, stages[0].id])
        await UseCaseTests.expectRefusal(.invalid, field: "stage_id") { _ = try await workflow.move([paula.id], of: project, to: 404) }
        let stranger = try await store.createPartner(Partner(name: "Sam", code: Code("sam")!), tokenHash: nil)
        await UseCaseTests.expectRefusal(.invalid, field: "partner_ids") { _ = try await workflow.move([stranger.id], of: project, to: stages[1].id) }
        _ = try await workflow.move([paula.id], of: project, to: stages[1].id)

        await UseCaseTests.expectRefusal(.invalid, reason: "custom_stage") {
            _ = try await workflow.generate(at: stages[0].id, of: project, for: nil, terms: MemberTerms())
        }
        await UseCaseTests.expectRefusal(.invalid, reason: "offer_not_set_up") {
            _ = try await workflow.generate(at: stages[1].id, of: project, for: nil, terms: MemberTerms())
        }
        _ = try await workflow.update(stageID: stages[1].id, of: project) { $0.offerID = offer.id }
        await UseCaseTests.expectRefusal(.invalid, reason: "no_link") {
            _ = try await workflow.generate(at: stages[1].id, of: project, for: nil, terms: MemberTerms())
        }
        _ = try await Catalogue(store: store).addLink(Code("spring")!, to: offer, destination: nil)
        await UseCaseTests.expectRefusal(.invalid, field: "partner_ids") {
            _ = try await workflow.generate(at: stages[1].id, of: project, for: [carl.id], terms: MemberTerms())
        }

        let generated = try await workflow.generate(at: stages[1].id, of: project, for: nil, terms: MemberTerms())
        #expect(generated.link?.code == Code("spring"))
        #expect(generated.generations.map(\.member.partner.id) == [paula.id] && generated.generations.map(\.created) == [true])
        #expect(generated.generations.first?.member.promoCode == nil, "a link offer's members get no code")
        #expect(generated.generations.map(\.stageID) == [stages[2].id], "moved on to the next stage")
    }
}
