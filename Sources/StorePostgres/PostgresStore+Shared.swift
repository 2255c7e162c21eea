import ClickModel
import Platform
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
    static func now() -> Int64 { Clocks.wallClockMilliseconds() }
}

extension PostgresStore: ProjectStore {
    public func createProject(_ project: Project, stages: [Stage]) throws -> Project {
        try sqlTransaction { db in try ProjectsSQL.createProject(db, project, stages: stages, now: Self.now()) }
    }

    public func project(id: UInt32) throws -> Project? {
        try sqlConnection { db in try ProjectsSQL.project(db, id: id) }
    }

    public func projects(afterID: UInt32, limit: Int) throws -> [Project] {
        try sqlConnection { db in try ProjectsSQL.projects(db, afterID: afterID, limit: limit) }
    }

    public func stages(projectID: UInt32) throws -> [Stage] {
        try sqlConnection { db in try ProjectsSQL.stages(db, projectID: projectID) }
    }

    public func projectMembers(projectID: UInt32) throws -> [ProjectMember] {
        try sqlConnection { db in try ProjectsSQL.members(db, projectID: projectID) }
    }

    public func addStage(projectID: UInt32, _ stage: Stage, at position: Int?) throws -> Stage {
        try sqlTransaction { db in try ProjectsSQL.addStage(db, projectID: projectID, stage, at: position) }
    }

    public func updateStage(projectID: UInt32, stageID: UInt32, _ change: (inout Stage) throws -> Void) throws -> Stage {
        try sqlTransaction { db in try ProjectsSQL.updateStage(db, projectID: projectID, stageID: stageID, change) }
    }

    public func deleteStage(projectID: UInt32, stageID: UInt32) throws -> StageDeletion {
        try sqlTransaction { db in try ProjectsSQL.deleteStage(db, projectID: projectID, stageID: stageID, now: Self.now()) }
    }

    public func enterProject(projectID: UInt32, partnerIDs: [UInt32]) throws -> [ProjectEntry] {
        try sqlTransaction { db in try ProjectsSQL.enter(db, projectID: projectID, partnerIDs: partnerIDs, now: Self.now()) }
    }

    public func moveMembers(projectID: UInt32, partnerIDs: [UInt32], to stageID: UInt32) throws -> [ProjectMember] {
        try sqlTransaction { db in try ProjectsSQL.move(db, projectID: projectID, partnerIDs: partnerIDs, to: stageID, now: Self.now()) }
    }

    public func generate(projectID: UInt32, stageID: UInt32, partnerIDs: [UInt32]?, terms: MemberTerms,
                         credentials: MemberCredentials) throws -> [Generation] {
        try sqlTransaction { db in
            try ProjectsSQL.generate(db, projectID: projectID, stageID: stageID, partnerIDs: partnerIDs, terms: terms,
                                     credentials: credentials, now: Self.now())
        }
    }
}

extension PostgresStore: ClickStatsStore {
    /// The logic shared with SQLite (`ClickStatsSQL`), from one snapshot.
    public func partnerClickStats(_ query: PartnerClickStatsQuery) throws -> [ClickStatsRow] {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection in
            try ClickStatsSQL.partnerClickStats(PostgresSQLConnection(connection: connection, logger: logger), query)
        }
    }
}

extension PostgresStore: ConversionStore {
    public func offer(postbackToken: String) throws -> Offer? {
        try sqlConnection { db in try ConversionsSQL.offer(db, postbackToken: postbackToken) }
    }

    /// One transaction, committed before any answer; the click is looked up
    /// on a connection of its own (clicks are written, never changed). When
    /// another node recorded the same order first, the order's unique key
    /// refuses this one and it is read again: the answer is that conversion.
    public func recordConversion(_ request: ConversionRequest, plan: (ConversionEvidence) -> ConversionPlan) throws -> ConversionRecording {
        func attempt() throws -> ConversionRecording {
            try sqlTransaction { db in try ConversionsSQL.record(db, request, plan: plan) { id in try click(id: id) } }
        }
        do {
            return try attempt()
        } catch let error as StoreError where error.code == .conflict {
            return try attempt()
        }
    }

    public func conversion(id: Int64) throws -> Conversion? {
        try sqlConnection { db in try ConversionsSQL.conversion(db, id: id) }
    }

    public func conversions(_ query: ConversionQuery) throws -> [Conversion] {
        try sqlConnection { db in try ConversionsSQL.conversions(db, query) }
    }

    // Reversals and payments read commission lines and then change them: on
    // SQLite one writer at a time makes that safe; here, nodes take turns
    // through a transaction-scoped advisory lock, so no line is paid twice or
    // reversed while it is being paid.

    public func reverseConversion(id: Int64, at now: Int64) throws -> Conversion {
        try sqlTransaction { db in
            try Self.lockCommissions(db)
            return try ConversionsSQL.reverse(db, id: id, at: now)
        }
    }

    public func paymentsDue(_ query: PaymentQuery) throws -> [PaymentDue] {
        let currency = try currency()
        return try sqlTransaction { db in
            try Self.lockCommissions(db)
            return try ConversionsSQL.due(db, query, currency: currency)
        }
    }

    public func pay(_ query: PaymentQuery, reference: String?) throws -> [Payment] {
        let currency = try currency()
        return try sqlTransaction { db in
            try Self.lockCommissions(db)
            return try ConversionsSQL.pay(db, query, reference: reference, currency: currency)
        }
    }

    private static func lockCommissions(_ db: PostgresSQLConnection) throws {
        _ = try db.execute("SELECT pg_advisory_xact_lock(7283003)", [])
    }

    public func payments(partnerID: UInt32?, afterID: Int64, limit: Int) throws -> [Payment] {
        try sqlConnection { db in try ConversionsSQL.payments(db, partnerID: partnerID, afterID: afterID, limit: limit) }
    }
}

extension PostgresStore: ReportStore {
    /// The two parts of the offers' report side by side on two connections.
    public func offerReport(_ query: ReportQuery) throws -> [OfferKPIs] {
        try ReportsSQL.offerReport(query) { part in try sqlConnection { db in try part(db) } }
    }

    public func memberReport(offerID: UInt32, _ query: ReportQuery, text: String?) throws -> [MemberKPIs] {
        let members = try self.members(MemberQuery(offerID: offerID, text: text, limit: 1_000_000))
        return try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection in
            try ReportsSQL.memberReport(PostgresSQLConnection(connection: connection, logger: logger), offerID: offerID, query, members: members)
        }
    }

    public func dailySeries(_ query: ReportQuery) throws -> [DailyPoint] {
        try sqlConnection { db in try ReportsSQL.dailySeries(db, query) }
    }
}
