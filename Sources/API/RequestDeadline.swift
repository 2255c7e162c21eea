import Hummingbird
import Store

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

/// Gives every request a deadline. The handler runs with `Deadline.current`
/// set, which every store call in its task honours: a transaction still
/// waiting for a lock or an answer then gives up and changes nothing, and a
/// conversion not yet committed is not recorded. Should the handler still be
/// busy at the deadline, it is cancelled and the answer is 503 with
/// `Retry-After`, so a caller never waits longer than the deadline (plus the
/// moment a cancelled store call takes to let go).
struct DeadlineMiddleware: RouterMiddleware {
    typealias Context = ClicklineRequestContext

    let deadlines: RequestDeadlines

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let deadline = ContinuousClock.now + deadlines.limit(forPath: request.uri.path)
        return try await withoutActuallyEscaping(next) { next in
            // The handler runs as a child task of the group below, which ends
            // before this call returns: it does not really escape.
            let handler = UncheckedSendable(next)
            return try await Deadline.$current.withValue(deadline) {
                try await withThrowingTaskGroup(of: Response.self) { group in
                    group.addTask { try await handler.value(request, context) }
                    group.addTask {
                        try await Task.sleep(until: deadline, clock: .continuous)
                        var error = APIError.unavailable("the request did not finish within its deadline; nothing is half-recorded, try again")
                        error.headers[.retryAfter] = "1"
                        throw error
                    }
                    defer { group.cancelAll() }
                    guard let first = try await group.next() else { throw CancellationError() }
                    return first
                }
            }
        }
    }
}

/// A value the compiler cannot prove Sendable, handed to a child task that
/// its parent outlives.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
