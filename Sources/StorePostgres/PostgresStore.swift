import Dispatch
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
/// The store's protocols are synchronous, like the SQLite store's: callers
/// are the click writer's own thread, the service's start, and handlers that
/// already wait on SQLite. Each call runs on one connection, taken from a few
/// kept open, and waits for the event loop's answer; a connection that fails
/// is replaced on the next call.
///
/// It is the whole `ClicklineStore`: the click path and the edge's catalogue
/// written its own way, everything else through the logic it shares with
/// SQLite (`SQLConnection`, Store's `*SQL`), under the same contract tests.
public final class PostgresStore: Sendable {
    public let url: String
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    private let idle = Mutex<[PostgresConnection]>([])
    private let nextID = Atomic<Int>(1)
    private static let maxIdle = 4

    /// Connects, creates or migrates the schema, and keeps the connection.
    public init(url: String, logger: Logger = Logger(label: "clickline.postgres")) throws {
        self.url = url
        self.configuration = try Self.configuration(from: url)
        self.logger = logger
        try withConnection { connection in try PostgresSchema.migrate(connection, logger: logger) }
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

    /// Waits for a future of `connection` at most `answerTimeout`; past it the
    /// connection is closed (failing whatever it still owed) and the call is
    /// `.unavailable`, as for a server that went away.
    static func answer<Value: Sendable>(to future: EventLoopFuture<Value>, on connection: PostgresConnection) throws -> Value {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Value, any Error>?>(nil)
        future.whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + .nanoseconds(Int(answerTimeout))) == .success else {
            closeSoon(connection)
            throw StoreError(.unavailable, "PostgreSQL did not answer within \(answerTimeout / 1_000_000_000) s")
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
        for connection in idle.withLock({ $0 }) { try? connection.close().wait() }
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
