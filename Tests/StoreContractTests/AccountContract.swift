import ClickModel
import Domain
import Foundation
import Store
import StorePostgres
import StoreSQLite
import StoreTesting
import Testing

/// What the team, one-time links, browser sessions and submitted forms must
/// do on either database.
enum AccountContract {
    static let now: Int64 = 1_790_000_000_000

    /// Emails are one per team whatever their case; a link is used once, and
    /// its effect lands with it or not at all.
    static func theTeamAndItsOneTimeLinks(_ store: SQLStore) async throws {
        let owner = try await store.createTeamMember(TeamMember(email: "owner@example.com", role: .owner))
        await #expect(throws: StoreError.self) { try await store.createTeamMember(TeamMember(email: "Owner@Example.com", role: .viewer)) }
        #expect(try await store.teamMember(email: "OWNER@example.com")?.id == owner.id)

        // A sign-in link that sets the password.
        try await store.createOneTimeLink(OneTimeLink(purpose: .signIn, teamMemberID: owner.id, email: owner.email, createdAt: now),
                                          secretHash: Array(repeating: 1, count: 32))
        let wrongPurpose = try await store.useOneTimeLink(secretHash: Array(repeating: 1, count: 32), purpose: .invite, now: now + 1,
                                                          effect: .none)
        #expect(wrongPurpose == .unknown, "a link is only what it was made for")
        let used = try await store.useOneTimeLink(secretHash: Array(repeating: 1, count: 32), purpose: .signIn, now: now + 1,
                                                  effect: .setPassword(hash: "$2b$hash", endSessions: false))
        guard case .used(let link, let member?) = used else { Issue.record("not used: \(used)"); return }
        #expect(link.usedAt == now + 1 && member.passwordHash == "$2b$hash")
        #expect(try await store.useOneTimeLink(secretHash: Array(repeating: 1, count: 32), purpose: .signIn, now: now + 2, effect: .none)
                == .unusable(.used), "once")

        // An invite: open until used or expired; using it makes the member.
        try await store.createOneTimeLink(OneTimeLink(purpose: .invite, email: "ops@example.com", role: .ops, createdAt: now),
                                          secretHash: Array(repeating: 2, count: 32))
        try await store.createOneTimeLink(OneTimeLink(purpose: .invite, email: "late@example.com", role: .admin, createdAt: now - 8 * 86_400_000),
                                          secretHash: Array(repeating: 3, count: 32))
        #expect(try await store.openInvites(now: now).map(\.email) == ["ops@example.com"])
        #expect(try await store.useOneTimeLink(secretHash: Array(repeating: 3, count: 32), purpose: .invite, now: now,
                                               effect: .acceptInvite(passwordHash: "x")) == .unusable(.expired))
        #expect(try await store.teamMember(email: "late@example.com") == nil)
        guard case .used(_, let joined?) = try await store.useOneTimeLink(secretHash: Array(repeating: 2, count: 32), purpose: .invite,
                                                                          now: now, effect: .acceptInvite(passwordHash: "y")) else {
            Issue.record("the invite was not used")
            return
        }
        #expect(joined.email == "ops@example.com" && joined.role == .ops && joined.passwordHash == "y")
        #expect(try await store.openInvites(now: now).isEmpty)

        // An invite to an address on the team already changes nothing, the link included.
        try await store.createOneTimeLink(OneTimeLink(purpose: .invite, email: "owner@example.com", role: .viewer, createdAt: now),
                                          secretHash: Array(repeating: 4, count: 32))
        await #expect(throws: StoreError.self) {
            _ = try await store.useOneTimeLink(secretHash: Array(repeating: 4, count: 32), purpose: .invite, now: now,
                                               effect: .acceptInvite(passwordHash: "z"))
        }
        #expect(try await store.oneTimeLink(secretHash: Array(repeating: 4, count: 32))?.usedAt == nil)
        #expect(try await store.teamMember(id: owner.id)?.role == .owner)

        // Preferences (the columns chosen) are kept with the member.
        _ = try await store.updateTeamMember(id: owner.id) { $0.preferences["dashboard.columns"] = "members,conversions" }
        #expect(try await store.teamMember(id: owner.id)?.preferences == ["dashboard.columns": "members,conversions"])
        #expect(try await store.teamMembers().map(\.email) == ["owner@example.com", "ops@example.com"], "by role, then email")
    }

    /// Sessions expire, are listed per owner, end on their own, with a
    /// password reset, and with their member.
    static func sessionsExpireAndEnd(_ store: SQLStore) async throws {
        let member = try await store.createTeamMember(TeamMember(email: "a@example.com", role: .admin))
        let partner = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        func key(_ byte: UInt8) -> [UInt8] { Array(repeating: byte, count: 32) }
        for (byte, expires) in [(UInt8(1), now + 1000), (2, now + 2000), (3, now - 1)] {
            try await store.createSession(SessionRecord(keyHash: key(byte), owner: .team(member.id), createdAt: now - Int64(byte), expiresAt: expires,
                                                        userAgent: "Firefox", address: "127.0.0.1"), data: [byte])
        }
        try await store.createSession(SessionRecord(keyHash: key(9), owner: .partner(partner), createdAt: now, expiresAt: now + 1000,
                                                    userAgent: "Safari", address: "::1"), data: [9])
        await #expect(throws: StoreError.self) {
            try await store.createSession(SessionRecord(keyHash: key(1), owner: .partner(partner), createdAt: now, expiresAt: now + 1,
                                                        userAgent: "", address: ""), data: [])
        }
        #expect(try await store.session(keyHash: key(1), now: now)?.data == [1])
        #expect(try await store.session(keyHash: key(3), now: now) == nil, "expired")
        #expect(try await store.sessions(of: .team(member.id), now: now).map(\.keyHash) == [key(1), key(2)], "newest first, live only")
        #expect(try await store.updateSession(keyHash: key(1), data: [42], expiresAt: now + 5000))
        #expect(try await store.session(keyHash: key(1), now: now + 3000)?.data == [42])
        #expect(try await !store.updateSession(keyHash: key(8), data: [], expiresAt: nil))
        #expect(try await store.deleteExpiredSessions(now: now) == 1)
        try await store.removeSession(keyHash: key(2))
        #expect(try await store.sessions(of: .team(member.id), now: now).map(\.keyHash) == [key(1)])

        // A password reset ends every session of the member.
        try await store.createOneTimeLink(OneTimeLink(purpose: .passwordReset, teamMemberID: member.id, email: member.email, createdAt: now),
                                          secretHash: key(5))
        _ = try await store.useOneTimeLink(secretHash: key(5), purpose: .passwordReset, now: now, effect: .setPassword(hash: "new", endSessions: true))
        #expect(try await store.sessions(of: .team(member.id), now: now).isEmpty)
        #expect(try await store.sessions(of: .partner(partner), now: now).count == 1, "others' stay")

        // Removing a member ends its sessions.
        try await store.createSession(SessionRecord(keyHash: key(6), owner: .team(member.id), createdAt: now, expiresAt: now + 1000,
                                                    userAgent: "", address: ""), data: [])
        try await store.removeTeamMember(id: member.id)
        #expect(try await store.session(keyHash: key(6), now: now) == nil)
    }

    /// A form's key is claimed once; a repeat learns where the first went.
    static func aFormIsWorkedOnOnce(_ store: SQLStore) async throws {
        #expect(try await store.claimSubmission(key: "form-1", now: now) == .claimed)
        #expect(try await store.claimSubmission(key: "form-1", now: now) == .inProgress)
        try await store.completeSubmission(key: "form-1", location: "/payments?paid=2")
        #expect(try await store.claimSubmission(key: "form-1", now: now) == .done(location: "/payments?paid=2"))
        #expect(try await store.claimSubmission(key: "form-2", now: now) == .claimed)
        try await store.releaseSubmission(key: "form-2")
        #expect(try await store.claimSubmission(key: "form-2", now: now) == .claimed, "a refused form can be sent again")
    }
}

@Suite("Account contract: SQLite")
struct SQLiteAccountContract {
    func withStore(_ body: (SQLStore) async throws -> Void) async throws {
        try await TestStores.sqlite { store, _ in try await body(store) }
    }

    @Test func theTeamAndItsOneTimeLinks() async throws { try await withStore(AccountContract.theTeamAndItsOneTimeLinks) }
    @Test func sessionsExpireAndEnd() async throws { try await withStore(AccountContract.sessionsExpireAndEnd) }
    @Test func aFormIsWorkedOnOnce() async throws { try await withStore(AccountContract.aFormIsWorkedOnOnce) }
}

@Suite("Account contract: PostgreSQL", .needsPostgres)
struct PostgresAccountContract {
    func withStore(_ body: (SQLStore) async throws -> Void) async throws {
        try await TestStores.postgres { store, _ in try await body(store) }
    }

    @Test func theTeamAndItsOneTimeLinks() async throws { try await withStore(AccountContract.theTeamAndItsOneTimeLinks) }
    @Test func sessionsExpireAndEnd() async throws { try await withStore(AccountContract.sessionsExpireAndEnd) }
    @Test func aFormIsWorkedOnOnce() async throws { try await withStore(AccountContract.aFormIsWorkedOnOnce) }
}
