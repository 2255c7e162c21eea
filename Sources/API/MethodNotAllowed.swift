import Hummingbird
import Synchronization

/// The API's routes as path patterns, for telling "no such resource" (404)
/// from "not with this method" (405). Filled once the router holds them all.
final class KnownRoutes: Sendable {
    private let routes = Mutex<[(method: HTTPRequest.Method, segments: [Substring])]>([])

    func set(_ descriptions: [Router<ClicklineRequestContext>.RouteDescription]) {
        let routes = descriptions.map { ($0.method, "\($0.path)".split(separator: "/")) }
        self.routes.withLock { $0 = routes }
    }

    /// The methods the API answers on `path`, in a fixed order; none when it has no such path.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let matching = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == segments.count && zip(route.segments, segments).allSatisfy { pattern, segment in
                    pattern.hasPrefix("{") ? !segment.isEmpty : pattern == segment
                }
            }.map(\.method)
        }
        return [.get, .post, .put, .patch, .delete].filter(matching.contains)
    }
}

/// Answers 405 with `Allow` (RFC 9110) for a path the API has, asked with a
/// method it does not take there, where the router alone would say 404.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = ClicklineRequestContext
    let routes: KnownRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let methods = routes.methods(for: request.uri.path)
            guard !methods.isEmpty, !methods.contains(request.method) else { throw error }
            let allowed = methods.map(\.rawValue).joined(separator: ", ")
            var refusal = APIError(.methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not allowed here; use \(allowed)")
            refusal.headers[.allow] = allowed
            throw refusal
        }
    }
}
