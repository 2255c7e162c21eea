import ClickModel
import Foundation
import Store

// The parts of the store whose logic SQLite and PostgreSQL share (Store's `*SQL`).

extension PostgresStore: KeyStore {
    public func insertKey(role: KeyRole, hash: [UInt8]) throws {
        try sqlTransaction { db in try KeysSQL.insert(db, role: role, hash: hash, now: Self.now()) }
    }

    public func role(forKeyHash hash: [UInt8]) throws -> KeyRole? {
        try sqlConnection { db in try KeysSQL.role(db, hash: hash) }
    }
}

extension PostgresStore: WorkspaceStore {
    public func currency() throws -> Currency {
        try sqlConnection { db in try WorkspaceSQL.currency(db) }
    }

    public func clientHashSalt() throws -> UInt64 {
        try sqlConnection { db in try WorkspaceSQL.clientHashSalt(db) }
    }
}

extension PostgresStore: OutboxStore {
    public func enqueue(_ messages: [OutboxMessage]) throws -> [OutboxMessage] {
        try sqlTransaction { db in try OutboxSQL.enqueue(db, messages, now: Self.now()) }
    }

    public func outbox(_ query: OutboxQuery) throws -> [OutboxMessage] {
        try sqlConnection { db in try OutboxSQL.list(db, query) }
    }

    public func messagesDue(now: Int64, limit: Int) throws -> [OutboxMessage] {
        try sqlConnection { db in try OutboxSQL.due(db, now: now, limit: limit) }
    }

    public func markSent(messageID: Int64, at now: Int64) throws {
        try sqlTransaction { db in try OutboxSQL.markSent(db, messageID: messageID, at: now) }
    }

    public func markFailed(messageID: Int64, error: String, retryAt: Int64?) throws {
        try sqlTransaction { db in try OutboxSQL.markFailed(db, messageID: messageID, error: error, retryAt: retryAt) }
    }
}

extension PostgresStore {
    /// Milliseconds since the Unix epoch.
    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
