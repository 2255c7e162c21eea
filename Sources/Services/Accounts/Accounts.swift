import ClickModel
import Domain
import Foundation
import Platform

/// Signing in to the pages (SPEC section 15): the brand's team by email and
/// password, with links that sign in once (the first owner's, invites,
/// password resets), and partners by a link emailed to them. Links go out
/// through the outbox; only their SHA-256 is stored.
public struct Accounts: Sendable {
    public typealias Store = AccountStore & PartnerStore & OutboxStore

    let store: any Store
    let urls: PublicURLs
    let hasher: PasswordHasher
    let limits: SignInLimits

    public init(store: any Store, urls: PublicURLs, hasher: PasswordHasher = PasswordHasher(), limits: SignInLimits = SignInLimits()) {
        self.store = store
        self.urls = urls
        self.hasher = hasher
        self.limits = limits
    }

    static func now() -> Int64 { Clocks.wallClockMilliseconds() }

    // MARK: the team

    /// Adds a team member without a password; `signInLink` makes its first way in.
    public func addTeamMember(email: String, role: TeamRole) async throws -> TeamMember {
        let email = try AccountRules.email(email)
        do {
            return try await store.createTeamMember(TeamMember(email: email, role: role))
        } catch let error as StoreError where error.code == .conflict {
            throw DomainError.conflict("email", "\(email) is on the team already")
        }
    }

    /// A new one-time sign-in link for the member (`clickline users create`, `serve --demo`).
    public func signInLink(for member: TeamMember) async throws -> String {
        let secret = Secrets.make(.signInLink)
        try await store.createOneTimeLink(OneTimeLink(purpose: .signIn, teamMemberID: member.id, email: member.email, createdAt: Self.now()),
                                          secretHash: Secrets.hash(secret))
        return urls.page("/signin/" + secret)
    }

    /// Invites someone by email: the message goes out through the outbox,
    /// with a link that works once within `OneTimeLinkPurpose.invite.lifetime`.
    public func invite(email: String, role: TeamRole, by inviter: TeamMember) async throws -> OneTimeLink {
        guard inviter.role.may(.manageTeam) else { throw DomainError.forbidden("only an owner invites teammates") }
        let email = try AccountRules.email(email)
        if try await store.teamMember(email: email) != nil { throw DomainError.conflict("email", "\(email) is on the team already") }
        let secret = Secrets.make(.signInLink)
        let link = OneTimeLink(purpose: .invite, email: email, role: role, createdAt: Self.now())
        try await store.createOneTimeLink(link, secretHash: Secrets.hash(secret))
        _ = try await store.enqueue([OutboxMessage(offerID: nil, partnerID: nil, to: email, subject: "You are invited to Clickline", body: """
            \(inviter.email) invited you to their Clickline team as \(role.rawValue).

            Accept and choose a password here (the link works once, for 7 days):
            \(urls.page("/invite/" + secret))

            If you did not expect this, ignore this message.
            """)])
        return link
    }

    /// Checks an email and password. Failures are counted per account and
    /// per address, and past the limits refused before any check.
    public func signIn(email: String, password: String, address: String) async throws -> TeamMember {
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        let now = Self.now()
        try limits.check(account: email, address: address, now: now)
        let member = try await store.teamMember(email: email)
        guard await hasher.verify(password, hash: member?.passwordHash), let member else {
            limits.recordFailure(account: email, address: address, now: now)
            throw DomainError(.invalid, "That email and password do not match an account.", field: "password", reason: "wrong_password")
        }
        limits.recordSuccess(account: email)
        return member
    }

    /// Sends a password reset link when the address has an account; says
    /// nothing either way, so the answer does not tell who has one.
    public func requestPasswordReset(email: String) async throws {
        let email = try AccountRules.email(email)
        guard let member = try await store.teamMember(email: email) else { return }
        let secret = Secrets.make(.signInLink)
        try await store.createOneTimeLink(OneTimeLink(purpose: .passwordReset, teamMemberID: member.id, email: email, createdAt: Self.now()),
                                          secretHash: Secrets.hash(secret))
        _ = try await store.enqueue([OutboxMessage(offerID: nil, partnerID: nil, to: email, subject: "Reset your Clickline password", body: """
            Someone asked to reset the password of \(email) on Clickline.

            Choose a new password here (the link works once, for an hour):
            \(urls.page("/password/reset/" + secret))

            If it was not you, ignore this message; your password stays as it is.
            """)])
    }

    /// A link as it stands, for the page that opens it (which does not use it).
    public func link(secret: String) async throws -> OneTimeLink? {
        try await store.oneTimeLink(secretHash: Secrets.hash(secret))
    }

    /// Uses a team link: a sign-in link (a password is needed if the member
    /// has none), an invite (a password is needed) or a reset (likewise,
    /// and the member's other sessions end). Returns the member signed in.
    public func use(secret: String, purpose: OneTimeLinkPurpose, password: String?) async throws -> TeamMember {
        let hash = Secrets.hash(secret)
        guard let link = try await store.oneTimeLink(secretHash: hash), link.purpose == purpose else { throw Self.unknownLink }
        try Self.check(link.state(at: Self.now()))
        var effect = OneTimeLinkEffect.none
        switch purpose {
        case .signIn:
            let member = try await link.teamMemberID.asyncMap { try await store.teamMember(id: $0) } ?? nil
            if let password, !password.isEmpty {
                effect = .setPassword(hash: await hasher.hash(try AccountRules.password(password)), endSessions: false)
            } else if member?.passwordHash == nil {
                throw DomainError.invalid("password", "Choose a password: you will sign in with it from now on.")
            }
        case .invite:
            effect = .acceptInvite(passwordHash: await hasher.hash(try AccountRules.password(password ?? "")))
        case .passwordReset:
            effect = .setPassword(hash: await hasher.hash(try AccountRules.password(password ?? "")), endSessions: true)
        case .partnerSignIn:
            throw Self.unknownLink
        }
        let use: OneTimeLinkUse
        do {
            use = try await store.useOneTimeLink(secretHash: hash, purpose: purpose, now: Self.now(), effect: effect)
        } catch let error as StoreError where error.code == .conflict {
            throw DomainError.conflict("email", "\(link.email) is on the team already; sign in instead")
        }
        switch use {
        case .used(_, let member?): return member
        case .used(_, nil), .unknown: throw Self.unknownLink
        case .unusable(let state): try Self.check(state); throw Self.unknownLink
        }
    }

    static let unknownLink = DomainError(.notFound, "This link is not one of ours. Check that it was copied whole.", reason: "unknown_link")

    static func check(_ state: OneTimeLinkState) throws(DomainError) {
        switch state {
        case .usable: return
        case .used: throw DomainError(.invalid, "This link was used already; each works once. Ask for a new one.", reason: "used_link")
        case .expired: throw DomainError(.invalid, "This link has expired. Ask for a new one.", reason: "expired_link")
        }
    }

    /// Changes a teammate's role; the team always keeps an owner.
    public func changeRole(of memberID: UInt32, to role: TeamRole, by actor: TeamMember) async throws -> TeamMember {
        guard actor.role.may(.manageTeam) else { throw DomainError.forbidden("only an owner changes roles") }
        guard let member = try await store.teamMember(id: memberID) else { throw DomainError.notFound("there is no such teammate") }
        if member.role == .owner, role != .owner { try await requireAnotherOwner(than: member) }
        return try await store.updateTeamMember(id: memberID) { $0.role = role }
    }

    /// Removes a teammate and ends its sessions; the team always keeps an owner.
    public func remove(_ memberID: UInt32, by actor: TeamMember) async throws {
        guard actor.role.may(.manageTeam) else { throw DomainError.forbidden("only an owner removes teammates") }
        guard let member = try await store.teamMember(id: memberID) else { throw DomainError.notFound("there is no such teammate") }
        if member.role == .owner { try await requireAnotherOwner(than: member) }
        try await store.removeTeamMember(id: memberID)
    }

    private func requireAnotherOwner(than member: TeamMember) async throws {
        guard try await store.teamMembers().contains(where: { $0.role == .owner && $0.id != member.id }) else {
            throw DomainError.invalid("role", "The team needs an owner: make someone else owner first.")
        }
    }

    // MARK: partners

    /// Emails a sign-in link to the partner with this address, if there is
    /// one; says nothing either way.
    public func requestPartnerSignIn(email: String) async throws {
        let email = try AccountRules.email(email)
        let partners = try await store.partners(PartnerQuery(text: email, limit: 50)).filter { $0.email?.lowercased() == email }
        for partner in partners where partner.status == .active {
            let secret = Secrets.make(.signInLink)
            try await store.createOneTimeLink(OneTimeLink(purpose: .partnerSignIn, partnerID: partner.id, email: email, createdAt: Self.now()),
                                              secretHash: Secrets.hash(secret))
            _ = try await store.enqueue([OutboxMessage(offerID: nil, partnerID: partner.id, to: email,
                                                       subject: "Your Clickline Partner Center sign-in link", body: """
                Hello \(partner.name),

                Sign in to the Partner Center here (the link works once, for 30 minutes):
                \(urls.page("/partner/signin/" + secret))

                If you did not ask for it, ignore this message.
                """)])
        }
    }

    /// Uses a partner's emailed link; returns the partner signed in.
    public func usePartnerLink(secret: String) async throws -> Partner {
        switch try await store.useOneTimeLink(secretHash: Secrets.hash(secret), purpose: .partnerSignIn, now: Self.now(), effect: .none) {
        case .used(let link, _):
            guard let id = link.partnerID, let partner = try await store.partner(id: id), partner.status == .active else { throw Self.unknownLink }
            return partner
        case .unusable(let state): try Self.check(state); throw Self.unknownLink
        case .unknown: throw Self.unknownLink
        }
    }

    /// A partner without an email signs in with its API token.
    public func partner(token: String, address: String) async throws -> Partner {
        let now = Self.now()
        try limits.check(account: "token@" + address, address: address, now: now)
        guard token.hasPrefix(Secrets.Kind.partnerToken.rawValue), let partner = try await store.partner(tokenHash: Secrets.hash(token)),
              partner.status == .active else {
            limits.recordFailure(account: "token@" + address, address: address, now: now)
            throw DomainError(.invalid, "That token is unknown or revoked.", field: "token")
        }
        return partner
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
