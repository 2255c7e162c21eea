import Domain
import Hummingbird

/// How long a request of the admin port may take before it is answered 503.
public struct RequestDeadlines: Sendable {
    /// Postbacks and order webhooks. Their senders (a partner's tracker,
    /// Shopify) send again on any error, so a quick 503 serves them better
    /// than an answer that comes after they gave up. Default 2 s.
    public var conversions: Duration
    /// Every other request. Default 10 s.
    public var other: Duration

    public init(conversions: Duration = .seconds(2), other: Duration = .seconds(10)) {
        self.conversions = conversions
        self.other = other
    }

    func limit(forPath path: String) -> Duration {
        path == "/v1/postback" || path.hasPrefix("/v1/webhooks/") ? conversions : other
    }
}

/// Gives every request a deadline: the handler runs with `Deadline.current`
/// set, and every store call in its task honours it. A transaction still
/// waiting for a lock or for the database's answer then gives up and
/// changes nothing; a conversion waiting for its group commit is answered
/// at the deadline whatever the database is doing, and one whose group had
/// not started is not recorded. The handler then answers 503 with
/// `Retry-After` (`APIError(store:)`).
///
/// The deadline is kept by the calls that wait, not by racing the handler
/// against a timer: a second task per request cost a fifth of the
/// postbacks a second.
struct DeadlineMiddleware: RouterMiddleware {
    typealias Context = ClicklineRequestContext

    let deadlines: RequestDeadlines

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await Deadline.$current.withValue(.now + deadlines.limit(forPath: request.uri.path)) {
            try await next(request, context)
        }
    }
}
