import ClickModel
import Domain
import EventsOut
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 that counts the connections it accepts and
/// gives each to `behave`, on a thread of its own.
final class LoopbackListener: Sendable {
    final class Count: Sendable {
        let value = Mutex(0)
    }

    let port: Int
    private let listening: Int32
    private let accepted = Count()
    var connections: Int { accepted.value.withLock { $0 } }

    init(_ behave: @escaping @Sendable (Int32) -> Void) throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listening = socket
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        try #require(bound == 0 && listen(socket, 16) == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        let accepted = self.accepted
        Thread.detachNewThread {
            while true {
                let connection = accept(socket, nil, nil)
                guard connection >= 0 else { return }
                accepted.value.withLock { $0 += 1 }
                Thread.detachNewThread { behave(connection) }
            }
        }
    }

    deinit {
        shutdown(listening, Int32(SHUT_RDWR))
        close(listening)
    }

    /// Reads a request head and throws it away.
    static func readHead(_ connection: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        _ = read(connection, &buffer, buffer.count)
    }

    static func write(_ connection: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(connection, $0.baseAddress, $0.count) }
    }
}

@Suite("One webhook attempt against receivers that misbehave")
struct WebhookPosterTests {
    static func delivery(_ url: String) -> DueDelivery {
        DueDelivery(id: 1, attempts: 0, queuedAt: 0,
                    event: Event(id: 1, key: "evt_test", type: .webhookTest, createdAt: 1_790_000_000_000, data: "{}"),
                    endpoint: WebhookEndpoint(id: 1, url: url, events: [.conversionCreated], status: .active,
                                              secret: WebhookSecret.generate(), createdAt: 0))
    }

    /// A URL that leads inside is refused at the attempt too, before any connection.
    @Test func aPrivateTargetIsNotConnectedTo() async throws {
        let listener = try LoopbackListener { connection in
            LoopbackListener.readHead(connection)
            LoopbackListener.write(connection, "HTTP/1.1 204 No Content\r\n\r\n")
            close(connection)
        }
        let poster = WebhookPoster(targets: TargetGuard(allowPrivate: false, allowHTTP: true))
        let attempt = await poster.attempt(Self.delivery("http://127.0.0.1:\(listener.port)/hook"), at: 1_790_000_000_000)
        #expect(attempt.statusCode == nil && attempt.error?.hasPrefix("not sent:") == true, "\(attempt)")
        let named = await poster.attempt(Self.delivery("http://localhost:\(listener.port)/hook"), at: 1_790_000_000_000)
        #expect(named.statusCode == nil && named.error?.contains("127.0.0.1") == true, "\(named)")
        try await Task.sleep(for: .milliseconds(100))
        #expect(listener.connections == 0)
        await poster.shutdown()

        let allowed = WebhookPoster(targets: TargetGuard(allowPrivate: true, allowHTTP: true))
        #expect(await allowed.attempt(Self.delivery("http://localhost:\(listener.port)/hook"), at: 0).statusCode == 204)
        #expect(listener.connections == 1)
        await allowed.shutdown()
    }

    /// A receiver that never answers, or answers garbage, or redirects: the
    /// attempt ends within its limit, with a reason, and is not a success.
    @Test func misbehavingReceiversEndTheAttemptWithinItsLimits() async throws {
        // Holds the connection for a minute: the attempt, limited to a second, must not wait for it.
        let silent = try LoopbackListener { connection in
            LoopbackListener.readHead(connection)
            Thread.sleep(forTimeInterval: 60)
            close(connection)
        }
        let garbage = try LoopbackListener { connection in
            LoopbackListener.readHead(connection)
            LoopbackListener.write(connection, "SMTP READY\u{0}\u{1}\u{2} nonsense\r\n\r\n")
            close(connection)
        }
        let redirect = try LoopbackListener { connection in
            LoopbackListener.readHead(connection)
            LoopbackListener.write(connection, "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n")
            close(connection)
        }
        let poster = WebhookPoster(targets: TargetGuard(allowPrivate: true, allowHTTP: true), timeout: .seconds(1))
        let clock = ContinuousClock()
        let started = clock.now
        let timedOut = await poster.attempt(Self.delivery("http://127.0.0.1:\(silent.port)/"), at: 0)
        #expect(clock.now - started < .seconds(30), "ended by its own limit, long before the receiver lets go")
        #expect(timedOut.statusCode == nil && timedOut.error == "no answer within the time limit", "\(timedOut)")
        #expect(timedOut.latencyMilliseconds >= 900)
        let broken = await poster.attempt(Self.delivery("http://127.0.0.1:\(garbage.port)/"), at: 0)
        #expect(broken.statusCode == nil && broken.error != nil && !broken.succeeded, "\(broken)")
        let moved = await poster.attempt(Self.delivery("http://127.0.0.1:\(redirect.port)/"), at: 0)
        #expect(moved.statusCode == 307 && !moved.succeeded, "not followed: \(moved)")
        #expect(redirect.connections == 1)
        await poster.shutdown()
    }
}
