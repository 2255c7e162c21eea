import Dispatch
import Store
import Synchronization

/// The reports: the logic shared with PostgreSQL (`ReportsSQL`), in read transactions.
extension SQLiteStore: ReportStore {
    /// The offers' totals and the members' pass are two reads side by side
    /// (the store keeps a pool of readers); the pass over every member's days
    /// is most of the work.
    public func offerReport(_ query: ReportQuery) throws -> [OfferKPIs] {
        let spans = ReportSpans(query)
        let totals = Mutex<Result<([Offer], [UInt32: KPISums]), any Error>?>(nil)
        let members = Mutex<Result<[UInt32: ReportsSQL.MemberCounts], any Error>?>(nil)
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                let result = Result { try read { db in try ReportsSQL.offerTotals(GRDBConnection(db), query, spans) } }
                totals.withLock { $0 = result }
            } else {
                let result = Result { try read { db in try ReportsSQL.memberCounts(GRDBConnection(db), spans) } }
                members.withLock { $0 = result }
            }
        }
        return ReportsSQL.offerReport(totals: try totals.withLock { $0! }.get(), members: try members.withLock { $0! }.get())
    }

    public func memberReport(offerID: UInt32, _ query: ReportQuery, text: String?) throws -> [MemberKPIs] {
        let members = try self.members(MemberQuery(offerID: offerID, text: text, limit: 1_000_000))  // by partner id
        return try read { db in try ReportsSQL.memberReport(GRDBConnection(db), offerID: offerID, query, members: members) }
    }

    public func dailySeries(_ query: ReportQuery) throws -> [DailyPoint] {
        try read { db in try ReportsSQL.dailySeries(GRDBConnection(db), query) }
    }
}
