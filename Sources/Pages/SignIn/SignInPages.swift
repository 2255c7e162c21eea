import API
import Domain
import Foundation
import Hummingbird
import HummingbirdAuth
import Services

/// Signing in and out (SPEC section 15): the team by email and password or
/// a one-time link (the first owner's, an invite, a password reset), and
/// partners by a link emailed to them or, without an email, their token.
///
/// A link's page only shows what it will do; the POST of its form uses it,
/// so a mail scanner that opens links does not spend them.
struct SignInPages: Sendable {
    let accounts: Accounts
    let renderer: Renderer
    let secureCookies: Bool

    /// A session lasts this long from sign-in.
    static let sessionLifetime: Duration = .seconds(12 * 3600)

    func register(on pages: RouterGroup<PageContext>) {
        pages.get("/login", use: loginPage)
        pages.post("/login", use: login)
        pages.post("/logout", use: logout)
        pages.get("/signin/{secret}", use: linkPage(.signIn))
        pages.post("/signin/{secret}", use: useLink(.signIn))
        pages.get("/invite/{secret}", use: linkPage(.invite))
        pages.post("/invite/{secret}", use: useLink(.invite))
        pages.get("/password/forgot", use: forgotPage)
        pages.post("/password/forgot", use: forgot)
        pages.get("/password/reset/{secret}", use: linkPage(.passwordReset))
        pages.post("/password/reset/{secret}", use: useLink(.passwordReset))
        pages.get("/partner/signin", use: partnerSignInPage)
        pages.post("/partner/signin", use: partnerSignIn)
        pages.post("/partner/signin/token", use: partnerTokenSignIn)
        pages.get("/partner/signin/{secret}", use: linkPage(.partnerSignIn))
        pages.post("/partner/signin/{secret}", use: usePartnerLink)
    }

    /// Only paths of this site, never another host.
    static func safeNext(_ next: String?, fallback: String = "/dashboard") -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"),
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return fallback }
        return next
    }

    /// A page of a form shown before signing in: its token, and the cookie that carries it.
    func anonymousPage(_ template: String, _ values: [String: Any], _ request: Request, _ context: PageContext,
                       status: HTTPResponse.Status = .ok) -> Response {
        let (token, cookie) = FormMiddleware.anonymousToken(request, secure: secureCookies)
        var values = values
        values["csrf"] = context.sessions.session?.csrf ?? token
        return renderer.page(template, values, context: context, status: status, headers: cookie)
    }

    /// Starts a session for `owner` (a new key, so a key seen before signing in is worthless).
    func open(_ owner: SessionOwner, _ request: Request, _ context: PageContext) {
        context.sessions.createSession(
            WebSession(owner: owner, userAgent: request.headers[.userAgent] ?? "unknown", address: context.remoteAddress),
            expiresIn: Self.sessionLifetime)
    }

    // MARK: the team

    @Sendable func loginPage(_ request: Request, context: PageContext) async throws -> Response {
        let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
        if context.teamMember != nil { return Renderer.redirect(next) }
        return anonymousPage("login", ["title": "Sign in", "next": next], request, context)
    }

    @Sendable func login(_ request: Request, context: PageContext) async throws -> Response {
        let form = context.form
        let next = Self.safeNext(form["next"])
        do {
            let member = try await accounts.signIn(email: form["email"] ?? "", password: form["password"] ?? "", address: context.remoteAddress)
            open(.team(member.id), request, context)
            return Renderer.redirect(member.role == .ops && next == "/dashboard" ? "/ops" : next)
        } catch let error as DomainError {
            return anonymousPage("login", ["title": "Sign in", "next": next, "email": form["email"] ?? "", "error": error.message],
                                 request, context, status: error.reason == "rate_limited" ? .tooManyRequests : .unauthorized)
        }
    }

    @Sendable func logout(_ request: Request, context: PageContext) async throws -> Response {
        let partner = context.sessions.session?.kind == .partner
        context.sessions.clearSession()
        return Renderer.redirect(partner ? "/partner/signin" : "/login")
    }

    /// The page of a one-time link: what it does, or why it no longer can.
    func linkPage(_ purpose: OneTimeLinkPurpose) -> @Sendable (Request, PageContext) async throws -> Response {
        { request, context in
            let secret = context.parameters.get("secret") ?? ""
            let link = try await accounts.link(secret: secret)
            var values: [String: Any] = ["title": Self.titles[purpose] ?? "Sign in", "secret": secret, "purpose": purpose.rawValue,
                                         "action": Self.paths[purpose]! + secret]
            guard let link, link.purpose == purpose else {
                values["unusable"] = "This link is not one of ours. Check that it was copied whole."
                return anonymousPage("link", values, request, context, status: .notFound)
            }
            switch link.state(at: StoredSessions.now()) {
            case .expired:
                values["unusable"] = purpose == .invite ? "This invite has expired. Ask an owner of the team to invite you again."
                    : "This link has expired. Ask for a new one."
                return anonymousPage("link", values, request, context, status: .gone)
            case .used:
                values["unusable"] = "This link was used already; each works once."
                return anonymousPage("link", values, request, context, status: .gone)
            case .usable:
                break
            }
            values["email"] = link.email
            values["role"] = link.role?.rawValue ?? ""
            values["needs_password"] = purpose == .invite || purpose == .passwordReset
            values["may_set_password"] = purpose == .signIn
            values["partner_link"] = purpose == .partnerSignIn
            return anonymousPage("link", values, request, context)
        }
    }

    static let titles: [OneTimeLinkPurpose: String] = [
        .signIn: "Sign in", .invite: "Join the team", .passwordReset: "Choose a new password", .partnerSignIn: "Partner Center",
    ]
    static let paths: [OneTimeLinkPurpose: String] = [
        .signIn: "/signin/", .invite: "/invite/", .passwordReset: "/password/reset/", .partnerSignIn: "/partner/signin/",
    ]

    /// Uses a team link with the password typed, and signs the member in.
    func useLink(_ purpose: OneTimeLinkPurpose) -> @Sendable (Request, PageContext) async throws -> Response {
        { request, context in
            let secret = context.parameters.get("secret") ?? ""
            let password = context.form["password"]
            if let password, !password.isEmpty, password != context.form["password_again"] {
                return try await refuse(purpose, secret, "The two passwords differ.", request, context)
            }
            do {
                let member = try await accounts.use(secret: secret, purpose: purpose, password: password)
                open(.team(member.id), request, context)
                return Renderer.redirect(member.role == .ops ? "/ops" : "/dashboard")
            } catch let error as DomainError where error.reason.map(["used_link", "expired_link", "unknown_link"].contains) == true {
                // Used or expired meanwhile: the page that says so.
                return try await linkPage(purpose)(request, context)
            } catch let error as DomainError where error.field != nil || error.code == .conflict {
                return try await refuse(purpose, secret, error.message, request, context)
            }
        }
    }

    func refuse(_ purpose: OneTimeLinkPurpose, _ secret: String, _ message: String, _ request: Request,
                _ context: PageContext) async throws -> Response {
        var page = try await linkPage(purpose)(request, context)
        if page.status == .ok {
            // The same form again, with what went wrong at the password.
            let link = try await accounts.link(secret: secret)
            page = anonymousPage("link", [
                "title": Self.titles[purpose] ?? "Sign in", "action": Self.paths[purpose]! + secret, "email": link?.email ?? "",
                "role": link?.role?.rawValue ?? "", "needs_password": purpose != .signIn, "may_set_password": purpose == .signIn,
                "password_error": message,
            ], request, context, status: .unprocessableContent)
        }
        return page
    }

    @Sendable func forgotPage(_ request: Request, context: PageContext) async throws -> Response {
        anonymousPage("forgot", ["title": "Reset your password"], request, context)
    }

    @Sendable func forgot(_ request: Request, context: PageContext) async throws -> Response {
        let email = context.form["email"] ?? ""
        do {
            try await accounts.requestPasswordReset(email: email)
        } catch let error as DomainError where error.field != nil {
            return anonymousPage("forgot", ["title": "Reset your password", "email": email, "error": error.message], request, context,
                                 status: .unprocessableContent)
        }
        return anonymousPage("forgot", ["title": "Reset your password", "sent": true, "email": email], request, context)
    }

    // MARK: partners

    @Sendable func partnerSignInPage(_ request: Request, context: PageContext) async throws -> Response {
        if context.partner != nil { return Renderer.redirect("/partner") }
        return anonymousPage("partner-signin", ["title": "Partner Center"], request, context)
    }

    @Sendable func partnerSignIn(_ request: Request, context: PageContext) async throws -> Response {
        let email = context.form["email"] ?? ""
        do {
            try await accounts.requestPartnerSignIn(email: email)
        } catch let error as DomainError where error.field != nil {
            return anonymousPage("partner-signin", ["title": "Partner Center", "email": email, "error": error.message], request, context,
                                 status: .unprocessableContent)
        }
        return anonymousPage("partner-signin", ["title": "Partner Center", "sent": true, "email": email], request, context)
    }

    @Sendable func partnerTokenSignIn(_ request: Request, context: PageContext) async throws -> Response {
        do {
            let partner = try await accounts.partner(token: context.form["token"] ?? "", address: context.remoteAddress)
            open(.partner(partner.id), request, context)
            return Renderer.redirect("/partner")
        } catch let error as DomainError {
            return anonymousPage("partner-signin", ["title": "Partner Center", "token_error": error.message], request, context,
                                 status: error.reason == "rate_limited" ? .tooManyRequests : .unauthorized)
        }
    }

    @Sendable func usePartnerLink(_ request: Request, context: PageContext) async throws -> Response {
        let secret = context.parameters.get("secret") ?? ""
        do {
            let partner = try await accounts.usePartnerLink(secret: secret)
            open(.partner(partner.id), request, context)
            return Renderer.redirect("/partner")
        } catch is DomainError {
            return try await linkPage(.partnerSignIn)(request, context)
        }
    }
}
