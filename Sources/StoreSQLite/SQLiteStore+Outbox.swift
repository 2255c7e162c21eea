import GRDB
import Store

extension SQLiteStore: OutboxStore {
    public func enqueue(_ messages: [OutboxMessage]) throws -> [OutboxMessage] {
        try write { db in
            let now = Self.now()
            return try messages.map { message in
                try db.execute(sql: """
                    INSERT INTO outbox (offer_id, stage_id, partner_id, recipient, subject, body, status, next_attempt_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)
                    """, arguments: [message.offerID.map { Int64($0) }, message.stageID.map { Int64($0) }, Int64(message.partnerID),
                                     message.to, message.subject, message.body, now, now])
                var stored = message
                stored.id = db.lastInsertedRowID
                stored.status = .queued
                stored.attempts = 0
                stored.nextAttemptAt = now
                stored.createdAt = now
                return stored
            }
        }
    }

    public func outbox(_ query: OutboxQuery) throws -> [OutboxMessage] {
        try read { db in
            var conditions = ["id > ?"]
            var arguments: [(any DatabaseValueConvertible)?] = [query.afterID]
            if let status = query.status {
                conditions.append("status = ?")
                arguments.append(status.rawValue)
            }
            if let partnerID = query.partnerID {
                conditions.append("partner_id = ?")
                arguments.append(Int64(partnerID))
            }
            arguments.append(query.limit)
            return try Row.fetchAll(db, sql: """
                SELECT \(Self.outboxColumns) FROM outbox WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?
                """, arguments: StatementArguments(arguments)).map(Self.message(from:))
        }
    }

    public func messagesDue(now: Int64, limit: Int) throws -> [OutboxMessage] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.outboxColumns) FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY id LIMIT ?
                """, arguments: [now, limit]).map(Self.message(from:))
        }
    }

    public func markSent(messageID: Int64, at now: Int64) throws {
        try write { db in
            try db.execute(sql: "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE id = ?",
                           arguments: [now, messageID])
        }
    }

    public func markFailed(messageID: Int64, error: String, retryAt: Int64?) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at)
                WHERE id = ?
                """, arguments: [retryAt == nil ? "failed" : "queued", String(error.prefix(500)), retryAt, messageID])
        }
    }

    static let outboxColumns = """
        id, offer_id, stage_id, partner_id, recipient, subject, body, status, attempts, last_error, next_attempt_at, created_at, sent_at
        """

    static func message(from row: Row) -> OutboxMessage {
        OutboxMessage(
            id: row[0], offerID: (row[1] as Int64?).map { UInt32($0) }, stageID: (row[2] as Int64?).map { UInt32($0) },
            partnerID: UInt32(row[3] as Int64), to: row[4], subject: row[5], body: row[6],
            status: MessageStatus(rawValue: row[7]) ?? .failed, attempts: row[8], lastError: row[9], nextAttemptAt: row[10],
            createdAt: row[11], sentAt: row[12])
    }
}
