import ClickModel
import Domain
import Foundation
import Store
import Testing

extension EndToEnd {
    /// Sign-in, sessions and the member's dashboard over plain HTTP.
    @Suite("Pages and sessions")
    struct PagesTests {
        static func signIn(_ server: TestServer, key: String, next: String = "/dashboard") throws -> RawConnection.Response {
            let body = "key=\(key)&next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            let connection = try RawConnection(port: server.adminPort)
            try connection.send("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            return try connection.receive()
        }

        static func cookie(_ response: RawConnection.Response) -> String? {
            response.header("Set-Cookie")?.split(separator: ";").first.map(String.init)
        }

        @Test func signingInKeepsAStrictHttpOnlySessionForReadsOnly() async throws {
            try await withServer { server in
                #expect(try HTTP.get(port: server.adminPort, "/dashboard").header("Location") == "/login?next=/dashboard")
                let wrong = try Self.signIn(server, key: "cla_wrong")
                #expect(wrong.status == 401)
                #expect(wrong.header("Set-Cookie") == nil)

                let admin = try Self.signIn(server, key: server.adminKey)
                #expect(admin.status == 303 && admin.header("Location") == "/dashboard")
                let setCookie = try #require(admin.header("Set-Cookie"))
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
                let cookie = try #require(Self.cookie(admin))
                let page = try HTTP.get(port: server.adminPort, "/dashboard", headers: ["Cookie": cookie])
                #expect(page.status == 200)
                #expect(page.text.contains("data-kpi=\"members\""))
                #expect(try HTTP.get(port: server.adminPort, "/v1/ops/live", headers: ["Cookie": cookie]).status == 200)
                // A session reads; it does not write.
                let (write, _) = try HTTP.json(port: server.adminPort, "POST", "/v1/offers", token: nil, body: ["name": "x"])
                #expect(write == 401)

                // An ops key's session opens /ops, not the brand's dashboard.
                let ops = try #require(Self.cookie(try Self.signIn(server, key: server.opsKey, next: "/ops")))
                #expect(try HTTP.get(port: server.adminPort, "/ops", headers: ["Cookie": ops]).status == 200)
                #expect(try HTTP.get(port: server.adminPort, "/dashboard", headers: ["Cookie": ops]).status == 403)
                #expect(try HTTP.get(port: server.adminPort, "/v1/reports/summary", headers: ["Cookie": ops]).status == 401)
                #expect(try HTTP.get(port: server.adminPort, "/ops", headers: ["Cookie": "clickline_session=cls_forged"]).status == 303)

                // Only paths of this site are followed after signing in.
                #expect(try Self.signIn(server, key: server.adminKey, next: "//evil.example/").header("Location") == "/dashboard")
                #expect(try Self.signIn(server, key: server.adminKey, next: "https://evil.example/").header("Location") == "/dashboard")
            }
        }

        @Test func theLiveStreamSendsAReportEverySecond() async throws {
            try await withServer { server in
                #expect(try HTTP.get(port: server.adminPort, "/v1/ops/live/stream").status == 401)
                _ = try HTTP.get(port: server.edgePort, "/haircare/abc123")
                let connection = try RawConnection(port: server.adminPort, timeout: 5)
                try connection.send("GET /v1/ops/live/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(server.opsKey)\r\n\r\n")
                var text = ""
                let deadline = ContinuousClock.now + .seconds(5)
                while text.components(separatedBy: "event: live").count < 3 && ContinuousClock.now < deadline {
                    text += String(decoding: try connection.receiveAvailable(), as: UTF8.self)
                }
                #expect(text.contains("text/event-stream"))
                #expect(text.components(separatedBy: "event: live").count >= 3, "two reports within five seconds")
                #expect(text.contains("\"clicks_per_second\""))
            }
        }

        /// A member's dashboard, with a sale, a partial payment and a reversal.
        @Test func aMembersDashboardShowsItsCommissionAndPayments() async throws {
            try await withServer { server in
                let alice = try #require(try await server.store.partner(code: Code("abc123")!))
                _ = try await server.store.updateOffer(id: 1) { $0.holdDays = 0 }
                let token = try #require(try await server.store.offer(id: 1)?.postbackToken)
                var clicks: [ClickID] = []
                for _ in 0..<3 { clicks.append(try #require(try HTTP.get(port: server.edgePort, "/haircare/abc123").clickID)) }
                _ = try await server.waitUntil(seconds: 3) { try server.store.backend.storedClickCount() == 3 }
                for (index, amount) in ["80.00", "45.50", "10.00"].enumerated() {
                    let (status, _) = try HTTP.json(port: server.adminPort, "GET",
                                                    "/v1/postback?token=\(token)&clk=\(clicks[index])&order_id=D-\(index)&amount=\(amount)", token: nil)
                    #expect(status == 201)
                }
                // Pay the first two (8.00 + 4.55), then refund the third (1.00, unpaid).
                let (paid, _) = try HTTP.json(port: server.adminPort, "POST", "/v1/payments", token: server.adminKey,
                                              body: ["partner_ids": [alice.id], "reference": "May"])
                #expect(paid == 201)
                let (_, fresh) = try HTTP.json(port: server.adminPort, "GET",
                                               "/v1/postback?token=\(token)&clk=\(clicks[2])&order_id=D-3&amount=20.00", token: nil)
                let (_, _) = try HTTP.json(port: server.adminPort, "POST", "/v1/conversions/\(fresh["id"] as? Int ?? 0)/reverse",
                                           token: server.adminKey, body: [String: Any]())
                let member = try #require(try await server.store.member(offerID: 1, partnerID: alice.id))

                let (status, dashboard) = try HTTP.json(port: server.adminPort, "GET", "/v1/dashboard/\(member.dashboardToken)", token: nil)
                #expect(status == 200)
                #expect(dashboard["paid_commission"] as? Int == 1_355, "8.00 + 4.55 + 1.00: the first payment paid all three")
                #expect(dashboard["expected_commission"] as? Int == 0, "the refunded 2.00 was never earned")
                #expect((dashboard["payments"] as? [[String: Any]])?.first?["amount"] as? Int == 1_355)
                #expect((dashboard["conversions"] as? [[String: Any]])?.count == 4)
                #expect((dashboard["commission_structure"] as? String)?.contains("10% of each sale") == true)
                #expect(dashboard["tracking_url"] as? String == "http://localhost:\(server.edgePort)/haircare/abc123")
                #expect(try HTTP.get(port: server.adminPort, "/v1/dashboard/cld_unknown").status == 404)
                #expect(try HTTP.get(port: server.adminPort, "/p/cld_unknown").status == 404)
                let page = try HTTP.get(port: server.adminPort, "/p/\(member.dashboardToken)")
                #expect(page.status == 200)
                #expect(page.text.contains("13.55"))
            }
        }
    }
}
