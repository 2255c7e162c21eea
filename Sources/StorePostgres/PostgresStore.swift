import Dispatch
import Domain
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Store
import Synchronization

/// The store on PostgreSQL (postgres-nio), for several nodes sharing one
/// database: `--store postgres://user:password@host:port/database`.
///
/// Two ways in, for two kinds of caller:
/// - The logic shared with SQLite (`SQLDatabase`, run by `SQLStore`) leases
///   its connections from a `PostgresClient` pool of at most
///   `maxConnections`, and runs each transaction on a thread of a pool of as
///   many threads of its own, where each statement waits for its answer.
///   The caller, an HTTP request say, awaits the transaction and holds no
///   thread meanwhile.
/// - The click writer, the compaction and the catalogue publisher call from
///   threads of their own and wait there, each call on one connection taken
///   from a few kept open beside the pool (`withConnection`); a connection
///   that fails is replaced on the next call.
///
/// The click path and the edge's catalogue are written their own way here;
/// everything else is the logic written once, under the same contract tests.
public final class PostgresStore: Sendable {
    public let url: String
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    private let idle = Mutex<[PostgresConnection]>([])
    private let nextID = Atomic<Int>(1)
    private static let maxIdle = 4
    /// The shared logic's connections, and the threads its transactions run on.
    private let client: PostgresClient
    private let threads: NIOThreadPool
    private let clientRun: Task<Void, Never>

    /// Connects, creates or migrates the schema, and starts the pool. It
    /// waits for the server on the calling thread: call it from a thread of
    /// one's own (`open(url:)` does).
    /// - Parameter maxConnections: the most connections the shared logic's pool opens (default 16).
    public init(url: String, maxConnections: Int = 16, logger: Logger = Logger(label: "clickline.postgres")) throws {
        self.url = url
        self.configuration = try Self.configuration(from: url)
        self.logger = logger
        var options = PostgresClient.Configuration.Options()
        options.minimumConnections = 1
        options.maximumConnections = maxConnections
        options.connectionIdleTimeout = .seconds(60)
        var poolConfiguration = PostgresClient.Configuration(
            host: configuration.host ?? "localhost", port: configuration.port ?? 5432, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        poolConfiguration.options = options
        let client = PostgresClient(configuration: poolConfiguration, backgroundLogger: logger)
        self.client = client
        threads = NIOThreadPool(numberOfThreads: maxConnections)
        threads.start()
        clientRun = Task { await client.run() }
        do {
            try withConnection { connection in try PostgresSchema.migrate(connection, logger: logger) }
        } catch {
            clientRun.cancel()
            threads.shutdownGracefully { _ in }
            throw error
        }
    }

    /// Opens the store on a thread of the shared pool's, not the caller's.
    public static func open(url: String, maxConnections: Int = 16) async throws -> PostgresStore {
        try await NIOThreadPool.singleton.runIfActive { try PostgresStore(url: url, maxConnections: maxConnections) }
    }

    /// `postgres://user:password@host:port/database` (port 5432 and database
    /// `postgres` when absent); TLS is not used.
    static func configuration(from url: String) throws -> PostgresConnection.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty else {
            throw StoreError(.invalid, "a PostgreSQL store is postgres://user[:password]@host[:port]/database")
        }
        let database = components.path.drop { $0 == "/" }
        return PostgresConnection.Configuration(host: host, port: components.port ?? 5432, username: user,
                                                password: components.password, database: database.isEmpty ? "postgres" : String(database),
                                                tls: .disable)
    }

    /// Runs `body` on a connection of its own; the connection goes back to the
    /// idle ones when the body succeeds, and is closed when it fails.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection: PostgresConnection
        if let kept = idle.withLock({ $0.popLast() }), !kept.isClosed {
            connection = kept
        } else {
            do {
                connection = try PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                    id: nextID.add(1, ordering: .relaxed).oldValue, logger: logger).wait()
            } catch {
                throw StoreError(.unavailable, "cannot connect to PostgreSQL: \(String(reflecting: error))")
            }
        }
        do {
            let result = try body(connection)
            let closed = idle.withLock { idle -> Bool in
                guard idle.count < Self.maxIdle else { return true }
                idle.append(connection)
                return false
            }
            if closed { Self.closeSoon(connection) }
            return result
        } catch {
            Self.closeSoon(connection)
            throw Self.storeError(error)
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// - Parameter begin: the statement that starts it, `BEGIN` or one with an isolation level.
    func transaction<T>(begin: String = "BEGIN", _ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection { connection in
            _ = try query(connection, PostgresQuery(unsafeSQL: begin))
            do {
                let result = try body(connection)
                _ = try query(connection, "COMMIT")
                return result
            } catch {
                _ = try? query(connection, "ROLLBACK")
                throw error
            }
        }
    }

    func query(_ connection: PostgresConnection, _ query: PostgresQuery) throws -> PostgresQueryResult {
        try Self.answer(to: connection.query(query, logger: logger), on: connection)
    }

    /// Closes a connection without waiting (a server that went away must not
    /// hold the caller); the connection is kept until it is closed, as
    /// postgres-nio requires.
    static func closeSoon(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// The longest a call waits for the server's answer. A server that stops
    /// answering without closing the connection (a network partition, a
    /// frozen host) would otherwise hold the caller, a request or the click
    /// writer, until the operating system gives up on the connection.
    static let answerTimeout: Int64 = 15_000_000_000

    /// How long past a transaction's deadline its statements are still
    /// waited for. The server stops them at the deadline itself
    /// (`statement_timeout`), so an answer later than this means a server or
    /// connection that stopped answering: the caller, such as the one loop
    /// that commits conversions, is let go rather than held for
    /// `answerTimeout` on each statement it has left.
    static let deadlineGrace = Duration.seconds(1)

    /// Waits for a future of `connection` at most `answerTimeout`, or until
    /// `deadline` and `deadlineGrace` when that comes first; past it the
    /// connection is closed (failing whatever it still owed) and the call is
    /// `.unavailable`, as for a server that went away.
    static func answer<Value: Sendable>(to future: EventLoopFuture<Value>, on connection: PostgresConnection,
                                        deadline: ContinuousClock.Instant? = nil) throws -> Value {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Value, any Error>?>(nil)
        future.whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        var wait = Duration.nanoseconds(answerTimeout)
        if let deadline { wait = min(wait, max(.zero, deadline - .now) + deadlineGrace) }
        let (seconds, attoseconds) = wait.components
        let milliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        guard done.wait(timeout: .now() + .milliseconds(milliseconds)) == .success else {
            closeSoon(connection)
            throw StoreError(.unavailable, "PostgreSQL did not answer within \(milliseconds) ms")
        }
        return try outcome.withLock { $0! }.get()
    }

    /// Runs `operation`, a call of postgres-nio's async API on `connection`
    /// (COPY has no other), waiting for it as `answer(to:on:)` does. The
    /// task runs on the connection's event loop, not Swift's shared pool: the
    /// caller may be holding one of the pool's few threads while it waits.
    static func answer<Value: Sendable>(on connection: PostgresConnection,
                                        _ operation: @escaping @Sendable () async throws -> Value) throws -> Value {
        let promise = connection.eventLoop.makePromise(of: Value.self)
        Task(executorPreference: EventLoopTaskExecutor(eventLoop: connection.eventLoop)) {
            do {
                promise.succeed(try await operation())
            } catch {
                promise.fail(error)
            }
        }
        return try answer(to: promise.futureResult, on: connection)
    }

    /// Store errors keep their meaning; broken constraints mean what they
    /// mean on SQLite (a taken key is `.conflict`, a reference to nothing
    /// `.notFound`, any other `.invalid`); the database's other errors and a
    /// lost connection are `.unavailable`. Anything else is the caller's own
    /// (a change refused by validation inside a transaction) and passes
    /// through unchanged, as it does on SQLite.
    static func storeError(_ error: any Error) -> any Error {
        switch error {
        case is StoreError:
            return error
        case let error as PSQLError:
            let message = error.serverInfo?[.message] ?? "a constraint was broken"
            switch error.serverInfo?[.sqlState] {
            case "23505": return StoreError(.conflict, "already exists")
            case "23503": return StoreError(.notFound, "refers to something that does not exist")
            case let code? where code.hasPrefix("23"): return StoreError(.invalid, message)
            default: return StoreError(.unavailable, "PostgreSQL: \(String(reflecting: error))")
            }
        case is ChannelError, is IOError:
            return StoreError(.unavailable, "PostgreSQL: \(String(reflecting: error))")
        default:
            return error
        }
    }

    deinit {
        clientRun.cancel()
        for connection in idle.withLock({ $0 }) { Self.closeSoon(connection) }
    }
}

// MARK: - The shared logic's transactions

extension PostgresStore: StoreBackend {
    /// A read-only repeatable-read transaction: one snapshot for all it reads.
    /// A deadline becomes its `statement_timeout`.
    public func read<T: Sendable>(deadline: ContinuousClock.Instant?,
                                  _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let settings = Deadline.millisecondsLeft(until: deadline).map { ["SET LOCAL statement_timeout = \($0)"] } ?? []
        return try await transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", settings: settings, deadline: deadline, body)
    }

    /// A read-committed transaction. A deadline becomes its `lock_timeout`
    /// and `statement_timeout`; a serialized write first takes a
    /// transaction-scoped advisory lock, so nodes take turns at it.
    public func write<T: Sendable>(_ options: WriteOptions, _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        var settings: [String] = []
        if let wait = options.millisecondsLeft() {
            settings.append("SET LOCAL lock_timeout = \(wait)")
            settings.append("SET LOCAL statement_timeout = \(wait)")
        }
        if options.serialized { settings.append("SELECT pg_advisory_xact_lock(7283003)") }
        return try await transaction(begin: "BEGIN", settings: settings, deadline: options.deadline, body)
    }

    /// Takes the lock an insert of a conversion takes, and lets it go: it
    /// waits while another session holds the table (a migration, a manual
    /// `LOCK TABLE`), and not for other writers.
    public func probe(deadline: ContinuousClock.Instant) async throws {
        _ = try await write(WriteOptions(deadline: deadline)) { db in
            try db.execute("LOCK TABLE conversions, commissions IN ROW EXCLUSIVE MODE", [])
        }
    }

    public func close() async {
        clientRun.cancel()
        try? await threads.shutdownGracefully()
        for connection in idle.withLock({ state in defer { state.removeAll() }; return state }) { try? await connection.close() }
    }

    /// Leases a connection from the pool and runs the transaction on one of
    /// the store's threads; committed when `body` returns, rolled back when it throws.
    /// A connection that turns out closed before the transaction began (the
    /// pool had not noticed yet) is given up for another, once: nothing ran.
    private func transaction<T: Sendable>(begin: String, settings: [String], deadline: ContinuousClock.Instant?,
                                          _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        do {
            return try await transactionOnce(begin: begin, settings: settings, deadline: deadline, body)
        } catch is ClosedBeforeBegin {
            do {
                return try await transactionOnce(begin: begin, settings: settings, deadline: deadline, body)
            } catch let closed as ClosedBeforeBegin {
                throw closed.error
            }
        }
    }

    private struct ClosedBeforeBegin: Error {
        let error: any Error
    }

    private func transactionOnce<T: Sendable>(begin: String, settings: [String], deadline: ContinuousClock.Instant?,
                                              _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let logger = self.logger, threads = self.threads
        do {
            return try await client.withConnection { connection in
                try await threads.runIfActive {
                    let db = PostgresSQLConnection(connection: connection, logger: logger, deadline: deadline)
                    do {
                        try db.execute(begin, [])
                    } catch where connection.isClosed {
                        throw ClosedBeforeBegin(error: error)
                    }
                    do {
                        for setting in settings { try db.execute(setting, []) }
                        let result = try body(db)
                        try db.execute("COMMIT", [])
                        return result
                    } catch {
                        _ = try? db.execute("ROLLBACK", [])
                        throw error
                    }
                }
            }
        } catch let closed as ClosedBeforeBegin {
            throw closed
        } catch {
            throw Self.storeError(error)
        }
    }
}

/// Runs a task's jobs on an event loop.
private final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
