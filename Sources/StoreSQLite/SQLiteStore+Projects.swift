import Store

/// Projects, stages and members: the logic shared with PostgreSQL (`ProjectsSQL`), each call one SQLite transaction.
extension SQLiteStore: ProjectStore {
    public func createProject(_ project: Project, stages: [Stage]) throws -> Project {
        try write { db in try ProjectsSQL.createProject(GRDBConnection(db), project, stages: stages, now: Self.now()) }
    }

    public func project(id: UInt32) throws -> Project? {
        try read { db in try ProjectsSQL.project(GRDBConnection(db), id: id) }
    }

    public func projects(afterID: UInt32, limit: Int) throws -> [Project] {
        try read { db in try ProjectsSQL.projects(GRDBConnection(db), afterID: afterID, limit: limit) }
    }

    public func stages(projectID: UInt32) throws -> [Stage] {
        try read { db in try ProjectsSQL.stages(GRDBConnection(db), projectID: projectID) }
    }

    public func projectMembers(projectID: UInt32) throws -> [ProjectMember] {
        try read { db in try ProjectsSQL.members(GRDBConnection(db), projectID: projectID) }
    }

    public func addStage(projectID: UInt32, _ stage: Stage, at position: Int?) throws -> Stage {
        try write { db in try ProjectsSQL.addStage(GRDBConnection(db), projectID: projectID, stage, at: position) }
    }

    public func updateStage(projectID: UInt32, stageID: UInt32, _ change: (inout Stage) throws -> Void) throws -> Stage {
        try write { db in try ProjectsSQL.updateStage(GRDBConnection(db), projectID: projectID, stageID: stageID, change) }
    }

    public func deleteStage(projectID: UInt32, stageID: UInt32) throws -> StageDeletion {
        try write { db in try ProjectsSQL.deleteStage(GRDBConnection(db), projectID: projectID, stageID: stageID, now: Self.now()) }
    }

    public func enterProject(projectID: UInt32, partnerIDs: [UInt32]) throws -> [ProjectEntry] {
        try write { db in try ProjectsSQL.enter(GRDBConnection(db), projectID: projectID, partnerIDs: partnerIDs, now: Self.now()) }
    }

    public func moveMembers(projectID: UInt32, partnerIDs: [UInt32], to stageID: UInt32) throws -> [ProjectMember] {
        try write { db in try ProjectsSQL.move(GRDBConnection(db), projectID: projectID, partnerIDs: partnerIDs, to: stageID, now: Self.now()) }
    }

    public func generate(projectID: UInt32, stageID: UInt32, partnerIDs: [UInt32]?, terms: MemberTerms,
                         credentials: MemberCredentials) throws -> [Generation] {
        try write { db in
            try ProjectsSQL.generate(GRDBConnection(db), projectID: projectID, stageID: stageID, partnerIDs: partnerIDs, terms: terms,
                                     credentials: credentials, now: Self.now())
        }
    }
}
