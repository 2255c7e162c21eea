import Domain

extension SQLStore: EventStore {
    public func createEndpoint(url: String, events: [EventType], secret: String, now: Int64) async throws -> WebhookEndpoint {
        try await write { db in try EventsSQL.createEndpoint(db, url: url, events: events, secret: secret, now: now) }
    }

    public func endpoints() async throws -> [WebhookEndpoint] {
        try await read { db in try EventsSQL.endpoints(db) }
    }

    public func endpoint(id: Int64) async throws -> WebhookEndpoint? {
        try await read { db in try EventsSQL.endpoint(db, id: id) }
    }

    public func updateEndpoint(id: Int64, _ change: EndpointChange) async throws -> WebhookEndpoint {
        try await write { db in try EventsSQL.updateEndpoint(db, id: id, change) }
    }

    public func deleteEndpoint(id: Int64) async throws {
        try await write { db in try EventsSQL.deleteEndpoint(db, id: id) }
    }

    public func rotateSecret(id: Int64, newSecret: String, previousUntil: Int64) async throws -> WebhookEndpoint {
        try await write { db in try EventsSQL.rotateSecret(db, id: id, newSecret: newSecret, previousUntil: previousUntil) }
    }

    public func queueTestEvent(endpointID: Int64, data: String, now: Int64) async throws -> Event {
        try await write { db in try EventsSQL.queueTestEvent(db, endpointID: endpointID, data: data, now: now) }
    }

    public func replay(endpointID: Int64, _ selection: ReplaySelection, now: Int64) async throws -> Int {
        try await write { db in try EventsSQL.replay(db, endpointID: endpointID, selection, now: now) }
    }

    public func claimDeliveries(now: Int64, leaseUntil: Int64, limit: Int, perEndpoint: Int, busy: [Int64: Int],
                                node: Int) async throws -> [DueDelivery] {
        // Looked for first in a read, which waits for no lock: an idle sender polls often, and a write
        // would hold the one writer (the click writer's too) for its lock wait whenever another process locks the store.
        guard try await read({ db in try EventsSQL.anyDue(db, now: now) }) else { return [] }
        return try await write { db in
            try EventsSQL.claim(db, now: now, leaseUntil: leaseUntil, limit: limit, perEndpoint: perEndpoint, busy: busy, node: node)
        }
    }

    public func releaseDeliveries(node: Int, now: Int64) async throws -> Int {
        try await write { db in
            try db.execute("UPDATE event_deliveries SET next_attempt_at = ?, claimed_by = NULL WHERE status = 'queued' AND claimed_by = ? AND next_attempt_at > ?",
                           [.integer(now), SQLValue(node), .integer(now)])
        }
    }

    public func recordAttempts(_ results: [AttemptResult]) async throws {
        try await write { db in
            for result in results { try EventsSQL.recordAttempt(db, result.attempt, outcome: result.outcome) }
        }
    }

    public func attempts(endpointID: Int64, beforeID: Int64, limit: Int) async throws -> [DeliveryAttempt] {
        try await read { db in try EventsSQL.attempts(db, endpointID: endpointID, beforeID: beforeID, limit: limit) }
    }

    public func setPostback(partnerID: UInt32, template: PostbackTemplate, method: PostbackMethod, now: Int64) async throws -> Postback {
        try await write { db in try EventsSQL.setPostback(db, partnerID: partnerID, template: template, method: method, now: now) }
    }

    public func postback(partnerID: UInt32) async throws -> Postback? {
        try await read { db in try EventsSQL.postback(db, partnerID: partnerID) }
    }

    public func setPostbackStatus(partnerID: UInt32, _ status: EndpointStatus) async throws -> Postback {
        try await write { db in try EventsSQL.setPostbackStatus(db, partnerID: partnerID, status) }
    }

    /// Commission lines whose hold has ended become approved now, each told
    /// as `commission.approved`; the service runs it every minute, so the
    /// event comes when the hold ends rather than at the next payment run.
    public func approveMaturedCommissions(now: Int64) async throws -> Int {
        try await write { db in try ConversionsSQL.approveMatured(db, now: now) }
    }

    public func deleteEvents(before: Int64, limit: Int) async throws -> Int {
        try await write { db in try EventsSQL.deleteEvents(db, before: before, limit: limit) }
    }
}
