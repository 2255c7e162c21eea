import ClickModel
import Domain
import Foundation
import Store
@testable import StorePostgres
import StoreSQLite
import StoreTesting
import Synchronization
import Testing

extension Trait where Self == ConditionTrait {
    /// Runs only when the test command started a PostgreSQL server; says so when skipped.
    static var needsPostgres: Self { .enabled(if: TestPostgres.url != nil, Comment(rawValue: TestPostgres.missing)) }
}

/// Fresh stores for one test each: the logic written once on a backend of each kind.
enum TestStores {
    /// A SQLite store in a temporary directory, removed afterwards; and its file's path.
    static func sqlite(_ body: (SQLStore, _ path: String) async throws -> Void) async throws {
        let location = try TestStoreLocation.fresh(.sqlite)
        defer { location.remove() }
        let path = try #require(location.sqlitePath)
        let store = SQLStore(backend: try SQLiteStore(path: path))
        try await body(store, path)
        await store.backend.close()
    }

    /// A PostgreSQL store in a database of its own on the test server, dropped afterwards; and the database's name.
    static func postgres(_ body: (SQLStore, _ database: String) async throws -> Void) async throws {
        let database = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(database) }
        let store = SQLStore(backend: try await PostgresStore.open(url: TestPostgres.url(database: database)))
        do {
            try await body(store, database)
        } catch {
            await store.backend.close()
            throw error
        }
        await store.backend.close()
    }
}

/// The click store's contract on SQLite.
@Suite("Click store contract: SQLite")
struct SQLiteClickStoreContract {
    func withStore(_ body: (any ClickStore) throws -> Void) async throws {
        try await TestStores.sqlite { store, _ in try body(store.backend) }
    }

    @Test func everyClickIsStoredAndFound() async throws {
        try await TestStores.sqlite { store, _ in try await ClickStoreContract.everyClickIsStoredAndFound(store) }
    }
    @Test func clicksAreListedOnceEachInTheOrderWritten() async throws {
        try await TestStores.sqlite { store, _ in try await ClickStoreContract.clicksAreListedOnceEachInTheOrderWritten(store) }
    }
    @Test func theSeedHoldsTheSumsOfWhatWasWritten() async throws { try await withStore(ClickStoreContract.theSeedHoldsTheSumsOfWhatWasWritten) }
    @Test func rollupsOfOneKeyFromManyBatchesAddUp() async throws { try await withStore(ClickStoreContract.rollupsOfOneKeyFromManyBatchesAddUp) }
    @Test func aBatchWithAStoredClickIsRefusedWhole() async throws { try await withStore(ClickStoreContract.aBatchWithAStoredClickIsRefusedWhole) }
    @Test func oldClicksAreDeletedByWholePages() async throws { try await withStore(ClickStoreContract.oldClicksAreDeletedByWholePages) }
    @Test func finishedPeriodsAreCompactedOnce() async throws { try await withStore(ClickStoreContract.finishedPeriodsAreCompactedOnce) }
}

/// The shared logic's contract on SQLite.
@Suite("Shared store contract: SQLite")
struct SQLiteSharedStoreContract {
    func withStore(_ body: (SQLStore) async throws -> Void) async throws {
        try await TestStores.sqlite { store, _ in try await body(store) }
    }

    @Test func keysAreFoundByHashWithTheirRole() async throws { try await withStore(SharedStoreContract.keysAreFoundByHashWithTheirRole) }
    @Test func theWorkspaceHasItsCurrencyAndSalt() async throws { try await withStore(SharedStoreContract.theWorkspaceHasItsCurrencyAndSalt) }
    @Test func outboxMessagesGoFromQueuedToSentOrFailed() async throws {
        try await withStore { store in
            let jane = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
            let zoe = try await store.createPartner(Partner(name: "Zoë", code: Code("zoe")!), tokenHash: nil).id
            try await SharedStoreContract.outboxMessagesGoFromQueuedToSentOrFailed(store, partners: (jane, zoe))
        }
    }
    @Test func conversionsAreToldToTheEndpointsThatAskForThem() async throws {
        try await withStore(EventContract.conversionsAreToldToTheEndpointsThatAskForThem)
    }
    @Test func attemptsMoveDeliveries() async throws { try await withStore(EventContract.attemptsMoveDeliveries) }
    @Test func replaysQueueEventsAgain() async throws { try await withStore(EventContract.replaysQueueEventsAgain) }
    @Test func postbacksFollowTheirPartnersConversions() async throws { try await withStore(EventContract.postbacksFollowTheirPartnersConversions) }
    @Test func catalogueChangesAreTold() async throws { try await withStore(EventContract.catalogueChangesAreTold) }
    @Test func commissionsAndPaymentsAreTold() async throws { try await withStore(EventContract.commissionsAndPaymentsAreTold) }
    @Test func membersAndTheirCodesAreTold() async throws { try await withStore(EventContract.membersAndTheirCodesAreTold) }
    @Test func oldEventsAreDeletedOnceNothingWaitsForThem() async throws { try await withStore(EventContract.oldEventsAreDeletedOnceNothingWaitsForThem) }
    @Test func aLeakedCodeIsToldOnce() async throws { try await withStore(EventContract.aLeakedCodeIsToldOnce) }
    @Test func aRedemptionSpikeFlagsTheCode() async throws { try await withStore(EventContract.aRedemptionSpikeFlagsTheCode) }
    @Test func newCustomersWithoutClicksFlagTheCode() async throws { try await withStore(EventContract.newCustomersWithoutClicksFlagTheCode) }
    @Test func aPartnerConvertingFarAboveTheOthersIsFlagged() async throws {
        try await withStore(EventContract.aPartnerConvertingFarAboveTheOthersIsFlagged)
    }
    @Test func aConversionTooSoonAfterItsClickIsFlagged() async throws { try await withStore(EventContract.aConversionTooSoonAfterItsClickIsFlagged) }
}

/// The same on PostgreSQL.
@Suite("Shared store contract: PostgreSQL", .needsPostgres)
struct PostgresSharedStoreContract {
    func withStore(_ body: (SQLStore, String) async throws -> Void) async throws {
        try await TestStores.postgres(body)
    }

    @Test func keysAreFoundByHashWithTheirRole() async throws {
        try await withStore { store, _ in try await SharedStoreContract.keysAreFoundByHashWithTheirRole(store) }
    }
    @Test func theWorkspaceHasItsCurrencyAndSalt() async throws {
        try await withStore { store, _ in try await SharedStoreContract.theWorkspaceHasItsCurrencyAndSalt(store) }
    }
    @Test func outboxMessagesGoFromQueuedToSentOrFailed() async throws {
        try await withStore { store, _ in
            let jane = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
            let zoe = try await store.createPartner(Partner(name: "Zoë", code: Code("zoe")!), tokenHash: nil).id
            try await SharedStoreContract.outboxMessagesGoFromQueuedToSentOrFailed(store, partners: (jane, zoe))
        }
    }
    @Test func conversionsAreToldToTheEndpointsThatAskForThem() async throws {
        try await withStore { store, _ in try await EventContract.conversionsAreToldToTheEndpointsThatAskForThem(store) }
    }
    @Test func attemptsMoveDeliveries() async throws {
        try await withStore { store, _ in try await EventContract.attemptsMoveDeliveries(store) }
    }
    @Test func replaysQueueEventsAgain() async throws {
        try await withStore { store, _ in try await EventContract.replaysQueueEventsAgain(store) }
    }
    @Test func postbacksFollowTheirPartnersConversions() async throws {
        try await withStore { store, _ in try await EventContract.postbacksFollowTheirPartnersConversions(store) }
    }
    @Test func catalogueChangesAreTold() async throws {
        try await withStore { store, _ in try await EventContract.catalogueChangesAreTold(store) }
    }
    @Test func commissionsAndPaymentsAreTold() async throws {
        try await withStore { store, _ in try await EventContract.commissionsAndPaymentsAreTold(store) }
    }
    @Test func membersAndTheirCodesAreTold() async throws {
        try await withStore { store, _ in try await EventContract.membersAndTheirCodesAreTold(store) }
    }
    @Test func oldEventsAreDeletedOnceNothingWaitsForThem() async throws {
        try await withStore { store, _ in try await EventContract.oldEventsAreDeletedOnceNothingWaitsForThem(store) }
    }
    @Test func aLeakedCodeIsToldOnce() async throws {
        try await withStore { store, _ in try await EventContract.aLeakedCodeIsToldOnce(store) }
    }
    @Test func aRedemptionSpikeFlagsTheCode() async throws {
        try await withStore { store, _ in try await EventContract.aRedemptionSpikeFlagsTheCode(store) }
    }
    @Test func newCustomersWithoutClicksFlagTheCode() async throws {
        try await withStore { store, _ in try await EventContract.newCustomersWithoutClicksFlagTheCode(store) }
    }
    @Test func aPartnerConvertingFarAboveTheOthersIsFlagged() async throws {
        try await withStore { store, _ in try await EventContract.aPartnerConvertingFarAboveTheOthersIsFlagged(store) }
    }
    @Test func aConversionTooSoonAfterItsClickIsFlagged() async throws {
        try await withStore { store, _ in try await EventContract.aConversionTooSoonAfterItsClickIsFlagged(store) }
    }

    /// A connection that stops answering in the middle of a transaction
    /// (here a statement the server keeps busy past the deadline, as a
    /// frozen host or a cut network would) holds the transaction until its
    /// deadline and a grace, once: the statements after it fail at once,
    /// and the next transaction gets a connection that answers. The one loop
    /// that commits conversions relies on this, or a group of them waits out
    /// one timeout per statement.
    @Test func aConnectionThatStopsAnsweringFailsItsTransactionOnce() async throws {
        try await withStore { store, _ in
            let errors = Mutex<[String]>([])
            await #expect(throws: StoreError.self) {
                try await store.backend.write(WriteOptions(deadline: .now + .milliseconds(500))) { db in
                    // The server's own limit is the deadline; lifted, the server answers in a minute.
                    try db.execute("SET LOCAL statement_timeout = 0", [])
                    for statement in ["SELECT pg_sleep(60)", "SELECT 1", "SELECT 2", "SELECT 3"] {
                        do {
                            try db.execute(statement, [])
                        } catch {
                            errors.withLock { $0.append(String(describing: error)) }
                        }
                    }
                }
            }
            let seen = errors.withLock { $0 }
            #expect(seen.count == 4)
            #expect(seen.first?.contains("did not answer") == true, "\(seen)")
            #expect(seen.dropFirst().allSatisfy { $0.contains("lost earlier in this transaction") }, "\(seen)")
            let answer = try await store.backend.read(deadline: .now + .seconds(30)) { db in try db.row("SELECT 41 + 1")?.int(0) }
            #expect(answer == 42)
        }
    }

    /// A change of what the edge reads bumps the version once per statement; other changes do not.
    @Test func catalogueChangesBumpTheVersion() async throws {
        try await withStore { _, database in
            #expect(try TestPostgres.psql(database, "SELECT catalogue_version FROM workspace") == "0")
            _ = try TestPostgres.psql(database, "INSERT INTO partners (name, code, created_at) VALUES ('A', 'a', 0), ('B', 'b', 0)")
            #expect(try TestPostgres.psql(database, "SELECT catalogue_version FROM workspace") == "1")
            _ = try TestPostgres.psql(database, "INSERT INTO offers (name, created_at, updated_at) VALUES ('O', 0, 0)")
            _ = try TestPostgres.psql(database, "UPDATE partners SET status = 'inactive'")
            #expect(try TestPostgres.psql(database, "SELECT catalogue_version FROM workspace") == "3")
            _ = try TestPostgres.psql(database, "UPDATE partners SET name = 'C', token_hash = '\\x01' WHERE code = 'a'")
            #expect(try TestPostgres.psql(database, "SELECT catalogue_version FROM workspace") == "3", "nothing the edge reads")
        }
    }
}

/// The same contract on PostgreSQL, each test in a database of its own on
/// the server `CLICKLINE_TEST_POSTGRES` names (`scripts/test` starts one).
@Suite("Click store contract: PostgreSQL", .needsPostgres)
struct PostgresClickStoreContract {
    func withStore(_ body: (any ClickStore) throws -> Void) async throws {
        try await TestStores.postgres { store, _ in try body(store.backend) }
    }

    @Test func everyClickIsStoredAndFound() async throws {
        try await TestStores.postgres { store, _ in try await ClickStoreContract.everyClickIsStoredAndFound(store) }
    }
    @Test func clicksAreListedOnceEachInTheOrderWritten() async throws {
        try await TestStores.postgres { store, _ in try await ClickStoreContract.clicksAreListedOnceEachInTheOrderWritten(store) }
    }
    @Test func theSeedHoldsTheSumsOfWhatWasWritten() async throws { try await withStore(ClickStoreContract.theSeedHoldsTheSumsOfWhatWasWritten) }
    @Test func rollupsOfOneKeyFromManyBatchesAddUp() async throws { try await withStore(ClickStoreContract.rollupsOfOneKeyFromManyBatchesAddUp) }
    @Test func aBatchWithAStoredClickIsRefusedWhole() async throws { try await withStore(ClickStoreContract.aBatchWithAStoredClickIsRefusedWhole) }
    @Test func oldClicksAreDeletedByWholePages() async throws { try await withStore(ClickStoreContract.oldClicksAreDeletedByWholePages) }
    @Test func finishedPeriodsAreCompactedOnce() async throws { try await withStore(ClickStoreContract.finishedPeriodsAreCompactedOnce) }

    /// Several nodes migrate the same database at once: one applies each version.
    @Test func nodesStartingTogetherMigrateOnce() async throws {
        let database = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(database) }
        let url = TestPostgres.url(database: database)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { await (try PostgresStore.open(url: url)).close() } }
            try await group.waitForAll()
        }
        #expect(try TestPostgres.psql(database, "SELECT count(*) FROM schema_migrations") == "\(PostgresSchema.migrations.count)")
        #expect(try TestPostgres.psql(database, "SELECT count(*) FROM workspace") == "1")
    }

    /// A batch written again whole (its commit's answer was lost) is taken as
    /// written, once; a batch that only shares clicks with a stored one is refused.
    @Test func aBatchStoredWholeIsTakenAsWrittenWhenWrittenAgain() async throws {
        let database = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(database) }
        let store = try await PostgresStore.open(url: TestPostgres.url(database: database))
        defer { Task { await store.close() } }
        var ids = ClickIDGenerator(node: 0, worker: 0)
        let records = (0..<300).map { ClickStoreContract.click(&ids, at: ClickStoreContract.noon + UInt64($0)) }
        var batch = ClickBatch()
        for record in records { batch.append(record, unique: false) }
        try store.write(batch, nodeID: 0)
        try store.write(batch, nodeID: 0)
        #expect(try store.storedClickCount() == 300)
        #expect(try store.liveCounterSeed(now: Int64(ClickStoreContract.noon)).totals.clicks == 300, "the rollups once")
        var overlapping = ClickBatch()
        for record in records.prefix(10) { overlapping.append(record, unique: false) }
        overlapping.append(ClickStoreContract.click(&ids, at: ClickStoreContract.noon + 400), unique: false)
        #expect(throws: StoreError.self) { try store.write(overlapping, nodeID: 0) }
        #expect(try store.storedClickCount() == 300)
    }

    /// Batches append rollup rows; a finished minute's become one row per key.
    @Test func finishedMinutesAreMergedIntoOneRowPerKey() async throws {
        let database = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(database) }
        let store = try await PostgresStore.open(url: TestPostgres.url(database: database))
        defer { Task { await store.close() } }
        var ids = ClickIDGenerator(node: 0, worker: 0)
        for index in 0..<5 {
            var batch = ClickBatch()
            batch.append(ClickStoreContract.click(&ids, at: ClickStoreContract.noon + UInt64(index)), unique: false)
            try store.write(batch, nodeID: 0)
        }
        #expect(try TestPostgres.psql(database, "SELECT count(*) FROM click_rollups") == "5")
        _ = try store.compactRollups(now: Int64(ClickStoreContract.noon) + 60_000, limit: 24)
        #expect(try TestPostgres.psql(database, "SELECT count(*) FROM click_rollups") == "5", "the last two minutes wait")
        _ = try store.compactRollups(now: Int64(ClickStoreContract.noon) + 180_000, limit: 24)
        #expect(try TestPostgres.psql(database, "SELECT count(*), sum(clicks) FROM click_rollups") == "1|5")
    }

    /// A listener is told of a catalogue change at once, and not of other writes.
    @Test func listenersAreToldOfCatalogueChanges() async throws {
        let database = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(database) }
        let store = SQLStore(backend: try await PostgresStore.open(url: TestPostgres.url(database: database)))
        let backend = try #require(store.backend as? PostgresStore)
        final class Count: Sendable {
            let value = Mutex(0)
        }
        let count = Count()
        let listening = Task { try await backend.listenForCatalogueChanges { count.value.withLock { $0 += 1 } } }
        func told() -> Int { count.value.withLock { $0 } }
        defer { listening.cancel() }
        /// Waits up to `limit` milliseconds for a first word; how long it took, or nil.
        func firstWord(within limit: Int) async throws -> Int? {
            for waited in stride(from: 0, through: limit, by: 10) {
                if told() > 0 { return waited }
                try await Task.sleep(for: .milliseconds(10))
            }
            return nil
        }
        // Until LISTEN is in place, changes go unheard: change something until one is heard.
        var partners = 0
        repeat {
            partners += 1
            _ = try await store.createPartner(Partner(name: "P\(partners)", code: Code("p\(partners)")!), tokenHash: nil)
        } while try await firstWord(within: 500) == nil && partners < 20
        try #require(told() > 0, "never told of a change")

        try await Task.sleep(for: .milliseconds(200))
        count.value.withLock { $0 = 0 }
        try await store.insertKey(role: .ops, hash: Array(repeating: 3, count: 32))
        try await store.setPartnerTokenHash(partnerID: 1, hash: Array(repeating: 4, count: 32))
        #expect(try await firstWord(within: 300) == nil, "keys and tokens are nothing the edge reads")
        _ = try await store.createOffer(Offer(name: "Summer"))
        let waited = try await firstWord(within: 1_000)
        #expect(waited != nil, "a new offer was told within a second")
        #expect(told() == 1)
    }

    @Test func aStoreThatCannotBeReachedSaysSo() async throws {
        await #expect(throws: StoreError.self) { _ = try await PostgresStore.open(url: "postgres://clickline@127.0.0.1:1/none") }
        await #expect(throws: StoreError.self) { _ = try await PostgresStore.open(url: "postgres://127.0.0.1/none") }
    }
}
