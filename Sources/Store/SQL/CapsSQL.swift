import Domain

/// The nodes' shared cap counters (`cap_use`), the same on SQLite and
/// PostgreSQL: one row per link, cap, partner and period, added to in place.
enum CapsSQL {
    static func add(_ db: some SQLConnection, _ uses: [CapUse]) throws -> [Int64] {
        try uses.map { use in
            let row = try db.row("""
                INSERT INTO cap_use (link_id, cap, partner_id, period, clicks) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (link_id, cap, partner_id, period) DO UPDATE SET clicks = cap_use.clicks + excluded.clicks
                RETURNING clicks
                """, [.integer(Int64(use.linkID)), .integer(Int64(use.cap)), .integer(Int64(use.partnerID)),
                      .integer(use.period), .integer(use.clicks)])
            return try row?.int64(0) ?? use.clicks
        }
    }

    static func use(_ db: some SQLConnection, periods: [Int64]) throws -> [CapUse] {
        guard !periods.isEmpty else { return [] }
        let list = periods.map(String.init).joined(separator: ", ")
        return try db.rows("SELECT link_id, cap, partner_id, period, clicks FROM cap_use WHERE period IN (\(list))").map { row in
            CapUse(linkID: try row.id(0), cap: try row.int(1), partnerID: try row.id(2), period: try row.int64(3), clicks: try row.int64(4))
        }
    }
}

extension SQLStore: CapUseStore {
    public func addCapUse(_ uses: [CapUse]) async throws -> [Int64] {
        guard !uses.isEmpty else { return [] }
        return try await write { db in try CapsSQL.add(db, uses) }
    }

    public func capUse(periods: [Int64]) async throws -> [CapUse] {
        try await read { db in try CapsSQL.use(db, periods: periods) }
    }
}
