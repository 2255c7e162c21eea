import Domain

/// Partners moving through a project's stages (SPEC section 8): entering it,
/// being moved, and at a sales-tracking stage being given their link or code
/// and moved on.
public struct ProjectWorkflow: Sendable {
    public typealias Store = ProjectStore & OfferStore & LinkStore & PartnerStore

    /// A generating stage's step for the members of it, and the offer it gave them a place in.
    public struct Generated: Sendable {
        public var offer: Offer
        /// The offer's tracking link, for link offers.
        public var link: TrackingLink?
        public var generations: [Generation]
    }

    let store: any Store

    public init(store: any Store) {
        self.store = store
    }

    /// Creates a project with its stages, in order; each generating stage's offer must exist and be of the type it generates.
    public func create(_ project: Project, stages: [Stage]) async throws -> Project {
        for (index, stage) in stages.enumerated() { try await checkOffer(of: stage, field: "stages.\(index).offer_id") }
        return try await store.createProject(project, stages: stages)
    }

    /// Inserts a stage at `position` (0-based; last when nil).
    public func add(_ stage: Stage, to project: Project, at position: Int?) async throws -> Stage {
        try await checkOffer(of: stage, field: "offer_id")
        return try await store.addStage(projectID: project.id, stage, at: position)
    }

    /// Changes a stage by `change`: its name, its offer, its position.
    public func update(stageID: UInt32, of project: Project, _ change: @escaping @Sendable (inout Stage) throws -> Void) async throws -> Stage {
        // The changed stage's offer is checked first, so that a wrong one is
        // named by its field; the store checks it again inside the update.
        if var changed = try await store.stages(projectID: project.id).first(where: { $0.id == stageID }) {
            try change(&changed)
            try await checkOffer(of: changed, field: "offer_id")
        }
        return try await store.updateStage(projectID: project.id, stageID: stageID, change)
    }

    /// Puts partners into the project's first stage; those in it already stay where they are.
    public func enter(_ partnerIDs: [UInt32], into project: Project) async throws -> [ProjectEntry] {
        try await requirePartners(partnerIDs)
        return try await store.enterProject(projectID: project.id, partnerIDs: partnerIDs)
    }

    /// Moves members of the project to one of its stages; nobody moves unless all can.
    public func move(_ partnerIDs: [UInt32], of project: Project, to stageID: UInt32) async throws -> [ProjectMember] {
        guard try await store.stages(projectID: project.id).contains(where: { $0.id == stageID }) else {
            throw DomainError.invalid("stage_id", "project \(project.id) has no stage \(stageID)")
        }
        let present = Set(try await store.projectMembers(projectID: project.id).map(\.partner.id))
        if let missing = partnerIDs.first(where: { !present.contains($0) }) {
            throw DomainError.invalid("partner_ids", "partner \(missing) is not in project \(project.id); nobody was moved")
        }
        return try await store.moveMembers(projectID: project.id, partnerIDs: partnerIDs, to: stageID)
    }

    /// Makes each chosen member of a generating stage (all of them when nil)
    /// a member of the stage's offer, with its link or code, and moves it on
    /// to the next stage; a member who had one already keeps it and moves on
    /// all the same. Nothing is done unless all of it is.
    public func generate(at stageID: UInt32, of project: Project, for partnerIDs: [UInt32]?, terms: MemberTerms) async throws -> Generated {
        guard let stage = try await store.stages(projectID: project.id).first(where: { $0.id == stageID }) else {
            throw DomainError.notFound("project \(project.id) has no stage \(stageID)")
        }
        guard stage.kind != .custom else {
            throw DomainError(.invalid, "stage \(stageID) is a custom stage; only generate_links and generate_promo_codes stages generate",
                              reason: "custom_stage")
        }
        guard let offerID = stage.offerID, let offer = try await store.offer(id: offerID) else {
            throw DomainError(.invalid, "stage \(stageID) has no offer yet; set one up with PATCH first", reason: "offer_not_set_up")
        }
        let link = try await store.links(offerID: offer.id).first
        if offer.type == .link && link == nil {
            throw DomainError(.invalid, "offer \(offer.id) has no tracking link yet; add one first", reason: "no_link")
        }
        if let partnerIDs {
            let inStage = Set(try await store.projectMembers(projectID: project.id).filter { $0.stageID == stageID }.map(\.partner.id))
            if let missing = partnerIDs.first(where: { !inStage.contains($0) }) {
                throw DomainError.invalid("partner_ids", "partner \(missing) is not in stage \(stageID); nothing was generated")
            }
        }
        let generations = try await store.generate(projectID: project.id, stageID: stageID, partnerIDs: partnerIDs, terms: terms,
                                                   credentials: Memberships.credentials(for: offer))
        return Generated(offer: offer, link: link, generations: generations)
    }

    /// A generating stage's offer exists and is of the type the stage generates.
    private func checkOffer(of stage: Stage, field: String) async throws {
        guard let offerID = stage.offerID, let type = stage.kind.offerType else { return }
        guard let offer = try await store.offer(id: offerID) else { throw DomainError.invalid(field, "offer \(offerID) does not exist") }
        guard offer.type == type else {
            throw DomainError.invalid(
                field, "a \(stage.kind.rawValue) stage needs a \(type.rawValue) offer; offer \(offerID) is a \(offer.type.rawValue) offer")
        }
    }

    private func requirePartners(_ ids: [UInt32]) async throws {
        for id in ids where try await store.partner(id: id) == nil {
            throw DomainError.invalid("partner_ids", "partner \(id) does not exist; nobody was added")
        }
    }
}
