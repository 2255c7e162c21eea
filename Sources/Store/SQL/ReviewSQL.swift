import Domain

/// The review queue (SPEC section 14), the same on SQLite and PostgreSQL;
/// each function runs inside the caller's transaction.
public enum ReviewSQL {
    static func log(_ db: some SQLConnection, conversionID: Int64, _ entry: ReviewEntry) throws {
        try db.execute("INSERT INTO conversion_reviews (conversion_id, decision, reason, decided_by, decided_at) VALUES (?, ?, ?, ?, ?)",
                       [.integer(conversionID), .text(entry.decision.rawValue), .text(entry.reason), .text(entry.by), .integer(entry.at)])
    }

    static func log(_ db: some SQLConnection, conversionID: Int64) throws -> [ReviewEntry] {
        try db.rows("SELECT decision, reason, decided_by, decided_at FROM conversion_reviews WHERE conversion_id = ? ORDER BY id",
                    [.integer(conversionID)]).map { row in
            ReviewEntry(decision: ReviewEntry.Decision(rawValue: try row.text(0)) ?? .held, reason: try row.text(1), by: try row.text(2),
                        at: try row.int64(3))
        }
    }

    /// Gives `decision` (`ReviewRules` says when it can be given): approval
    /// releases the held or rejected lines (pending through the hold days kept
    /// from the sale, due after, each told as `commission.approved` when it
    /// is); rejection takes the unpaid lines out of what is due and out of the
    /// rollups. Logged, and told as `conversion.reviewed`.
    public static func decide(_ db: some SQLConnection, _ decision: ReviewDecision) throws -> Conversion {
        let id = decision.conversionID
        guard let conversion = try ConversionsSQL.conversion(db, id: id) else { throw StoreError(.notFound, "conversion \(id) does not exist") }
        if let refusal = ReviewRules.refusal(of: decision.verdict, on: conversion) { throw StoreError(.conflict, refusal) }
        let minute = try db.row("SELECT minute FROM conversions WHERE id = ?", [.integer(id)])?.int64(0) ?? 0
        for line in conversion.commissions where line.reversesID == nil {
            let status: Commission.Status
            switch (decision.verdict, line.status) {
            case (.approve, .held), (.approve, .rejected):
                status = .pending
            case (.reject, .held), (.reject, .pending), (.reject, .approved):
                status = .rejected
            default:
                continue
            }
            try db.execute("UPDATE commissions SET status = ? WHERE id = ?", [.text(status.rawValue), .integer(line.id)])
            // Held lines stay in the rollups' commissions (earned, waiting); rejected ones leave them.
            if status == .rejected {
                try ConversionsSQL.addRollup(db, minute: minute, offerID: line.offerID, partnerID: line.partnerID, commissions: -line.amount.minorUnits)
            } else if line.status == .rejected {
                try ConversionsSQL.addRollup(db, minute: minute, offerID: line.offerID, partnerID: line.partnerID, commissions: line.amount.minorUnits)
            }
        }
        // Released lines whose hold is over are due now, told as any other.
        if decision.verdict == .approve { try ConversionsSQL.approveMatured(db, now: decision.at) }
        let review: Conversion.Review = decision.verdict == .approve ? .approved : .rejected
        try db.execute("UPDATE conversions SET review = ? WHERE id = ?", [.text(review.rawValue), .integer(id)])
        try log(db, conversionID: id, ReviewEntry(decision: review == .approved ? .approved : .rejected, reason: decision.reason,
                                                  by: decision.by, at: decision.at))
        guard let decided = try ConversionsSQL.conversion(db, id: id) else { throw StoreError(.unavailable, "the conversion cannot be read back") }
        try EventsSQL.emitConversion(db, .conversionReviewed, decided, now: decision.at)
        return decided
    }
}
