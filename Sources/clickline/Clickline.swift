import Aggregator
import ArgumentParser
import ClickModel
import ClicklineApp
import Domain
import Foundation
import Logging
import Metrics
import Services
import Prometheus
import Store
import Wire

@main
struct Clickline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clickline",
        abstract: "Click redirects, attribution and partner payouts.",
        subcommands: [Serve.self, Migrate.self, Keys.self, Users.self, DemoDataCommand.self, SettingsCommand.self,
                      UserAgentsCommand.self, Clicks.self])
}

/// `--config` and every setting of the catalogue as a flag.
struct SettingsOptions: ParsableArguments {
    @Option(help: "A file of CLICKLINE_NAME=value lines.") var config: String?
    @Option(name: .customLong("edge-port")) var edgePort: String?
    @Option(name: .customLong("admin-port")) var adminPort: String?
    @Option var bind: String?
    @Option var store: String?
    @Option var workers: String?
    @Option(name: .customLong("node-id")) var nodeID: String?
    @Option(name: .customLong("flush-ms")) var flushMs: String?
    @Option(name: .customLong("public-url")) var publicURL: String?
    @Option(name: .customLong("dashboard-url")) var dashboardURL: String?
    @Option(name: .customLong("smtp-url")) var smtpURL: String?
    @Option(name: .customLong("smtp-from")) var smtpFrom: String?
    @Option(name: .customLong("smtp-credentials-file")) var smtpCredentialsFile: String?
    @Option(name: .customLong("smtp-ca-file")) var smtpCAFile: String?
    @Option(name: .customLong("ring-capacity")) var ringCapacity: String?
    @Option(name: .customLong("max-connections")) var maxConnections: String?
    @Option(name: .customLong("request-line-limit")) var requestLineLimit: String?
    @Option(name: .customLong("header-limit")) var headerLimit: String?
    @Option(name: .customLong("header-count-limit")) var headerCountLimit: String?
    @Option(name: .customLong("header-timeout-ms")) var headerTimeoutMs: String?
    @Option(name: .customLong("keepalive-timeout-ms")) var keepaliveTimeoutMs: String?
    @Option(name: .customLong("trusted-proxies")) var trustedProxies: String?
    @Option(name: .customLong("geoip-db")) var geoipDB: String?
    @Option(name: .customLong("cap-slice")) var capSlice: String?
    @Option(name: .customLong("cap-counters")) var capCounters: String?
    @Option(name: .customLong("batch-max-clicks")) var batchMaxClicks: String?
    @Option(name: .customLong("writer-queue")) var writerQueue: String?
    @Option(name: .customLong("click-retention-days")) var clickRetentionDays: String?
    @Option(name: .customLong("catalogue-poll-ms")) var cataloguePollMs: String?
    @Option(name: .customLong("postback-deadline-ms")) var postbackDeadlineMs: String?
    @Option(name: .customLong("request-deadline-ms")) var requestDeadlineMs: String?
    @Option(name: .customLong("store-ready-timeout-ms")) var storeReadyTimeoutMs: String?
    @Option(name: .customLong("postgres-connections")) var postgresConnections: String?
    @Option(name: .customLong("log-level")) var logLevel: String?
    @Option(name: .customLong("event-rate")) var eventRate: String?
    @Option(name: .customLong("event-retention-days")) var eventRetentionDays: String?
    @Option(name: .customLong("coupon-sites")) var couponSites: String?
    @Option(name: .customLong("leak-spike-factor")) var leakSpikeFactor: String?
    @Option(name: .customLong("leak-spike-min-orders")) var leakSpikeMinOrders: String?
    @Option(name: .customLong("fast-conversion-seconds")) var fastConversionSeconds: String?
    @Option(name: .customLong("leak-new-customer-share")) var leakNewCustomerShare: String?
    @Option(name: .customLong("leak-new-customer-orders")) var leakNewCustomerOrders: String?
    @Option(name: .customLong("conversion-rate-factor")) var conversionRateFactor: String?
    @Option(name: .customLong("shared-customer-partners")) var sharedCustomerPartners: String?
    @Option(name: .customLong("shared-customer-days")) var sharedCustomerDays: String?
    @Option(name: .customLong("address-click-cap")) var addressClickCap: String?
    @Option(name: .customLong("address-group-v4")) var addressGroupV4: String?
    @Option(name: .customLong("address-group-v6")) var addressGroupV6: String?
    @Option(name: .customLong("datacenter-ranges")) var datacenterRanges: String?
    @Flag(name: .customLong("allow-private-event-targets"), help: "Webhooks and postbacks may go to private addresses.") var allowPrivateEventTargets = false
    @Flag(name: .customLong("allow-http-event-targets"), help: "Webhooks and postbacks may go to plain http:// URLs.") var allowHTTPEventTargets = false

    var flags: [String: String] {
        let pairs: [(String, String?)] = [
            ("edge-port", edgePort), ("admin-port", adminPort), ("bind", bind), ("store", store), ("workers", workers),
            ("node-id", nodeID), ("flush-ms", flushMs), ("public-url", publicURL), ("dashboard-url", dashboardURL),
            ("smtp-url", smtpURL), ("smtp-from", smtpFrom), ("smtp-credentials-file", smtpCredentialsFile), ("smtp-ca-file", smtpCAFile),
            ("ring-capacity", ringCapacity), ("max-connections", maxConnections), ("request-line-limit", requestLineLimit),
            ("header-limit", headerLimit), ("header-count-limit", headerCountLimit), ("header-timeout-ms", headerTimeoutMs),
            ("keepalive-timeout-ms", keepaliveTimeoutMs), ("trusted-proxies", trustedProxies), ("geoip-db", geoipDB), ("cap-slice", capSlice), ("cap-counters", capCounters), ("batch-max-clicks", batchMaxClicks), ("writer-queue", writerQueue),
            ("click-retention-days", clickRetentionDays), ("catalogue-poll-ms", cataloguePollMs),
            ("postback-deadline-ms", postbackDeadlineMs), ("request-deadline-ms", requestDeadlineMs),
            ("store-ready-timeout-ms", storeReadyTimeoutMs), ("postgres-connections", postgresConnections), ("log-level", logLevel),
            ("event-rate", eventRate), ("event-retention-days", eventRetentionDays), ("coupon-sites", couponSites), ("leak-spike-factor", leakSpikeFactor),
            ("leak-spike-min-orders", leakSpikeMinOrders), ("fast-conversion-seconds", fastConversionSeconds),
            ("leak-new-customer-share", leakNewCustomerShare), ("leak-new-customer-orders", leakNewCustomerOrders),
            ("conversion-rate-factor", conversionRateFactor), ("shared-customer-partners", sharedCustomerPartners), ("shared-customer-days", sharedCustomerDays),
            ("address-click-cap", addressClickCap), ("address-group-v4", addressGroupV4), ("address-group-v6", addressGroupV6),
            ("datacenter-ranges", datacenterRanges), ("allow-private-event-targets", allowPrivateEventTargets ? "true" : nil),
            ("allow-http-event-targets", allowHTTPEventTargets ? "true" : nil),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { name, value in value.map { (name, $0) } })
    }

    func resolve() throws -> Settings {
        try resolveSettings(config: config, flags: flags)
    }
}

/// The settings from the flags given, the environment and the `--config` file.
func resolveSettings(config: String?, flags: [String: String]) throws -> Settings {
    var file: String?
    if let config {
        do {
            file = try String(contentsOfFile: config, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the configuration file \(config): \(error.localizedDescription)")
        }
    }
    do {
        return try Settings.resolve(flags: flags, environment: ProcessInfo.processInfo.environment, configFile: file)
    } catch {
        throw ValidationError("\(error)")
    }
}

/// `--config` and `--store` only, for the commands that just open the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "A file of CLICKLINE_NAME=value lines.") var config: String?
    @Option(help: "The store: sqlite:PATH or postgres://...") var store: String?

    func resolve() throws -> Settings {
        try resolveSettings(config: config, flags: store.map { ["store": $0] } ?? [:])
    }
}

func makeLogger(level: String) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = Logger.Level(rawValue: level) ?? .info
        return handler
    }
    return Logger(label: "clickline")
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the edge, the click pipeline and the API.")

    @OptionGroup var options: SettingsOptions
    @Flag(help: "Load the demo brand and print a tracking URL, an admin key and a partner token.") var demo = false

    func run() async throws {
        let settings = try options.resolve()
        let logger = makeLogger(level: settings.logLevel)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        // The demo is loaded before the service starts, so its first table already holds it.
        let store = try await ClicklineApplication.openStore(settings)
        var demoSummary: DemoData.Summary?
        var demoAdminKey: String?
        if demo {
            demoSummary = try await DemoData.load(into: store)
            let key = Secrets.make(.adminKey)
            try await store.insertKey(role: .admin, hash: Secrets.hash(key))
            demoAdminKey = key
        }

        let app = try await ClicklineApplication(settings: settings, logger: logger, registry: registry, store: store)
        // An address to connect to (loopback's when bound to every address), and the binding when it differs.
        let host = settings.bind == "0.0.0.0" ? "127.0.0.1" : settings.bind
        let bound = host == settings.bind ? "" : " (bound to \(settings.bind))"
        print("edge listening on \(host):\(app.edgePort)\(bound) with \(settings.workers) workers")
        if let countries = app.countryDatabase {
            print("countries from \(countries)")
        } else {
            print("no country database (--geoip-db): country conditions never match, and clicks have no country")
        }
        let run = Task { try await app.run() }
        let adminPort = try await app.adminPort()
        print("admin API listening on \(host):\(adminPort)\(bound)")
        if let demoSummary, let demoAdminKey {
            let base = settings.publicURL ?? "http://localhost:\(app.edgePort)"
            let pages = PublicURLs(tracking: { base }, dashboard: { settings.dashboardURL ?? "http://localhost:\(adminPort)" })
            let signIn = try await Users.signInLink(email: DemoData.ownerEmail, role: .owner, store: store, urls: pages)
            print("""

                demo brand \(demoSummary.createdNow ? "loaded" : "already loaded")
                  tracking URL:        \(base)\(demoSummary.trackingPath)
                  for the child:       \(base)\(demoSummary.childTrackingPath)
                  admin key:           \(demoAdminKey)
                  partner token (\(demoSummary.partnerCode)): \(demoSummary.partnerToken)
                  promo code (\(demoSummary.partnerCode)):    \(demoSummary.promoCode ?? "none")
                  live stats:          curl -H 'Authorization: Bearer \(demoAdminKey)' http://\(host):\(adminPort)/v1/ops/live
                  partner's links:     curl -H 'Authorization: Bearer \(demoSummary.partnerToken)' http://\(host):\(adminPort)/v1/partner/links
                  API description:     http://\(host):\(adminPort)/openapi.json
                  brand console:       \(signIn)
                                       (signs \(DemoData.ownerEmail) in once; choose a password there)

                """)
        }
        fflush(nil)  // tests and scripts read the ports from a pipe
        try await run.value
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or migrate the store, then exit.")
    @OptionGroup var options: StoreOptions

    func run() async throws {
        let settings = try options.resolve()
        let store = try await ClicklineApplication.openStore(settings)
        await store.backend.close()
        print("store \(settings.store) is migrated")
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage admin and ops keys.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; it is printed once, alone on the last line.")
        @OptionGroup var options: StoreOptions
        @Option(help: "admin (everything) or ops (reads /v1/ops and /metrics).") var role: String

        func run() async throws {
            guard let role = KeyRole(rawValue: role) else { throw ValidationError("--role must be admin or ops") }
            let settings = try options.resolve()
            let store = try await ClicklineApplication.openStore(settings)
            let key = Secrets.make(role == .admin ? .adminKey : .opsKey)
            try await store.insertKey(role: role, hash: Secrets.hash(key))
            await store.backend.close()
            print("created an \(role.rawValue) key; it is stored only as a hash and cannot be shown again:")
            print(key)
        }
    }
}

struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage the brand's team.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a teammate (or give an existing one a new way in); a one-time sign-in URL is printed alone on the last line.")
        @OptionGroup var options: StoreOptions
        @Option(help: "The teammate's email address.") var email: String
        @Option(help: "owner, admin, ops or viewer.") var role: String
        @Option(name: .customLong("dashboard-url"), help: "Base of the admin port's pages in the URL (default http://localhost:<admin port>).")
        var dashboardURL: String?
        @Option(name: .customLong("admin-port")) var adminPort: String?

        func run() async throws {
            guard let role = TeamRole(rawValue: role) else { throw ValidationError("--role must be owner, admin, ops or viewer") }
            var flags = options.store.map { ["store": $0] } ?? [:]
            if let dashboardURL { flags["dashboard-url"] = dashboardURL }
            if let adminPort { flags["admin-port"] = adminPort }
            let settings = try resolveSettings(config: options.config, flags: flags)
            let store = try await ClicklineApplication.openStore(settings)
            let urls = PublicURLs(tracking: { settings.publicURL ?? "" },
                                  dashboard: { settings.dashboardURL ?? "http://localhost:\(settings.adminPort)" })
            do {
                let link = try await signInLink(email: email, role: role, store: store, urls: urls)
                await store.backend.close()
                print("\(email) is on the team as \(role.rawValue). This link signs them in once, within a day, to choose a password:")
                print(link)
            } catch let error as DomainError {
                await store.backend.close()
                throw ValidationError("--\(error.field ?? "email"): \(error.message)")
            }
        }
    }

    /// Adds `email` with `role` (an existing teammate keeps theirs) and makes
    /// a one-time sign-in link for it.
    static func signInLink(email: String, role: TeamRole, store: SQLStore, urls: PublicURLs) async throws -> String {
        let accounts = Accounts(store: store, urls: urls)
        let member = if let existing = try await store.teamMember(email: try AccountRules.email(email)) {
            existing
        } else {
            try await accounts.addTeamMember(email: email, role: role)
        }
        return try await accounts.signInLink(for: member)
    }
}

struct DemoDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo-data", abstract: "Load the demo brand into the store.")
    @OptionGroup var options: StoreOptions

    func run() async throws {
        let settings = try options.resolve()
        let store = try await ClicklineApplication.openStore(settings)
        let summary = try await DemoData.load(into: store)
        await store.backend.close()
        print("demo brand \(summary.createdNow ? "loaded" : "already loaded")")
        print("tracking path: \(summary.trackingPath)")
        print("partner token (\(summary.partnerCode)): \(summary.partnerToken)")
    }
}

struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings", abstract: "Print every setting with its default, as a Markdown table or a configuration file.")

    enum Format: String, ExpressibleByArgument { case markdown, file }
    @Option(help: "markdown or file.") var format: Format = .markdown

    func run() throws {
        print(format == .markdown ? Settings.markdownTable() : Settings.configurationFile(), terminator: format == .file ? "" : "\n")
    }
}

struct UserAgentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user-agents",
        abstract: "Classify user agents as link rules see them.",
        discussion: """
            Reads one User-Agent a line from standard input and prints, for each, its device classes \
            (comma-separated) and its browser, separated by a tab; - for none. \
            Only the first \(VisitorTraits.maxUserAgentScan) bytes of an agent are read, as at the edge.
            """)

    func run() throws {
        while let line = readLine(strippingNewline: true) {
            var agent = line
            let (devices, browser) = agent.withUTF8 { VisitorTraits.classify(userAgent: UnsafeRawBufferPointer($0)) }
            let classes = DeviceClass.allCases.filter { devices & $0.bit != 0 }.map(\.rawValue)
            print("\(classes.isEmpty ? "-" : classes.joined(separator: ","))\t\(browser?.rawValue ?? "-")")
        }
    }
}

struct Clicks: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Work on the stored clicks.", subcommands: [Recheck.self])

    struct Recheck: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge the stored clicks again by the invalid-click settings and compare with their stored flags.",
            discussion: """
                Prints what the checks make of the clicks of the range now (address caps, hosting networks) and how \
                many differ from what the clicks carry; exits 1 when any does. Run with the settings the service \
                runs with, or with new ones to see what they would change.
                """)
        @OptionGroup var options: SettingsOptions
        @Option(help: "The first UTC day, YYYY-MM-DD (default: the oldest stored click).") var from: String?
        @Option(help: "The last UTC day, YYYY-MM-DD, included (default: today).") var to: String?

        func run() async throws {
            let settings = try options.resolve()
            func day(_ text: String?, _ name: String) throws -> Int64? {
                guard let text else { return nil }
                guard let start = Timestamp.parse(text + "T00:00:00Z") else { throw ValidationError("--\(name) must be a day such as 2026-12-01") }
                return start
            }
            let from = try day(from, "from") ?? 0
            let to = try day(to, "to").map { $0 + 86_400_000 } ?? (Int64(Date().timeIntervalSince1970 * 1000) / 86_400_000 + 1) * 86_400_000
            let store = try await ClicklineApplication.openStore(settings)
            let backend = store.backend
            let rules = settings.invalidClicks
            let started = Date()
            let report: InvalidClickRecheck
            do {
                report = try InvalidClickRecheck.run(backend, rules: rules, from: from, to: to)
            } catch {
                await backend.close()
                throw error
            }
            await backend.close()
            print("clicks \(report.clicks), billable \(report.billable), invalid \(report.datacenter + report.addressCap) "
                  + "(datacenter \(report.datacenter), address_cap \(report.addressCap)) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            print("differences: \(report.differingClicks) clicks by hosting network, \(report.differingGroups) address groups by cap")
            if !report.matches { throw ExitCode(1) }
        }
    }
}
