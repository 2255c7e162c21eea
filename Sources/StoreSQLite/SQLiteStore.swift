import ClickModel
import Foundation
import GRDB
import Store

/// The embedded store: one SQLite database in WAL mode, owned by this object,
/// migrated when it opens. The default store of `clickline serve`.
///
/// Durability: every transaction commits with `synchronous = FULL`, so a
/// committed transaction survives a crash of the process and of the machine.
/// Clicks are committed in batches of thousands, so the sync per commit costs
/// little (measured: no difference in the writer benchmark against NORMAL).
///
/// Threading: GRDB's `DatabasePool` serialises writes on one connection and
/// runs reads concurrently beside it; every method may be called from any thread.
public final class SQLiteStore: Sendable {
    public let path: String
    let pool: DatabasePool

    /// Opens (creating the file and its directory when missing) and migrates.
    public init(path: String) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
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
}

// MARK: - Errors

extension SQLiteStore {
    /// Runs a write and turns SQLite's errors into `StoreError`s.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.write(body)
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
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
