import AsyncHTTPClient
import ClickModel
import NIOCore
import Synchronization

/// HTTP clients that each connect a host name to the one address checked for
/// it (`HTTPClient.Configuration.dnsOverride`): the request still names the
/// host, so TLS verifies the certificate against it and `Host` carries it,
/// but no second lookup happens. A client per (host, address) keeps its
/// connections alive between deliveries; one unused for a minute is shut down.
final class PinnedClients: Sendable {
    private struct Entry {
        var client: HTTPClient
        var inFlight: Int
        var lastUsed: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let configuration: HTTPClient.Configuration
    static let idleLimit: Duration = .seconds(60)

    init(connectTimeout: TimeAmount, readTimeout: TimeAmount, connectionsPerHost: Int) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: connectTimeout, read: readTimeout))
        configuration.decompression = .disabled
        // Endpoints on one host share its connections; the sender's limit per
        // endpoint is the one that holds, not the client's default of 8 per host.
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
        // A refused connection fails the attempt at once: the retry schedule
        // tries again later. Retrying inside the attempt held a slot for the
        // whole connect timeout, and a receiver that was down slowed every
        // delivery to it behind its schedule.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.configuration = configuration
    }

    /// Runs `body` with the client for `host` pinned to `address`.
    func with<T>(host: String, address: IPAddress, _ body: (HTTPClient) async throws -> T) async throws -> T {
        let key = "\(host) \(address)"
        let (client, idle) = entries.withLock { entries -> (HTTPClient, [HTTPClient]) in
            let now = ContinuousClock.now
            var idle: [HTTPClient] = []
            for (name, entry) in entries where entry.inFlight == 0 && now - entry.lastUsed > Self.idleLimit && name != key {
                idle.append(entry.client)
                entries[name] = nil
            }
            if var entry = entries[key] {
                entry.inFlight += 1
                entry.lastUsed = now
                entries[key] = entry
                return (entry.client, idle)
            }
            var configuration = self.configuration
            // An IP address written in the URL is connected to as it is.
            if IPAddress.parse(host) == nil { configuration.dnsOverride = [host: "\(address)"] }
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            entries[key] = Entry(client: client, inFlight: 1, lastUsed: now)
            return (client, idle)
        }
        for old in idle { try? await old.shutdown() }
        defer {
            entries.withLock { entries in
                entries[key]?.inFlight -= 1
                entries[key]?.lastUsed = .now
            }
        }
        return try await body(client)
    }

    /// Shuts every client down; for the end of the sender.
    func shutdown() async {
        let all = entries.withLock { entries in
            defer { entries.removeAll() }
            return entries.values.map(\.client)
        }
        for client in all { try? await client.shutdown() }
    }
}
