import ClickModel
import Domain
import Foundation
import Mail

/// Every setting of `clickline`, with its flag, environment variable and
/// default: the one catalogue the README's table is rendered from.
///
/// Precedence: flags beat environment variables beat the configuration file
/// (`--config`, lines of `CLICKLINE_NAME=value` so that it also serves as a
/// systemd EnvironmentFile or a compose env_file) beat defaults.
public struct Settings: Sendable, Equatable {
    public var edgePort = 8080
    public var adminPort = 8081
    public var bind = "0.0.0.0"
    public var store = "sqlite:./data/clickline.sqlite"
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    public var nodeID = 0
    public var flushMilliseconds = 250
    public var publicURL: String? = nil
    public var dashboardURL: String? = nil
    public var smtpURL: String? = nil
    public var smtpFrom = "partners@localhost"
    public var smtpCredentialsFile: String? = nil
    public var smtpCAFile: String? = nil
    public var ringCapacity = 65_536
    public var maxConnectionsPerWorker = 10_000
    public var requestLineLimit = 8 * 1024
    public var headerBlockLimit = 32 * 1024
    public var headerCountLimit = 100
    public var headerTimeoutMilliseconds = 10_000
    public var keepAliveTimeoutMilliseconds = 15_000
    /// Load balancers whose PROXY header or `X-Forwarded-For` names the client.
    public var trustedProxies: [IPRange] = []
    /// A `.mmdb` country database (MaxMind, DB-IP); nil: no country lookups.
    public var geoipDatabase: String? = nil
    /// Clicks a node lets through a link cap before the shared store has counted them (PostgreSQL).
    public var capSlice = 1_000
    /// Counters of link caps (link, cap and partner) a node holds.
    public var capCounters = 65_536
    public var maxBatchClicks = 10_000
    public var writerQueueBatches = 64
    public var clickRetentionDays = 90
    public var cataloguePollMilliseconds = 100
    public var postbackDeadlineMilliseconds = 2_000
    public var requestDeadlineMilliseconds = 10_000
    public var storeReadyTimeoutMilliseconds = 3_000
    public var postgresConnections = 16
    public var logLevel = "info"
    /// Webhooks and postbacks may go to loopback, private and link-local addresses (tests, on-premise).
    public var allowPrivateEventTargets = false
    /// Webhooks and postbacks may go to plain http:// URLs.
    public var allowHTTPEventTargets = false
    /// Webhook and postback attempts started a second at most.
    public var eventRate = 1000
    public var eventRetentionDays = 30
    /// From `--coupon-sites`, read at start; the built-in list without it.
    public var couponSites = CouponSites.builtIn
    public var leakSpikeFactor = 10
    public var leakSpikeMinimumOrders = 20
    public var fastConversionSeconds = 10
    public var sharedCustomer = SharedCustomer()
    public var newCustomers = NewCustomerSignal()
    public var conversionRate = ConversionRateOutlier()
    /// The invalid-click checks: `--address-click-cap`, `--address-group-v4`,
    /// `--address-group-v6` and, read at start, `--datacenter-ranges`.
    public var invalidClicks = InvalidClickRules()

    public init() {}

    /// The base of generated tracking URLs.
    public var effectivePublicURL: String { publicURL ?? "http://localhost:\(edgePort)" }

    /// One entry of the catalogue.
    public struct Spec: Sendable {
        /// The flag, without its dashes: `edge-port`.
        public let name: String
        public let environment: String
        public let defaultValue: String
        public let help: String
        let apply: @Sendable (inout Settings, String) throws -> Void
    }

    public static let catalogue: [Spec] = [
        spec("edge-port", "8080", "Port of the edge (tracking URLs); 0 picks a free one.") { $0.edgePort = try port($1, "edge-port") },
        spec("admin-port", "8081", "Port of the admin, partner and ops API; 0 picks a free one.") { $0.adminPort = try port($1, "admin-port") },
        spec("bind", "0.0.0.0", "Address both ports listen on.") { s, v in
            guard !v.isEmpty else { throw SettingsError(setting: "bind", message: "is empty") }
            s.bind = v
        },
        spec("store", "sqlite:./data/clickline.sqlite", "The store: sqlite:PATH (embedded) or postgres://... (several nodes).") { s, v in
            guard v.hasPrefix("sqlite:") || v.hasPrefix("postgres://") || v.hasPrefix("postgresql://") else {
                throw SettingsError(setting: "store", message: "must start with sqlite: or postgres://")
            }
            s.store = v
        },
        spec("workers", "number of cores", "Edge worker threads.") { $0.workers = try int($1, "workers", 1...256) },
        spec("node-id", "0", "This node's id (0-4095), part of every click id; unique per node sharing a store.") {
            $0.nodeID = try int($1, "node-id", 0...4095)
        },
        spec("flush-ms", "250", "The click writer commits a batch at most this many milliseconds after its first click.") {
            $0.flushMilliseconds = try int($1, "flush-ms", 1...60_000)
        },
        spec("public-url", "http://localhost:<edge port>", "Base of generated tracking URLs.") { s, v in
            guard v.hasPrefix("http://") || v.hasPrefix("https://") else {
                throw SettingsError(setting: "public-url", message: "must be an http:// or https:// URL")
            }
            s.publicURL = v.hasSuffix("/") ? String(v.dropLast()) : v
        },
        spec("dashboard-url", "http://localhost:<admin port>", "Base URL of the admin port's pages in links and emails (/p/{token}, sign-in, invites); https makes their cookies Secure.") { s, v in
            guard v.hasPrefix("http://") || v.hasPrefix("https://") else {
                throw SettingsError(setting: "dashboard-url", message: "must be an http:// or https:// URL")
            }
            s.dashboardURL = v.hasSuffix("/") ? String(v.dropLast()) : v
        },
        spec("smtp-url", "none (emails stay in the outbox)", "Mail server: smtp://host[:port] (a plain relay), smtp://user:password@host[:port] (STARTTLS required, then AUTH; port 587) or smtps://user:password@host[:port] (TLS throughout; port 465). Credentials are never logged or shown.") { s, v in
            guard SMTPServer(url: v) != nil else {
                throw SettingsError(setting: "smtp-url", message: "must look like smtp://host:port, smtp://user:password@host:port or smtps://user:password@host:port (percent-encode @ and : in them)")
            }
            s.smtpURL = v
        },
        spec("smtp-credentials-file", "none (any credentials are in --smtp-url)", "A file holding user:password for the mail server, when they should not be in --smtp-url (smtp:// then requires STARTTLS). Read at start.") { s, v in
            guard FileManager.default.isReadableFile(atPath: v) else {
                throw SettingsError(setting: "smtp-credentials-file", message: "cannot read \(v)")
            }
            s.smtpCredentialsFile = v
        },
        spec("smtp-ca-file", "none (the system's trust store)", "PEM certificates trusted for the mail server besides the system's (a private authority).") { s, v in
            guard FileManager.default.isReadableFile(atPath: v) else { throw SettingsError(setting: "smtp-ca-file", message: "cannot read \(v)") }
            s.smtpCAFile = v
        },
        spec("smtp-from", "partners@localhost", "Sender address of partner emails.") { s, v in
            let parts = v.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, v.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x3C && $0 != 0x3E }) else {
                throw SettingsError(setting: "smtp-from", message: "must be one address like partners@shop.example")
            }
            s.smtpFrom = v
        },
        spec("ring-capacity", "65536", "Clicks each edge worker's ring holds (a power of two); past it clicks are dropped and counted.") {
            s, v in
            let capacity = try int(v, "ring-capacity", 2...(1 << 24))
            guard capacity & (capacity - 1) == 0 else { throw SettingsError(setting: "ring-capacity", message: "must be a power of two") }
            s.ringCapacity = capacity
        },
        spec("max-connections", "10000", "Open connections per edge worker; past it the worker stops accepting until one closes.") {
            $0.maxConnectionsPerWorker = try int($1, "max-connections", 1...1_000_000)
        },
        spec("request-line-limit", "8192", "Longest request line in bytes (414 past it).") {
            $0.requestLineLimit = try int($1, "request-line-limit", 64...32_768)
        },
        spec("header-limit", "32768", "Largest header block in bytes (431 past it).") {
            $0.headerBlockLimit = try int($1, "header-limit", 256...262_144)
        },
        spec("header-count-limit", "100", "Most header lines (431 past it).") { $0.headerCountLimit = try int($1, "header-count-limit", 1...1000) },
        spec("header-timeout-ms", "10000", "A request head must arrive within this many milliseconds of its first byte.") {
            $0.headerTimeoutMilliseconds = try int($1, "header-timeout-ms", 100...600_000)
        },
        spec("keepalive-timeout-ms", "15000", "Idle keep-alive connections are closed after this many milliseconds.") {
            $0.keepAliveTimeoutMilliseconds = try int($1, "keepalive-timeout-ms", 100...3_600_000)
        },
        spec("trusted-proxies", "none (the peer is the client)", "Load balancers (CIDR,...) whose PROXY header (v1, v2) or X-Forwarded-For names the client; ignored from others.") { s, v in
            var ranges: [IPRange] = []
            for part in v.split(separator: ",", omittingEmptySubsequences: false) {
                let text = part.trimmingCharacters(in: .whitespaces)
                guard let range = IPRange(text) else {
                    throw SettingsError(setting: "trusted-proxies", message: "\"\(text)\" is not an address or CIDR range (10.0.0.0/8, 2001:db8::/32)")
                }
                ranges.append(range)
            }
            s.trustedProxies = ranges
        },
        spec("geoip-db", "none (country conditions never match)", "A country database file (.mmdb: MaxMind GeoIP2/GeoLite2 Country or City, DB-IP Country Lite). Read at start (a file that cannot be used stops the start) and again whenever it changes, with no restart.") {
            $0.geoipDatabase = $1.isEmpty ? nil : $1
        },
        spec("cap-slice", "1000", "With PostgreSQL, the clicks a node lets through a link cap before the other nodes know of them: a cap is exceeded by at most (nodes - 1) x this. A node alone on SQLite is exact.") {
            $0.capSlice = try int($1, "cap-slice", 1...1_000_000_000)
        },
        spec("cap-counters", "65536", "Link cap counters (per link, cap and partner) a node holds; past them, clicks on capped links are capped.") {
            $0.capCounters = try int($1, "cap-counters", 64...(1 << 24))
        },
        spec("batch-max-clicks", "10000", "The click writer commits a batch once it holds this many clicks.") {
            $0.maxBatchClicks = try int($1, "batch-max-clicks", 1...1_000_000)
        },
        spec("writer-queue", "64", "Batches waiting for the click writer while the store is slow or down; past it the rings fill and clicks are dropped and counted.") {
            $0.writerQueueBatches = try int($1, "writer-queue", 1...100_000)
        },
        spec("click-retention-days", "90", "Clicks older than this are deleted; rollups are kept forever.") {
            $0.clickRetentionDays = try int($1, "click-retention-days", 1...36_500)
        },
        spec("catalogue-poll-ms", "100", "How often the catalogue version is checked (one indexed read) for changes to publish to the edge.") {
            $0.cataloguePollMilliseconds = try int($1, "catalogue-poll-ms", 10...10_000)
        },
        spec("postback-deadline-ms", "2000", "Postbacks and order webhooks are answered within this many milliseconds: past it, 503 with Retry-After, and nothing is recorded.") {
            $0.postbackDeadlineMilliseconds = try int($1, "postback-deadline-ms", 10...600_000)
        },
        spec("request-deadline-ms", "10000", "Every other request of the admin port is answered within this many milliseconds (503 with Retry-After past it).") {
            $0.requestDeadlineMilliseconds = try int($1, "request-deadline-ms", 10...600_000)
        },
        spec("store-ready-timeout-ms", "3000", "/readyz answers 503 once the store has not answered for this many milliseconds; /healthz stays 200.") {
            $0.storeReadyTimeoutMilliseconds = try int($1, "store-ready-timeout-ms", 100...600_000)
        },
        spec("postgres-connections", "16", "Connections the PostgreSQL store's pool opens at most for requests (the click writer and the catalogue keep a few of their own).") {
            $0.postgresConnections = try int($1, "postgres-connections", 1...1_000)
        },
        spec("log-level", "info", "trace, debug, info, notice, warning, error or critical.") { s, v in
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(v) else {
                throw SettingsError(setting: "log-level", message: "must be one of trace, debug, info, notice, warning, error, critical")
            }
            s.logLevel = v
        },
        spec("allow-private-event-targets", "false", "true lets webhooks and postbacks go to loopback, private, link-local and metadata addresses (tests, on-premise receivers); otherwise such URLs are refused.") {
            $0.allowPrivateEventTargets = try bool($1, "allow-private-event-targets")
        },
        spec("event-rate", "1000", "Webhook and postback attempts started a second at most, so that a backlog drains beside the edge rather than over it.") {
            $0.eventRate = try int($1, "event-rate", 1...100_000)
        },
        spec("event-retention-days", "30", "Events older than this, none of whose deliveries still waits, are deleted with their delivery log; at least 4, beyond the three days a delivery is tried.") {
            $0.eventRetentionDays = try int($1, "event-retention-days", 4...36_500)
        },
        spec("coupon-sites", "none (a built-in list of well-known coupon, deal and cashback sites)", "A file of coupon and deal sites, one domain a line (# starts a comment): an order they referred flags its promo code as leaked.") {
            $0.couponSites = try file($1, "coupon-sites", CouponSites.init(parsing:))
        },
        spec("leak-spike-factor", "10", "A code redeemed in one hour this many times its median hour of the last week (since it was given) is flagged as leaked.") {
            $0.leakSpikeFactor = try int($1, "leak-spike-factor", 2...1_000)
        },
        spec("leak-spike-min-orders", "20", "The fewest redemptions in an hour that can count as a spike, so that a quiet code needs a real burst.") {
            $0.leakSpikeMinimumOrders = try int($1, "leak-spike-min-orders", 1...1_000_000)
        },
        spec("fast-conversion-seconds", "10", "A conversion this soon after its click is flagged fast_conversion (money unchanged); 0 turns the check off.") {
            $0.fastConversionSeconds = try int($1, "fast-conversion-seconds", 0...86_400)
        },
        spec("leak-new-customer-share", "0", "A code whose orders of the last day (at least leak-new-customer-orders) were this percentage or more by new customers without a click of its owner, when the six days before were under half of it, is flagged as leaked; 0 (the default) turns the signal off, as podcast and video codes are used without clicks.") {
            $0.newCustomers.sharePercent = try int($1, "leak-new-customer-share", 0...100)
        },
        spec("leak-new-customer-orders", "20", "The fewest orders in a day that the new-customer signal judges.") {
            $0.newCustomers.minimumOrders = try int($1, "leak-new-customer-orders", 1...1_000_000)
        },
        spec("conversion-rate-factor", "5", "A conversion on a link offer whose partner converted at least this many times as often per click as the offer's other partners over 30 days (with at least 10 conversions, against at least 1,000 clicks of the others) is flagged conversion_rate_outlier; 0 turns the check off.") {
            $0.conversionRate.factor = try int($1, "conversion-rate-factor", 0...1_000)
        },
        spec("shared-customer-partners", "3", "A conversion whose customer (by email) converted through this many partners within shared-customer-days, this one included, is flagged shared_customer; 0 turns the check off.") {
            $0.sharedCustomer.minimumPartners = try int($1, "shared-customer-partners", 0...1_000)
        },
        spec("shared-customer-days", "30", "The window of shared-customer-partners, in days.") {
            $0.sharedCustomer.windowDays = try int($1, "shared-customer-days", 1...365)
        },
        spec("address-click-cap", "100", "Billable clicks a day per address group (see address-group-v4 and -v6) on one link; the clicks past it are recorded as invalid, never billable. 0 turns the cap off.") {
            $0.invalidClicks.addressClickCap = try int($1, "address-click-cap", 0...1_000_000_000)
        },
        spec("address-group-v4", "24", "IPv4 clients whose first this many bits agree count as one address for address-click-cap.") {
            $0.invalidClicks.v4Prefix = try int($1, "address-group-v4", 8...32)
        },
        spec("address-group-v6", "48", "IPv6 clients whose first this many bits agree count as one address for address-click-cap (at most 64: a click keeps its /64).") {
            $0.invalidClicks.v6Prefix = try int($1, "address-group-v6", 16...64)
        },
        spec("datacenter-ranges", "none (no hosting networks)", "A file of hosting networks, one CIDR a line (# starts a comment): their clicks are recorded as invalid, never billable.") {
            $0.invalidClicks.datacenters = try file($1, "datacenter-ranges", DatacenterRanges.init(parsing:))
        },
        spec("allow-http-event-targets", "false", "true lets webhooks and postbacks go to plain http:// URLs; otherwise https is required.") {
            $0.allowHTTPEventTargets = try bool($1, "allow-http-event-targets")
        },
    ]

    /// The catalogue entry of a flag name.
    public static func spec(named name: String) -> Spec? { catalogue.first { $0.name == name } }

    /// Resolves settings from their three sources.
    /// - Parameters:
    ///   - flags: values given as flags, by flag name (`edge-port`).
    ///   - environment: the process environment; only `CLICKLINE_*` names are read.
    ///   - configFile: the text of the configuration file, if any.
    public static func resolve(flags: [String: String], environment: [String: String], configFile: String?) throws(SettingsError) -> Settings {
        var settings = Settings()
        let file = try configFile.map(parseConfigFile) ?? [:]
        for spec in catalogue {
            let value: String?
            let source: String
            if let flag = flags[spec.name] {
                (value, source) = (flag, "--\(spec.name)")
            } else if let env = environment[spec.environment] {
                (value, source) = (env, spec.environment)
            } else if let fromFile = file[spec.environment] {
                (value, source) = (fromFile, "\(spec.environment) in the configuration file")
            } else {
                (value, source) = (nil, "")
            }
            guard let value else { continue }
            do {
                try spec.apply(&settings, value.trimmingCharacters(in: .whitespaces))
            } catch let error as SettingsError {
                throw SettingsError(setting: source, message: error.message)
            } catch {
                throw SettingsError(setting: source, message: "\(error)")
            }
        }
        return settings
    }

    /// Reads `NAME=value` lines; `#` starts a comment; values may be quoted.
    static func parseConfigFile(_ text: String) throws(SettingsError) -> [String: String] {
        var values: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw SettingsError(setting: "configuration file line \(number + 1)", message: "is not NAME=value")
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            guard catalogue.contains(where: { $0.environment == name }) else {
                throw SettingsError(setting: "configuration file line \(number + 1)", message: "\(name) is not a setting")
            }
            values[name] = value
        }
        return values
    }

    private static func spec(_ name: String, _ defaultValue: String, _ help: String,
                             _ apply: @escaping @Sendable (inout Settings, String) throws -> Void) -> Spec {
        Spec(name: name, environment: "CLICKLINE_" + name.uppercased().replacingOccurrences(of: "-", with: "_"),
             defaultValue: defaultValue, help: help, apply: apply)
    }

    private static func bool(_ text: String, _ name: String) throws(SettingsError) -> Bool {
        switch text {
        case "true": return true
        case "false": return false
        default: throw SettingsError(setting: name, message: "must be true or false")
        }
    }

    private static func int(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws(SettingsError) -> Int {
        guard let value = Int(text) else { throw SettingsError(setting: name, message: "\"\(text)\" is not a whole number") }
        guard range.contains(value) else {
            throw SettingsError(setting: name, message: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    private static func port(_ text: String, _ name: String) throws(SettingsError) -> Int { try int(text, name, 0...65_535) }

    /// The file at `path`, read at start and parsed: a file that cannot be
    /// read, or a line the parser refuses, fails the start and says which.
    private static func file<T>(_ path: String, _ name: String, _ parse: (String) throws(DomainError) -> T) throws(SettingsError) -> T {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SettingsError(setting: name, message: "cannot read \(path)")
        }
        do {
            return try parse(text)
        } catch {
            throw SettingsError(setting: name, message: "\(path), \(error.message)")
        }
    }

    /// The catalogue as a configuration file: every setting commented out at
    /// its default, with what it does (deploy/clickline.conf).
    public static func configurationFile() -> String {
        var lines = [
            "# Clickline configuration: one CLICKLINE_NAME=value per line, for `clickline serve --config FILE`,",
            "# a systemd EnvironmentFile or a compose env_file. Flags beat environment variables beat this file.",
            "# Every setting is shown commented out at its default.",
        ]
        for spec in catalogue {
            lines.append("")
            lines.append("# \(spec.help) Flag: --\(spec.name).")
            let value = spec.defaultValue.contains(" ") || spec.defaultValue.contains("<") ? "" : spec.defaultValue
            lines.append("#\(spec.environment)=\(value)" + (value.isEmpty ? "   # default: \(spec.defaultValue)" : ""))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The catalogue as a Markdown table (README).
    public static func markdownTable() -> String {
        var lines = ["| flag | environment | default | what |", "|---|---|---|---|"]
        for spec in catalogue {
            lines.append("| `--\(spec.name)` | `\(spec.environment)` | \(spec.defaultValue) | \(spec.help) |")
        }
        return lines.joined(separator: "\n")
    }
}

/// A setting with a value it cannot take, and where that value came from.
public struct SettingsError: Error, CustomStringConvertible, Sendable {
    public var setting: String
    public var message: String

    public var description: String { "\(setting): \(message)" }
}
