import API
import Domain
import EventsOut
import Foundation
import Hummingbird
import Store
import Wire

/// Webhook endpoints in the brand console (SPEC section 13): the list and a
/// form to add one, whose secret is shown once; each endpoint's page with
/// its switch, a new secret, a test event, a replay and the delivery log.
/// Every action goes through the API's own checks.
extension ConsolePages {
    func registerWebhooks(on pages: RouterGroup<PageContext>) {
        pages.get("/webhooks", use: webhooksPage)
        pages.post("/webhooks", use: createWebhook)
        pages.get("/webhooks/{id}", use: webhookPage)
        pages.post("/webhooks/{id}/status", use: switchWebhook)
        pages.post("/webhooks/{id}/rotate", use: rotateWebhook)
        pages.post("/webhooks/{id}/test", use: testWebhook)
        pages.post("/webhooks/{id}/replay", use: replayWebhook)
        pages.post("/webhooks/{id}/delete", use: deleteWebhook)
    }

    @Sendable func webhooksPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.read, request)
        return try await webhooksPage(state: FormState(values: [:]), chosen: EventType.subscribable, context)
    }

    func webhooksPage(state: FormState, chosen: [EventType], created: WebhookEndpoint? = nil, _ context: PageContext,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        var values = state.context
        values["title"] = "Webhooks"
        values["section"] = "webhooks"
        values["endpoints"] = try await store.endpoints().map { endpoint in
            ["id": endpoint.id, "url": endpoint.url, "events": endpoint.events.map(\.rawValue).joined(separator: ", "),
             "status": endpoint.status.rawValue, "reason": endpoint.disabledReason ?? ""]
        }
        values["types"] = EventType.subscribable.map { ["name": $0.rawValue, "checked": chosen.contains($0)] }
        if let created {
            values["created"] = ["id": created.id, "url": created.url, "secret": created.secret]
        }
        return page("webhooks", values, context, status: status)
    }

    /// Add endpoint: the answer shows its secret, this once.
    @Sendable func createWebhook(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let form = context.form
        let names = EventType.subscribable.map(\.rawValue).filter { form["event_\($0)"] != nil }
        do {
            let endpoint = try await WebhookAPI.create(url: form.text("url"), events: names, store: store, targets: eventTargets)
            return try await webhooksPage(state: FormState(values: [:]), chosen: EventType.subscribable, created: endpoint, context,
                                          status: .created)
        } catch {
            guard let errors = FormInput.errors(error, fallback: "url") else { throw error }
            return try await webhooksPage(state: FormState(values: form.values, errors: errors), chosen: names.compactMap(EventType.init),
                                          context, status: .unprocessableContent)
        }
    }

    func webhook(_ context: PageContext) async throws -> WebhookEndpoint {
        guard let endpoint = try await store.endpoint(id: Int64(try Self.id(context))) else {
            throw PageError.notFound("There is no such webhook endpoint.")
        }
        return endpoint
    }

    @Sendable func webhookPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.read, request)
        let query = request.uri.queryParameters
        return try await webhookPage(try await webhook(context), notice: query["done"].map(String.init), context)
    }

    func webhookPage(_ endpoint: WebhookEndpoint, notice: String? = nil, secret: String? = nil, problem: String? = nil,
                     _ context: PageContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        let attempts = try await store.attempts(endpointID: endpoint.id, beforeID: 0, limit: 50)
        var values: [String: Any] = [
            "title": "Webhook \(endpoint.id)", "section": "webhooks", "id": endpoint.id, "url": endpoint.url,
            "events": endpoint.events.map(\.rawValue).joined(separator: ", "), "status": endpoint.status.rawValue,
            "active": endpoint.status == .active, "reason": endpoint.disabledReason ?? "",
            "overlap": endpoint.previousSecret == nil ? "" : Timestamp.format(endpoint.previousSecretUntil) ?? "",
            "attempts": attempts.map { attempt in
                ["when": Timestamp.format(attempt.startedAt), "event": attempt.eventKey, "type": attempt.eventType.rawValue,
                 "attempt": attempt.attempt, "answer": attempt.statusCode.map(String.init) ?? "none", "ms": attempt.latencyMilliseconds,
                 "error": attempt.error ?? "", "response": attempt.response ?? ""]
            },
        ]
        let notices = ["test": "A test event is on its way.", "replay": "The event is on its way again.", "status": "Saved."]
        if let notice, let text = notices[notice] { values["notice"] = text }
        if let secret { values["secret"] = secret }
        if let problem { values["problem"] = problem }
        return page("webhook", values, context, status: status)
    }

    @Sendable func switchWebhook(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let endpoint = try await webhook(context)
        guard let status = context.form["status"].flatMap(EndpointStatus.init(rawValue:)) else {
            throw DomainError.invalid("status", "Choose active or disabled.")
        }
        _ = try await store.updateEndpoint(id: endpoint.id, EndpointChange(status: status))
        return Renderer.redirect("/webhooks/\(endpoint.id)?done=status")
    }

    /// A new secret, shown in this answer only; the old one signs beside it for 24 hours.
    @Sendable func rotateWebhook(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let rotated = try await WebhookAPI.rotate(try await webhook(context).id, store: store)
        return try await webhookPage(rotated, secret: rotated.secret, context)
    }

    @Sendable func testWebhook(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let endpoint = try await webhook(context)
        _ = try await WebhookAPI.test(endpoint, store: store)
        return Renderer.redirect("/webhooks/\(endpoint.id)?done=test")
    }

    @Sendable func replayWebhook(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let endpoint = try await webhook(context)
        let key = (context.form["event_id"] ?? "").trimmingCharacters(in: .whitespaces)
        guard key.hasPrefix("evt_"), key.count <= 64 else {
            return try await webhookPage(endpoint, problem: "An event id starts with evt_, as the log shows it.", context,
                                         status: .unprocessableContent)
        }
        do {
            _ = try await store.replay(endpointID: endpoint.id, .event(key: key), now: Self.now())
        } catch let error as StoreError where error.code == .notFound {
            return try await webhookPage(endpoint, problem: "There is no event \(key).", context, status: .unprocessableContent)
        }
        return Renderer.redirect("/webhooks/\(endpoint.id)?done=replay")
    }

    @Sendable func deleteWebhook(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        try await store.deleteEndpoint(id: try await webhook(context).id)
        return Renderer.redirect("/webhooks")
    }
}
