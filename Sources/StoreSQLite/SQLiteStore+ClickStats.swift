import Store

extension SQLiteStore: ClickStatsStore {
    /// The logic shared with PostgreSQL (`ClickStatsSQL`), in one read transaction.
    public func partnerClickStats(_ query: PartnerClickStatsQuery) throws -> [ClickStatsRow] {
        try read { db in try ClickStatsSQL.partnerClickStats(GRDBConnection(db), query) }
    }
}
