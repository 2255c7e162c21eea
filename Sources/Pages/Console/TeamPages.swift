import API
import Domain
import Foundation
import Hummingbird
import HummingbirdAuth
import Services
import Store
import Wire

/// The team: who is on it and with which role, invites, and the active
/// sessions of the person signed in (each can be ended).
extension ConsolePages {
    func registerTeam(on pages: RouterGroup<PageContext>) {
        pages.get("/team", use: teamPage)
        pages.post("/team/invites", use: invite)
        pages.post("/team/{member_id}/role", use: changeRole)
        pages.post("/team/{member_id}/remove", use: removeTeammate)
        pages.post("/sessions/revoke", use: revokeSession)
    }

    @Sendable func teamPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.read, request)
        return try await teamPage(state: FormState(values: ["role": "viewer"]), context, invited: request.uri.queryParameters["invited"] != nil)
    }

    func teamPage(state: FormState, _ context: PageContext, invited: Bool = false, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let me = context.teamMember else { throw PageError.signIn(next: "/team") }
        let now = Self.now()
        let sessions = try await store.sessions(of: .team(me.id), now: now)
        var values = state.context
        values["title"] = "Team"
        values["section"] = "team"
        values["members"] = try await store.teamMembers().map { member in
            ["id": member.id, "email": member.email, "role": member.role.rawValue, "me": member.id == me.id,
             "roles": TeamRole.allCases.map { ["name": $0.rawValue, "selected": $0 == member.role] }, "since": Self.day(member.createdAt)]
        }
        values["invites"] = try await store.openInvites(now: now).map {
            ["email": $0.email, "role": $0.role?.rawValue ?? "", "expires": Timestamp.format($0.expiresAt)]
        }
        values["roles"] = TeamRole.allCases.map { ["name": $0.rawValue, "selected": $0.rawValue == (state.values["role"] ?? "viewer")] }
        values["sessions"] = sessions.map { session in
            ["key": session.keyHash.map { String(format: "%02x", $0) }.joined(), "browser": session.userAgent, "address": session.address,
             "since": Timestamp.format(session.createdAt), "expires": Timestamp.format(session.expiresAt),
             "current": context.sessionKeyHash == session.keyHash]
        }
        values["invited"] = invited
        return page("team", values, context, status: status)
    }

    @Sendable func invite(_ request: Request, context: PageContext) async throws -> Response {
        let me = try context.team(.manageTeam, request)
        let form = context.form
        do {
            guard let role = form["role"].flatMap(TeamRole.init(rawValue:)) else { throw DomainError.invalid("role", "Choose a role.") }
            _ = try await accounts.invite(email: form["email"] ?? "", role: role, by: me)
            return Renderer.redirect("/team?invited=1")
        } catch {
            guard let errors = FormInput.errors(error, fallback: "email") else { throw error }
            return try await teamPage(state: FormState(values: form.values, errors: errors), context, status: .unprocessableContent)
        }
    }

    @Sendable func changeRole(_ request: Request, context: PageContext) async throws -> Response {
        let me = try context.team(.manageTeam, request)
        guard let role = context.form["role"].flatMap(TeamRole.init(rawValue:)) else { throw DomainError.invalid("role", "Choose a role.") }
        _ = try await accounts.changeRole(of: try Self.id(context, "member_id"), to: role, by: me)
        return Renderer.redirect("/team")
    }

    @Sendable func removeTeammate(_ request: Request, context: PageContext) async throws -> Response {
        let me = try context.team(.manageTeam, request)
        try await accounts.remove(try Self.id(context, "member_id"), by: me)
        return Renderer.redirect("/team")
    }

    /// Ends one of the signed-in person's own sessions (a teammate's or a partner's).
    @Sendable func revokeSession(_ request: Request, context: PageContext) async throws -> Response {
        guard let session = context.sessions.session else { throw PageError.signIn(next: "/team") }
        let hex = context.form["key"] ?? ""
        let key = stride(from: 0, to: hex.count - 1, by: 2).compactMap { offset -> UInt8? in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)
        }
        // Only sessions of the same owner can be ended here.
        let mine = try await store.sessions(of: session.owner, now: Self.now())
        guard mine.contains(where: { $0.keyHash == key }) else { throw PageError.notFound("There is no such session of yours.") }
        try await store.removeSession(keyHash: key)
        return Renderer.redirect(session.kind == .partner ? "/partner/sessions" : "/team")
    }
}
