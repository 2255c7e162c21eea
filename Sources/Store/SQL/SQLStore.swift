import ClickModel
import Domain
import Platform
import Synchronization
import Wire

/// The store of everything but the clicks themselves: keys, the workspace,
/// the catalogue, conversions and payments, projects, reports, partners'
/// statistics and the outbox. It is written once, in the SQL that SQLite and
/// PostgreSQL have in common (Store's `*SQL`), and runs on either database
/// through `SQLDatabase`. What each database does its own way (storing click
/// pages and rollups, loading the edge's catalogue) stays in its backend.
///
/// Every call is `async` and runs off Swift's shared executor; each is timed
/// by `health`, which `/readyz` reads. Conversions are recorded through a
/// group commit (`ConversionCommitter`).
public final class SQLStore: Sendable {
    /// The database underneath, with its own click path and catalogue loading.
    public let backend: any StoreBackend
    public let health = StoreHealth()
    private let committer: ConversionCommitter
    private let memberURLs = MemberURLsInUse()
    /// The workspace's currency, read once: it is set when the store is created.
    private let workspaceCurrency = Mutex<Currency?>(nil)
    /// Offers by the postback tokens seen lately (`offer(postbackToken:)`).
    private let postbackTokens = Mutex<[String: (offer: Offer, readAt: ContinuousClock.Instant)]>([:])

    /// - Parameters:
    ///   - maxGroupedConversions: the most conversions one commit carries.
    ///   - maxQueuedConversions: the most conversions waiting for a commit; more get 503 at once.
    public init(backend: any StoreBackend, maxGroupedConversions: Int = 256, maxQueuedConversions: Int = 4096) {
        self.backend = backend
        committer = ConversionCommitter(database: backend, memberURLs: memberURLs, maxGroup: maxGroupedConversions,
                                        maxQueued: maxQueuedConversions)
    }

    /// How the events that carry a member (`member.added` and the promo-code
    /// ones) make its URLs; until this is called they hold paths only.
    public func useMemberURLs(_ urls: MemberURLs) {
        memberURLs.current = urls
    }

    /// Milliseconds since the Unix epoch.
    static func now() -> Int64 { Clocks.wallClockMilliseconds() }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await health.track { try await backend.read(deadline: Deadline.current, body) }
    }

    func write<T: Sendable>(_ options: WriteOptions = WriteOptions(),
                            _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        var options = options
        options.deadline = options.deadline ?? Deadline.current
        return try await health.track { try await backend.write(options, body) }
    }

    /// Checks that a write could start now, giving up after `timeout`; the
    /// service runs it every half second for `/readyz`.
    public func probe(timeout: Duration) async throws {
        try await health.track {
            try await backend.probe(deadline: .now + timeout)
        }
        health.probeAnswered()
    }
}

// MARK: - keys and workspace

extension SQLStore: KeyStore {
    public func insertKey(role: KeyRole, hash: [UInt8]) async throws {
        try await write { db in try KeysSQL.insert(db, role: role, hash: hash, now: Self.now()) }
    }

    public func role(forKeyHash hash: [UInt8]) async throws -> KeyRole? {
        try await read { db in try KeysSQL.role(db, hash: hash) }
    }
}

extension SQLStore: WorkspaceStore {
    public func currency() async throws -> Currency {
        if let currency = workspaceCurrency.withLock({ $0 }) { return currency }
        let currency = try await read { db in try WorkspaceSQL.currency(db) }
        workspaceCurrency.withLock { $0 = currency }
        return currency
    }

    public func clientHashSalt() async throws -> UInt64 {
        try await read { db in try WorkspaceSQL.clientHashSalt(db) }
    }
}

// MARK: - catalogue

extension SQLStore: CatalogueWriter {
    public func createOffer(_ offer: Offer) async throws -> Offer {
        try await write { db in try CatalogueSQL.createOffer(db, offer, now: Self.now()) }
    }

    public func offer(id: UInt32) async throws -> Offer? {
        try await read { db in try CatalogueSQL.offer(db, id: id) }
    }

    public func offers(_ query: OfferQuery) async throws -> [Offer] {
        try await read { db in try CatalogueSQL.offers(db, query) }
    }

    public func updateOffer(id: UInt32, _ change: @escaping @Sendable (inout Offer) throws -> Void) async throws -> Offer {
        try await write { db in
            let now = Self.now()
            let updated = try CatalogueSQL.updateOffer(db, id: id, now: now, change)
            try EventsSQL.emit(db, .offerUpdated, data: OfferBody(updated, now: now), now: now)
            return updated
        }
    }

    public func createLink(_ link: TrackingLink) async throws -> TrackingLink {
        try await write { db in
            let now = Self.now()
            let created = try CatalogueSQL.createLink(db, link, now: now)
            try EventsSQL.emit(db, .linkCreated, data: LinkBody(created), now: now)
            return created
        }
    }

    public func links(offerID: UInt32) async throws -> [TrackingLink] {
        try await read { db in try CatalogueSQL.links(db, offerID: offerID) }
    }

    public func link(code: Code) async throws -> TrackingLink? {
        try await read { db in try CatalogueSQL.link(db, code: code) }
    }

    public func link(id: UInt32) async throws -> TrackingLink? {
        try await read { db in try CatalogueSQL.link(db, id: id) }
    }

    public func updateLink(id: UInt32, _ change: @escaping @Sendable (inout TrackingLink) throws -> Void) async throws -> TrackingLink {
        try await write { db in
            let updated = try CatalogueSQL.updateLink(db, id: id, change)
            try EventsSQL.emit(db, .linkUpdated, data: LinkBody(updated), now: Self.now())
            return updated
        }
    }

    public func links(forMember partnerID: UInt32) async throws -> [PartnerLink] {
        try await read { db in try CatalogueSQL.links(db, forMember: partnerID, now: Self.now()) }
    }

    public func createPartner(_ partner: Partner, tokenHash: [UInt8]?) async throws -> Partner {
        try await write { db in
            let now = Self.now()
            let created = try CatalogueSQL.createPartner(db, partner, tokenHash: tokenHash, now: now)
            try EventsSQL.emit(db, .partnerCreated, data: PartnerBody(created), now: now)
            return created
        }
    }

    public func partner(id: UInt32) async throws -> Partner? {
        try await read { db in try CatalogueSQL.partner(db, id: id) }
    }

    public func partner(code: Code) async throws -> Partner? {
        try await read { db in try CatalogueSQL.partner(db, code: code) }
    }

    public func partner(tokenHash: [UInt8]) async throws -> Partner? {
        try await read { db in try CatalogueSQL.partner(db, tokenHash: tokenHash) }
    }

    public func partners(_ query: PartnerQuery) async throws -> [Partner] {
        try await read { db in try CatalogueSQL.partners(db, query) }
    }

    public func updatePartner(id: UInt32, _ change: @escaping @Sendable (inout Partner) throws -> Void) async throws -> Partner {
        try await write { db in try CatalogueSQL.updatePartner(db, id: id, now: Self.now(), change) }
    }

    public func setPartnerTokenHash(partnerID: UInt32, hash: [UInt8]) async throws {
        try await write { db in try CatalogueSQL.setPartnerTokenHash(db, partnerID: partnerID, hash: hash) }
    }

    public func addMembers(offerID: UInt32, partnerIDs: [UInt32], terms: MemberTerms,
                           credentials: MemberCredentials) async throws -> [MemberAddition] {
        let urls = memberURLs.current
        return try await write { db in
            try CatalogueSQL.addMembers(db, offerID: offerID, partnerIDs: partnerIDs, terms: terms, credentials: credentials, urls: urls,
                                        now: Self.now())
        }
    }

    public func member(offerID: UInt32, partnerID: UInt32) async throws -> Member? {
        try await read { db in try CatalogueSQL.member(db, offerID: offerID, partnerID: partnerID) }
    }

    public func members(_ query: MemberQuery) async throws -> [Member] {
        try await read { db in try CatalogueSQL.members(db, query) }
    }

    public func memberships(partnerID: UInt32) async throws -> [Member] {
        try await read { db in try CatalogueSQL.memberships(db, partnerID: partnerID) }
    }

    public func member(dashboardToken: String) async throws -> Member? {
        try await read { db in try CatalogueSQL.member(db, dashboardToken: dashboardToken) }
    }

    public func updateMember(offerID: UInt32, partnerID: UInt32,
                             _ change: @escaping @Sendable (inout Member) throws -> Void) async throws -> Member {
        try await write { db in try CatalogueSQL.updateMember(db, offerID: offerID, partnerID: partnerID, change) }
    }

    public func refreshPromoCode(offerID: UInt32, partnerID: UInt32,
                                 make: @escaping @Sendable (Partner, Int) -> String) async throws -> Member {
        let urls = memberURLs.current
        return try await write { db in
            try CatalogueSQL.refreshPromoCode(db, offerID: offerID, partnerID: partnerID, make: make, urls: urls, now: Self.now())
        }
    }

    public func removeMember(offerID: UInt32, partnerID: UInt32) async throws {
        try await write { db in try CatalogueSQL.removeMember(db, offerID: offerID, partnerID: partnerID) }
    }

    public func redeemPromoCode(_ code: String, at now: Int64) async throws -> PromoRedemption {
        try await write { db in try CatalogueSQL.redeemPromoCode(db, code, at: now) }
    }

    public func createAd(_ ad: Ad) async throws -> Ad {
        try await write { db in try CatalogueSQL.createAd(db, ad, now: Self.now()) }
    }

    public func ads(partnerID: UInt32) async throws -> [Ad] {
        try await read { db in try CatalogueSQL.ads(db, partnerID: partnerID) }
    }

    public func createShopifyStore(_ store: ShopifyStore) async throws -> ShopifyStore {
        try await write { db in try CatalogueSQL.createShopifyStore(db, store, now: Self.now()) }
    }

    public func shopifyStores() async throws -> [ShopifyStore] {
        try await read { db in try CatalogueSQL.shopifyStores(db) }
    }

    public func shopifyStore(id: UInt32) async throws -> ShopifyStore? {
        try await read { db in try CatalogueSQL.shopifyStore(db, id: id) }
    }
}

// MARK: - conversions and payments

extension SQLStore: ConversionStore {
    /// Every postback names its offer by token, so an offer found by its
    /// token is remembered for 10 s (tokens never move to another offer;
    /// the conversion's rules read the offer itself again inside their
    /// transaction). A token that finds nothing is asked again each time.
    public func offer(postbackToken: String) async throws -> Offer? {
        let now = ContinuousClock.now
        if let known = postbackTokens.withLock({ $0[postbackToken] }), known.readAt.duration(to: now) < .seconds(10) {
            return known.offer
        }
        let offer = try await read { db in try ConversionsSQL.offer(db, postbackToken: postbackToken) }
        if let offer {
            postbackTokens.withLock { tokens in
                if tokens.count >= 1_024 { tokens.removeAll() }  // a handful of offers in practice; never unbounded
                tokens[postbackToken] = (offer, now)
            }
        }
        return offer
    }

    /// Through the group commit: answered once the group holding it is
    /// durable, and not recorded once the task's deadline has passed.
    public func recordConversion(_ request: ConversionRequest,
                                 plan: @escaping @Sendable (ConversionEvidence) -> ConversionPlan) async throws -> ConversionRecording {
        try await health.track { try await committer.record(request, deadline: Deadline.current, plan: plan) }
    }

    public func conversion(id: Int64) async throws -> Conversion? {
        try await read { db in try ConversionsSQL.conversion(db, id: id) }
    }

    public func conversions(_ query: ConversionQuery) async throws -> [Conversion] {
        try await read { db in try ConversionsSQL.conversions(db, query) }
    }

    // Reversals and payments read commission lines and then change them by
    // what they read, so they are serialized writes: no line is paid twice,
    // or reversed while it is being paid, by two nodes at once.

    public func reverseConversion(id: Int64, at now: Int64) async throws -> Conversion {
        try await write(WriteOptions(serialized: true)) { db in try ConversionsSQL.reverse(db, id: id, at: now) }
    }

    public func review(_ decision: ReviewDecision) async throws -> Conversion {
        try await write(WriteOptions(serialized: true)) { db in try ReviewSQL.decide(db, decision) }
    }

    public func paymentsDue(_ query: PaymentQuery) async throws -> [PaymentDue] {
        let currency = try await currency()
        return try await write(WriteOptions(serialized: true)) { db in try ConversionsSQL.due(db, query, currency: currency) }
    }

    public func pay(_ query: PaymentQuery, reference: String?) async throws -> [Payment] {
        let currency = try await currency()
        return try await write(WriteOptions(serialized: true)) { db in
            try ConversionsSQL.pay(db, query, reference: reference, currency: currency)
        }
    }

    public func payments(partnerID: UInt32?, afterID: Int64, limit: Int) async throws -> [Payment] {
        try await read { db in try ConversionsSQL.payments(db, partnerID: partnerID, afterID: afterID, limit: limit) }
    }
}

// MARK: - stored clicks read back

extension SQLStore: ClickReader {
    public func click(id: ClickID) async throws -> StoredClick? {
        try await read { db in try ClickPagesSQL.click(db, id: id) }
    }

    public func clicks(_ query: ClickQuery) async throws -> ClickListing {
        try await read { db in try ClickPagesSQL.clicks(db, query) }
    }
}

// MARK: - projects

extension SQLStore: ProjectStore {
    public func createProject(_ project: Project, stages: [Stage]) async throws -> Project {
        try await write { db in try ProjectsSQL.createProject(db, project, stages: stages, now: Self.now()) }
    }

    public func project(id: UInt32) async throws -> Project? {
        try await read { db in try ProjectsSQL.project(db, id: id) }
    }

    public func projects(afterID: UInt32, limit: Int) async throws -> [Project] {
        try await read { db in try ProjectsSQL.projects(db, afterID: afterID, limit: limit) }
    }

    public func stages(projectID: UInt32) async throws -> [Stage] {
        try await read { db in try ProjectsSQL.stages(db, projectID: projectID) }
    }

    public func projectMembers(projectID: UInt32) async throws -> [ProjectMember] {
        try await read { db in try ProjectsSQL.members(db, projectID: projectID) }
    }

    public func addStage(projectID: UInt32, _ stage: Stage, at position: Int?) async throws -> Stage {
        try await write { db in try ProjectsSQL.addStage(db, projectID: projectID, stage, at: position) }
    }

    public func updateStage(projectID: UInt32, stageID: UInt32,
                            _ change: @escaping @Sendable (inout Stage) throws -> Void) async throws -> Stage {
        try await write { db in try ProjectsSQL.updateStage(db, projectID: projectID, stageID: stageID, change) }
    }

    public func deleteStage(projectID: UInt32, stageID: UInt32) async throws -> StageDeletion {
        try await write { db in try ProjectsSQL.deleteStage(db, projectID: projectID, stageID: stageID, now: Self.now()) }
    }

    public func enterProject(projectID: UInt32, partnerIDs: [UInt32]) async throws -> [ProjectEntry] {
        try await write { db in try ProjectsSQL.enter(db, projectID: projectID, partnerIDs: partnerIDs, now: Self.now()) }
    }

    public func moveMembers(projectID: UInt32, partnerIDs: [UInt32], to stageID: UInt32) async throws -> [ProjectMember] {
        try await write { db in try ProjectsSQL.move(db, projectID: projectID, partnerIDs: partnerIDs, to: stageID, now: Self.now()) }
    }

    public func generate(projectID: UInt32, stageID: UInt32, partnerIDs: [UInt32]?, terms: MemberTerms,
                         credentials: MemberCredentials) async throws -> [Generation] {
        let urls = memberURLs.current
        return try await write { db in
            try ProjectsSQL.generate(db, projectID: projectID, stageID: stageID, partnerIDs: partnerIDs, terms: terms,
                                     credentials: credentials, urls: urls, now: Self.now())
        }
    }
}

// MARK: - reports and statistics

extension SQLStore: ReportStore {
    /// The offers' two parts (their totals, and the members' pass, which is
    /// most of the work) read side by side, each in a read transaction of its own.
    public func offerReport(_ query: ReportQuery) async throws -> [OfferKPIs] {
        let spans = ReportSpans(query)
        async let totals = read { db in try ReportsSQL.offerTotals(db, query, spans) }
        async let members = read { db in try ReportsSQL.memberCounts(db, spans) }
        return ReportsSQL.combine(totals: try await totals, members: try await members)
    }

    public func memberReport(offerID: UInt32, _ query: ReportQuery, text: String?) async throws -> [MemberKPIs] {
        try await read { db in
            let members = try CatalogueSQL.members(db, MemberQuery(offerID: offerID, text: text, limit: 1_000_000))  // by partner id
            return try ReportsSQL.memberReport(db, offerID: offerID, query, members: members)
        }
    }

    public func dailySeries(_ query: ReportQuery) async throws -> [DailyPoint] {
        try await read { db in try ReportsSQL.dailySeries(db, query) }
    }

    public func variantReport(linkID: UInt32) async throws -> VariantReport? {
        try await read { db in try ReportsSQL.variantReport(db, linkID: linkID) }
    }

    public func qualityReport(_ query: ReportQuery) async throws -> [QualityRow] {
        try await read { db in try QualitySQL.report(db, query) }
    }

    public func trafficReport(by dimension: TrafficDimension, _ query: ReportQuery) async throws -> [TrafficRow] {
        try await read { db in try ReportsSQL.trafficReport(db, by: dimension, query) }
    }
}

extension SQLStore: ClickStatsStore {
    public func partnerClickStats(_ query: PartnerClickStatsQuery) async throws -> [ClickStatsRow] {
        try await read { db in try ClickStatsSQL.partnerClickStats(db, query) }
    }
}

// MARK: - outbox

extension SQLStore: OutboxStore {
    public func enqueue(_ messages: [OutboxMessage]) async throws -> [OutboxMessage] {
        try await write { db in try OutboxSQL.enqueue(db, messages, now: Self.now()) }
    }

    public func outbox(_ query: OutboxQuery) async throws -> [OutboxMessage] {
        try await read { db in try OutboxSQL.list(db, query) }
    }

    public func messagesDue(now: Int64, limit: Int) async throws -> [OutboxMessage] {
        try await read { db in try OutboxSQL.due(db, now: now, limit: limit) }
    }

    public func markSent(messageID: Int64, at now: Int64) async throws {
        try await write { db in try OutboxSQL.markSent(db, messageID: messageID, at: now) }
    }

    public func markFailed(messageID: Int64, error: String, retryAt: Int64?) async throws {
        try await write { db in try OutboxSQL.markFailed(db, messageID: messageID, error: error, retryAt: retryAt) }
    }
}
