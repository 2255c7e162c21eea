import ClickModel
import ClicklineApp
import Domain
import Foundation
import Store
import Testing

extension EndToEnd {
    /// `--trusted-proxies`: who the client is behind a load balancer, and
    /// that nobody else can say so.
    @Suite("The client's address behind a trusted proxy")
    struct TrustedProxyTests {
        static let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
        static let request = "GET /haircare/abc123 HTTP/1.1\r\nHost: t.example\r\nUser-Agent: \(agent)\r\nConnection: close\r\n"

        /// A v2 header for a TCP connection from `source` (IPv4).
        static func proxyV2(from source: [UInt8]) -> [UInt8] {
            [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C]
                + source + [127, 0, 0, 1, 0xDC, 0x04, 0x00, 0x50]
        }

        /// Sends `bytes` on a new connection; the stored click's client fingerprint.
        static func clientHash(_ server: TestServer, _ bytes: [UInt8]) async throws -> UInt64 {
            let (response, _) = try HTTP.exchange(port: server.edgePort, bytes)
            #expect(response.status == 302)
            let id = try #require(response.clickID)
            var stored: UInt64?
            try #require(try await server.waitUntil(seconds: 5) {
                stored = try await server.store.click(id: id)?.record.clientHash
                return stored != nil
            } != nil)
            return try #require(stored)
        }

        static func clientHash(_ server: TestServer, _ text: String) async throws -> UInt64 {
            try await clientHash(server, Array(text.utf8))
        }

        @Test func aTrustedBalancerNamesTheClient() async throws {
            try await withServer(configure: { $0.trustedProxies = [IPRange("127.0.0.0/8")!] }) { server in
                let direct = try await Self.clientHash(server, Self.request + "\r\n")
                let v1 = try await Self.clientHash(server, "PROXY TCP4 203.0.113.7 127.0.0.1 56324 80\r\n" + Self.request + "\r\n")
                let v2 = try await Self.clientHash(server, Self.proxyV2(from: [203, 0, 113, 7]) + Array((Self.request + "\r\n").utf8))
                let v6Mapped = try await Self.clientHash(server, "PROXY TCP6 ::ffff:203.0.113.7 ::1 56324 80\r\n" + Self.request + "\r\n")
                let forwarded = try await Self.clientHash(server, Self.request + "X-Forwarded-For: 198.51.100.1, 203.0.113.7, 127.0.0.9\r\n\r\n")
                let other = try await Self.clientHash(server, "PROXY TCP4 198.51.100.1 127.0.0.1 56324 80\r\n" + Self.request + "\r\n")
                // One client however the balancer names it, and not the balancer itself.
                #expect(v1 == v2 && v2 == v6Mapped && v6Mapped == forwarded)
                #expect(v1 != direct)
                #expect(other != v1 && other != direct)
                // A health check's PROXY LOCAL is the balancer itself.
                let local: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00]
                #expect(try await Self.clientHash(server, local + Array((Self.request + "\r\n").utf8)) == direct)
                // Keep-alive: the header comes once, first; every request on the connection is that client's.
                let connection = try RawConnection(port: server.edgePort)
                let keepAlive = Self.request.replacingOccurrences(of: "Connection: close\r\n", with: "") + "\r\n"
                try connection.send("PROXY TCP4 203.0.113.7 127.0.0.1 56324 80\r\n" + keepAlive + keepAlive)
                let ids = try [connection.receive(), connection.receive()].map { try #require($0.clickID) }
                for id in ids {
                    try #require(try await server.waitUntil(seconds: 5) { try await server.store.click(id: id) != nil } != nil)
                    #expect(try await server.store.click(id: id)?.record.clientHash == v1)
                }
            }
        }

        @Test func aMalformedProxyHeaderClosesTheConnectionUnanswered() async throws {
            try await withServer(configure: { $0.trustedProxies = [IPRange("127.0.0.1")!] }) { server in
                for header in ["PROXY TCP4 203.0.113.7 127.0.0.1 56324\r\n", "PROXY TCP4 999.0.113.7 127.0.0.1 1 80\r\n"] {
                    let connection = try RawConnection(port: server.edgePort, timeout: 3)
                    try connection.send(header + Self.request + "\r\n")
                    #expect(try connection.receiveAvailable().isEmpty)
                    #expect(try connection.serverCloses())
                }
                #expect(try await server.store.backend.storedClickCount() == 0)
                // Plain HTTP from the balancer is still served.
                #expect(try HTTP.get(port: server.edgePort, "/haircare/abc123").status == 302)
            }
        }

        @Test func forgedHeadersFromAnyoneElseChangeNothing() async throws {
            // The default: no proxy is trusted.
            try await withServer { server in
                let direct = try await Self.clientHash(server, Self.request + "\r\n")
                let forged = try await Self.clientHash(server, Self.request + "X-Forwarded-For: 203.0.113.7\r\n\r\n")
                #expect(forged == direct)
                // A PROXY line from a stranger is not HTTP.
                let (response, closed) = try HTTP.exchange(port: server.edgePort, "PROXY TCP4 203.0.113.7 127.0.0.1 56324 80\r\n" + Self.request + "\r\n")
                #expect(response.status == 400)
                #expect(closed)
            }
            // Trusting another network is no different for a loopback peer.
            try await withServer(configure: { $0.trustedProxies = [IPRange("10.0.0.0/8")!, IPRange("::1")!] }) { server in
                let direct = try await Self.clientHash(server, Self.request + "\r\n")
                #expect(try await Self.clientHash(server, Self.request + "X-Forwarded-For: 203.0.113.7\r\n\r\n") == direct)
            }
        }
    }
}
