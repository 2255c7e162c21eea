import Domain
import EventsOut
import Foundation
import Hummingbird
import Wire

/// Webhook endpoints (SPEC section 13): where a brand's systems hear about
/// events, each delivery signed by the Standard Webhooks specification.
package struct WebhookAPI: Sendable {
    let store: any EventStore
    let targets: TargetGuard

    func register(on router: RouterGroup<ClicklineRequestContext>) {
        router.post("/v1/webhooks", use: create)
        router.get("/v1/webhooks", use: list)
        router.get("/v1/webhooks/{id}", use: show)
        router.patch("/v1/webhooks/{id}", use: update)
        router.delete("/v1/webhooks/{id}", use: delete)
        router.post("/v1/webhooks/{id}/rotate", use: rotate)
        router.post("/v1/webhooks/{id}/test", use: test)
        router.get("/v1/webhooks/{id}/deliveries", use: deliveries)
        router.post("/v1/webhooks/{id}/replay", use: replay)
    }

    struct EndpointInput: Decodable {
        var url: String?
        var events: [String]?
        var status: String?
    }

    /// `POST /v1/webhooks` `{url, events}`: 201 with the secret, shown this once.
    @Sendable func create(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let input = try await JSONBody.decode(EndpointInput.self, from: request, context: context)
        let endpoint = try await Self.create(url: input.url, events: input.events, store: store, targets: targets)
        return try JSONBody.response(EndpointBody(endpoint, showingSecret: true), status: .created)
    }

    /// A new endpoint after the checks of its URL (form, and where it leads)
    /// and of its event types; the console's form goes through it too.
    package static func create(url: String?, events names: [String]?, store: any EventStore, targets: TargetGuard) async throws
        -> WebhookEndpoint {
        guard let url, !url.isEmpty else { throw APIError.invalid("url", "is required") }
        _ = try await targets.check(url)
        let events = try eventTypes(names)
        return try await store.createEndpoint(url: url, events: events, secret: WebhookSecret.generate(), now: Timestamp.now())
    }

    /// A new secret; the old one signs beside it for 24 hours.
    package static func rotate(_ id: Int64, store: any EventStore) async throws -> WebhookEndpoint {
        try await store.rotateSecret(id: id, newSecret: WebhookSecret.generate(), previousUntil: Timestamp.now() + WebhookEndpoint.rotationOverlap)
    }

    /// Queues a `webhook.test` event for this endpoint alone.
    package static func test(_ endpoint: WebhookEndpoint, store: any EventStore) async throws -> Event {
        try await store.queueTestEvent(endpointID: endpoint.id, data: "{\"webhook_id\":\(endpoint.id)}", now: Timestamp.now())
    }

    /// `GET /v1/webhooks`: every endpoint, without its secret.
    @Sendable func list(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        try JSONBody.response(Page(items: try await store.endpoints().map { EndpointBody($0) }, nextCursor: nil))
    }

    @Sendable func show(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        try JSONBody.response(EndpointBody(try await endpoint(context)))
    }

    /// `PATCH /v1/webhooks/{id}` `{url, events, status}`: what is sent changes.
    @Sendable func update(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try await endpoint(context).id
        let input = try await JSONBody.decode(EndpointInput.self, from: request, context: context)
        var change = EndpointChange()
        if let url = input.url {
            _ = try await targets.check(url)
            change.url = url
        }
        if input.events != nil { change.events = try Self.eventTypes(input.events) }
        if let status = input.status {
            guard let value = EndpointStatus(rawValue: status) else { throw APIError.invalid("status", "must be active or disabled") }
            change.status = value
        }
        return try JSONBody.response(EndpointBody(try await store.updateEndpoint(id: id, change)))
    }

    @Sendable func delete(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        try await store.deleteEndpoint(id: try await endpoint(context).id)
        return Response(status: .noContent)
    }

    /// `POST /v1/webhooks/{id}/rotate`: a new secret, shown this once; the
    /// old one signs beside it for 24 hours.
    @Sendable func rotate(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let rotated = try await Self.rotate(try await endpoint(context).id, store: store)
        return try JSONBody.response(EndpointBody(rotated, showingSecret: true))
    }

    /// `POST /v1/webhooks/{id}/test`: a `webhook.test` event, to this endpoint alone.
    @Sendable func test(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let event = try await Self.test(try await endpoint(context), store: store)
        return try JSONBody.response(["event_id": event.key], status: .accepted)
    }

    /// `GET /v1/webhooks/{id}/deliveries?limit=&cursor=`: the delivery log, newest first.
    @Sendable func deliveries(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try await endpoint(context).id
        return try await AttemptBody.page(of: id, request, store: store)
    }

    struct ReplayInput: Decodable {
        var eventID: String?
        var from: String?
        var to: String?

        enum CodingKeys: String, CodingKey {
            case eventID = "event_id"
            case from, to
        }
    }

    /// `POST /v1/webhooks/{id}/replay` `{event_id}` or `{from, to}`: sent again.
    @Sendable func replay(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try await endpoint(context).id
        let input = try await JSONBody.decode(ReplayInput.self, from: request, context: context)
        let selection: ReplaySelection
        switch (input.eventID, input.from, input.to) {
        case (let key?, nil, nil):
            guard key.hasPrefix("evt_"), key.count <= 64 else { throw APIError.invalid("event_id", "must be an event id (evt_...)") }
            selection = .event(key: key)
        case (nil, let fromText?, let toText?):
            guard let from = Timestamp.parse(fromText) else { throw APIError.invalid("from", "must be an RFC 3339 time") }
            guard let to = Timestamp.parse(toText) else { throw APIError.invalid("to", "must be an RFC 3339 time") }
            guard from < to else { throw APIError.invalid("to", "must be after from") }
            selection = .range(from: from, to: to)
        default:
            throw APIError.invalid("event_id", "send either event_id, or both from and to")
        }
        let queued = try await store.replay(endpointID: id, selection, now: Timestamp.now())
        return try JSONBody.response(["queued": queued], status: .accepted)
    }

    func endpoint(_ context: ClicklineRequestContext) async throws -> WebhookEndpoint {
        let id = try context.id("id")
        guard let endpoint = try await store.endpoint(id: Int64(id)) else { throw APIError.notFound("webhook endpoint \(id) does not exist") }
        return endpoint
    }

    /// The types asked for: at least one, each a type that exists, none twice.
    package static func eventTypes(_ names: [String]?) throws(APIError) -> [EventType] {
        guard let names, !names.isEmpty else {
            throw .invalid("events", "name at least one event type: "
                           + EventType.subscribable.map(\.rawValue).joined(separator: ", "))
        }
        var types: [EventType] = []
        for name in names {
            guard let type = EventType(rawValue: name), EventType.subscribable.contains(type) else {
                throw .invalid("events", "\(name) is not an event type; the types are "
                               + EventType.subscribable.map(\.rawValue).joined(separator: ", "))
            }
            if !types.contains(type) { types.append(type) }
        }
        return types
    }
}

/// An endpoint as the API shows it; its secret only when just made.
struct EndpointBody: Encodable {
    var id: Int64
    var url: String
    var events: [String]
    var status: String
    var disabled_reason: String?
    var failing_since: String?
    var created_at: String
    var secret: String?
    var previous_secret_expires_at: String?

    init(_ endpoint: WebhookEndpoint, showingSecret: Bool = false) {
        id = endpoint.id
        url = endpoint.url
        events = endpoint.events.map(\.rawValue)
        status = endpoint.status.rawValue
        disabled_reason = endpoint.disabledReason
        failing_since = Timestamp.format(endpoint.failingSince)
        created_at = Timestamp.format(endpoint.createdAt)
        secret = showingSecret ? endpoint.secret : nil
        previous_secret_expires_at = endpoint.previousSecret == nil ? nil : Timestamp.format(endpoint.previousSecretUntil)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(url, forKey: .url)
        try c.encode(events, forKey: .events)
        try c.encode(status, forKey: .status)
        try c.encode(disabled_reason, forKey: .disabled_reason)
        try c.encode(failing_since, forKey: .failing_since)
        try c.encode(created_at, forKey: .created_at)
        try c.encode(previous_secret_expires_at, forKey: .previous_secret_expires_at)
        if let secret { try c.encode(secret, forKey: .secret) }
    }

    enum CodingKeys: String, CodingKey {
        case id, url, events, status, disabled_reason, failing_since, created_at, secret, previous_secret_expires_at
    }
}

/// One attempt of the delivery log.
struct AttemptBody: Encodable {
    /// A page of an endpoint's (or a postback's) log, newest first: `limit` and `cursor` as every list.
    static func page(of endpointID: Int64, _ request: Request, store: any EventStore) async throws -> Response {
        let paging = try Paging(request.uri.queryParameters.dictionary)
        let attempts = try await store.attempts(endpointID: endpointID, beforeID: Int64(paging.after), limit: paging.limit)
        let next = attempts.count == paging.limit ? attempts.last.map { String($0.id) } : nil
        return try JSONBody.response(Page(items: attempts.map(AttemptBody.init), nextCursor: next))
    }

    var id: Int64
    var event_id: String
    var event_type: String
    var attempt: Int
    var started_at: String
    var status_code: Int?
    var latency_ms: Int
    var response: String?
    var error: String?

    init(_ attempt: DeliveryAttempt) {
        id = attempt.id
        event_id = attempt.eventKey
        event_type = attempt.eventType.rawValue
        self.attempt = attempt.attempt
        started_at = Timestamp.format(attempt.startedAt)
        status_code = attempt.statusCode
        latency_ms = attempt.latencyMilliseconds
        response = attempt.response
        error = attempt.error
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(event_id, forKey: .event_id)
        try c.encode(event_type, forKey: .event_type)
        try c.encode(attempt, forKey: .attempt)
        try c.encode(started_at, forKey: .started_at)
        try c.encode(status_code, forKey: .status_code)
        try c.encode(latency_ms, forKey: .latency_ms)
        try c.encode(response, forKey: .response)
        try c.encode(error, forKey: .error)
    }

    enum CodingKeys: String, CodingKey {
        case id, event_id, event_type, attempt, started_at, status_code, latency_ms, response, error
    }
}
