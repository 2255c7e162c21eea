import Foundation
import Hummingbird
import Store

/// The HTTP API of the admin port: health, metrics and live ops for now; the
/// admin, partner and report APIs join it here.
public enum AdminAPI {
    /// Builds the router.
    public static func router(store: any ClicklineStore, sources: OpsSources, metrics: MetricsExporter) -> Router<ClicklineRequestContext> {
        let router = Router(context: ClicklineRequestContext.self)
        router.add(middleware: MetricsMiddleware())

        router.get("/healthz") { _, _ in
            plain("ok\n")
        }
        router.get("/readyz") { _, _ -> Response in
            guard sources.isReady() else { throw APIError.unavailable("not ready") }
            return plain("ready\n")
        }

        let ops = router.group().add(middleware: RequireKey([.ops, .admin], keys: store))
        ops.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        ops.get("/v1/ops/live") { _, _ in
            try json(LiveReport(live: sources.live(), workers: sources.workers()))
        }
        return router
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
