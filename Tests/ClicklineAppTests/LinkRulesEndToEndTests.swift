import ClickModel
import Domain
import Foundation
import Ops
import Store
import Testing

extension EndToEnd {
    /// SPEC section 12 through the API and the edge: one link that sends each
    /// visitor where the brand wants, and rules that are refused with the
    /// field named.
    @Suite("Link rules through the API, applied by the edge")
    struct LinkRulesEndToEndTests {
        static let iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
        static let pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36"
        static let desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

        static let rules = #"""
            [{"name": "iPhone app", "if": [{"type": "device", "in": ["ios"]}], "destination_url": "https://apps.apple.com/app/id123"},
             {"name": "Android app", "if": [{"type": "device", "in": ["android"]}],
              "destination_url": "https://play.google.com/store/apps/details?id=com.example"},
             {"name": "Newsletter", "if": [{"type": "query", "param": "utm_medium", "equals": "email"}],
              "destination_url": "https://shop.example.com/newsletter"},
             {"name": "French", "if": [{"type": "language", "in": ["fr"]}], "destination_url": "https://shop.example.com/fr/"},
             {"name": "Canada", "if": [{"type": "country", "in": ["CA"]}], "destination_url": "https://shop.example.ca/"},
             {"name": "Landing test", "if": [{"type": "after", "at": "2020-01-01T00:00:00Z"}],
              "split": [{"destination_url": "https://shop.example.com/a", "weight": 50},
                        {"destination_url": "https://shop.example.com/b", "weight": 50}]}]
            """#

        /// Visitors of every kind follow the link `launch` of `paula`.
        static func followAsVisitors(edge: Int) throws {
            func location(_ path: String, agent: String = Self.desktop, language: String? = nil) throws -> String {
                try Self.location(edge, path, agent: agent, language: language)
            }
            // Each rule's visitor, with the link's parameters and click id carried over.
            #expect(try location("/launch/paula?sub1=x", agent: Self.iPhone).hasPrefix("https://apps.apple.com/app/id123?sub1=x&clk="))
            #expect(try location("/launch/paula", agent: Self.pixel).hasPrefix("https://play.google.com/store/apps/details?id=com.example&clk="))
            #expect(try location("/launch/paula?utm_medium=email").hasPrefix("https://shop.example.com/newsletter?utm_medium=email&clk="))
            #expect(try location("/launch/paula", language: "fr-CA, en;q=0.8").hasPrefix("https://shop.example.com/fr/?clk="))
            // No country database here: the Canada rule never matches, and the split takes everyone else.
            var variants: [String: Int] = [:]
            for visitor in 0..<200 {
                let url = try location("/launch/paula", agent: Self.desktop + " visitor/\(visitor)")
                let base = String(url.prefix { $0 != "?" })
                variants[base, default: 0] += 1
                // The same visitor comes back to the same variant.
                #expect(try location("/launch/paula", agent: Self.desktop + " visitor/\(visitor)").hasPrefix(base + "?clk="))
            }
            #expect(Set(variants.keys) == ["https://shop.example.com/a", "https://shop.example.com/b"])
            #expect(variants.values.allSatisfy { $0 >= 60 }, "a 50/50 split gave \(variants)")
        }

        /// Where the edge sends this visitor; empty unless it answers 302.
        static func location(_ port: Int, _ path: String, agent: String, language: String?) throws -> String {
            var headers = ["User-Agent": agent]
            if let language { headers["Accept-Language"] = language }
            let response = try HTTP.get(port: port, path, headers: headers)
            return response.status == 302 ? response.header("Location") ?? "" : ""
        }

        /// The admin API of a running server, each call expected to succeed.
        struct AdminCalls {
            let server: TestServer

            func call(_ method: String, _ path: String, _ body: Any? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
                let (status, json) = try HTTP.json(port: server.adminPort, method, path, token: server.adminKey, body: body)
                #expect((200..<300).contains(status), "\(method) \(path) answered \(status): \(json)", sourceLocation: sourceLocation)
                return json
            }

            /// Returns once every edge worker has the catalogue as it is now.
            func settled() async throws {
                let version = Int(try server.store.backend.catalogueVersion())
                _ = try await server.waitUntil(seconds: 2) { try server.live().workers.allSatisfy { $0.catalogueVersion >= version } }
            }
        }

        @Test func oneLinkSendsEachVisitorWhereTheBrandWants() async throws {
            try await withServer(prepare: { _ in }) { server in
                let api = AdminCalls(server: server)
                let offer = try #require(try api.call("POST", "/v1/offers", [
                    "name": "App launch", "payout": ["type": "flat", "value": 100], "destination_url": "https://shop.example.com/",
                ])["id"] as? Int)
                let partner = try #require(try api.call("POST", "/v1/partners", ["name": "Paula", "code": "paula"])["id"] as? Int)
                _ = try api.call("POST", "/v1/offers/\(offer)/members", ["partner_ids": [partner]])
                let rules = try JSONSerialization.jsonObject(with: Data(Self.rules.utf8))
                let created = try api.call("POST", "/v1/offers/\(offer)/links", ["code": "launch", "rules": rules])
                // The rules read back as they were sent (times in the API's form).
                let shown = try #require(created["rules"] as? [[String: Any]])
                #expect(shown.count == 6)
                #expect(shown[0]["destination_url"] as? String == "https://apps.apple.com/app/id123")
                #expect((shown[5]["if"] as? [[String: Any]])?.first?["at"] as? String == "2020-01-01T00:00:00Z")
                let listed = try api.call("GET", "/v1/offers/\(offer)/links")["items"] as? [[String: Any]]
                #expect((listed?.first?["rules"] as? [Any])?.count == 6)

                try await api.settled()
                try Self.followAsVisitors(edge: server.edgePort)
            }
        }

        /// An offer's rules and expiry, set after its links exist, reach those
        /// of its links that have none of their own, without a restart.
        @Test func anOffersDefaultsReachItsLinksWithoutTheirOwn() async throws {
            try await withServer(prepare: { _ in }) { server in
                let api = AdminCalls(server: server)
                let offer = try #require(try api.call("POST", "/v1/offers", [
                    "name": "Spring", "payout": ["type": "flat", "value": 100], "destination_url": "https://shop.example.com/spring",
                ])["id"] as? Int)
                _ = try api.call("POST", "/v1/offers/\(offer)/links", ["code": "springplain"])
                _ = try api.call("POST", "/v1/offers/\(offer)/links", ["code": "springown", "rules": [
                    ["if": [["type": "device", "in": ["android"]]], "destination_url": "https://play.google.com/store/apps/details?id=x"],
                ]])
                try await api.settled()
                #expect(try Self.location(server.edgePort, "/springplain/nobody", agent: Self.iPhone, language: nil)
                    .hasPrefix("https://shop.example.com/spring?"))

                _ = try api.call("PATCH", "/v1/offers/\(offer)", [
                    "rules": [["if": [["type": "device", "in": ["ios"]]], "destination_url": "https://apps.apple.com/app/id9"]],
                    "expires_at": "2020-01-01T00:00:00Z", "expired_url": "https://shop.example.com/over",
                ])
                try await api.settled()
                // The link without rules or expiry of its own: the offer's expiry has passed.
                #expect(try Self.location(server.edgePort, "/springplain/nobody", agent: Self.iPhone, language: nil)
                    .hasPrefix("https://shop.example.com/over"))
                _ = try api.call("PATCH", "/v1/offers/\(offer)", ["expires_at": NSNull(), "expired_url": NSNull()])
                try await api.settled()
                #expect(try Self.location(server.edgePort, "/springplain/nobody", agent: Self.iPhone, language: nil)
                    .hasPrefix("https://apps.apple.com/app/id9?clk="))
                #expect(try Self.location(server.edgePort, "/springplain/nobody", agent: Self.desktop, language: nil)
                    .hasPrefix("https://shop.example.com/spring?clk="))
                // The link with rules of its own keeps only those.
                #expect(try Self.location(server.edgePort, "/springown/nobody", agent: Self.iPhone, language: nil)
                    .hasPrefix("https://shop.example.com/spring?clk="))
                #expect(try Self.location(server.edgePort, "/springown/nobody", agent: Self.pixel, language: nil)
                    .hasPrefix("https://play.google.com/store/apps/details?id=x&clk="))

                // Its rules cleared by PATCH, the link follows the offer's.
                let own = try #require((try api.call("GET", "/v1/offers/\(offer)/links")["items"] as? [[String: Any]])?
                    .first { $0["code"] as? String == "springown" }?["id"] as? Int)
                _ = try api.call("PATCH", "/v1/offers/\(offer)/links/\(own)", ["rules": NSNull()])
                try await api.settled()
                #expect(try Self.location(server.edgePort, "/springown/nobody", agent: Self.iPhone, language: nil)
                    .hasPrefix("https://apps.apple.com/app/id9?clk="))
            }
        }

        /// Clicks on each rule and variant, some of them converted by postback;
        /// the report counts them exactly, and its interval is the one worked
        /// out by hand for 1 sale in 3 clicks.
        @Test func theVariantReportCountsClicksAndSalesPerVariant() async throws {
            try await withServer(prepare: { _ in }) { server in
                let admin = server.adminKey
                let (createdOffer, _) = try HTTP.json(port: server.adminPort, "POST", "/v1/offers", token: admin, body: [
                    "name": "Landing test", "payout": ["type": "flat", "value": 100], "destination_url": "https://shop.example.com/",
                ])
                #expect(createdOffer == 201)
                let offerBody = try #require(try await server.store.offer(id: 1))
                let token = try #require(offerBody.postbackToken)
                let partner = try #require(try HTTP.json(port: server.adminPort, "POST", "/v1/partners", token: admin,
                                                         body: ["name": "Paula", "code": "paula"]).json["id"] as? Int)
                _ = try HTTP.json(port: server.adminPort, "POST", "/v1/offers/1/members", token: admin, body: ["partner_ids": [partner]])
                let rules = try JSONSerialization.jsonObject(with: Data(#"""
                    [{"name": "Newsletter", "if": [{"type": "query", "param": "utm_medium", "equals": "email"}],
                      "destination_url": "https://shop.example.com/newsletter"},
                     {"name": "Landing test", "split": [{"destination_url": "https://shop.example.com/a", "weight": 50},
                                                        {"destination_url": "https://shop.example.com/b", "weight": 50}]}]
                    """#.utf8))
                let (created, link) = try HTTP.json(port: server.adminPort, "POST", "/v1/offers/1/links", token: admin,
                                                    body: ["code": "landing", "rules": rules])
                #expect(created == 201)
                let linkID = try #require(link["id"] as? Int)
                let version = Int(try server.store.backend.catalogueVersion())
                _ = try await server.waitUntil(seconds: 2) { try server.live().workers.allSatisfy { $0.catalogueVersion >= version } }

                // 3 newsletter visitors and 24 others, each its own browser; where each landed.
                var landed: [String: [ClickID]] = [:]
                for visitor in 0..<27 {
                    let path = visitor < 3 ? "/landing/paula?utm_medium=email" : "/landing/paula"
                    let response = try HTTP.get(port: server.edgePort, path, headers: ["User-Agent": "Mozilla/5.0 visitor/\(visitor)"])
                    let location = try #require(response.header("Location"))
                    landed[String(location.prefix { $0 != "?" }), default: []].append(try #require(response.clickID))
                }
                let newsletter = landed["https://shop.example.com/newsletter"] ?? []
                let a = landed["https://shop.example.com/a"] ?? [], b = landed["https://shop.example.com/b"] ?? []
                #expect(newsletter.count == 3 && a.count + b.count == 24)
                for id in newsletter + a + b {
                    try #require(try await server.waitUntil(seconds: 5) { try await server.store.click(id: id) != nil } != nil)
                }
                // Sales: one newsletter click for 10.00; on the split, up to two clicks of a (5.00, 7.50) and one of b (20.00).
                var orders = 0
                func sell(_ id: ClickID, _ amount: String) throws {
                    orders += 1
                    let (status, body) = try HTTP.json(port: server.adminPort, "GET",
                                                       "/v1/postback?token=\(token)&clk=\(id)&order_id=O\(orders)&amount=\(amount)", token: nil)
                    #expect(status == 201, "\(body)")
                }
                try sell(newsletter[0], "10.00")
                let soldA = Array(a.prefix(2)), soldB = Array(b.prefix(1))
                for (id, amount) in zip(soldA, ["5.00", "7.50"]) { try sell(id, amount) }
                for id in soldB { try sell(id, "20.00") }

                var items: [[String: Any]] = []
                _ = try await server.waitUntil(seconds: 5) {
                    items = try HTTP.json(port: server.adminPort, "GET", "/v1/reports/links/\(linkID)/variants", token: admin)
                        .json["items"] as? [[String: Any]] ?? []
                    return items.reduce(0) { $0 + ($1["clicks"] as? Int ?? 0) } == 27
                }
                func row(_ rule: Int, _ variant: Int) -> [String: Any]? {
                    items.first { $0["rule"] as? Int == rule && $0["variant"] as? Int == variant }
                }
                let first = try #require(row(0, 0))
                #expect(first["rule_name"] as? String == "Newsletter")
                #expect(first["destination_url"] as? String == "https://shop.example.com/newsletter")
                #expect(first["clicks"] as? Int == 3 && first["unique_clicks"] as? Int == 3)
                #expect(first["conversions"] as? Int == 1 && first["total_sales"] as? Int == 1_000)
                let rate = try #require(first["conversion_rate"] as? Double)
                let low = try #require(first["conversion_rate_low"] as? Double), high = try #require(first["conversion_rate_high"] as? Double)
                #expect(abs(rate - 1.0 / 3) < 1e-9)
                #expect(abs(low - 0.0615) < 0.00005 && abs(high - 0.7923) < 0.00005, "1 in 3: [\(low), \(high)]")
                for (variant, clicks, sold, sales) in [(0, a.count, soldA.count, [500, 750].prefix(soldA.count).reduce(0, +)),
                                                       (1, b.count, soldB.count, soldB.isEmpty ? 0 : 2_000)] where clicks > 0 {
                    let split = try #require(row(1, variant))
                    #expect(split["clicks"] as? Int == clicks && split["unique_clicks"] as? Int == clicks)
                    #expect(split["conversions"] as? Int == sold && split["total_sales"] as? Int == sales)
                    #expect(abs((split["conversion_rate"] as? Double ?? -1) - Double(sold) / Double(clicks)) < 1e-9)
                }
                // Each conversion keeps its click's link, rule and variant: the report reads no click for them.
                let kept = try await server.store.backend.read(deadline: nil) { db in
                    try db.row("SELECT COUNT(*) FROM conversions WHERE link_id = ? AND rule > 0", [.integer(Int64(linkID))])?.int64(0)
                }
                #expect(kept == Int64(1 + soldA.count + soldB.count))
                // Conversions stored before they kept their click's rule (link_id 0) are found through their click.
                _ = try await server.store.backend.write(WriteOptions()) { db in
                    try db.execute("UPDATE conversions SET link_id = 0, rule = 0, variant = 0", [])
                }
                let older = try HTTP.json(port: server.adminPort, "GET", "/v1/reports/links/\(linkID)/variants", token: admin)
                    .json["items"] as? [[String: Any]] ?? []
                #expect(older.map { [$0["rule"] as? Int, $0["variant"] as? Int, $0["conversions"] as? Int, $0["total_sales"] as? Int] }
                    == items.map { [$0["rule"] as? Int, $0["variant"] as? Int, $0["conversions"] as? Int, $0["total_sales"] as? Int] })
                #expect(older.reduce(0) { $0 + ($1["conversions"] as? Int ?? 0) } == 1 + soldA.count + soldB.count)
                #expect(try HTTP.json(port: server.adminPort, "GET", "/v1/reports/links/999/variants", token: admin).status == 404)
            }
        }

        @Test(arguments: [
            (#"[{"if": [{"type": "weather", "in": ["sunny"]}], "destination_url": "https://shop.example.com/"}]"#, "rules[0].if[0].type"),
            (#"[{"if": [{"type": "country", "in": ["Canada"]}], "destination_url": "https://shop.example.com/"}]"#, "rules[0].if[0].in[0]"),
            (#"[{"if": [{"type": "language", "in": ["french"]}], "destination_url": "https://shop.example.com/"}]"#, "rules[0].if[0].in[0]"),
            (#"[{"if": [{"type": "ip", "in": ["10.0.0.0/40"]}], "destination_url": "https://shop.example.com/"}]"#, "rules[0].if[0].in[0]"),
            (#"[{"split": [{"destination_url": "https://shop.example.com/a", "weight": 60}, {"destination_url": "https://shop.example.com/b", "weight": 60}]}]"#,
             "rules[0].split"),
            (#"[{"if": [], "destination_url": "javascript:alert(1)"}]"#, "rules[0].destination_url"),
            (#"[{"if": [{"type": "partner", "in": ["nobody"]}], "destination_url": "https://shop.example.com/"}]"#, "rules[0].if[0].in[0]"),
            ("[" + Array(repeating: #"{"if": [], "destination_url": "https://shop.example.com/"}"#, count: 33).joined(separator: ",") + "]", "rules"),
        ])
        func badRulesAreRefusedAndNothingIsStored(rules json: String, field: String) async throws {
            let rules = try JSONSerialization.jsonObject(with: Data(json.utf8))
            try await withServer(prepare: { _ in }) { server in
                let (_, offer) = try HTTP.json(port: server.adminPort, "POST", "/v1/offers", token: server.adminKey, body: [
                    "name": "App launch", "payout": ["type": "flat", "value": 100], "destination_url": "https://shop.example.com/",
                ])
                let id = try #require(offer["id"] as? Int)
                let (status, json) = try HTTP.json(port: server.adminPort, "POST", "/v1/offers/\(id)/links", token: server.adminKey,
                                                   body: ["code": "launch", "rules": rules])
                #expect(status == 422, "\(json)")
                #expect((json["error"] as? [String: Any])?["field"] as? String == field)
                let (_, links) = try HTTP.json(port: server.adminPort, "GET", "/v1/offers/\(id)/links", token: server.adminKey)
                #expect((links["items"] as? [Any])?.isEmpty == true)
            }
        }
    }
}
