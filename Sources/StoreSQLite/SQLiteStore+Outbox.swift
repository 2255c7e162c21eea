import Store

extension SQLiteStore: OutboxStore {
    public func enqueue(_ messages: [OutboxMessage]) throws -> [OutboxMessage] {
        try write { db in try OutboxSQL.enqueue(GRDBConnection(db), messages, now: Self.now()) }
    }

    public func outbox(_ query: OutboxQuery) throws -> [OutboxMessage] {
        try read { db in try OutboxSQL.list(GRDBConnection(db), query) }
    }

    public func messagesDue(now: Int64, limit: Int) throws -> [OutboxMessage] {
        try read { db in try OutboxSQL.due(GRDBConnection(db), now: now, limit: limit) }
    }

    public func markSent(messageID: Int64, at now: Int64) throws {
        try write { db in try OutboxSQL.markSent(GRDBConnection(db), messageID: messageID, at: now) }
    }

    public func markFailed(messageID: Int64, error: String, retryAt: Int64?) throws {
        try write { db in try OutboxSQL.markFailed(GRDBConnection(db), messageID: messageID, error: error, retryAt: retryAt) }
    }
}
