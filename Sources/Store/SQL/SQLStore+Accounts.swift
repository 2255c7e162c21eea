import Domain

extension SQLStore: AccountStore {
    public func createTeamMember(_ member: TeamMember) async throws -> TeamMember {
        try await write { db in try AccountsSQL.createTeamMember(db, member, now: Self.now()) }
    }

    public func teamMember(id: UInt32) async throws -> TeamMember? {
        try await read { db in try AccountsSQL.teamMember(db, id: id) }
    }

    public func teamMember(email: String) async throws -> TeamMember? {
        try await read { db in try AccountsSQL.teamMember(db, email: email) }
    }

    public func teamMembers() async throws -> [TeamMember] {
        try await read { db in try AccountsSQL.teamMembers(db) }
    }

    public func updateTeamMember(id: UInt32, _ change: @escaping @Sendable (inout TeamMember) throws -> Void) async throws -> TeamMember {
        try await write { db in try AccountsSQL.updateTeamMember(db, id: id, change) }
    }

    public func removeTeamMember(id: UInt32) async throws {
        try await write { db in try AccountsSQL.removeTeamMember(db, id: id) }
    }

    public func createOneTimeLink(_ link: OneTimeLink, secretHash: [UInt8]) async throws {
        try await write { db in try AccountsSQL.createOneTimeLink(db, link, secretHash: secretHash) }
    }

    public func oneTimeLink(secretHash: [UInt8]) async throws -> OneTimeLink? {
        try await read { db in try AccountsSQL.oneTimeLink(db, secretHash: secretHash) }
    }

    public func useOneTimeLink(secretHash: [UInt8], purpose: OneTimeLinkPurpose, now: Int64,
                               effect: OneTimeLinkEffect) async throws -> OneTimeLinkUse {
        try await write { db in try AccountsSQL.useOneTimeLink(db, secretHash: secretHash, purpose: purpose, now: now, effect: effect) }
    }

    public func openInvites(now: Int64) async throws -> [OneTimeLink] {
        try await read { db in try AccountsSQL.openInvites(db, now: now) }
    }
}

extension SQLStore: SessionStore {
    public func createSession(_ record: SessionRecord, data: [UInt8]) async throws {
        try await write { db in try AccountsSQL.createSession(db, record, data: data) }
    }

    public func session(keyHash: [UInt8], now: Int64) async throws -> (record: SessionRecord, data: [UInt8])? {
        try await read { db in try AccountsSQL.session(db, keyHash: keyHash, now: now) }
    }

    public func updateSession(keyHash: [UInt8], data: [UInt8], expiresAt: Int64?) async throws -> Bool {
        try await write { db in try AccountsSQL.updateSession(db, keyHash: keyHash, data: data, expiresAt: expiresAt) }
    }

    public func removeSession(keyHash: [UInt8]) async throws {
        try await write { db in try AccountsSQL.removeSession(db, keyHash: keyHash) }
    }

    public func sessions(of owner: SessionOwner, now: Int64) async throws -> [SessionRecord] {
        try await read { db in try AccountsSQL.sessions(db, of: owner, now: now) }
    }

    public func deleteExpiredSessions(now: Int64) async throws -> Int {
        try await write { db in try AccountsSQL.deleteExpiredSessions(db, now: now) }
    }
}

extension SQLStore: SubmissionStore {
    public func claimSubmission(key: String, now: Int64) async throws -> SubmissionClaim {
        do {
            return try await write { db in try AccountsSQL.claimSubmission(db, key: key, now: now) }
        } catch let error as StoreError where error.code == .conflict {
            return .inProgress  // claimed by a submission running beside this one
        }
    }

    public func completeSubmission(key: String, location: String) async throws {
        try await write { db in try AccountsSQL.completeSubmission(db, key: key, location: location) }
    }

    public func releaseSubmission(key: String) async throws {
        try await write { db in try AccountsSQL.releaseSubmission(db, key: key) }
    }
}
