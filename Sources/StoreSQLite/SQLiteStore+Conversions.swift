import ClickModel
import Store

/// Conversions, commissions and payments: the logic shared with PostgreSQL
/// (`ConversionsSQL`), each call one SQLite transaction (`synchronous = FULL`)
/// before any answer.
extension SQLiteStore: ConversionStore {
    public func offer(postbackToken: String) throws -> Offer? {
        try read { db in try ConversionsSQL.offer(GRDBConnection(db), postbackToken: postbackToken) }
    }

    public func recordConversion(_ request: ConversionRequest, plan: (ConversionEvidence) -> ConversionPlan) throws -> ConversionRecording {
        try write { db in
            try ConversionsSQL.record(GRDBConnection(db), request, plan: plan) { id in try Self.fetchClick(db, id: id) }
        }
    }

    public func conversion(id: Int64) throws -> Conversion? {
        try read { db in try ConversionsSQL.conversion(GRDBConnection(db), id: id) }
    }

    public func conversions(_ query: ConversionQuery) throws -> [Conversion] {
        try read { db in try ConversionsSQL.conversions(GRDBConnection(db), query) }
    }

    public func reverseConversion(id: Int64, at now: Int64) throws -> Conversion {
        try write { db in try ConversionsSQL.reverse(GRDBConnection(db), id: id, at: now) }
    }

    public func paymentsDue(_ query: PaymentQuery) throws -> [PaymentDue] {
        let currency = try currency()
        return try write { db in try ConversionsSQL.due(GRDBConnection(db), query, currency: currency) }
    }

    public func pay(_ query: PaymentQuery, reference: String?) throws -> [Payment] {
        let currency = try currency()
        return try write { db in try ConversionsSQL.pay(GRDBConnection(db), query, reference: reference, currency: currency) }
    }

    public func payments(partnerID: UInt32?, afterID: Int64, limit: Int) throws -> [Payment] {
        try read { db in try ConversionsSQL.payments(GRDBConnection(db), partnerID: partnerID, afterID: afterID, limit: limit) }
    }
}
