import ClickModel
import Domain
import Foundation
import Synchronization
import Wire

/// Events out and their webhooks, the same on SQLite and PostgreSQL. Each
/// function runs inside the caller's transaction; `EventStore` gives the
/// contract.
public enum EventsSQL {
    /// Writes an event and queues a delivery of it to every active endpoint
    /// that asks for its type: called inside the transaction of the change it
    /// reports, so the two are stored together or not at all.
    @discardableResult
    public static func emit(_ db: some SQLConnection, _ type: EventType, data: some Encodable, now: Int64) throws -> Event {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let event = try insertEvent(db, type, data: String(decoding: try encoder.encode(data), as: UTF8.self), now: now)
        try db.execute("""
            INSERT INTO event_deliveries (event_id, endpoint_id, status, next_attempt_at, created_at)
            SELECT ?, id, 'queued', ?, ? FROM event_endpoints WHERE kind = 'webhook' AND status = 'active' AND events LIKE ?
            """, [.integer(event.id), .integer(now), .integer(now), .text("%,\(type.rawValue),%")])
        return event
    }

    /// A conversion's event, and the postback of the partner it credits, its
    /// URL rendered now from what the conversion carries.
    static func emitConversion(_ db: some SQLConnection, _ type: EventType, _ conversion: Conversion, now: Int64) throws {
        let event = try emit(db, type, data: ConversionBody(conversion: conversion), now: now)
        guard let partnerID = conversion.partnerID,
              let row = try db.row("SELECT id, url, method FROM event_endpoints WHERE kind = 'postback' AND partner_id = ? AND status = 'active'",
                                   [.integer(Int64(partnerID))]),
              let method = PostbackMethod(rawValue: try row.optionalText(2) ?? ""),
              let template = try? PostbackTemplate(try row.text(1)) else { return }
        let partner = try CatalogueSQL.partner(db, id: partnerID)
        let lines = conversion.commissions.filter { $0.partnerID == partnerID && $0.reversesID == nil }
        let commission = Money(minorUnits: lines.reduce(0) { $0 + $1.amount.minorUnits }, currency: conversion.amount.currency)
        let status = if type == .conversionReversed { "reversed" } else if conversion.review == .rejected { "rejected" } else if
            lines.contains(where: { $0.status == .held }) { "held" } else { lines.contains { $0.status == .pending } ? "pending" : "approved" }
        var values = ["click_id": conversion.clickID ?? "", "order_id": conversion.orderID, "amount": conversion.amount.decimalString,
                      "currency": conversion.amount.currency.code, "commission": commission.decimalString, "status": status,
                      "offer_id": String(conversion.offerID), "partner_code": partner?.code.value ?? "", "event": conversion.event ?? "",
                      "timestamp": String(now / 1000)]
        for (index, sub) in conversion.subIDs.prefix(5).enumerated() { values["sub\(index + 1)"] = sub ?? "" }
        let request = PostbackTemplate.request(url: template.render(values), method: method)
        try db.execute("""
            INSERT INTO event_deliveries (event_id, endpoint_id, status, next_attempt_at, created_at, url, body)
            VALUES (?, ?, 'queued', ?, ?, ?, ?)
            """, [.integer(event.id), .integer(try row.int64(0)), .integer(now), .integer(now), .text(request.url), SQLValue(request.body)])
    }

    /// An event that carries a member, as the API shows it: with its
    /// tracking URL on a link offer (the offer's first link) and its dashboard URL.
    static func emitMember(_ db: some SQLConnection, _ type: EventType, _ member: Member, urls: MemberURLs, now: Int64) throws {
        var trackingURL: String?
        if let offer = try CatalogueSQL.offer(db, id: member.offerID), offer.type == .link,
           let link = try CatalogueSQL.links(db, offerID: offer.id).first {
            trackingURL = urls.tracking(link.code, member.partner.code)
        }
        try emit(db, type, data: MemberBody(member, trackingURL: trackingURL, dashboardURL: urls.dashboard(member.dashboardToken)), now: now)
    }

    /// Up to `limit` events created before `before`, oldest first, none of
    /// whose deliveries is still queued (a disabled endpoint's wait for it
    /// to be enabled again), deleted with their deliveries and attempts.
    public static func deleteEvents(_ db: some SQLConnection, before: Int64, limit: Int) throws -> Int {
        let ids = try db.rows("""
            SELECT e.id FROM events e
            WHERE e.created_at < ?
              AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id AND d.status = 'queued')
            ORDER BY e.id LIMIT ?
            """, [.integer(before), .integer(Int64(limit))]).map { try $0.int64(0) }
        guard let first = ids.first, let last = ids.last else { return 0 }
        // The chosen ids, as a range and a list: the range lets the index narrow the work.
        let list = ids.map(String.init).joined(separator: ",")
        try db.execute("""
            DELETE FROM event_attempts WHERE delivery_id IN
                (SELECT id FROM event_deliveries WHERE event_id BETWEEN ? AND ? AND event_id IN (\(list)))
            """, [.integer(first), .integer(last)])
        try db.execute("DELETE FROM event_deliveries WHERE event_id BETWEEN ? AND ? AND event_id IN (\(list))", [.integer(first), .integer(last)])
        return try db.execute("DELETE FROM events WHERE id BETWEEN ? AND ? AND id IN (\(list))", [.integer(first), .integer(last)])
    }

    static func insertEvent(_ db: some SQLConnection, _ type: EventType, data: String, now: Int64) throws -> Event {
        var random = SystemRandomNumberGenerator()
        let key = Event.newKey(using: &random)
        guard let id = try db.row("INSERT INTO events (event_key, type, created_at, data) VALUES (?, ?, ?, ?) RETURNING id",
                                  [.text(key), .text(type.rawValue), .integer(now), .text(data)])?.int64(0) else {
            throw StoreError(.unavailable, "the event's id was not returned")
        }
        return Event(id: id, key: key, type: type, createdAt: now, data: data)
    }

    // MARK: endpoints

    public static func createEndpoint(_ db: some SQLConnection, url: String, events: [EventType], secret: String,
                                      now: Int64) throws -> WebhookEndpoint {
        guard let row = try db.row("""
            INSERT INTO event_endpoints (url, events, status, secret, created_at) VALUES (?, ?, 'active', ?, ?) RETURNING id
            """, [.text(url), .text(eventList(events)), .text(secret), .integer(now)]) else {
            throw StoreError(.unavailable, "the endpoint's id was not returned")
        }
        return WebhookEndpoint(id: try row.int64(0), url: url, events: events, status: .active, secret: secret, createdAt: now)
    }

    public static func endpoints(_ db: some SQLConnection) throws -> [WebhookEndpoint] {
        try db.rows("SELECT \(endpointColumns) FROM event_endpoints WHERE kind = 'webhook' ORDER BY id").map { try endpoint(from: $0, at: 0) }
    }

    public static func endpoint(_ db: some SQLConnection, id: Int64) throws -> WebhookEndpoint? {
        try db.row("SELECT \(endpointColumns) FROM event_endpoints WHERE id = ? AND kind = 'webhook'", [.integer(id)])
            .map { try endpoint(from: $0, at: 0) }
    }

    public static func updateEndpoint(_ db: some SQLConnection, id: Int64, _ change: EndpointChange) throws -> WebhookEndpoint {
        guard let current = try endpoint(db, id: id) else { throw StoreError(.notFound, "webhook endpoint \(id) does not exist") }
        let enabling = change.status == .active && current.status == .disabled
        try db.execute("""
            UPDATE event_endpoints SET url = ?, events = ?, status = ?,
                disabled_reason = CASE WHEN ? = 1 THEN NULL ELSE disabled_reason END,
                failing_since = CASE WHEN ? = 1 THEN NULL ELSE failing_since END
            WHERE id = ?
            """, [.text(change.url ?? current.url), .text(eventList(change.events ?? current.events)),
                  .text((change.status ?? current.status).rawValue), .integer(enabling ? 1 : 0), .integer(enabling ? 1 : 0),
                  .integer(id)])
        guard let updated = try endpoint(db, id: id) else { throw StoreError(.notFound, "webhook endpoint \(id) does not exist") }
        return updated
    }

    public static func deleteEndpoint(_ db: some SQLConnection, id: Int64) throws {
        try db.execute("DELETE FROM event_attempts WHERE endpoint_id = ?", [.integer(id)])
        try db.execute("DELETE FROM event_deliveries WHERE endpoint_id = ?", [.integer(id)])
        guard try db.execute("DELETE FROM event_endpoints WHERE id = ?", [.integer(id)]) == 1 else {
            throw StoreError(.notFound, "webhook endpoint \(id) does not exist")
        }
    }

    public static func rotateSecret(_ db: some SQLConnection, id: Int64, newSecret: String, previousUntil: Int64) throws -> WebhookEndpoint {
        guard try db.execute("""
            UPDATE event_endpoints SET previous_secret = secret, previous_secret_until = ?, secret = ? WHERE id = ?
            """, [.integer(previousUntil), .text(newSecret), .integer(id)]) == 1,
              let rotated = try endpoint(db, id: id) else { throw StoreError(.notFound, "webhook endpoint \(id) does not exist") }
        return rotated
    }

    // MARK: queueing

    public static func queueTestEvent(_ db: some SQLConnection, endpointID: Int64, data: String, now: Int64) throws -> Event {
        guard try endpoint(db, id: endpointID) != nil else { throw StoreError(.notFound, "webhook endpoint \(endpointID) does not exist") }
        let event = try insertEvent(db, .webhookTest, data: data, now: now)
        try queue(db, eventID: event.id, endpointID: endpointID, now: now)
        return event
    }

    public static func replay(_ db: some SQLConnection, endpointID: Int64, _ selection: ReplaySelection, now: Int64) throws -> Int {
        guard let endpoint = try endpoint(db, id: endpointID) else {
            throw StoreError(.notFound, "webhook endpoint \(endpointID) does not exist")
        }
        switch selection {
        case .event(let key):
            guard let id = try db.row("SELECT id FROM events WHERE event_key = ?", [.text(key)])?.int64(0) else {
                throw StoreError(.notFound, "event \(key) does not exist")
            }
            try queue(db, eventID: id, endpointID: endpointID, now: now)
            return 1
        case .range(let from, let to):
            let types = endpoint.events.map { SQLValue.text($0.rawValue) }
            guard !types.isEmpty else { return 0 }
            return try db.execute("""
                INSERT INTO event_deliveries (event_id, endpoint_id, status, next_attempt_at, created_at)
                SELECT id, ?, 'queued', ?, ? FROM events
                WHERE created_at >= ? AND created_at < ? AND type IN (\(Array(repeating: "?", count: types.count).joined(separator: ", ")))
                """, [.integer(endpointID), .integer(now), .integer(now), .integer(from), .integer(to)] + types)
        }
    }

    static func queue(_ db: some SQLConnection, eventID: Int64, endpointID: Int64, now: Int64) throws {
        try db.execute("""
            INSERT INTO event_deliveries (event_id, endpoint_id, status, next_attempt_at, created_at) VALUES (?, ?, 'queued', ?, ?)
            """, [.integer(eventID), .integer(endpointID), .integer(now), .integer(now)])
    }

    // MARK: delivering

    /// Takes the deliveries due, endpoint by endpoint (an index range each,
    /// however long the backlog), each moved to `leaseUntil` by an update
    /// that only succeeds if no other sender moved it first: on PostgreSQL a
    /// second node's update waits for the first one's commit, then finds the
    /// row changed and takes nothing.
    /// Whether any delivery to an active endpoint is due at `now`.
    static func anyDue(_ db: some SQLConnection, now: Int64) throws -> Bool {
        try db.row("""
            SELECT 1 FROM event_endpoints p JOIN event_deliveries d ON d.endpoint_id = p.id
            WHERE p.status = 'active' AND d.status = 'queued' AND d.next_attempt_at <= ? LIMIT 1
            """, [.integer(now)]) != nil
    }

    public static func claim(_ db: some SQLConnection, now: Int64, leaseUntil: Int64, limit: Int, perEndpoint: Int,
                             busy: [Int64: Int], node: Int = 0) throws -> [DueDelivery] {
        var claimed: [DueDelivery] = []
        for row in try db.rows("SELECT \(endpointColumns), kind, method FROM event_endpoints WHERE status = 'active' ORDER BY id") {
            let endpoint = try self.endpoint(from: row, at: 0)
            let postbackMethod = try row.text(10) == "postback" ? PostbackMethod(rawValue: try row.optionalText(11) ?? "") : nil
            let free = min(perEndpoint - busy[endpoint.id, default: 0], limit - claimed.count)
            guard free > 0 else { continue }
            let rows = try db.rows("""
                SELECT d.id, d.attempts, d.created_at, d.next_attempt_at, e.id, e.event_key, e.type, e.created_at, e.data, d.url, d.body
                FROM event_deliveries d JOIN events e ON e.id = d.event_id
                WHERE d.endpoint_id = ? AND d.status = 'queued' AND d.next_attempt_at <= ?
                ORDER BY d.next_attempt_at, d.id LIMIT ?
                """, [.integer(endpoint.id), .integer(now), SQLValue(free)])
            for row in rows {
                let id = try row.int64(0)
                guard try db.execute("""
                    UPDATE event_deliveries SET next_attempt_at = ?, claimed_by = ? WHERE id = ? AND status = 'queued' AND next_attempt_at = ?
                    """, [.integer(leaseUntil), SQLValue(node), .integer(id), .integer(try row.int64(3))]) == 1,
                      let type = EventType(rawValue: try row.text(6)) else { continue }
                let event = Event(id: try row.int64(4), key: try row.text(5), type: type, createdAt: try row.int64(7), data: try row.text(8))
                var postback: PostbackRequest?
                if let postbackMethod, let url = try row.optionalText(9) {
                    postback = PostbackRequest(method: postbackMethod, url: url, body: try row.optionalText(10))
                }
                claimed.append(DueDelivery(id: id, attempts: try row.int(1), queuedAt: try row.int64(2), event: event, endpoint: endpoint,
                                           postback: postback))
            }
        }
        return claimed
    }

    public static func recordAttempt(_ db: some SQLConnection, _ attempt: DeliveryAttempt, outcome: AttemptOutcome) throws {
        try db.execute("""
            INSERT INTO event_attempts (delivery_id, endpoint_id, attempt, started_at, status_code, latency_ms, response, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.integer(attempt.deliveryID), .integer(attempt.endpointID), SQLValue(attempt.attempt), .integer(attempt.startedAt),
                  SQLValue(attempt.statusCode.map(Int64.init)), SQLValue(attempt.latencyMilliseconds), SQLValue(attempt.response),
                  SQLValue(attempt.error.map { String($0.prefix(500)) })])
        let delivery: Int64 = attempt.deliveryID, endpoint: Int64 = attempt.endpointID
        switch outcome {
        case .delivered:
            try db.execute("UPDATE event_deliveries SET status = 'delivered', attempts = ?, delivered_at = ? WHERE id = ?",
                           [SQLValue(attempt.attempt), .integer(attempt.startedAt), .integer(delivery)])
            try db.execute("UPDATE event_endpoints SET failing_since = NULL WHERE id = ?", [.integer(endpoint)])
        case .retry(let at):
            try db.execute("UPDATE event_deliveries SET attempts = ?, next_attempt_at = ? WHERE id = ?",
                           [SQLValue(attempt.attempt), .integer(at), .integer(delivery)])
            try markFailing(db, endpoint: endpoint, since: attempt.startedAt)
        case .gaveUp:
            try db.execute("UPDATE event_deliveries SET status = 'failed', attempts = ? WHERE id = ?",
                           [SQLValue(attempt.attempt), .integer(delivery)])
            try markFailing(db, endpoint: endpoint, since: attempt.startedAt)
        case .disableEndpoint(let reason):
            // Queued again for when the endpoint is enabled: nothing is lost by disabling it.
            try db.execute("UPDATE event_deliveries SET attempts = ?, next_attempt_at = ? WHERE id = ?",
                           [SQLValue(attempt.attempt), .integer(attempt.startedAt), .integer(delivery)])
            try db.execute("UPDATE event_endpoints SET status = 'disabled', disabled_reason = ? WHERE id = ?",
                           [.text(reason), .integer(endpoint)])
            try tellOwners(db, endpointID: endpoint, reason: reason, now: attempt.startedAt)
        }
    }

    /// An email to each of the brand's owners, through the outbox, in the
    /// transaction that disabled the endpoint.
    static func tellOwners(_ db: some SQLConnection, endpointID: Int64, reason: String, now: Int64) throws {
        guard let row = try db.row("SELECT url, kind, partner_id FROM event_endpoints WHERE id = ?", [.integer(endpointID)]) else { return }
        let url = try row.text(0)
        let what: String
        let enable: String
        if try row.text(1) == "postback", let partnerID = try row.optionalID(2) {
            what = "the postback of partner \(partnerID)"
            enable = "PATCH /v1/partners/\(partnerID)/postback {\"status\": \"active\"}, or the partner saves its postback again"
        } else {
            what = "webhook endpoint \(endpointID)"
            enable = "PATCH /v1/webhooks/\(endpointID) {\"status\": \"active\"}"
        }
        let body = """
            Clickline stopped sending events to \(what), \(url):
            \(reason).

            Nothing is lost: what was queued for it waits, and is sent once it is enabled again
            (\(enable)). Its delivery log shows each attempt and what the receiver answered.
            """
        try OutboxSQL.enqueueToOwners(db, subject: "Events to \(what) are stopped", body: body, now: now)
    }

    static func markFailing(_ db: some SQLConnection, endpoint: Int64, since: Int64) throws {
        try db.execute("UPDATE event_endpoints SET failing_since = COALESCE(failing_since, ?) WHERE id = ?",
                       [.integer(since), .integer(endpoint)])
    }

    public static func attempts(_ db: some SQLConnection, endpointID: Int64, beforeID: Int64, limit: Int) throws -> [DeliveryAttempt] {
        try db.rows("""
            SELECT a.id, a.delivery_id, a.endpoint_id, e.event_key, e.type, a.attempt, a.started_at, a.status_code, a.latency_ms,
                   a.response, a.error
            FROM event_attempts a
            JOIN event_deliveries d ON d.id = a.delivery_id
            JOIN events e ON e.id = d.event_id
            WHERE a.endpoint_id = ? AND (? = 0 OR a.id < ?)
            ORDER BY a.id DESC LIMIT ?
            """, [.integer(endpointID), .integer(beforeID), .integer(beforeID), SQLValue(limit)]).map { row in
            DeliveryAttempt(id: try row.int64(0), deliveryID: try row.int64(1), endpointID: try row.int64(2), eventKey: try row.text(3),
                            eventType: EventType(rawValue: try row.text(4)) ?? .webhookTest, attempt: try row.int(5),
                            startedAt: try row.int64(6), statusCode: try row.optionalInt64(7).map(Int.init),
                            latencyMilliseconds: try row.int(8), response: try row.optionalText(9), error: try row.optionalText(10))
        }
    }

    // MARK: partners' postbacks

    public static func setPostback(_ db: some SQLConnection, partnerID: UInt32, template: PostbackTemplate, method: PostbackMethod,
                                   now: Int64) throws -> Postback {
        guard try CatalogueSQL.partner(db, id: partnerID) != nil else { throw StoreError(.notFound, "partner \(partnerID) does not exist") }
        if try postback(db, partnerID: partnerID) == nil {
            try db.execute("""
                INSERT INTO event_endpoints (url, events, status, kind, partner_id, method, secret, created_at)
                VALUES (?, ?, 'active', 'postback', ?, ?, '', ?)
                """, [.text(template.text), .text(eventList([.conversionCreated, .conversionReversed])), .integer(Int64(partnerID)),
                      .text(method.rawValue), .integer(now)])
        } else {
            // The partner's change enables it again, unless the brand disabled it.
            try db.execute("""
                UPDATE event_endpoints SET url = ?, method = ?, failing_since = NULL,
                    status = CASE WHEN disabled_reason = ? THEN status ELSE 'active' END,
                    disabled_reason = CASE WHEN disabled_reason = ? THEN disabled_reason ELSE NULL END
                WHERE kind = 'postback' AND partner_id = ?
                """, [.text(template.text), .text(method.rawValue), .text(Postback.disabledByBrand), .text(Postback.disabledByBrand),
                      .integer(Int64(partnerID))])
        }
        guard let stored = try postback(db, partnerID: partnerID) else { throw StoreError(.unavailable, "the postback cannot be read back") }
        return stored
    }

    public static func postback(_ db: some SQLConnection, partnerID: UInt32) throws -> Postback? {
        try db.row("SELECT id, url, method, status, disabled_reason FROM event_endpoints WHERE kind = 'postback' AND partner_id = ?",
                   [.integer(Int64(partnerID))]).map { row in
            Postback(endpointID: try row.int64(0), partnerID: partnerID, template: try row.text(1),
                     method: PostbackMethod(rawValue: try row.optionalText(2) ?? "") ?? .get,
                     status: EndpointStatus(rawValue: try row.text(3)) ?? .disabled, disabledReason: try row.optionalText(4))
        }
    }

    public static func setPostbackStatus(_ db: some SQLConnection, partnerID: UInt32, _ status: EndpointStatus) throws -> Postback {
        guard try db.execute("""
            UPDATE event_endpoints SET status = ?, disabled_reason = ?, failing_since = NULL WHERE kind = 'postback' AND partner_id = ?
            """, [.text(status.rawValue), status == .disabled ? .text(Postback.disabledByBrand) : .null, .integer(Int64(partnerID))]) == 1,
              let stored = try postback(db, partnerID: partnerID) else {
            throw StoreError(.notFound, "partner \(partnerID) has no postback")
        }
        return stored
    }

    // MARK: rows

    /// `,conversion.created,link.created,`: each type between commas, so `LIKE '%,type,%'` finds it.
    static func eventList(_ events: [EventType]) -> String {
        "," + events.map(\.rawValue).joined(separator: ",") + ","
    }

    static let endpointColumns = """
        id, url, events, status, secret, previous_secret, previous_secret_until, failing_since, disabled_reason, created_at
        """

    static func endpoint(from row: SQLRow, at first: Int) throws -> WebhookEndpoint {
        WebhookEndpoint(
            id: try row.int64(first), url: try row.text(first + 1),
            events: try row.text(first + 2).split(separator: ",").compactMap { EventType(rawValue: String($0)) },
            status: EndpointStatus(rawValue: try row.text(first + 3)) ?? .disabled, secret: try row.text(first + 4),
            previousSecret: try row.optionalText(first + 5), previousSecretUntil: try row.optionalInt64(first + 6),
            failingSince: try row.optionalInt64(first + 7), disabledReason: try row.optionalText(first + 8),
            createdAt: try row.int64(first + 9))
    }
}

/// How the events that carry a member make its URLs. The public bases are
/// the application's, known once it listens (`SQLStore.useMemberURLs`).
public struct MemberURLs: Sendable {
    public var tracking: @Sendable (_ link: Code, _ partner: Code) -> String
    public var dashboard: @Sendable (_ token: String) -> String

    public init(tracking: @escaping @Sendable (_ link: Code, _ partner: Code) -> String,
                dashboard: @escaping @Sendable (_ token: String) -> String) {
        self.tracking = tracking
        self.dashboard = dashboard
    }

    /// Paths without a host, for a store used without a server.
    public static let paths = MemberURLs(tracking: { "/\($0.value)/\($1.value)" }, dashboard: { "/p/" + $0 })
}

/// The member URLs in use, shared by the store and its conversion committer.
final class MemberURLsInUse: Sendable {
    private let urls = Mutex(MemberURLs.paths)

    var current: MemberURLs {
        get { urls.withLock { $0 } }
        set { urls.withLock { $0 = newValue } }
    }
}
