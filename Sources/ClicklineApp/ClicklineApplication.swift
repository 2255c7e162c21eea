import API
import APIDocument
import Aggregator
import Atomics
import ClickCaps
import ClickModel
import Domain
import Edge
import Foundation
import EventsOut
import GeoIP
import Hummingbird
import Logging
import Mail
import Ops
import Pages
import Services
import Platform
import Prometheus
import ServiceLifecycle
import Store
import StorePostgres
import StoreSQLite
import Synchronization
import UnixSignals

/// The whole service in one process: store, catalogue publisher, click
/// pipeline (aggregator and writer), admin API and edge.
///
/// `init` does everything that can fail at start (open and migrate the store,
/// build the first link table, bind the edge's sockets, read the counters
/// back) so that a misconfiguration fails before anything runs. `run()` runs
/// the services in that order and, on SIGTERM or SIGINT or `shutdown()`, stops
/// them in reverse: the edge first, then the API, then the pipeline (which
/// drains every ring and writes every click), then the publisher; the store
/// closes last.
public final class ClicklineApplication: Sendable {
    public let settings: Settings
    public let store: SQLStore
    public let edge: EdgeServer
    public let aggregator: Aggregator
    public let registry: PrometheusCollectorRegistry
    private let publisher: CataloguePublisher
    private let capReporter: CapReporter
    private let countryWatcher: CountryDatabaseWatcher?
    private let eventTargets: TargetGuard
    private let mailServer: SMTPServer?
    /// What the country database opened at start is (`--geoip-db`): its
    /// path, type and build date; nil without one.
    public let countryDatabase: String?
    private let writer: ClickWriter
    private let api: Application<RouterResponder<ClicklineRequestContext>>
    private let logger: Logger
    /// Every route of the admin port as `METHOD /path/{parameter}`.
    public let routes: [String]
    private let group = Mutex<ServiceGroup?>(nil)
    private let adminPortValue = ManagedAtomic<Int>(-1)
    private let edgeStarted = ManagedAtomic<Bool>(false)

    /// - Parameter store: the store, when the caller opened it already (to load
    ///   demo data, say); opened from `settings.store` otherwise.
    public init(settings: Settings, logger: Logger, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                store openedStore: SQLStore? = nil) async throws {
        self.settings = settings
        self.logger = logger
        self.registry = registry
        let store: SQLStore
        if let openedStore { store = openedStore } else { store = try await Self.openStore(settings) }
        self.store = store

        let exchange = LinkTableExchange()
        let publisher = CataloguePublisher(store: store.backend, pollMilliseconds: settings.cataloguePollMilliseconds, logger: logger) { table in
            exchange.publish(table)
        }
        self.publisher = publisher
        // The first table and the counters are read on a thread of their own: they wait on the database.
        _ = try await onOwnThread("first-catalogue") { try publisher.publishNow() }

        // Caps count here and in the store. A node alone on SQLite may let
        // through everything a cap has left: it is exact. Nodes sharing
        // PostgreSQL take it in slices.
        let capLedger = CapLedger(capacity: settings.capCounters,
                                  slice: settings.store.hasPrefix("sqlite:") ? CapLedger.maxClicks : Int64(settings.capSlice))
        capReporter = CapReporter(ledger: capLedger, store: store, logger: logger) { linkID in exchange.current.caps(ofLink: linkID) }
        try await capReporter.seed(now: Clocks.wallClockMilliseconds())

        var edgeConfiguration = EdgeConfiguration()
        edgeConfiguration.host = settings.bind
        edgeConfiguration.port = settings.edgePort
        edgeConfiguration.workers = settings.workers
        edgeConfiguration.nodeID = settings.nodeID
        edgeConfiguration.ringCapacity = settings.ringCapacity
        edgeConfiguration.maxConnectionsPerWorker = settings.maxConnectionsPerWorker
        edgeConfiguration.limits = HTTPLimits(
            requestLine: settings.requestLineLimit, headerBlock: settings.headerBlockLimit, headerCount: settings.headerCountLimit)
        edgeConfiguration.headerTimeoutMilliseconds = settings.headerTimeoutMilliseconds
        edgeConfiguration.keepAliveTimeoutMilliseconds = settings.keepAliveTimeoutMilliseconds
        edgeConfiguration.clientHashSalt = try await store.clientHashSalt()
        edgeConfiguration.trustedProxies = TrustedProxies(settings.trustedProxies)
        edgeConfiguration.caps = capLedger
        if let path = settings.geoipDatabase {
            // A file that cannot be used stops the start, with the reason.
            let database = try CountryDatabase(path: path)
            let countries = CountryDatabaseExchange(database)
            edgeConfiguration.countries = countries
            countryDatabase = "\(database.path): \(database.summary)"
            countryWatcher = CountryDatabaseWatcher(current: database, logger: logger) { countries.publish($0) }
        } else {
            countryDatabase = nil
            countryWatcher = nil
        }
        edge = try EdgeServer(configuration: edgeConfiguration, exchange: exchange, logger: logger)

        writer = ClickWriter(store: store.backend, nodeID: settings.nodeID, maxQueuedBatches: settings.writerQueueBatches,
                             retentionDays: settings.clickRetentionDays, logger: logger)
        var aggregation = AggregatorConfiguration()
        aggregation.flushMilliseconds = settings.flushMilliseconds
        aggregation.maxBatchClicks = settings.maxBatchClicks
        let backend = store.backend
        let seed = try await onOwnThread("counter-seed") { try backend.liveCounterSeed(now: Clocks.wallClockMilliseconds()) }
        aggregator = Aggregator(channels: edge.channels, writer: writer, seed: seed, invalidClicks: settings.invalidClicks,
                                configuration: aggregation, logger: logger)

        let edge = self.edge, aggregator = self.aggregator, writer = self.writer
        let edgeStarted = self.edgeStarted
        let sources = OpsSources(
            live: { aggregator.live },
            workers: { edge.workerStats() },
            writer: { writer.stats.snapshot() },
            aggregatedClicks: { aggregator.aggregatedClicks },
            catalogueVersion: { publisher.version },
            isReady: { [health = store.health, limit = Duration.milliseconds(settings.storeReadyTimeoutMilliseconds)] in
                edgeStarted.load(ordering: .relaxed) && health.isAnswering(within: limit)
            })
        let adminPort = self.adminPortValue
        let urls = PublicURLs(
            tracking: { [settings] in settings.publicURL ?? "http://localhost:\(edge.port)" },
            dashboard: { [settings] in settings.dashboardURL ?? "http://localhost:\(adminPort.load(ordering: .relaxed))" })
        store.useMemberURLs(MemberURLs(tracking: { urls.tracking(link: $0, partner: $1) }, dashboard: { urls.dashboard(token: $0) }))
        let deadlines = RequestDeadlines(conversions: .milliseconds(settings.postbackDeadlineMilliseconds),
                                         other: .milliseconds(settings.requestDeadlineMilliseconds))
        eventTargets = TargetGuard(allowPrivate: settings.allowPrivateEventTargets, allowHTTP: settings.allowHTTPEventTargets)
        let pages = try await Pages.load(store: store, urls: urls, sources: sources, eventTargets: eventTargets,
                                         invalidClicks: settings.invalidClicks)
        mailServer = try Self.mailServer(settings)
        let router = AdminAPI.router(store: store, sources: sources, metrics: MetricsExporter(registry: registry, sources: sources),
                                     urls: urls, deadlines: deadlines, sessions: pages.sessionRoles, eventTargets: eventTargets,
                                     quality: QualityRules(couponSites: settings.couponSites,
                                                              redemptionSpike: RedemptionSpike(factor: settings.leakSpikeFactor,
                                                                                               minimumOrders: settings.leakSpikeMinimumOrders),
                                                              fastConversion: FastConversion(minimumMilliseconds: Int64(settings.fastConversionSeconds) * 1000),
                                                              sharedCustomer: settings.sharedCustomer, newCustomers: settings.newCustomers,
                                                              conversionRate: settings.conversionRate, invalidClicks: settings.invalidClicks),
                                     pages: { router, opsKeys in pages.register(on: router, opsKeys: opsKeys) })
        routes = router.routes.map { "\($0.method.rawValue) \($0.path)" }
        api = Application(
            router: router,
            configuration: .init(address: .hostname(settings.bind, port: settings.adminPort), serverName: nil),
            onServerRunning: { channel in
                adminPort.store(channel.localAddress?.port ?? -1, ordering: .relaxed)
            },
            logger: logger)
    }

    /// The mail server of `--smtp-url`, with the credentials of
    /// `--smtp-credentials-file` (one line, `user:password`) and the
    /// authorities of `--smtp-ca-file`; a file that cannot be used stops the start.
    public static func mailServer(_ settings: Settings) throws -> SMTPServer? {
        guard let url = settings.smtpURL, var server = SMTPServer(url: url) else { return nil }
        if let file = settings.smtpCredentialsFile {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw SettingsError(setting: "smtp-credentials-file", message: "cannot read \(file)")
            }
            guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, !text.contains("\n") else {
                throw SettingsError(setting: "smtp-credentials-file", message: "\(file) must hold one line, user:password")
            }
            server.credentials = .init(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
            if server.security == .none { server.security = .startTLS }
        }
        server.extraTrustRoots = settings.smtpCAFile
        return server
    }

    /// Opens the store named by `--store`, creating or migrating its schema.
    public static func openStore(_ settings: Settings) async throws -> SQLStore {
        let url = settings.store
        let backend: any StoreBackend
        if url.hasPrefix("sqlite:") {
            backend = try await onOwnThread("open-store") { try SQLiteStore(url: url) }
        } else {
            backend = try await PostgresStore.open(url: url, maxConnections: settings.postgresConnections)
        }
        return SQLStore(backend: backend)
    }

    /// The edge's port (known from `init` on).
    public var edgePort: Int { edge.port }

    /// The admin API's port, once it listens; waits up to `timeout` seconds.
    public func adminPort(timeout: Double = 10) async throws -> Int {
        let deadline = Clocks.monotonicNanoseconds() + Int64(timeout * 1e9)
        while Clocks.monotonicNanoseconds() < deadline {
            let port = adminPortValue.load(ordering: .relaxed)
            if port >= 0 { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw StoreError(.unavailable, "the admin API did not start within \(timeout) s")
    }

    /// Runs every service until SIGTERM, SIGINT or `shutdown()`.
    public func run() async throws {
        let edgeStarted = self.edgeStarted
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: StoreProbeService(store: store, timeout: .milliseconds(settings.storeReadyTimeoutMilliseconds))),
            .init(service: CataloguePublisherService(publisher: publisher)),
            .init(service: ClickPipelineService(aggregator: aggregator)),
            .init(service: CapReporterService(reporter: capReporter)),
            .init(service: api),
            .init(service: EdgeService(edge: edge, onStarted: { edgeStarted.store(true, ordering: .relaxed) })),
        ]
        if let server = mailServer {
            // Stops after the API (services stop in reverse order); what is queued then waits in the store.
            services.insert(.init(service: OutboxDeliveryService(sender: OutboxSender(store: store, server: server, from: settings.smtpFrom,
                                                                                        logger: logger))), at: 1)
        }
        // Stops after the API too; deliveries in flight then are sent again at the next start (their lease ends).
        services.insert(.init(service: CommissionMaturityService(store: store, logger: logger)), at: 1)
        services.insert(.init(service: EventRetentionService(store: store, days: settings.eventRetentionDays, logger: logger)), at: 1)
        var eventLimits = WebhookSender.Limits()
        eventLimits.perSecond = settings.eventRate
        services.insert(.init(service: WebhookDeliveryService(sender: WebhookSender(store: store, targets: eventTargets, limits: eventLimits,
                                                                                    node: settings.nodeID, logger: logger))), at: 1)
        if let countryWatcher {
            services.insert(.init(service: CountryDatabaseWatcherService(watcher: countryWatcher)), at: 1)
        }
        if let source = store.backend as? any CatalogueChangeSource {
            services.insert(.init(service: CatalogueListenerService(source: source, publisher: publisher, logger: logger)), at: 1)
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        self.group.withLock { $0 = group }
        try await group.run()
        await store.backend.close()
        logger.info("stopped", metadata: ["clicks_written": "\(writer.stats.snapshot().clicksWritten)"])
    }

    /// Starts the orderly shutdown `run()` performs on SIGTERM.
    public func shutdown() async {
        let group = self.group.withLock { $0 }
        await group?.triggerGracefulShutdown()
    }
}
