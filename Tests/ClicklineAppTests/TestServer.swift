import API
import APIDocument
import ClickModel
import ClicklineApp
import Domain
import Foundation
import Logging
import Ops
import Services
import Store
import StoreTesting
import Testing

/// The suites that start the real service, one at a time: each runs servers
/// with worker threads of their own, and timing assertions (a click live
/// within a second) should not compete with each other for two cores.
@Suite(.serialized)
enum EndToEnd {}

/// The real service, started in this process on ephemeral loopback ports with
/// a store of its own of the kind under test (SQLite, or PostgreSQL in the
/// test command's second pass), and the keys to talk to its admin port.
final class TestServer: @unchecked Sendable {
    let location: TestStoreLocation
    let app: ClicklineApplication
    let edgePort: Int
    let adminPort: Int
    let adminKey: String
    let opsKey: String
    private let running: Task<Void, any Error>

    var store: SQLStore { app.store }

    static func settings(location: TestStoreLocation) -> Settings {
        var settings = Settings()
        settings.store = location.setting
        settings.edgePort = 0
        settings.adminPort = 0
        settings.bind = "127.0.0.1"
        settings.workers = 2
        settings.flushMilliseconds = 50
        settings.cataloguePollMilliseconds = 100
        settings.logLevel = "warning"
        return settings
    }

    /// Starts the service on `location` (a fresh store unless given);
    /// `prepare` runs against the store first (catalogue fixtures).
    init(location: TestStoreLocation? = nil, configure: (inout Settings) -> Void = { _ in },
         prepare: (SQLStore) async throws -> Void = { _ in }) async throws {
        let location = try location ?? TestStoreLocation.fresh()
        self.location = location
        var settings = Self.settings(location: location)
        configure(&settings)
        let store = try await ClicklineApplication.openStore(settings)
        try await prepare(store)
        adminKey = Secrets.make(.adminKey)
        opsKey = Secrets.make(.opsKey)
        try await store.insertKey(role: .admin, hash: Secrets.hash(adminKey))
        try await store.insertKey(role: .ops, hash: Secrets.hash(opsKey))

        var logger = Logger(label: "clickline-test")
        logger.logLevel = .warning
        let app = try await ClicklineApplication(settings: settings, logger: logger, store: store)
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

    /// Deletes the store (after `stop()`).
    func removeStore() {
        location.remove()
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
    func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async throws -> Double? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .milliseconds(Int(seconds * 1000)) {
            if try await condition() {
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
    prepare: (SQLStore) async throws -> Void = { store in _ = try await DemoData.load(into: store) },
    _ body: (TestServer) async throws -> Void
) async throws {
    let server = try await TestServer(configure: configure, prepare: prepare)
    do {
        try await body(server)
    } catch {
        try? await server.stop()
        server.removeStore()
        throw error
    }
    try await server.stop()
    server.removeStore()
}

extension RawConnection.Response {
    /// The click id in the Location's `clk` parameter.
    var clickID: ClickID? {
        guard let location = header("Location"), let components = URLComponents(string: location) else { return nil }
        return components.queryItems?.first { $0.name == "clk" }?.value.flatMap { ClickID($0) }
    }
}
