import API
import Domain
import Foundation
import Ops
import Store
import Testing

extension EndToEnd {
    /// What the internet may send the edge, as raw bytes: each request gets
    /// exactly the answer SPEC section 2 gives it (refusals close the
    /// connection), the edge goes on serving, and only the requests that
    /// deserve a click leave one.
    @Suite("Hostile input at the edge")
    struct HostileEdgeInputTests {
        struct Case: CustomTestStringConvertible, Sendable {
            var name: String
            var bytes: String
            /// The status of the answer.
            var status: Int
            /// Whether the edge closes the connection after it.
            var closes: Bool
            /// Clicks it leaves (a redirect records one, bots and inactive ones included).
            var clicks: Int
            var testDescription: String { "\(name) → \(status)" }

            static func refused(_ name: String, _ bytes: String, _ status: Int = 400) -> Case {
                Case(name: name, bytes: bytes, status: status, closes: true, clicks: 0)
            }
            static func answered(_ name: String, _ bytes: String, _ status: Int, clicks: Int, closes: Bool = false) -> Case {
                Case(name: name, bytes: bytes, status: status, closes: closes, clicks: clicks)
            }
        }

        static let host = "Host: go.example.com\r\n"
        static func get(_ target: String, _ headers: String = host) -> String { "GET \(target) HTTP/1.1\r\n\(headers)\r\n" }

        static let cases: [Case] = [
            // Request lines
            .refused("percent-encoded code", get("/haircare/abc%31")),
            .refused("percent-encoded dots", get("/%2e%2e/abc123")),
            .refused("dot segment", get("/haircare/../abc123")),
            .refused("single-dot segment", get("/./haircare/abc123")),
            .refused("empty segment", get("//abc123")),
            .refused("trailing slash", get("/haircare/abc123/website2/")),
            .refused("too many segments", get("/haircare/abc123/website2/extra")),
            .refused("semicolon in a code", get("/haircare/abc;123")),
            .refused("33-character code", get("/haircare/" + String(repeating: "a", count: 33))),
            .refused("Cyrillic look-alike in a code", get("/h\u{0430}ircare/abc123")),
            .refused("fullwidth slash", get("/haircare\u{FF0F}abc123")),
            .refused("NUL in the path", get("/hair\u{0}care/abc123")),
            .refused("fragment", get("/haircare/abc123#top")),
            .refused("absolute-form target", get("http://shop.example.com/haircare/abc123")),
            .refused("CONNECT, authority-form", "CONNECT shop.example.com:443 HTTP/1.1\r\n\(host)\r\n", 405),
            .refused("tab between the parts", "GET\t/haircare/abc123 HTTP/1.1\r\n\(host)\r\n"),
            .refused("two spaces", "GET  /haircare/abc123 HTTP/1.1\r\n\(host)\r\n"),
            .refused("leading space", " GET /haircare/abc123 HTTP/1.1\r\n\(host)\r\n"),
            .refused("no version", "GET /haircare/abc123\r\n\(host)\r\n"),
            .refused("words after the version", "GET /haircare/abc123 HTTP/1.1 please\r\n\(host)\r\n"),
            .refused("lower-case version", "GET /haircare/abc123 http/1.1\r\n\(host)\r\n"),
            .refused("malformed version", "GET /haircare/abc123 HTTP/1.1x\r\n\(host)\r\n"),
            .refused("HTTP/2.0", "GET /haircare/abc123 HTTP/2.0\r\n\(host)\r\n", 505),
            .refused("HTTP/1.2", "GET /haircare/abc123 HTTP/1.2\r\n\(host)\r\n", 505),
            .refused("HTTP/0.9 version", "GET /haircare/abc123 HTTP/0.9\r\n\(host)\r\n", 505),
            .refused("9 KiB request line", get("/" + String(repeating: "a", count: 9 * 1024)), 414),
            .refused("CR LF in the query ends the line early", "GET /haircare/abc123?x=\r\nInjected: 1 HTTP/1.1\r\n\(host)\r\n"),
            .refused("bare line feeds", "GET /haircare/abc123 HTTP/1.1\nHost: x\n\n"),
            // Headers
            .refused("NUL in a header value (Mozilla\\0Slackbot)", get("/haircare/abc123", host + "User-Agent: Mozilla\u{0}Slackbot\r\n")),
            .refused("bell in a header name", get("/haircare/abc123", host + "X-Bad\u{7}: y\r\n")),
            .refused("DEL in a header value", get("/haircare/abc123", host + "X-Test: a\u{7F}b\r\n")),
            .refused("two Host headers", get("/haircare/abc123", host + "Host: other.example.com\r\n")),
            .refused("the same Host twice", get("/haircare/abc123", host + host)),
            .refused("a space in Host", get("/haircare/abc123", "Host: go example.com\r\n")),
            .refused("a path in Host", get("/haircare/abc123", "Host: go.example.com/evil\r\n")),
            .refused("user info in Host", get("/haircare/abc123", "Host: user@go.example.com\r\n")),
            .refused("empty Host", get("/haircare/abc123", "Host: \r\n")),
            .refused("no Host in HTTP/1.1", get("/haircare/abc123", "")),
            .refused("folded header", get("/haircare/abc123", host + "X-Folded: a\r\n  b\r\n")),
            .refused("header without a colon", get("/haircare/abc123", host + "X-Missing value\r\n")),
            .refused("space before the colon", get("/haircare/abc123", host + "X-Spaced : value\r\n")),
            .refused("conflicting Content-Length", get("/haircare/abc123", host + "Content-Length: 1\r\nContent-Length: 2\r\n")),
            .refused("negative Content-Length", get("/haircare/abc123", host + "Content-Length: -1\r\n")),
            .refused("a GET with a body", get("/haircare/abc123", host + "Content-Length: 5\r\n") + "hello"),
            .refused("chunked body", get("/haircare/abc123", host + "Transfer-Encoding: chunked\r\n") + "0\r\n\r\n"),
            .refused("33 KiB header", get("/haircare/abc123", host + "X: \(String(repeating: "v", count: 33 * 1024))\r\n"), 431),
            .refused("101 headers", get("/haircare/abc123", host + (0..<100).map { "X-\($0): y\r\n" }.joined()), 431),
            // Methods
            .refused("POST with a body", "POST /haircare/abc123 HTTP/1.1\r\n\(host)Content-Length: 3\r\n\r\nabc", 405),
            .refused("DELETE", "DELETE /haircare/abc123 HTTP/1.1\r\n\(host)\r\n", 405),
            .refused("lower-case get", "get /haircare/abc123 HTTP/1.1\r\n\(host)\r\n", 405),
            // Answered, not refused
            .answered("unknown link", get("/nothing/abc123"), 404, clicks: 0),
            .answered("HTTP/1.0 without Host", "GET /haircare/abc123 HTTP/1.0\r\n\r\n", 302, clicks: 1, closes: true),
            .answered("Connection: close", get("/haircare/abc123", host + "Connection: close\r\n"), 302, clicks: 1, closes: true),
            .answered("UTF-8 in a header value", get("/haircare/abc123", host + "X-Name: Zo\u{EB}\r\n"), 302, clicks: 1),
            .answered("encoded CR LF in the query", get("/haircare/abc123?sub1=%0d%0aSet-Cookie:%20x=1"), 302, clicks: 1),
            .answered("HEAD", "HEAD /haircare/abc123 HTTP/1.1\r\n\(host)\r\n", 302, clicks: 1),
            .answered("health", get("/healthz"), 200, clicks: 0),
            .answered("IPv6 Host with a port", get("/haircare/abc123", "Host: [::1]:8080\r\n"), 302, clicks: 1),
        ]

        @Test func everyCaseGetsItsAnswerAndOnlyRedirectsLeaveClicks() async throws {
            try await withServer { server in
                #expect(Self.cases.filter { $0.clicks == 0 && $0.status != 200 && $0.status != 404 }.count >= 40)
                for item in Self.cases {
                    // Staying open shows as no close within the timeout: a short one for those.
                    let connection = try RawConnection(port: server.edgePort, timeout: item.closes ? 3 : 1)
                    try connection.send(Array(item.bytes.utf8))
                    let response = try connection.receive(head: item.bytes.hasPrefix("HEAD"))
                    #expect(response.status == item.status, "\(item.name): \(response.status)")
                    if item.status != 302 { #expect(response.header("Location") == nil, "\(item.name)") }
                    if let location = response.header("Location") {
                        #expect(location.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "\(item.name): \(location)")
                    }
                    #expect(try connection.serverCloses() == item.closes, "\(item.name): closed \(!item.closes)")
                    // The edge goes on serving.
                    #expect(try HTTP.get(port: server.edgePort, "/healthz").status == 200, "after \(item.name)")
                }
                // A pipelined pair: the valid request is answered, then the refusal closes.
                let pipelined = try RawConnection(port: server.edgePort, timeout: 3)
                try pipelined.send(Self.get("/haircare/abc123") + Self.get("/haircare/abc%31") + Self.get("/haircare/abc123"))
                #expect(try pipelined.receive().status == 302)
                #expect(try pipelined.receive().status == 400)
                #expect(try pipelined.serverCloses(), "what follows a refusal is not read")
                // Half a request, then the client goes away.
                let partial = try RawConnection(port: server.edgePort, timeout: 3)
                try partial.send("GET /haircare/abc123 HTTP/1.1\r\nHost: go.exa")
                partial.closeNow()

                let expected = Self.cases.reduce(0) { $0 + $1.clicks } + 1
                _ = try await server.waitUntil(seconds: 2) { try server.store.backend.storedClickCount() >= expected }
                try await Task.sleep(for: .milliseconds(300))  // a click too many would show by now
                #expect(try server.live().totals.clicks == Int64(expected))
                #expect(try server.store.backend.storedClickCount() == expected)
            }
        }
    }
}
