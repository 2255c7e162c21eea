import Domain
import Foundation
import Store
import StorePostgres
import StoreSQLite

/// The store the API and end-to-end suites run on: SQLite, or PostgreSQL when
/// `CLICKLINE_TEST_STORE=postgres` (the test command runs those suites a
/// second time so). PostgreSQL is the server `CLICKLINE_TEST_POSTGRES` names.
public enum StoreUnderTest: String, Sendable {
    case sqlite, postgres

    public static let current: StoreUnderTest = {
        switch ProcessInfo.processInfo.environment["CLICKLINE_TEST_STORE"] ?? "sqlite" {
        case "sqlite":
            return .sqlite
        case "postgres":
            // Asked for and not there is a failure, never a quiet run on SQLite.
            precondition(TestPostgres.url != nil, "CLICKLINE_TEST_STORE=postgres needs CLICKLINE_TEST_POSTGRES, a server to test on")
            return .postgres
        case let other:
            preconditionFailure("CLICKLINE_TEST_STORE is sqlite or postgres, not \(other)")
        }
    }()
}

/// A fresh, empty store of the kind under test: a SQLite file in a directory
/// of its own, or a PostgreSQL database of its own; `remove()` deletes it.
public struct TestStoreLocation: Sendable {
    public enum Place: Sendable {
        case sqlite(directory: URL)
        case postgres(database: String)
    }

    public let place: Place

    public static func fresh(_ kind: StoreUnderTest = .current) throws -> TestStoreLocation {
        switch kind {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return TestStoreLocation(place: .sqlite(directory: directory))
        case .postgres:
            return TestStoreLocation(place: .postgres(database: try TestPostgres.createDatabase()))
        }
    }

    /// The `--store` setting that opens it.
    public var setting: String {
        switch place {
        case .sqlite(let directory): "sqlite:" + Self.sqlitePath(directory)
        case .postgres(let database): TestPostgres.url(database: database)
        }
    }

    /// Opens the store: the shared logic on the backend of this kind.
    public func open() async throws -> SQLStore {
        switch place {
        case .sqlite(let directory): SQLStore(backend: try SQLiteStore(path: Self.sqlitePath(directory)))
        case .postgres(let database): SQLStore(backend: try await PostgresStore.open(url: TestPostgres.url(database: database)))
        }
    }

    /// Every byte the database holds: the SQLite file and its log, or a dump of the PostgreSQL database.
    public func storedBytes() throws -> Data {
        switch place {
        case .sqlite(let directory):
            let path = Self.sqlitePath(directory)
            return try Data(contentsOf: URL(fileURLWithPath: path)) + ((try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))) ?? Data())
        case .postgres(let database):
            return try TestPostgres.run("pg_dump", [TestPostgres.url(database: database), "--data-only"])
        }
    }

    public func remove() {
        switch place {
        case .sqlite(let directory): try? FileManager.default.removeItem(at: directory)
        case .postgres(let database): TestPostgres.dropDatabase(database)
        }
    }

    /// The SQLite file, for tests that open it themselves; nil on PostgreSQL.
    public var sqlitePath: String? {
        guard case .sqlite(let directory) = place else { return nil }
        return Self.sqlitePath(directory)
    }

    private static func sqlitePath(_ directory: URL) -> String {
        directory.appendingPathComponent("clickline.sqlite").path
    }
}

/// The PostgreSQL server the tests use (`scripts/test` starts one on loopback
/// and sets `CLICKLINE_TEST_POSTGRES`), a database per test.
public enum TestPostgres {
    public static let url = ProcessInfo.processInfo.environment["CLICKLINE_TEST_POSTGRES"]

    /// Why the PostgreSQL suites are skipped when they are.
    public static let missing = "no PostgreSQL to test against: CLICKLINE_TEST_POSTGRES is not set (scripts/test starts a server and sets it)"

    public static func url(database: String) -> String {
        guard let url, var components = URLComponents(string: url) else { return "" }
        components.path = "/" + database
        return components.string ?? ""
    }

    public static func createDatabase() throws -> String {
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        _ = try psql("postgres", "CREATE DATABASE \(name)")
        return name
    }

    public static func dropDatabase(_ name: String) {
        _ = try? psql("postgres", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs one statement and returns its output, unaligned and without headers.
    public static func psql(_ database: String, _ sql: String) throws -> String {
        let output = try run("psql", [url(database: database), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql])
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a PostgreSQL client program and returns what it printed.
    static func run(_ program: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw StoreError(.unavailable, "\(program) failed: \(arguments.dropFirst().joined(separator: " "))")
        }
        return data
    }
}
