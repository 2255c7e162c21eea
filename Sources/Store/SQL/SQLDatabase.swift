import Domain

/// A database that the store logic both backends share runs on: it hands out
/// a connection inside a transaction, on a thread of its own, never on a
/// thread of Swift's shared executor. SQLite runs the body on GRDB's writer
/// or reader queues (GRDB's async access); PostgreSQL on a dedicated thread
/// pool, one thread per connection of its `PostgresClient` pool.
///
/// The body is synchronous: the shared logic (`CatalogueSQL`,
/// `ConversionsSQL`...) runs its statements one after another inside one
/// transaction, as GRDB's transactions require. The caller awaits the whole
/// transaction; nothing it waits on blocks the caller's thread.
///
/// Contract every implementation meets (the store contracts run on both;
/// `scripts/fault-store-lock` holds each one's lock past the deadlines):
/// - `read` sees one consistent snapshot of the database.
/// - `write` commits durably before it returns, or rolls everything back
///   and throws; the error the body threw comes out unchanged, and the
///   database's own errors come out as `StoreError`s.
/// - A task cancelled before its transaction starts does not start it.
/// - Past its deadline, a transaction still waiting for a lock or for the
///   server gives up (`StoreError(.unavailable)`) and changes nothing.
public protocol SQLDatabase: Sendable {
    /// Runs `body` in a read-only transaction, given up past `deadline`.
    func read<T: Sendable>(deadline: ContinuousClock.Instant?, _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

    /// Runs `body` in a write transaction, committed before this returns.
    func write<T: Sendable>(_ options: WriteOptions, _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

    /// Checks, without changing anything, that a write could start now: the
    /// probe behind `/readyz`. Throws when the database does not answer by `deadline`.
    func probe(deadline: ContinuousClock.Instant) async throws
}

/// How a write transaction runs.
public struct WriteOptions: Sendable {
    /// Writes that read rows and change them by what they read (paying
    /// commissions, reversing conversions) take turns across every node
    /// sharing the database. SQLite has one writer, so they always do there.
    public var serialized: Bool
    /// When to stop waiting for the database's locks and its answer; nil
    /// waits as long as the database's own timeout allows.
    public var deadline: ContinuousClock.Instant?
    /// Whether the caller is answered at the deadline while the write still
    /// waits for its turn on a database with one writer (SQLite), the write
    /// then never starting. Off for a caller that answers its own waiters at
    /// their deadlines and wants the write to run for those still waiting
    /// (the conversion group commit).
    public var answersWhileQueued: Bool

    public init(serialized: Bool = false, deadline: ContinuousClock.Instant? = nil, answersWhileQueued: Bool = true) {
        self.serialized = serialized
        self.deadline = deadline
        self.answersWhileQueued = answersWhileQueued
    }

    /// Milliseconds left until the deadline, at least 1; nil without one.
    public func millisecondsLeft(now: ContinuousClock.Instant = .now) -> Int? {
        Deadline.millisecondsLeft(until: deadline, now: now)
    }
}

/// What each database provides: transactions for the logic written once
/// (`SQLDatabase`, run by `SQLStore`), and its own ways of storing clicks and
/// loading the edge's catalogue, which are tuned to it. The click writer and
/// the catalogue publisher call those from threads of their own.
public protocol StoreBackend: SQLDatabase, ClickStore, CatalogueStore {
    /// Lets go of the database; nothing may be called after.
    func close() async
}
