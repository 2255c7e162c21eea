import ClicklineApp
import Foundation
import Testing

extension EndToEnd {
    @Suite("Edge limits over real HTTP")
    struct EdgeLimitsTests {
        /// A head that never completes is closed after the header timeout, even
        /// when its client keeps sending a byte now and then.
        @Test func slowHeadsAreClosed() async throws {
            try await withServer(configure: { $0.headerTimeoutMilliseconds = 300 }) { server in
                let connection = try RawConnection(port: server.edgePort, timeout: 0.2)
                let started = ContinuousClock.now
                try connection.send("GET /haircare/abc123 HTTP/1.1\r\n")
                var closed = false
                while !closed && ContinuousClock.now - started < .seconds(4) {
                    try? connection.send("X")  // trickles, never finishing a header line
                    closed = try connection.serverCloses()
                }
                #expect(closed, "a slow head was not closed")
                #expect(ContinuousClock.now - started < .seconds(3))
            }
        }

        @Test func idleKeepAliveConnectionsAreClosed() async throws {
            try await withServer(configure: { $0.keepAliveTimeoutMilliseconds = 300 }) { server in
                let connection = try RawConnection(port: server.edgePort, timeout: 3)
                try connection.send("GET /haircare/abc123 HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try connection.receive().status == 302)
                let started = ContinuousClock.now
                #expect(try connection.serverCloses(), "an idle keep-alive connection stayed open")
                #expect(ContinuousClock.now - started < .seconds(2.5))
            }
        }

        /// Past its connection cap a worker stops accepting, and accepts again
        /// once a connection closes; nothing spins meanwhile.
        @Test func theConnectionCapHoldsNewConnectionsBack() async throws {
            try await withServer(configure: { $0.workers = 1; $0.maxConnectionsPerWorker = 2 }) { server in
                let first = try RawConnection(port: server.edgePort, timeout: 2)
                let second = try RawConnection(port: server.edgePort, timeout: 2)
                for connection in [first, second] {
                    try connection.send("GET /haircare/abc123 HTTP/1.1\r\nHost: x\r\n\r\n")
                    #expect(try connection.receive().status == 302)
                }
                let third = try RawConnection(port: server.edgePort, timeout: 0.5)
                try third.send("GET /haircare/abc123 HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(throws: RawConnection.Failure.self) { _ = try third.receive() }
                first.closeNow()
                let answered = try await server.waitUntil(seconds: 3) { (try? third.receive())?.status == 302 }
                #expect(answered != nil, "the held-back connection was not served after a slot freed")
            }
        }
    }
}
