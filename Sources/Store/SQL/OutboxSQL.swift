import Domain

/// The outbox, the same on SQLite and PostgreSQL.
public enum OutboxSQL {
    public static func enqueue(_ db: some SQLConnection, _ messages: [OutboxMessage], now: Int64) throws -> [OutboxMessage] {
        try messages.map { message in
            let row = try db.row("""
                INSERT INTO outbox (offer_id, stage_id, partner_id, recipient, subject, body, status, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?) RETURNING id
                """, [SQLValue(message.offerID), SQLValue(message.stageID), SQLValue(message.partnerID), .text(message.to),
                      .text(message.subject), .text(message.body), .integer(now), .integer(now)])
            guard let row else { throw StoreError(.unavailable, "the message's id was not returned") }
            var stored = message
            stored.id = try row.int64(0)
            stored.status = .queued
            stored.attempts = 0
            stored.nextAttemptAt = now
            stored.createdAt = now
            return stored
        }
    }

    /// One message to each of the brand's owners, in the caller's transaction.
    static func enqueueToOwners(_ db: some SQLConnection, offerID: UInt32? = nil, subject: String, body: String, now: Int64) throws {
        let owners = try db.rows("SELECT email FROM team_members WHERE role = 'owner' ORDER BY id").map { try $0.text(0) }
        _ = try enqueue(db, owners.map { OutboxMessage(offerID: offerID, partnerID: nil, to: $0, subject: subject, body: body) }, now: now)
    }

    public static func list(_ db: some SQLConnection, _ query: OutboxQuery) throws -> [OutboxMessage] {
        var conditions = ["id > ?"]
        var arguments: [SQLValue] = [.integer(query.afterID)]
        if let status = query.status {
            conditions.append("status = ?")
            arguments.append(.text(status.rawValue))
        }
        if !query.includeSignInMessages {
            conditions.append("partner_id IS NOT NULL")
        }
        if let partnerID = query.partnerID {
            conditions.append("partner_id = ?")
            arguments.append(.integer(Int64(partnerID)))
        }
        arguments.append(SQLValue(query.limit))
        return try db.rows("SELECT \(columns) FROM outbox WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?", arguments)
            .map(message(from:))
    }

    public static func due(_ db: some SQLConnection, now: Int64, limit: Int) throws -> [OutboxMessage] {
        try db.rows("SELECT \(columns) FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                    [.integer(now), SQLValue(limit)]).map(message(from:))
    }

    public static func markSent(_ db: some SQLConnection, messageID: Int64, at now: Int64) throws {
        try db.execute("UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE id = ?",
                       [.integer(now), .integer(messageID)])
    }

    /// Failed now: queued again for `retryAt`, or failed for good when it is nil.
    public static func markFailed(_ db: some SQLConnection, messageID: Int64, error: String, retryAt: Int64?) throws {
        try db.execute("""
            UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at)
            WHERE id = ?
            """, [.text(retryAt == nil ? "failed" : "queued"), .text(String(error.prefix(500))), SQLValue(retryAt), .integer(messageID)])
    }

    static let columns = """
        id, offer_id, stage_id, partner_id, recipient, subject, body, status, attempts, last_error, next_attempt_at, created_at, sent_at
        """

    static func message(from row: SQLRow) throws -> OutboxMessage {
        OutboxMessage(
            id: try row.int64(0), offerID: try row.optionalID(1), stageID: try row.optionalID(2), partnerID: try row.optionalID(3),
            to: try row.text(4), subject: try row.text(5), body: try row.text(6),
            status: MessageStatus(rawValue: try row.text(7)) ?? .failed, attempts: try row.int(8), lastError: try row.optionalText(9),
            nextAttemptAt: try row.int64(10), createdAt: try row.int64(11), sentAt: try row.optionalInt64(12))
    }
}
