import ClickModel
import Domain

/// Projects, their stages and members, the same on SQLite and PostgreSQL.
/// Each function runs inside the caller's transaction; `ProjectStore` gives the contract.
public enum ProjectsSQL {
    public static func createProject(_ db: some SQLConnection, _ project: Project, stages: [Stage], now: Int64) throws -> Project {
        let id = try CatalogueSQL.returnedID(try db.row("INSERT INTO projects (name, created_at) VALUES (?, ?) RETURNING id",
                                                        [.text(project.name), .integer(now)]))
        for (position, stage) in stages.enumerated() {
            try insertStage(db, projectID: id, stage, position: position)
        }
        guard let created = try self.project(db, id: id) else { throw StoreError(.unavailable, "the new project cannot be read back") }
        return created
    }

    public static func project(_ db: some SQLConnection, id: UInt32) throws -> Project? {
        try db.row("SELECT id, name, created_at FROM projects WHERE id = ?", [.integer(Int64(id))]).map(project(from:))
    }

    public static func projects(_ db: some SQLConnection, afterID: UInt32, limit: Int) throws -> [Project] {
        try db.rows("SELECT id, name, created_at FROM projects WHERE id > ? ORDER BY id LIMIT ?", [.integer(Int64(afterID)), SQLValue(limit)])
            .map(project(from:))
    }

    public static func stages(_ db: some SQLConnection, projectID: UInt32) throws -> [Stage] {
        try db.rows("SELECT id, project_id, name, kind, offer_id, position FROM project_stages WHERE project_id = ? ORDER BY position",
                    [.integer(Int64(projectID))]).map { row in
            Stage(id: try row.id(0), projectID: try row.id(1), name: try row.text(2), kind: StageKind(rawValue: try row.text(3)) ?? .custom,
                  offerID: try row.optionalID(4), position: try row.int(5))
        }
    }

    static let memberSelect = """
        SELECT pm.stage_id, pm.entered_at, \(CatalogueSQL.partnerColumns) FROM project_members pm JOIN partners p ON p.id = pm.partner_id
        """

    public static func members(_ db: some SQLConnection, projectID: UInt32) throws -> [ProjectMember] {
        try db.rows("\(memberSelect) WHERE pm.project_id = ? ORDER BY pm.partner_id", [.integer(Int64(projectID))]).compactMap(member(from:))
    }

    static func member(_ db: some SQLConnection, projectID: UInt32, partnerID: UInt32) throws -> ProjectMember? {
        try db.row("\(memberSelect) WHERE pm.project_id = ? AND pm.partner_id = ?", [.integer(Int64(projectID)), .integer(Int64(partnerID))])
            .flatMap(member(from:))
    }

    public static func addStage(_ db: some SQLConnection, projectID: UInt32, _ stage: Stage, at position: Int?) throws -> Stage {
        var order = try existingStages(db, projectID: projectID).map(\.id)
        let id = try insertStage(db, projectID: projectID, stage, position: order.count)
        order.insert(id, at: min(max(position ?? order.count, 0), order.count))
        try renumber(db, projectID: projectID, order)
        return try existingStage(db, projectID: projectID, id: id)
    }

    public static func updateStage(_ db: some SQLConnection, projectID: UInt32, stageID: UInt32,
                                   _ change: (inout Stage) throws -> Void) throws -> Stage {
        let stages = try existingStages(db, projectID: projectID)
        guard let before = stages.first(where: { $0.id == stageID }) else { throw noStage(stageID, projectID) }
        var after = before
        try change(&after)
        try checkOffer(db, after)
        try db.execute("UPDATE project_stages SET name = ?, kind = ?, offer_id = ? WHERE id = ?",
                       [.text(after.name), .text(after.kind.rawValue), SQLValue(after.offerID), .integer(Int64(stageID))])
        if after.position != before.position {
            var order = stages.map(\.id).filter { $0 != stageID }
            order.insert(stageID, at: min(max(after.position, 0), order.count))
            try renumber(db, projectID: projectID, order)
        }
        return try existingStage(db, projectID: projectID, id: stageID)
    }

    public static func deleteStage(_ db: some SQLConnection, projectID: UInt32, stageID: UInt32, now: Int64) throws -> StageDeletion {
        let stages = try existingStages(db, projectID: projectID)
        guard let index = stages.firstIndex(where: { $0.id == stageID }) else { throw noStage(stageID, projectID) }
        let members = try db.row("SELECT COUNT(*) FROM project_members WHERE stage_id = ?", [.integer(Int64(stageID))])?.int(0) ?? 0
        var movedTo: UInt32?
        if members > 0 {
            // The stage after it takes them in; the one before when it was the last.
            let heir = index + 1 < stages.count ? index + 1 : index - 1
            guard heir >= 0 else {
                throw StoreError(.conflict, "stage \(stageID) is the project's only stage and has \(members) members; move them first")
            }
            movedTo = stages[heir].id
            try db.execute("UPDATE project_members SET stage_id = ?, entered_at = ? WHERE stage_id = ?",
                           [.integer(Int64(stages[heir].id)), .integer(now), .integer(Int64(stageID))])
        }
        try db.execute("DELETE FROM project_stages WHERE id = ?", [.integer(Int64(stageID))])
        try renumber(db, projectID: projectID, stages.map(\.id).filter { $0 != stageID })
        return StageDeletion(movedTo: movedTo, movedMembers: members)
    }

    public static func enter(_ db: some SQLConnection, projectID: UInt32, partnerIDs: [UInt32], now: Int64) throws -> [ProjectEntry] {
        guard let first = try existingStages(db, projectID: projectID).first else {
            throw StoreError(.conflict, "project \(projectID) has no stages to enter")
        }
        var entries: [ProjectEntry] = []
        var seen = Set<UInt32>()
        for partnerID in partnerIDs where seen.insert(partnerID).inserted {
            guard try CatalogueSQL.partner(db, id: partnerID) != nil else { throw StoreError(.notFound, "partner \(partnerID) does not exist") }
            if let member = try member(db, projectID: projectID, partnerID: partnerID) {
                entries.append(ProjectEntry(member: member, entered: false))
                continue
            }
            try db.execute("INSERT INTO project_members (project_id, partner_id, stage_id, entered_at) VALUES (?, ?, ?, ?)",
                           [.integer(Int64(projectID)), .integer(Int64(partnerID)), .integer(Int64(first.id)), .integer(now)])
            entries.append(ProjectEntry(member: try existingMember(db, projectID: projectID, partnerID: partnerID), entered: true))
        }
        return entries
    }

    public static func move(_ db: some SQLConnection, projectID: UInt32, partnerIDs: [UInt32], to stageID: UInt32,
                            now: Int64) throws -> [ProjectMember] {
        guard try existingStages(db, projectID: projectID).contains(where: { $0.id == stageID }) else { throw noStage(stageID, projectID) }
        var moved: [ProjectMember] = []
        var seen = Set<UInt32>()
        for partnerID in partnerIDs where seen.insert(partnerID).inserted {
            guard let member = try member(db, projectID: projectID, partnerID: partnerID) else {
                throw StoreError(.invalid, "partner \(partnerID) is not in project \(projectID)")
            }
            if member.stageID != stageID { try move(db, projectID: projectID, partnerID: partnerID, to: stageID, now: now) }
            moved.append(try existingMember(db, projectID: projectID, partnerID: partnerID))
        }
        return moved
    }

    public static func generate(_ db: some SQLConnection, projectID: UInt32, stageID: UInt32, partnerIDs: [UInt32]?, terms: MemberTerms,
                                credentials: MemberCredentials, urls: MemberURLs, now: Int64) throws -> [Generation] {
        let stages = try existingStages(db, projectID: projectID)
        guard let index = stages.firstIndex(where: { $0.id == stageID }) else { throw noStage(stageID, projectID) }
        let stage = stages[index]
        guard stage.kind != .custom else {
            throw StoreError(.invalid, "stage \(stageID) is a custom stage; only generate_links and generate_promo_codes stages generate")
        }
        guard let offerID = stage.offerID else { throw StoreError(.invalid, "stage \(stageID) has no offer yet; set one up first") }
        try checkOffer(db, stage)
        let inStage = try members(db, projectID: projectID).filter { $0.stageID == stageID }.map(\.partner.id)
        let chosen = partnerIDs ?? inStage
        let present = Set(inStage)
        for partnerID in chosen where !present.contains(partnerID) {
            throw StoreError(.invalid, "partner \(partnerID) is not in stage \(stageID)")
        }
        let additions = try CatalogueSQL.addMembers(db, offerID: offerID, partnerIDs: chosen, terms: terms, credentials: credentials,
                                                    urls: urls, now: now)
        let next = index + 1 < stages.count ? stages[index + 1].id : stageID
        return try additions.map { addition in
            if next != stageID { try move(db, projectID: projectID, partnerID: addition.member.partner.id, to: next, now: now) }
            return Generation(member: addition.member, created: addition.created, stageID: next)
        }
    }

    // MARK: helpers

    static func project(from row: SQLRow) throws -> Project {
        Project(id: try row.id(0), name: try row.text(1), createdAt: try row.int64(2))
    }

    static func member(from row: SQLRow) throws -> ProjectMember? {
        guard let partner = try CatalogueSQL.partner(from: row, offset: 2) else { return nil }
        return ProjectMember(partner: partner, stageID: try row.id(0), enteredAt: try row.int64(1))
    }

    static func existingMember(_ db: some SQLConnection, projectID: UInt32, partnerID: UInt32) throws -> ProjectMember {
        guard let member = try member(db, projectID: projectID, partnerID: partnerID) else {
            throw StoreError(.unavailable, "partner \(partnerID)'s place in project \(projectID) cannot be read back")
        }
        return member
    }

    /// The stages of a project that must exist.
    static func existingStages(_ db: some SQLConnection, projectID: UInt32) throws -> [Stage] {
        guard try project(db, id: projectID) != nil else { throw StoreError(.notFound, "project \(projectID) does not exist") }
        return try stages(db, projectID: projectID)
    }

    static func existingStage(_ db: some SQLConnection, projectID: UInt32, id: UInt32) throws -> Stage {
        guard let stage = try stages(db, projectID: projectID).first(where: { $0.id == id }) else { throw noStage(id, projectID) }
        return stage
    }

    static func noStage(_ stageID: UInt32, _ projectID: UInt32) -> StoreError {
        StoreError(.notFound, "project \(projectID) has no stage \(stageID)")
    }

    /// A generating stage's offer exists and is of the type it generates; a custom stage has none.
    static func checkOffer(_ db: some SQLConnection, _ stage: Stage) throws {
        guard let offerID = stage.offerID else { return }
        guard let type = stage.kind.offerType else { throw StoreError(.invalid, "a custom stage has no offer") }
        guard let offer = try CatalogueSQL.offer(db, id: offerID) else { throw StoreError(.invalid, "offer \(offerID) does not exist") }
        guard offer.type == type else {
            throw StoreError(.invalid, "a \(stage.kind.rawValue) stage needs a \(type.rawValue) offer; offer \(offerID) is a \(offer.type.rawValue) offer")
        }
    }

    @discardableResult
    static func insertStage(_ db: some SQLConnection, projectID: UInt32, _ stage: Stage, position: Int) throws -> UInt32 {
        try checkOffer(db, stage)
        return try CatalogueSQL.returnedID(try db.row(
            "INSERT INTO project_stages (project_id, name, kind, offer_id, position) VALUES (?, ?, ?, ?, ?) RETURNING id",
            [.integer(Int64(projectID)), .text(stage.name), .text(stage.kind.rawValue), SQLValue(stage.offerID), SQLValue(position)]))
    }

    /// Gives the stages positions 0, 1, 2... in the order given (through
    /// negative positions, as each position is unique within its project).
    static func renumber(_ db: some SQLConnection, projectID: UInt32, _ order: [UInt32]) throws {
        try db.execute("UPDATE project_stages SET position = -1 - position WHERE project_id = ?", [.integer(Int64(projectID))])
        for (position, id) in order.enumerated() {
            try db.execute("UPDATE project_stages SET position = ? WHERE id = ?", [SQLValue(position), .integer(Int64(id))])
        }
    }

    static func move(_ db: some SQLConnection, projectID: UInt32, partnerID: UInt32, to stageID: UInt32, now: Int64) throws {
        try db.execute("UPDATE project_members SET stage_id = ?, entered_at = ? WHERE project_id = ? AND partner_id = ?",
                       [.integer(Int64(stageID)), .integer(now), .integer(Int64(projectID)), .integer(Int64(partnerID))])
    }
}
