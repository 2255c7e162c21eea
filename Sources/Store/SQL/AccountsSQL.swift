import Foundation
import Domain

/// The team, one-time links, browser sessions and submitted forms, the same
/// on SQLite and PostgreSQL.
public enum AccountsSQL {
    // MARK: team

    public static func createTeamMember(_ db: some SQLConnection, _ member: TeamMember, now: Int64) throws -> TeamMember {
        var stored = member
        stored.email = member.email.lowercased()
        stored.createdAt = now
        do {
            let row = try db.row("""
                INSERT INTO team_members (email, role, password_hash, preferences, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id
                """, [.text(stored.email), .text(stored.role.rawValue), SQLValue(stored.passwordHash),
                      .text(JSONText.encode(stored.preferences)), .integer(now)])
            stored.id = try row?.id(0) ?? 0
        } catch let error as StoreError where error.code == .conflict {
            throw StoreError(.conflict, "\(stored.email) is on the team already")
        }
        return stored
    }

    static let memberColumns = "id, email, role, password_hash, preferences, created_at"

    static func teamMember(from row: SQLRow) throws -> TeamMember {
        TeamMember(id: try row.id(0), email: try row.text(1), role: TeamRole(rawValue: try row.text(2)) ?? .viewer,
                   passwordHash: try row.optionalText(3), preferences: JSONText.decode(try row.text(4)), createdAt: try row.int64(5))
    }

    public static func teamMember(_ db: some SQLConnection, id: UInt32) throws -> TeamMember? {
        try db.row("SELECT \(memberColumns) FROM team_members WHERE id = ?", [.integer(Int64(id))]).map(teamMember(from:))
    }

    public static func teamMember(_ db: some SQLConnection, email: String) throws -> TeamMember? {
        try db.row("SELECT \(memberColumns) FROM team_members WHERE email = ?", [.text(email.lowercased())]).map(teamMember(from:))
    }

    public static func teamMembers(_ db: some SQLConnection) throws -> [TeamMember] {
        try db.rows("SELECT \(memberColumns) FROM team_members ORDER BY email").map(teamMember(from:)).sorted { ($0.role, $0.email) < ($1.role, $1.email) }
    }

    public static func updateTeamMember(_ db: some SQLConnection, id: UInt32, _ change: (inout TeamMember) throws -> Void) throws -> TeamMember {
        guard var member = try teamMember(db, id: id) else { throw StoreError(.notFound, "team member \(id) does not exist") }
        let before = member
        try change(&member)
        member.id = before.id
        member.email = before.email
        member.createdAt = before.createdAt
        guard member != before else { return member }
        try db.execute("UPDATE team_members SET role = ?, password_hash = ?, preferences = ? WHERE id = ?",
                       [.text(member.role.rawValue), SQLValue(member.passwordHash), .text(JSONText.encode(member.preferences)),
                        .integer(Int64(id))])
        return member
    }

    public static func removeTeamMember(_ db: some SQLConnection, id: UInt32) throws {
        try db.execute("DELETE FROM web_sessions WHERE team_member_id = ?", [.integer(Int64(id))])
        try db.execute("DELETE FROM one_time_links WHERE team_member_id = ?", [.integer(Int64(id))])
        guard try db.execute("DELETE FROM team_members WHERE id = ?", [.integer(Int64(id))]) == 1 else {
            throw StoreError(.notFound, "team member \(id) does not exist")
        }
    }

    // MARK: one-time links

    public static func createOneTimeLink(_ db: some SQLConnection, _ link: OneTimeLink, secretHash: [UInt8]) throws {
        try db.execute("""
            INSERT INTO one_time_links (secret_hash, purpose, team_member_id, partner_id, email, role, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.blob(secretHash), .text(link.purpose.rawValue), SQLValue(link.teamMemberID), SQLValue(link.partnerID),
                  .text(link.email.lowercased()), SQLValue(link.role?.rawValue), .integer(link.createdAt), .integer(link.expiresAt)])
    }

    static let linkColumns = "purpose, team_member_id, partner_id, email, role, created_at, expires_at, used_at"

    static func link(from row: SQLRow) throws -> OneTimeLink? {
        guard let purpose = OneTimeLinkPurpose(rawValue: try row.text(0)) else { return nil }
        return OneTimeLink(purpose: purpose, teamMemberID: try row.optionalID(1), partnerID: try row.optionalID(2), email: try row.text(3),
                           role: try row.optionalText(4).flatMap(TeamRole.init(rawValue:)), createdAt: try row.int64(5),
                           expiresAt: try row.int64(6), usedAt: try row.optionalInt64(7))
    }

    public static func oneTimeLink(_ db: some SQLConnection, secretHash: [UInt8]) throws -> OneTimeLink? {
        try db.row("SELECT \(linkColumns) FROM one_time_links WHERE secret_hash = ?", [.blob(secretHash)]).flatMap(link(from:))
    }

    public static func useOneTimeLink(_ db: some SQLConnection, secretHash: [UInt8], purpose: OneTimeLinkPurpose, now: Int64,
                                      effect: OneTimeLinkEffect) throws -> OneTimeLinkUse {
        guard let link = try oneTimeLink(db, secretHash: secretHash), link.purpose == purpose else { return .unknown }
        let state = link.state(at: now)
        guard state == .usable else { return .unusable(state) }
        // Marked used only if no one else did meanwhile: a link opens one session.
        guard try db.execute("UPDATE one_time_links SET used_at = ? WHERE secret_hash = ? AND used_at IS NULL",
                             [.integer(now), .blob(secretHash)]) == 1 else { return .unusable(.used) }
        var used = link
        used.usedAt = now
        var member: TeamMember?
        switch effect {
        case .none:
            member = try link.teamMemberID.flatMap { try teamMember(db, id: $0) }
        case .setPassword(let hash, let endSessions):
            guard let id = link.teamMemberID else { throw StoreError(.invalid, "this link belongs to no team member") }
            member = try updateTeamMember(db, id: id) { $0.passwordHash = hash }
            if endSessions { try db.execute("DELETE FROM web_sessions WHERE team_member_id = ?", [.integer(Int64(id))]) }
        case .acceptInvite(let passwordHash):
            guard let role = link.role else { throw StoreError(.invalid, "this invite has no role") }
            member = try createTeamMember(db, TeamMember(email: link.email, role: role, passwordHash: passwordHash), now: now)
        }
        if link.teamMemberID != nil, member == nil { throw StoreError(.notFound, "the team member of this link was removed") }
        return .used(used, member)
    }

    public static func openInvites(_ db: some SQLConnection, now: Int64) throws -> [OneTimeLink] {
        try db.rows("""
            SELECT \(linkColumns) FROM one_time_links
            WHERE purpose = 'invite' AND used_at IS NULL AND expires_at > ? ORDER BY created_at DESC LIMIT 200
            """, [.integer(now)]).compactMap(link(from:))
    }

    // MARK: sessions

    public static func createSession(_ db: some SQLConnection, _ record: SessionRecord, data: [UInt8]) throws {
        let (team, partner) = owners(record.owner)
        try db.execute("""
            INSERT INTO web_sessions (key_hash, team_member_id, partner_id, data, user_agent, address, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.blob(record.keyHash), SQLValue(team), SQLValue(partner), .blob(data), .text(String(record.userAgent.prefix(300))),
                  .text(String(record.address.prefix(100))), .integer(record.createdAt), .integer(record.expiresAt)])
    }

    static func owners(_ owner: SessionOwner) -> (team: UInt32?, partner: UInt32?) {
        switch owner {
        case .team(let id): (id, nil)
        case .partner(let id): (nil, id)
        }
    }

    static let sessionColumns = "key_hash, team_member_id, partner_id, created_at, expires_at, user_agent, address"

    static func session(from row: SQLRow) throws -> SessionRecord {
        guard case .blob(let key) = row.values[0] else { throw StoreError(.unavailable, "a session key is not bytes") }
        let owner: SessionOwner = if let team = try row.optionalID(1) { .team(team) } else { .partner(try row.id(2)) }
        return SessionRecord(keyHash: key, owner: owner, createdAt: try row.int64(3), expiresAt: try row.int64(4),
                             userAgent: try row.text(5), address: try row.text(6))
    }

    public static func session(_ db: some SQLConnection, keyHash: [UInt8], now: Int64) throws -> (record: SessionRecord, data: [UInt8])? {
        guard let row = try db.row("SELECT \(sessionColumns), data FROM web_sessions WHERE key_hash = ? AND expires_at > ?",
                                   [.blob(keyHash), .integer(now)]) else { return nil }
        guard case .blob(let data) = row.values[7] else { throw StoreError(.unavailable, "a session's data is not bytes") }
        return (try session(from: row), data)
    }

    public static func updateSession(_ db: some SQLConnection, keyHash: [UInt8], data: [UInt8], expiresAt: Int64?) throws -> Bool {
        try db.execute("UPDATE web_sessions SET data = ?, expires_at = COALESCE(?, expires_at) WHERE key_hash = ?",
                       [.blob(data), SQLValue(expiresAt), .blob(keyHash)]) == 1
    }

    public static func removeSession(_ db: some SQLConnection, keyHash: [UInt8]) throws {
        try db.execute("DELETE FROM web_sessions WHERE key_hash = ?", [.blob(keyHash)])
    }

    public static func sessions(_ db: some SQLConnection, of owner: SessionOwner, now: Int64) throws -> [SessionRecord] {
        let column = if case .team = owner { "team_member_id" } else { "partner_id" }
        let (team, partner) = owners(owner)
        return try db.rows("""
            SELECT \(sessionColumns) FROM web_sessions WHERE \(column) = ? AND expires_at > ? ORDER BY created_at DESC LIMIT 200
            """, [SQLValue(team ?? partner), .integer(now)]).map(session(from:))
    }

    public static func deleteExpiredSessions(_ db: some SQLConnection, now: Int64) throws -> Int {
        try db.execute("DELETE FROM web_sessions WHERE expires_at <= ?", [.integer(now)])
    }

    // MARK: submitted forms

    public static func claimSubmission(_ db: some SQLConnection, key: String, now: Int64) throws -> SubmissionClaim {
        if let row = try db.row("SELECT location FROM form_submissions WHERE key = ?", [.text(key)]) {
            return try row.optionalText(0).map { .done(location: $0) } ?? .inProgress
        }
        try db.execute("INSERT INTO form_submissions (key, created_at) VALUES (?, ?)", [.text(key), .integer(now)])
        // A day is longer than anyone keeps a form open and clicks it again.
        try db.execute("DELETE FROM form_submissions WHERE created_at < ?", [.integer(now - 24 * 3_600_000)])
        return .claimed
    }

    public static func completeSubmission(_ db: some SQLConnection, key: String, location: String) throws {
        try db.execute("UPDATE form_submissions SET location = ? WHERE key = ?", [.text(location), .text(key)])
    }

    public static func releaseSubmission(_ db: some SQLConnection, key: String) throws {
        try db.execute("DELETE FROM form_submissions WHERE key = ? AND location IS NULL", [.text(key)])
    }
}

/// A string dictionary stored as JSON text.
enum JSONText {
    static func encode(_ values: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(values)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func decode(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }
}
