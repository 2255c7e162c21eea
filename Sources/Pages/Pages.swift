import API
import Domain
import EventsOut
import Hummingbird
import HummingbirdAuth
import Ops
import Services
import Store

/// The pages of the admin port (SPEC section 15): the brand console for
/// signed-in teammates, the Partner Center under `/partner` for signed-in
/// partners, and the member page `/p/{token}`, open to the link's holder.
///
/// Every action goes through the same use cases as the JSON API, and its
/// values through the same checks; a page only turns form fields into
/// their arguments and their refusals into messages at the fields.
public struct Pages: Sendable {
    let store: SQLStore
    let urls: PublicURLs
    let sources: OpsSources
    let renderer: Renderer
    let accounts: Accounts
    let sessionStorage: SessionStorage<WebSession>
    let cookie: SessionCookieParameters
    /// Where webhooks and postbacks may lead, as the API checks it.
    let eventTargets: TargetGuard
    /// Names the flags of invalid clicks as the API does, with today's settings.
    let invalidClicks: InvalidClickRules

    static let sessionCookieName = "clickline_session"

    /// Loads the templates; fails when they are missing from the program's resources.
    public static func load(store: SQLStore, urls: PublicURLs, sources: OpsSources, hasher: PasswordHasher = PasswordHasher(),
                            limits: SignInLimits = SignInLimits(), eventTargets: TargetGuard = TargetGuard(),
                            invalidClicks: InvalidClickRules = InvalidClickRules()) async throws -> Pages {
        let cookie = SessionCookieParameters(name: sessionCookieName, path: "/", secure: urls.pagesAreSecure, sameSite: .lax)
        return Pages(store: store, urls: urls, sources: sources, renderer: try await Renderer.load(),
                     accounts: Accounts(store: store, urls: urls, hasher: hasher, limits: limits),
                     sessionStorage: SessionStorage(StoredSessions(store: store), configuration: .init(sessionCookieParameters: cookie,
                                                                                                      keyPrefix: "session.")),
                     cookie: cookie, eventTargets: eventTargets, invalidClicks: invalidClicks)
    }

    /// Adds every page, and `/assets/{name}`, to the router.
    public func register(on router: Router<ClicklineRequestContext>, opsKeys: any KeyStore) {
        let renderer = self.renderer
        router.get("/assets/{name}") { _, context -> Response in
            guard let name = context.parameters.get("name"), let asset = renderer.assets[name] else { throw APIError.notFound("no such file") }
            return Response(status: .ok, headers: [.contentType: asset.type, .cacheControl: "public, max-age=300"],
                            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        }
        router.get("/") { _, _ in Renderer.redirect("/dashboard") }

        let pages = router.group(context: PageContext.self)
            .add(middleware: SessionMiddleware(sessionStorage: sessionStorage, defaultSessionExpiration: SignInPages.sessionLifetime))
            .add(middleware: Identity(store: store))
            .add(middleware: PageErrors(renderer: renderer))
            .add(middleware: FormMiddleware())
        SignInPages(accounts: accounts, renderer: renderer, secureCookies: urls.pagesAreSecure).register(on: pages)
        ConsolePages(pages: self).register(on: pages)
        PartnerCenter(pages: self).register(on: pages)
    }

    /// The role a browser session reads `/metrics` and the live stream as:
    /// owners and admins as an admin key, ops as an ops key, viewers not at all.
    public var sessionRoles: SessionRoles {
        { [sessionStorage, store] request in
            guard let session = try? await sessionStorage.load(request: request), case .team(let id) = session.owner,
                  let member = try? await store.teamMember(id: id) else { return nil }
            switch member.role {
            case .owner, .admin: return .admin
            case .ops: return .ops
            case .viewer: return nil
            }
        }
    }
}
