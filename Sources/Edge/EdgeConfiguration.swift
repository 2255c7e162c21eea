import ClickCaps
import GeoIP

/// How the edge listens and what it tolerates. Every default is documented
/// here and in the settings catalogue.
public struct EdgeConfiguration: Sendable {
    /// Address to listen on. Default `0.0.0.0`.
    public var host: String = "0.0.0.0"
    /// Port to listen on; 0 picks a free one (tests). Default 8080.
    public var port: Int = 8080
    /// Worker threads, each with its own event loop, listener, ring and table. Default: the number of cores.
    public var workers: Int = 1
    /// This node's id, 0...4095, part of every click id. Default 0.
    public var nodeID: Int = 0
    /// Clicks each worker's ring holds before it drops (a power of two). Default 65,536.
    public var ringCapacity: Int = 65_536
    /// Open connections per worker; past it the worker stops accepting until one closes. Default 10,000.
    public var maxConnectionsPerWorker: Int = 10_000
    /// Request head limits. Defaults 8 KiB request line, 32 KiB and 100 header lines.
    public var limits = HTTPLimits()
    /// A request head must arrive whole within this many milliseconds of its first byte. Default 10 s.
    public var headerTimeoutMilliseconds: Int = 10_000
    /// An idle keep-alive connection is closed after this many milliseconds. Default 15 s.
    public var keepAliveTimeoutMilliseconds: Int = 15_000
    /// A client that reads none of a pending answer for this long is closed. Default 10 s.
    public var writeTimeoutMilliseconds: Int = 10_000
    /// On shutdown, connections still busy after this long are closed. Default 2 s.
    public var drainTimeoutMilliseconds: Int = 2_000
    /// Salt of the client fingerprint (address and user agent) kept on clicks.
    public var clientHashSalt: UInt64 = 0
    /// Load balancers whose PROXY header and `X-Forwarded-For` name the client. Default: none.
    public var trustedProxies = TrustedProxies()
    /// The counters of capped links, shared by the workers; nil lets every click through caps.
    public var caps: CapLedger?
    /// The country database in use, replaced when its file changes; nil: no country lookups.
    public var countries: CountryDatabaseExchange?
    /// Listen backlog. Default 4,096.
    public var backlog: Int = 4_096

    public init() {}
}
