// Who signs in to the pages (SPEC section 15): the brand's team, each with
// an email, a password and a role, and partners, by a link emailed to them.
// Times are milliseconds since the Unix epoch.

/// A team member's role. Machines keep using admin and ops API keys.
public enum TeamRole: String, Sendable, CaseIterable, Codable, Comparable {
    /// Everything, and the team itself: invites, roles, removing people.
    case owner
    /// Every business action: offers, members, emails, projects, payments.
    case admin
    /// Reads everything and watches the live page.
    case ops
    /// Reads the business pages.
    case viewer

    /// What the role may do.
    public func may(_ action: ConsoleAction) -> Bool {
        switch action {
        case .read: true
        case .watchLive: self != .viewer
        case .manage: self == .owner || self == .admin
        case .manageTeam: self == .owner
        }
    }

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    /// `owner < admin < ops < viewer`: the order the team page lists them in.
    public static func < (lhs: TeamRole, rhs: TeamRole) -> Bool { lhs.rank < rhs.rank }
}

/// What a page or a form asks of the person signed in.
public enum ConsoleAction: Sendable {
    /// Look at the business pages.
    case read
    /// The live page and its stream.
    case watchLive
    /// Change the business: offers, members, emails, projects, payments, conversions.
    case manage
    /// Invite, change roles, remove teammates, end their sessions.
    case manageTeam
}

/// A member of the brand's team.
public struct TeamMember: Sendable, Equatable {
    public var id: UInt32
    /// Lower case, as the address compares.
    public var email: String
    public var role: TeamRole
    /// bcrypt; nil until the member sets a password through a sign-in link.
    public var passwordHash: String?
    /// What the pages remember for the member (the columns a table shows), by name.
    public var preferences: [String: String]
    public var createdAt: Int64

    public init(id: UInt32 = 0, email: String, role: TeamRole, passwordHash: String? = nil, preferences: [String: String] = [:],
                createdAt: Int64 = 0) {
        self.id = id
        self.email = email
        self.role = role
        self.passwordHash = passwordHash
        self.preferences = preferences
        self.createdAt = createdAt
    }
}

/// What a one-time link (sent by email, or printed) does when it is used.
public enum OneTimeLinkPurpose: String, Sendable, CaseIterable, Codable {
    /// Signs a team member in, setting a password when it has none:
    /// `clickline users create` and `serve --demo` print one.
    case signIn = "sign_in"
    /// Makes a new team member with the invite's email and role.
    case invite
    /// Sets a team member's password and ends its other sessions.
    case passwordReset = "password_reset"
    /// Signs a partner in to the Partner Center.
    case partnerSignIn = "partner_sign_in"

    /// How long a new link of this purpose stays usable, in milliseconds.
    public var lifetime: Int64 {
        switch self {
        case .signIn: 24 * 3_600_000
        case .invite: 7 * 24 * 3_600_000
        case .passwordReset: 3_600_000
        case .partnerSignIn: 30 * 60_000
        }
    }
}

/// A one-time link as stored: only the SHA-256 of its secret is kept.
public struct OneTimeLink: Sendable, Equatable {
    public var purpose: OneTimeLinkPurpose
    /// The team member it signs in or resets (sign-in, reset).
    public var teamMemberID: UInt32?
    /// The partner it signs in (partner sign-in).
    public var partnerID: UInt32?
    /// Whom it was sent to; for an invite, the new member's address.
    public var email: String
    /// An invite's role.
    public var role: TeamRole?
    public var createdAt: Int64
    public var expiresAt: Int64
    public var usedAt: Int64?

    public init(purpose: OneTimeLinkPurpose, teamMemberID: UInt32? = nil, partnerID: UInt32? = nil, email: String, role: TeamRole? = nil,
                createdAt: Int64, expiresAt: Int64? = nil, usedAt: Int64? = nil) {
        self.purpose = purpose
        self.teamMemberID = teamMemberID
        self.partnerID = partnerID
        self.email = email
        self.role = role
        self.createdAt = createdAt
        self.expiresAt = expiresAt ?? createdAt + purpose.lifetime
        self.usedAt = usedAt
    }

    /// Whether it can still be used at `now`.
    public func state(at now: Int64) -> OneTimeLinkState {
        if usedAt != nil { return .used }
        return now < expiresAt ? .usable : .expired
    }
}

public enum OneTimeLinkState: Sendable, Equatable {
    case usable, used, expired
}

/// What using a one-time link changes, in the same transaction as marking it used.
public enum OneTimeLinkEffect: Sendable, Equatable {
    /// Nothing but the link (a partner's sign-in; a team member's sign-in
    /// when it keeps its password).
    case none
    /// Sets the team member's password hash (sign-in, reset); `endSessions`
    /// also ends every session of the member.
    case setPassword(hash: String, endSessions: Bool)
    /// Makes the invited team member, with this password hash.
    case acceptInvite(passwordHash: String)
}

/// What became of a use of a one-time link.
public enum OneTimeLinkUse: Sendable, Equatable {
    /// Used now; the team member it concerns, as it is afterwards (nil for a partner's).
    case used(OneTimeLink, TeamMember?)
    case unusable(OneTimeLinkState)
    case unknown
}

/// The team, one-time links and their use.
///
/// Contract (`AccountContract` tests it): emails are compared lower-cased;
/// a taken email throws `StoreError(.conflict)`; `useOneTimeLink` marks the
/// link used and applies its effect in one transaction, or changes nothing.
public protocol AccountStore: Sendable {
    func createTeamMember(_ member: TeamMember) async throws -> TeamMember
    func teamMember(id: UInt32) async throws -> TeamMember?
    func teamMember(email: String) async throws -> TeamMember?
    /// Everyone, by role then email.
    func teamMembers() async throws -> [TeamMember]
    func updateTeamMember(id: UInt32, _ change: @escaping @Sendable (inout TeamMember) throws -> Void) async throws -> TeamMember
    /// Removes the member and ends its sessions.
    func removeTeamMember(id: UInt32) async throws

    /// Stores a link under the SHA-256 of its secret.
    func createOneTimeLink(_ link: OneTimeLink, secretHash: [UInt8]) async throws
    func oneTimeLink(secretHash: [UInt8]) async throws -> OneTimeLink?
    /// Uses the link if it has this purpose and is usable at `now`, applying `effect`.
    func useOneTimeLink(secretHash: [UInt8], purpose: OneTimeLinkPurpose, now: Int64, effect: OneTimeLinkEffect) async throws -> OneTimeLinkUse
    /// Invites not used yet and not expired at `now`, newest first.
    func openInvites(now: Int64) async throws -> [OneTimeLink]
}

/// Whose a browser session is.
public enum SessionOwner: Sendable, Equatable, Hashable {
    case team(UInt32)
    case partner(UInt32)
}

/// A browser session as the "active sessions" list shows it.
public struct SessionRecord: Sendable, Equatable {
    /// The SHA-256 of the session's cookie value: the list shows and revokes by it.
    public var keyHash: [UInt8]
    public var owner: SessionOwner
    public var createdAt: Int64
    public var expiresAt: Int64
    /// The browser it was opened from, as it said.
    public var userAgent: String
    public var address: String

    public init(keyHash: [UInt8], owner: SessionOwner, createdAt: Int64, expiresAt: Int64, userAgent: String, address: String) {
        self.keyHash = keyHash
        self.owner = owner
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.userAgent = userAgent
        self.address = address
    }
}

/// Browser sessions, by the SHA-256 of their cookie's value, with the data
/// the pages keep in them (opaque here).
public protocol SessionStore: Sendable {
    /// Stores a new session; a key already stored throws `StoreError(.conflict)`.
    func createSession(_ record: SessionRecord, data: [UInt8]) async throws
    /// The session's data, unless it is unknown or expired at `now`.
    func session(keyHash: [UInt8], now: Int64) async throws -> (record: SessionRecord, data: [UInt8])?
    /// Replaces the data and, when given, the expiry; false when there is no such session.
    func updateSession(keyHash: [UInt8], data: [UInt8], expiresAt: Int64?) async throws -> Bool
    func removeSession(keyHash: [UInt8]) async throws
    /// The owner's sessions not expired at `now`, newest first.
    func sessions(of owner: SessionOwner, now: Int64) async throws -> [SessionRecord]
    /// Deletes expired sessions; returns how many.
    func deleteExpiredSessions(now: Int64) async throws -> Int
}

/// Forms submitted twice (two clicks on "Generate" or "Send Payment") do
/// their work once: each form carries a key, claimed before the work.
public protocol SubmissionStore: Sendable {
    /// Claims the key for a submission, or tells what became of the first.
    func claimSubmission(key: String, now: Int64) async throws -> SubmissionClaim
    /// Records where the first submission's answer is, for a repeat to go there too.
    func completeSubmission(key: String, location: String) async throws
    /// Gives the key up after a refusal, so the form can be sent again.
    func releaseSubmission(key: String) async throws
}

public enum SubmissionClaim: Sendable, Equatable {
    /// The first: do the work.
    case claimed
    /// Done already; its answer is at this location.
    case done(location: String)
    /// The first is still being worked on.
    case inProgress
}
