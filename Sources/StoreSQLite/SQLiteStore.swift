import ClickModel
import Domain
import Foundation
import GRDB
import GRDBSQLite
import Store
import Synchronization

/// The embedded store: one SQLite database in WAL mode, owned by this object,
/// migrated when it opens. The default store of `clickline serve`.
///
/// Durability: every transaction commits with `synchronous = FULL`, so a
/// committed transaction survives a crash of the process and of the machine.
/// Clicks are committed in batches of thousands, so the sync per commit costs
/// little (measured: no difference in the writer benchmark against NORMAL).
///
/// Threading: GRDB's `DatabasePool` serialises writes on one connection and
/// runs reads concurrently beside it, each on a dispatch queue of its own.
/// The shared store logic reaches them through GRDB's async access
/// (`SQLDatabase`), so no thread of Swift's shared executor waits on SQLite,
/// and a task cancelled while it waits for a connection gives up its turn.
/// The click writer and the catalogue publisher call the blocking methods
/// from threads of their own.
public final class SQLiteStore: Sendable {
    public let path: String
    let pool: DatabasePool
    /// A connection of its own for `probe`, so that a probe waiting on
    /// another process's lock never queues in front of the click writer or
    /// an API write on the pool's one writer connection.
    let probeConnection: DatabaseQueue

    /// Opens (creating the file and its directory when missing) and migrates.
    public init(path: String) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Read pages through a memory map instead of read() calls, and keep
            // the growing B-trees' hot pages cached (32 MiB per connection).
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
            var probeConfiguration = Configuration()
            probeConfiguration.busyMode = .timeout(Self.busyTimeout)
            probeConnection = try DatabaseQueue(path: path, configuration: probeConfiguration)
        } catch {
            throw StoreError(.unavailable, "cannot open the SQLite store at \(path): \(error)")
        }
    }

    /// Opens the store named by a `sqlite:` URL (`sqlite:./data/clickline.sqlite`).
    public convenience init(url: String) throws {
        guard url.hasPrefix("sqlite:") else { throw StoreError(.invalid, "not a sqlite: store URL") }
        var path = String(url.dropFirst("sqlite:".count))
        if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
        guard !path.isEmpty else { throw StoreError(.invalid, "the sqlite: store URL names no file") }
        try self.init(path: path)
    }

    /// Milliseconds since the Unix epoch.
    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// How long a statement waits for another connection's lock (another
    /// process's, in practice: this store has one writer) before it fails.
    static let busyTimeout: TimeInterval = 5
}


// MARK: - The shared logic's transactions

extension SQLiteStore: StoreBackend {
    /// Reads in WAL mode wait for no lock, so the deadline has nothing to bound.
    public func read<T: Sendable>(deadline: ContinuousClock.Instant?,
                                  _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        do {
            return try await pool.read { db in try body(GRDBConnection(db)) }
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    /// An immediate transaction: the write lock is taken at its start, so a
    /// lock held by another process is waited for there (at most the busy
    /// timeout, or until the deadline), before anything is done.
    ///
    /// The pool has one writer, so a write may first wait for its turn behind
    /// others (one waiting for that lock, or the click writer's). With a
    /// deadline, the caller is answered at it even then: the write gives up
    /// its turn and never starts, so nothing it would have done is done later.
    public func write<T: Sendable>(_ options: WriteOptions, _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        guard options.answersWhileQueued, let deadline = options.deadline else { return try await writeInTurn(options, turn: nil, body) }
        let turn = WriterTurn()
        let answer = AnswerOnce<T>()
        return try await withCheckedThrowingContinuation { continuation in
            answer.set(continuation)
            let timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                if !Task.isCancelled, turn.giveUp() {
                    answer.resume(with: .failure(StoreError(.unavailable, "the deadline passed while the write waited for its turn")))
                }
            }
            Task {
                let result: Result<T, any Error>
                do { result = .success(try await self.writeInTurn(options, turn: turn, body)) } catch { result = .failure(error) }
                timer.cancel()
                answer.resume(with: result)
            }
        }
    }

    /// The write itself; with a `turn`, only if the caller did not give it up first.
    private func writeInTurn<T: Sendable>(_ options: WriteOptions, turn: WriterTurn?,
                                          _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        do {
            return try await pool.writeWithoutTransaction { db in
                if let turn, !turn.start() { throw StoreError(.unavailable, "the deadline passed while the write waited for its turn") }
                let wait = options.millisecondsLeft().map { min($0, Int(Self.busyTimeout * 1000)) }
                if let wait { sqlite3_busy_timeout(db.sqliteConnection, Int32(wait)) }
                defer { if wait != nil { sqlite3_busy_timeout(db.sqliteConnection, Int32(Self.busyTimeout * 1000)) } }
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(GRDBConnection(db))
                    return .commit
                }
                return result!
            }
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    /// Takes the write lock and lets it go at once (an empty transaction
    /// writes nothing), on the probe's own connection.
    public func probe(deadline: ContinuousClock.Instant) async throws {
        let wait = WriteOptions(deadline: deadline).millisecondsLeft().map { min($0, Int(Self.busyTimeout * 1000)) } ?? 0
        do {
            try await probeConnection.writeWithoutTransaction { db in
                sqlite3_busy_timeout(db.sqliteConnection, Int32(wait))
                try db.inTransaction(.immediate) { .commit }
            }
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    public func close() async {
        try? probeConnection.close()
        try? pool.close()
    }
}

/// A write's turn on the one writer: started, or given up by its caller
/// first, whichever comes first; never both.
private final class WriterTurn: Sendable {
    private enum State { case waiting, started, givenUp }
    private let state = Mutex(State.waiting)

    /// Whether the write may start: its caller has not given it up.
    func start() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = .started
            return true
        }
    }

    /// Whether the caller may be answered now: the write has not started.
    func giveUp() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = .givenUp
            return true
        }
    }
}

/// A continuation resumed by the first of the write and its deadline.
private final class AnswerOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(with result: Result<T, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}

// MARK: - The click writer's and the publisher's transactions

extension SQLiteStore {
    /// Runs a write on the calling thread, waiting for it: for the click
    /// writer's and the compaction's own threads only.
    func writeBlocking<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.write(body)
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    /// Runs a read on the calling thread, waiting for it: for the threads of
    /// the click pipeline and the catalogue publisher, and for start-up.
    func readBlocking<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    static func translate(_ error: DatabaseError) -> StoreError {
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
            return StoreError(.conflict, "already exists")
        case .SQLITE_CONSTRAINT_FOREIGNKEY:
            return StoreError(.notFound, "refers to something that does not exist")
        default:
            if error.resultCode == .SQLITE_CONSTRAINT { return StoreError(.invalid, error.message ?? "constraint failed") }
            return StoreError(.unavailable, "\(error.resultCode): \(error.message ?? "")")
        }
    }
}
