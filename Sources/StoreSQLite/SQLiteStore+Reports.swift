import Store

/// The reports: the logic shared with PostgreSQL (`ReportsSQL`), in read transactions.
extension SQLiteStore: ReportStore {
    /// The two parts of the offers' report in two read transactions side by side.
    public func offerReport(_ query: ReportQuery) throws -> [OfferKPIs] {
        try ReportsSQL.offerReport(query) { part in try read { db in try part(GRDBConnection(db)) } }
    }

    public func memberReport(offerID: UInt32, _ query: ReportQuery, text: String?) throws -> [MemberKPIs] {
        let members = try self.members(MemberQuery(offerID: offerID, text: text, limit: 1_000_000))  // by partner id
        return try read { db in try ReportsSQL.memberReport(GRDBConnection(db), offerID: offerID, query, members: members) }
    }

    public func dailySeries(_ query: ReportQuery) throws -> [DailyPoint] {
        try read { db in try ReportsSQL.dailySeries(GRDBConnection(db), query) }
    }
}
