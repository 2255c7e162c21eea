import ClickModel
import Domain
import Foundation
import Store
import StorePostgres
import StoreSQLite
import StoreTesting
import Testing

/// What projects must do on either database.
enum ProjectContract {
    typealias Projects = ProjectStore & CatalogueWriter

    /// Stages keep their order through adding, moving and deleting; members
    /// enter the first stage, move, and go on to the next stage when generated.
    static func aProjectFromEntryToGeneratedCodes(_ store: SQLStore) async throws {
        let offer = try await store.createOffer(Offer(name: "Codes", type: .promoCode)).id
        let jane = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        let zoe = try await store.createPartner(Partner(name: "Zoë", code: Code("zoe")!), tokenHash: nil).id
        let project = try await store.createProject(Project(name: "Spring"), stages: [
            Stage(name: "Contacted", kind: .custom), Stage(name: "Codes", kind: .generatePromoCodes, offerID: offer),
        ])
        var stages = try await store.stages(projectID: project.id)
        #expect(stages.map(\.name) == ["Contacted", "Codes"] && stages.map(\.position) == [0, 1])
        let signed = try await store.addStage(projectID: project.id, Stage(name: "Signed", kind: .custom), at: 1)
        stages = try await store.stages(projectID: project.id)
        #expect(stages.map(\.name) == ["Contacted", "Signed", "Codes"] && signed.position == 1)

        let entries = try await store.enterProject(projectID: project.id, partnerIDs: [jane, zoe, jane])
        #expect(entries.map(\.entered) == [true, true] && entries.allSatisfy { $0.member.stageID == stages[0].id })
        #expect(try await store.enterProject(projectID: project.id, partnerIDs: [jane]).map(\.entered) == [false])
        _ = try await store.moveMembers(projectID: project.id, partnerIDs: [jane, zoe], to: stages[2].id)
        let generated = try await store.generate(projectID: project.id, stageID: stages[2].id, partnerIDs: [zoe], terms: MemberTerms(),
                                           credentials: MemberCredentials(dashboardToken: CatalogueContract.token, promoCode: { _, _ in "ZOE10" }))
        #expect(generated.map(\.created) == [true] && generated[0].member.promoCode == "ZOE10")
        #expect(generated[0].stageID == stages[2].id, "the last stage keeps its members")
        #expect(try await store.member(offerID: offer, partnerID: zoe)?.promoCode == "ZOE10")
        #expect(try await store.member(offerID: offer, partnerID: jane) == nil, "only those named are generated")

        _ = try await store.updateStage(projectID: project.id, stageID: stages[2].id) { $0.position = 0 }
        #expect(try await store.stages(projectID: project.id).map(\.name) == ["Codes", "Contacted", "Signed"])
        let deletion = try await store.deleteStage(projectID: project.id, stageID: stages[2].id)
        #expect(deletion.movedMembers == 2 && deletion.movedTo == stages[0].id)
        #expect(try await store.stages(projectID: project.id).map(\.position) == [0, 1])
        #expect(try await store.projectMembers(projectID: project.id).allSatisfy { $0.stageID == stages[0].id })
        #expect(try await store.projects(afterID: 0, limit: 10).map(\.name) == ["Spring"])
    }

    /// Refusals: a stage bound to an offer of the wrong type, generating in a
    /// custom stage or for someone not in the stage, a project's only stage
    /// with members, partners and projects that do not exist.
    static func refusalsSayWhy(_ store: SQLStore) async throws {
        let linkOffer = try await store.createOffer(Offer(name: "Links")).id
        let jane = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        await #expect { _ = try await store.createProject(Project(name: "P"), stages: [Stage(name: "Codes", kind: .generatePromoCodes, offerID: linkOffer)]) }
            throws: { ($0 as? StoreError)?.code == .invalid }
        let project = try await store.createProject(Project(name: "P"), stages: [Stage(name: "Only", kind: .custom)])
        let only = try await store.stages(projectID: project.id)[0].id
        _ = try await store.enterProject(projectID: project.id, partnerIDs: [jane])
        await #expect { _ = try await store.generate(projectID: project.id, stageID: only, partnerIDs: nil, terms: MemberTerms(),
                                         credentials: MemberCredentials(dashboardToken: CatalogueContract.token, promoCode: nil)) }
            throws: { ($0 as? StoreError)?.code == .invalid }
        await #expect { _ = try await store.deleteStage(projectID: project.id, stageID: only) } throws: { ($0 as? StoreError)?.code == .conflict }
        await #expect { _ = try await store.enterProject(projectID: project.id, partnerIDs: [999]) } throws: { ($0 as? StoreError)?.code == .notFound }
        #expect(try await store.project(id: 999) == nil)
        await #expect { _ = try await store.addStage(projectID: 999, Stage(name: "S", kind: .custom), at: nil) } throws: {
            ($0 as? StoreError)?.code == .notFound
        }
        await #expect { _ = try await store.moveMembers(projectID: project.id, partnerIDs: [jane], to: 999) } throws: {
            ($0 as? StoreError)?.code == .notFound
        }
    }
}

@Suite("Project contract: SQLite")
struct SQLiteProjectContract {
    func withStore(_ body: (SQLStore) async throws -> Void) async throws {
        try await TestStores.sqlite { store, _ in try await body(store) }
    }

    @Test func aProjectFromEntryToGeneratedCodes() async throws { try await withStore(ProjectContract.aProjectFromEntryToGeneratedCodes) }
    @Test func refusalsSayWhy() async throws { try await withStore(ProjectContract.refusalsSayWhy) }
}

@Suite("Project contract: PostgreSQL", .needsPostgres)
struct PostgresProjectContract {
    func withStore(_ body: (SQLStore) async throws -> Void) async throws {
        try await TestStores.postgres { store, _ in try await body(store) }
    }

    @Test func aProjectFromEntryToGeneratedCodes() async throws { try await withStore(ProjectContract.aProjectFromEntryToGeneratedCodes) }
    @Test func refusalsSayWhy() async throws { try await withStore(ProjectContract.refusalsSayWhy) }
}
