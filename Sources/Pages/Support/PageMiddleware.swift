import API
import ClickModel
import Domain
import Foundation
import Hummingbird
import HummingbirdAuth
import Services

/// Why a page is not shown: each becomes the page a person would expect.
enum PageError: Error {
    /// Not signed in: to the team's sign-in page, then back to `next`.
    case signIn(next: String)
    /// Not signed in as a partner: to the Partner Center's sign-in page.
    case partnerSignIn(next: String)
    /// Signed in, but the role does not allow it (403).
    case forbidden(String)
    /// Nothing here for this person (404): also what a partner sees of
    /// another partner's things.
    case notFound(String)
    /// A POST without its form's token, or with a stale one (403).
    case staleForm
}

/// Turns refusals into pages: `PageError`s, and refusals of the rules
/// (`DomainError`, the API's checks) that a page did not show at a field.
struct PageErrors: RouterMiddleware {
    typealias Context = PageContext
    let renderer: Renderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PageError {
            switch error {
            case .signIn(let path):
                return Renderer.redirect("/login?next=" + Self.escape(path))
            case .partnerSignIn(let path):
                return Renderer.redirect("/partner/signin?next=" + Self.escape(path))
            case .forbidden(let message):
                return problem("Not allowed", message, .forbidden, context)
            case .notFound(let message):
                return problem("Not found", message, .notFound, context)
            case .staleForm:
                return problem("This form has expired",
                               "The form was sent without its security token, or with an old one. Go back, reload the page and send it again.",
                               .forbidden, context)
            }
        } catch let error as DomainError {
            let status: HTTPResponse.Status = switch error.code {
            case .invalid: .unprocessableContent
            case .notFound: .notFound
            case .conflict: .conflict
            case .forbidden: .forbidden
            }
            return problem("That did not work", error.message, status, context)
        } catch let error as APIError where error.status.code < 500 {
            return problem("That did not work", error.message, error.status, context)
        }
    }

    func problem(_ title: String, _ message: String, _ status: HTTPResponse.Status, _ context: Context) -> Response {
        renderer.page("problem", ["title": title, "message": message], context: context, status: status)
    }

    static func escape(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-_."))) ?? "/"
    }
}

/// Resolves the session to the teammate or partner it belongs to; a
/// session whose owner is gone (removed from the team, deactivated) ends.
struct Identity: RouterMiddleware {
    typealias Context = PageContext
    let store: any AccountStore & PartnerStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let session = context.sessions.session {
            context.sessionKeyHash = request.cookies[Pages.sessionCookieName].map { StoredSessions.keyHash("session." + $0.value) }
            switch session.owner {
            case .team(let id):
                context.teamMember = try await store.teamMember(id: id)
            case .partner(let id):
                context.partner = try await store.partner(id: id).flatMap { $0.status == .active ? $0 : nil }
            }
            if context.teamMember == nil && context.partner == nil { context.sessions.clearSession() }
        }
        return try await next(request, context)
    }
}

/// Reads a POSTed form and checks its token before any handler runs: a
/// signed-in session's own token, or, on the forms shown before signing in,
/// the token of the `clickline_form` cookie. Without a match: 403.
struct FormMiddleware: RouterMiddleware {
    typealias Context = PageContext
    static let cookieName = "clickline_form"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post else { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var context = context
        context.form = FormFields(String(buffer: body))
        let expected = context.sessions.session?.csrf ?? request.cookies[Self.cookieName]?.value
        guard FormToken.matches(context.form["csrf"], expected) else { throw PageError.staleForm }
        return try await next(request, context)
    }

    /// The token for a form shown before signing in, and the cookie to set
    /// when the browser has none yet.
    static func anonymousToken(_ request: Request, secure: Bool) -> (token: String, setCookie: HTTPFields) {
        if let token = request.cookies[cookieName]?.value, token.count == 48 { return (token, [:]) }
        let token = FormToken.make()
        let cookie = Cookie(name: cookieName, value: token, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
        return (token, [.setCookie: cookie.description])
    }
}

extension PageContext {
    /// The teammate signed in, if its role may do `action`; otherwise the
    /// sign-in page (not signed in) or 403.
    func team(_ action: ConsoleAction, _ request: Request) throws -> TeamMember {
        guard let member = teamMember else { throw PageError.signIn(next: request.uri.string) }
        guard member.role.may(action) else {
            let what = switch action {
            case .read: "read this"
            case .watchLive: "watch the live page"
            case .manage: "change anything; a viewer or ops teammate only reads"
            case .manageTeam: "manage the team; only an owner does"
            }
            throw PageError.forbidden("Your role (\(member.role.rawValue)) cannot \(what). Ask an owner if you need more.")
        }
        return member
    }

    /// The partner signed in to the Partner Center.
    func signedInPartner(_ request: Request) throws -> Partner {
        guard let partner else { throw PageError.partnerSignIn(next: request.uri.string) }
        return partner
    }
}
