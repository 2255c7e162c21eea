import ClickModel
import GRDB
import Store

extension SQLiteStore: ProjectStore {
    public func createProject(_ project: Project, stages: [Stage]) throws -> Project {
        try write { db in
            try db.execute(sql: "INSERT INTO projects (name, created_at) VALUES (?, ?)", arguments: [project.name, Self.now()])
            let id = UInt32(db.lastInsertedRowID)
            for (position, stage) in stages.enumerated() {
                try Self.insertStage(db, projectID: id, stage, position: position)
            }
            return try Self.fetchProject(db, id: id)!
        }
    }

    public func project(id: UInt32) throws -> Project? {
        try read { db in try Self.fetchProject(db, id: id) }
    }

    public func projects(afterID: UInt32, limit: Int) throws -> [Project] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, created_at FROM projects WHERE id > ? ORDER BY id LIMIT ?",
                             arguments: [Int64(afterID), limit]).map(Self.project(from:))
        }
    }

    public func stages(projectID: UInt32) throws -> [Stage] {
        try read { db in try Self.fetchStages(db, projectID: projectID) }
    }

    public func projectMembers(projectID: UInt32) throws -> [ProjectMember] {
        try read { db in try Self.fetchProjectMembers(db, projectID: projectID) }
    }

    public func addStage(projectID: UInt32, _ stage: Stage, at position: Int?) throws -> Stage {
        try write { db in
            var order = try Self.existingStages(db, projectID: projectID).map(\.id)
            let id = try Self.insertStage(db, projectID: projectID, stage, position: order.count)
            order.insert(id, at: min(max(position ?? order.count, 0), order.count))
            try Self.renumber(db, projectID: projectID, order)
            return try Self.fetchStage(db, projectID: projectID, id: id)!
        }
    }

    public func updateStage(projectID: UInt32, stageID: UInt32, _ change: (inout Stage) throws -> Void) throws -> Stage {
        try write { db in
            let stages = try Self.existingStages(db, projectID: projectID)
            guard let before = stages.first(where: { $0.id == stageID }) else { throw Self.noStage(stageID, projectID) }
            var after = before
            try change(&after)
            try Self.checkOffer(db, after)
            try db.execute(sql: "UPDATE project_stages SET name = ?, kind = ?, offer_id = ? WHERE id = ?",
                           arguments: [after.name, after.kind.rawValue, after.offerID.map { Int64($0) }, Int64(stageID)])
            if after.position != before.position {
                var order = stages.map(\.id).filter { $0 != stageID }
                order.insert(stageID, at: min(max(after.position, 0), order.count))
                try Self.renumber(db, projectID: projectID, order)
            }
            return try Self.fetchStage(db, projectID: projectID, id: stageID)!
        }
    }

    public func deleteStage(projectID: UInt32, stageID: UInt32) throws -> StageDeletion {
        try write { db in
            let stages = try Self.existingStages(db, projectID: projectID)
            guard let index = stages.firstIndex(where: { $0.id == stageID }) else { throw Self.noStage(stageID, projectID) }
            let members = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM project_members WHERE stage_id = ?", arguments: [Int64(stageID)]) ?? 0
            var movedTo: UInt32?
            if members > 0 {
                // The stage after it takes them in; the one before when it was the last.
                let heir = index + 1 < stages.count ? index + 1 : index - 1
                guard heir >= 0 else {
                    throw StoreError(.conflict, "stage \(stageID) is the project's only stage and has \(members) members; move them first")
                }
                movedTo = stages[heir].id
                try db.execute(sql: "UPDATE project_members SET stage_id = ?, entered_at = ? WHERE stage_id = ?",
                               arguments: [Int64(stages[heir].id), Self.now(), Int64(stageID)])
            }
            try db.execute(sql: "DELETE FROM project_stages WHERE id = ?", arguments: [Int64(stageID)])
            try Self.renumber(db, projectID: projectID, stages.map(\.id).filter { $0 != stageID })
            return StageDeletion(movedTo: movedTo, movedMembers: members)
        }
    }

    public func enterProject(projectID: UInt32, partnerIDs: [UInt32]) throws -> [ProjectEntry] {
        try write { db in
            guard let first = try Self.existingStages(db, projectID: projectID).first else {
                throw StoreError(.conflict, "project \(projectID) has no stages to enter")
            }
            var entries: [ProjectEntry] = []
            var seen = Set<UInt32>()
            for partnerID in partnerIDs where seen.insert(partnerID).inserted {
                guard try Self.fetchPartner(db, id: partnerID) != nil else { throw StoreError(.notFound, "partner \(partnerID) does not exist") }
                if let member = try Self.fetchProjectMember(db, projectID: projectID, partnerID: partnerID) {
                    entries.append(ProjectEntry(member: member, entered: false))
                    continue
                }
                try db.execute(sql: "INSERT INTO project_members (project_id, partner_id, stage_id, entered_at) VALUES (?, ?, ?, ?)",
                               arguments: [Int64(projectID), Int64(partnerID), Int64(first.id), Self.now()])
                entries.append(ProjectEntry(member: try Self.fetchProjectMember(db, projectID: projectID, partnerID: partnerID)!, entered: true))
            }
            return entries
        }
    }

    public func moveMembers(projectID: UInt32, partnerIDs: [UInt32], to stageID: UInt32) throws -> [ProjectMember] {
        try write { db in
            guard try Self.existingStages(db, projectID: projectID).contains(where: { $0.id == stageID }) else {
                throw Self.noStage(stageID, projectID)
            }
            var moved: [ProjectMember] = []
            var seen = Set<UInt32>()
            for partnerID in partnerIDs where seen.insert(partnerID).inserted {
                guard let member = try Self.fetchProjectMember(db, projectID: projectID, partnerID: partnerID) else {
                    throw StoreError(.invalid, "partner \(partnerID) is not in project \(projectID)")
                }
                if member.stageID != stageID {
                    try Self.move(db, projectID: projectID, partnerID: partnerID, to: stageID)
                }
                moved.append(try Self.fetchProjectMember(db, projectID: projectID, partnerID: partnerID)!)
            }
            return moved
        }
    }

    public func generate(projectID: UInt32, stageID: UInt32, partnerIDs: [UInt32]?, terms: MemberTerms,
                         credentials: MemberCredentials) throws -> [Generation] {
        try write { db in
            let stages = try Self.existingStages(db, projectID: projectID)
            guard let index = stages.firstIndex(where: { $0.id == stageID }) else { throw Self.noStage(stageID, projectID) }
            let stage = stages[index]
            guard stage.kind != .custom else {
                throw StoreError(.invalid, "stage \(stageID) is a custom stage; only generate_links and generate_promo_codes stages generate")
            }
            guard let offerID = stage.offerID else {
                throw StoreError(.invalid, "stage \(stageID) has no offer yet; set one up first")
            }
            try Self.checkOffer(db, stage)
            let inStage = try Self.fetchProjectMembers(db, projectID: projectID).filter { $0.stageID == stageID }.map(\.partner.id)
            let chosen = partnerIDs ?? inStage
            let present = Set(inStage)
            for partnerID in chosen where !present.contains(partnerID) {
                throw StoreError(.invalid, "partner \(partnerID) is not in stage \(stageID)")
            }
            let additions = try Self.insertMembers(db, offerID: offerID, partnerIDs: chosen, terms: terms, credentials: credentials)
            let next = index + 1 < stages.count ? stages[index + 1].id : stageID
            return try additions.map { addition in
                if next != stageID { try Self.move(db, projectID: projectID, partnerID: addition.member.partner.id, to: next) }
                return Generation(member: addition.member, created: addition.created, stageID: next)
            }
        }
    }

    // MARK: helpers

    static func fetchProject(_ db: Database, id: UInt32) throws -> Project? {
        try Row.fetchOne(db, sql: "SELECT id, name, created_at FROM projects WHERE id = ?", arguments: [Int64(id)]).map(project(from:))
    }

    static func project(from row: Row) -> Project {
        Project(id: UInt32(row[0] as Int64), name: row[1], createdAt: row[2])
    }

    static func fetchStages(_ db: Database, projectID: UInt32) throws -> [Stage] {
        try Row.fetchAll(db, sql: "SELECT id, project_id, name, kind, offer_id, position FROM project_stages WHERE project_id = ? ORDER BY position",
                         arguments: [Int64(projectID)]).map { row in
            Stage(id: UInt32(row[0] as Int64), projectID: UInt32(row[1] as Int64), name: row[2], kind: StageKind(rawValue: row[3]) ?? .custom,
                  offerID: (row[4] as Int64?).map { UInt32($0) }, position: row[5])
        }
    }

    /// The stages of a project that must exist.
    static func existingStages(_ db: Database, projectID: UInt32) throws -> [Stage] {
        guard try fetchProject(db, id: projectID) != nil else { throw StoreError(.notFound, "project \(projectID) does not exist") }
        return try fetchStages(db, projectID: projectID)
    }

    static func fetchStage(_ db: Database, projectID: UInt32, id: UInt32) throws -> Stage? {
        try fetchStages(db, projectID: projectID).first { $0.id == id }
    }

    static func noStage(_ stageID: UInt32, _ projectID: UInt32) -> StoreError {
        StoreError(.notFound, "project \(projectID) has no stage \(stageID)")
    }

    /// A generating stage's offer exists and is of the type it generates; a custom stage has none.
    static func checkOffer(_ db: Database, _ stage: Stage) throws {
        guard let offerID = stage.offerID else { return }
        guard let type = stage.kind.offerType else { throw StoreError(.invalid, "a custom stage has no offer") }
        guard let offer = try fetchOffer(db, id: offerID) else { throw StoreError(.invalid, "offer \(offerID) does not exist") }
        guard offer.type == type else {
            throw StoreError(.invalid, "a \(stage.kind.rawValue) stage needs a \(type.rawValue) offer; offer \(offerID) is a \(offer.type.rawValue) offer")
        }
    }

    @discardableResult
    static func insertStage(_ db: Database, projectID: UInt32, _ stage: Stage, position: Int) throws -> UInt32 {
        try checkOffer(db, stage)
        try db.execute(sql: "INSERT INTO project_stages (project_id, name, kind, offer_id, position) VALUES (?, ?, ?, ?, ?)",
                       arguments: [Int64(projectID), stage.name, stage.kind.rawValue, stage.offerID.map { Int64($0) }, position])
        return UInt32(db.lastInsertedRowID)
    }

    /// Gives the stages positions 0, 1, 2... in the order given (through
    /// negative positions, as each position is unique within its project).
    static func renumber(_ db: Database, projectID: UInt32, _ order: [UInt32]) throws {
        try db.execute(sql: "UPDATE project_stages SET position = -1 - position WHERE project_id = ?", arguments: [Int64(projectID)])
        for (position, id) in order.enumerated() {
            try db.execute(sql: "UPDATE project_stages SET position = ? WHERE id = ?", arguments: [position, Int64(id)])
        }
    }

    static func move(_ db: Database, projectID: UInt32, partnerID: UInt32, to stageID: UInt32) throws {
        try db.execute(sql: "UPDATE project_members SET stage_id = ?, entered_at = ? WHERE project_id = ? AND partner_id = ?",
                       arguments: [Int64(stageID), now(), Int64(projectID), Int64(partnerID)])
    }

    static let projectMemberSelect = """
        SELECT pm.stage_id, pm.entered_at, \(CatalogueSQL.partnerColumns) FROM project_members pm JOIN partners p ON p.id = pm.partner_id
        """

    static func fetchProjectMembers(_ db: Database, projectID: UInt32) throws -> [ProjectMember] {
        try GRDBConnection(db).rows("\(projectMemberSelect) WHERE pm.project_id = ? ORDER BY pm.partner_id", [.integer(Int64(projectID))])
            .compactMap(projectMember(from:))
    }

    static func fetchProjectMember(_ db: Database, projectID: UInt32, partnerID: UInt32) throws -> ProjectMember? {
        try GRDBConnection(db).row("\(projectMemberSelect) WHERE pm.project_id = ? AND pm.partner_id = ?",
                                   [.integer(Int64(projectID)), .integer(Int64(partnerID))]).flatMap(projectMember(from:))
    }

    static func projectMember(from row: SQLRow) throws -> ProjectMember? {
        guard let partner = try CatalogueSQL.partner(from: row, offset: 2) else { return nil }
        return ProjectMember(partner: partner, stageID: try row.id(0), enteredAt: try row.int64(1))
    }
}
