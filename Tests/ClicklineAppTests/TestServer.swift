import API
import ClickModel
import ClicklineApp
import Foundation
import Logging
import OfferCore
import Store
import Testing

/// The suites that start the real service, one at a time: each runs servers
/// with worker threads of their own, and timing assertions (a click live
/// within a second) should not compete with each other for two cores.
@Suite(.serialized)
enum EndToEnd {}

/// The real service, started in this process on ephemeral loopback ports with
/// its own SQLite file, and the keys to talk to its admin port.
final class TestServer: @unchecked Sendable {
    let directory: URL
    let app: ClicklineApplication
    let edgePort: Int
    let adminPort: Int
    let adminKey: String
    let opsKey: String
    private let running: Task<Void, any Error>

    var store: any ClicklineStore { app.store }
    var databasePath: String { directory.appendingPathComponent("clickline.sqlite").path }

    static func settings(directory: URL) -> Settings {
        var settings = Settings()
        settings.store = "sqlite:" + directory.appendingPathComponent("clickline.sqlite").path
        settings.edgePort = 0
        settings.adminPort = 0
        settings.bind = "127.0.0.1"
        settings.workers = 2
        settings.flushMilliseconds = 50
        settings.cataloguePollMilliseconds = 100
        settings.logLevel = "warning"
        return settings
    }

    static func newDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("clickline-e2e-\(UUID().uuidString)")
    }

    /// Starts the service; `prepare` runs against the store first (catalogue fixtures).
    init(directory: URL = TestServer.newDirectory(), configure: (inout Settings) -> Void = { _ in },
         prepare: (any ClicklineStore) throws -> Void = { _ in }) async throws {
        self.directory = directory
        var settings = Self.settings(directory: directory)
        configure(&settings)
        let store = try ClicklineApplication.openStore(settings.store)
        try prepare(store)
        adminKey = Secrets.make(.adminKey)
        opsKey = Secrets.make(.opsKey)
        try store.insertKey(role: .admin, hash: Secrets.hash(adminKey))
        try store.insertKey(role: .ops, hash: Secrets.hash(opsKey))

        var logger = Logger(label: "clickline-test")
        logger.logLevel = .warning
        let app = try ClicklineApplication(settings: settings, logger: logger, store: store)
        self.app = app
        running = Task { try await app.run() }
        edgePort = app.edgePort
        adminPort = try await app.adminPort()
        // The edge answers once its threads run.
        for _ in 0..<200 {
            if (try? HTTP.get(port: edgePort, "/healthz"))?.status == 200 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops the service as SIGTERM would and waits until it has.
    func stop() async throws {
        await app.shutdown()
        try await running.value
    }

    func removeFiles() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// `GET` on the admin port with a key.
    func admin(_ path: String, key: String? = nil) throws -> RawConnection.Response {
        try HTTP.get(port: adminPort, path, headers: ["Authorization": "Bearer \(key ?? adminKey)"])
    }

    func live() throws -> LiveReport {
        let response = try admin("/v1/ops/live", key: opsKey)
        guard response.status == 200 else { throw RawConnection.Failure(description: "ops/live answered \(response.status)") }
        return try JSONDecoder().decode(LiveReport.self, from: Data(response.body))
    }

    /// Polls `condition` every 20 ms for up to `seconds`; returns the time it took, or nil.
    @discardableResult
    func waitUntil(seconds: Double, _ condition: () throws -> Bool) async throws -> Double? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .milliseconds(Int(seconds * 1000)) {
            if try condition() {
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}

/// Runs `body` against a fresh server and always stops it.
func withServer(
    configure: (inout Settings) -> Void = { _ in },
    prepare: (any ClicklineStore) throws -> Void = { store in _ = try DemoData.load(into: store) },
    _ body: (TestServer) async throws -> Void
) async throws {
    let server = try await TestServer(configure: configure, prepare: prepare)
    do {
        try await body(server)
    } catch {
        try? await server.stop()
        server.removeFiles()
        throw error
    }
    try await server.stop()
    server.removeFiles()
}

extension RawConnection.Response {
    /// The click id in the Location's `clk` parameter.
    var clickID: ClickID? {
        guard let location = header("Location"), let components = URLComponents(string: location) else { return nil }
        return components.queryItems?.first { $0.name == "clk" }?.value.flatMap { ClickID($0) }
    }
}

/// The stores an end-to-end test runs on: SQLite always; PostgreSQL too when
/// the test command started a server (`CLICKLINE_TEST_POSTGRES`).
enum StoreKind: String, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    static var available: [StoreKind] {
        ProcessInfo.processInfo.environment["CLICKLINE_TEST_POSTGRES"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    var testDescription: String { rawValue }
}

/// `withServer` on a store of the kind given: for PostgreSQL, a database of
/// its own on the test server, dropped afterwards.
func withServer(
    on kind: StoreKind,
    prepare: (any ClicklineStore) throws -> Void = { store in _ = try DemoData.load(into: store) },
    _ body: (TestServer) async throws -> Void
) async throws {
    guard kind == .postgres, let server = ProcessInfo.processInfo.environment["CLICKLINE_TEST_POSTGRES"] else {
        return try await withServer(prepare: prepare, body)
    }
    let database = "clickline_e2e_\(UInt64.random(in: 0...UInt64.max))"
    try psql(server, "CREATE DATABASE \(database)")
    defer { try? psql(server, "DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
    var url = URLComponents(string: server)!
    url.path = "/" + database
    try await withServer(configure: { $0.store = url.string! }, prepare: prepare, body)
}

private func psql(_ server: String, _ sql: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["psql", server, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw StoreError(.unavailable, "psql failed: \(sql)") }
}
