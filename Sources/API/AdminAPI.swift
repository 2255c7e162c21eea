import APIDocument
import Domain
import EventsOut
import Foundation
import Hummingbird
import Ops
import Services
import Store

/// The HTTP API of the admin port: health, metrics, live ops, the catalogue's
/// admin API and the partner API.
public enum AdminAPI {
    /// Builds the router.
    ///
    /// `/healthz`, `/readyz`, `/metrics`, `/v1/ops/live` and its stream, and
    /// the pages' static parts answer from memory and never wait on the store.
    ///
    /// - Parameters:
    ///   - sessions: the role a browser session reads `/metrics` and the live figures as.
    ///   - pages: adds the HTML pages (the `Pages` target) to the router.
    public static func router(store: SQLStore, sources: OpsSources, metrics: MetricsExporter, urls: PublicURLs,
                              deadlines: RequestDeadlines = RequestDeadlines(), sessions: SessionRoles? = nil,
                              eventTargets: TargetGuard = TargetGuard(), quality: QualityRules = QualityRules(),
                              pages: (Router<ClicklineRequestContext>, _ opsKeys: any KeyStore) -> Void = { _, _ in })
        -> Router<ClicklineRequestContext> {
        let router = Router(context: ClicklineRequestContext.self)
        let routes = KnownRoutes()
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware(routes: routes))
        router.add(middleware: DeadlineMiddleware(deadlines: deadlines))
        router.add(middleware: StoreErrorMiddleware())

        router.get("/healthz") { _, _ in
            plain("ok\n")
        }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.json)))
        }
        router.get("/readyz") { _, _ -> Response in
            guard sources.isReady() else { throw APIError.unavailable("not ready") }
            return plain("ready\n")
        }

        // Ops keys are remembered through an outage of the store: its figures are read from memory.
        let opsKeys = RememberedKeys(store)
        let ops = router.group().add(middleware: RequireKey([.ops, .admin], keys: opsKeys, sessions: sessions))
        ops.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        ops.get("/v1/ops/live") { _, _ in
            try json(LiveReport(live: sources.live(), workers: sources.workers()))
        }
        router.group().add(middleware: RequireKey([.ops, .admin], keys: opsKeys, sessions: sessions))
            .get("/v1/ops/live/stream", use: LiveStream(sources: sources).respond)
        addCatalogue(to: router, store: store, urls: urls, eventTargets: eventTargets, quality: quality)
        MemberDashboard.register(on: router, store: store, urls: urls)
        pages(router, opsKeys)
        routes.set(router.routes)
        return router
    }

    /// A router of the catalogue's admin API and the partner API alone, with
    /// the same middleware as in `router`: what their tests drive.
    public static func catalogueRouter(store: SQLStore, urls: PublicURLs, deadlines: RequestDeadlines = RequestDeadlines(),
                                       eventTargets: TargetGuard = TargetGuard()) -> Router<ClicklineRequestContext> {
        let router = Router(context: ClicklineRequestContext.self)
        let routes = KnownRoutes()
        router.add(middleware: MethodNotAllowedMiddleware(routes: routes))
        router.add(middleware: DeadlineMiddleware(deadlines: deadlines))
        router.add(middleware: StoreErrorMiddleware())
        addCatalogue(to: router, store: store, urls: urls, eventTargets: eventTargets)
        routes.set(router.routes)
        return router
    }

    static func addCatalogue(to router: Router<ClicklineRequestContext>, store: SQLStore, urls: PublicURLs, eventTargets: TargetGuard,
                             quality: QualityRules = QualityRules()) {
        // The use cases, each over the part of the store it needs; the routes read through the rest.
        let conversions = ConversionAPI(store: store, recorder: ConversionRecorder(store: store), payments: Payments(store: store),
                                        quality: quality)
        conversions.registerPublic(on: router)

        let admin = router.group().add(middleware: RequireKey([.admin], keys: store))
        CatalogueAPI(store: store, catalogue: Catalogue(store: store), memberships: Memberships(store: store), urls: urls).register(on: admin)
        conversions.registerAdmin(on: admin)
        ReportAPI(store: store).register(on: admin)
        ClickAPI(store: store, rules: quality.invalidClicks).register(on: admin)
        ProjectAPI(store: store, workflow: ProjectWorkflow(store: store), urls: urls).register(on: admin)
        EmailAPI(store: store, emails: MemberEmails(store: store, urls: urls)).register(on: admin)
        WebhookAPI(store: store, targets: eventTargets).register(on: admin)
        let postbacks = PostbackAPI(store: store, targets: eventTargets)
        postbacks.registerAdmin(on: admin)

        let partner = router.group().add(middleware: RequirePartner(store: store))
        PartnerAPI(store: store, links: PartnerLinks(store: store, urls: urls), urls: urls).register(on: partner)
        postbacks.registerPartner(on: partner)
    }

    static func plain(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
