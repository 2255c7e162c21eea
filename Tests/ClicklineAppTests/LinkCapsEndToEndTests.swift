import ClickModel
import ClicklineApp
import Domain
import Foundation
import Ops
import Store
import StoreTesting
import Testing

extension EndToEnd {
    /// SPEC section 12, caps: the first clicks of a link reach its
    /// destination, the rest its cap's fallback URL with a click id, counted
    /// as `capped` and never billable; one node is exact at the boundary,
    /// two nodes on one database overshoot by at most one slice.
    @Suite("Link caps through the API, kept by the edge")
    struct LinkCapsEndToEndTests {
        /// An offer with two members and the link `giveaway`; returns the partners' tokens by code.
        static func prepare(_ server: TestServer, caps: [[String: Any]]) throws -> [String: String] {
            let admin = server.adminKey
            let offer = try #require(try call(server, "POST", "/v1/offers", admin, [
                "name": "Giveaway", "payout": ["type": "flat", "value": 100],
                "destination_url": "https://shop.example.com/giveaway", "fallback_url": "https://shop.example.com/evergreen",
            ])["id"] as? Int)
            var tokens: [String: String] = [:]
            var ids: [Int] = []
            for code in ["paula", "omar"] {
                let partner = try call(server, "POST", "/v1/partners", admin, ["name": code.capitalized, "code": code])
                ids.append(try #require(partner["id"] as? Int))
                tokens[code] = try #require(partner["token"] as? String)
            }
            _ = try call(server, "POST", "/v1/offers/\(offer)/members", admin, ["partner_ids": ids])
            let link = try call(server, "POST", "/v1/offers/\(offer)/links", admin, ["code": "giveaway", "caps": caps])
            #expect((link["caps"] as? [[String: Any]])?.count == caps.count)
            return tokens
        }

        static func call(_ server: TestServer, _ method: String, _ path: String, _ token: String?, _ body: Any? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
            let (status, json) = try HTTP.json(port: server.adminPort, method, path, token: token, body: body)
            #expect((200..<300).contains(status), "\(method) \(path) answered \(status): \(json)", sourceLocation: sourceLocation)
            return json
        }

        static func waitForCatalogue(_ server: TestServer) async throws {
            let version = Int(try server.store.backend.catalogueVersion())
            _ = try await server.waitUntil(seconds: 5) { try server.live().workers.allSatisfy { $0.catalogueVersion >= version } }
        }

        /// Where a click goes: "destination", "sold-out" or "evergreen", and whether it carried a click id.
        static func follow(_ port: Int, _ path: String) throws -> (place: String, clickID: Bool) {
            let response = try HTTP.get(port: port, path)
            #expect(response.status == 302)
            let location = response.header("Location") ?? ""
            let place = location.hasPrefix("https://shop.example.com/giveaway") ? "destination"
                : location.hasPrefix("https://shop.example.com/sold-out") ? "sold-out"
                : location.hasPrefix("https://shop.example.com/evergreen") ? "evergreen" : location
            return (place, response.clickID != nil)
        }

        @Test func oneNodeIsExactAtTheBoundaryAndKeepsCountAcrossARestart() async throws {
            let location = try TestStoreLocation.fresh()
            defer { location.remove() }
            let first = try await TestServer(location: location)
            let tokens = try Self.prepare(first, caps: [
                ["scope": "link", "period": "total", "max_clicks": 5, "fallback_url": "https://shop.example.com/sold-out"],
                ["scope": "partner", "period": "day", "max_clicks": 3],
            ])
            try await Self.waitForCatalogue(first)
            // Paula's first three reach the destination; her fourth meets her daily cap (no fallback of its own: the offer's).
            var places = try (0..<4).map { _ in try Self.follow(first.edgePort, "/giveaway/paula?sub1=x") }
            #expect(places.map(\.place) == ["destination", "destination", "destination", "evergreen"])
            #expect(places.allSatisfy { $0.clickID }, "capped clicks carry a click id too")
            // Omar takes the last two of the link's five; then the link's own cap sends everyone to the sold-out page.
            places = try (0..<3).map { _ in try Self.follow(first.edgePort, "/giveaway/omar") }
            #expect(places.map(\.place) == ["destination", "destination", "sold-out"])
            // Bots see a reached cap but do not use one up.
            let bot = try HTTP.get(port: first.edgePort, "/giveaway/omar", headers: ["User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"])
            #expect(bot.header("Location")?.hasPrefix("https://shop.example.com/sold-out") == true)
            try await first.stop()

            let second = try await TestServer(location: location, prepare: { _ in })
            defer { Task { try? await second.stop() } }
            #expect(try Self.follow(second.edgePort, "/giveaway/omar").place == "sold-out", "the cap started again after a restart")
            // Capped clicks are counted apart, never billable.
            var totals: [String: Any] = [:]
            let counted = try await second.waitUntil(seconds: 5) {
                totals = (try Self.call(second, "GET", "/v1/partner/stats", tokens["omar"])["items"] as? [[String: Any]])?.first ?? [:]
                return totals["clicks"] as? Int == 4
            }
            #expect(counted != nil, "Omar's statistics: \(totals)")
            #expect(totals["billable"] as? Int == 2)
            #expect(totals["capped"] as? Int == 1)
            #expect(totals["bot"] as? Int == 1)
            try await second.stop()
        }

        @Test(arguments: [
            (#"[{"scope": "site", "period": "day", "max_clicks": 5}]"#, "caps[0].scope"),
            (#"[{"scope": "link", "period": "week", "max_clicks": 5}]"#, "caps[0].period"),
            (#"[{"scope": "link", "period": "day", "max_clicks": 0}]"#, "caps[0].max_clicks"),
            (#"[{"scope": "link", "period": "day", "max_clicks": 5, "fallback_url": "ftp://shop.example.com/"}]"#, "caps[0].fallback_url"),
            (#"[{"scope": "link", "period": "day", "max_clicks": 5}, {"scope": "link", "period": "day", "max_clicks": 9}]"#, "caps[1]"),
            (#"[{"scope": "link", "period": "day", "max_clicks": 5, "fallback_url": "https://a.example/\r\nSet-Cookie: a"}]"#,
             "caps[0].fallback_url"),
        ])
        func badCapsAreRefusedAndNothingIsStored(caps json: String, field: String) async throws {
            let caps = try JSONSerialization.jsonObject(with: Data(json.utf8))
            try await withServer(prepare: { _ in }) { server in
                let offer = try #require(try Self.call(server, "POST", "/v1/offers", server.adminKey, [
                    "name": "Giveaway", "payout": ["type": "flat", "value": 100], "destination_url": "https://shop.example.com/",
                ])["id"] as? Int)
                let (status, json) = try HTTP.json(port: server.adminPort, "POST", "/v1/offers/\(offer)/links", token: server.adminKey,
                                                   body: ["code": "capped", "caps": caps])
                #expect(status == 422)
                #expect((json["error"] as? [String: Any])?["field"] as? String == field, "\(json)")
                let links = try Self.call(server, "GET", "/v1/offers/\(offer)/links", server.adminKey)["items"] as? [Any]
                #expect(links?.isEmpty == true)
            }
        }

        /// Two nodes on one PostgreSQL database, each with a slice of 5:
        /// together they let through at least the cap of 20 and at most one
        /// slice more.
        @Test(.enabled(if: StoreUnderTest.current == .postgres, "two nodes share a PostgreSQL database"))
        func twoNodesOvershootByAtMostOneSlice() async throws {
            let location = try TestStoreLocation.fresh()
            defer { location.remove() }
            let a = try await TestServer(location: location, configure: { $0.nodeID = 1; $0.capSlice = 5 })
            _ = try Self.prepare(a, caps: [["scope": "link", "period": "total", "max_clicks": 20,
                                            "fallback_url": "https://shop.example.com/sold-out"]])
            let b = try await TestServer(location: location, configure: { $0.nodeID = 2; $0.capSlice = 5 }, prepare: { _ in })
            try await Self.waitForCatalogue(a)
            try await Self.waitForCatalogue(b)
            var through = 0
            for _ in 0..<12 {
                for node in [a, b] {
                    for _ in 0..<4 where try Self.follow(node.edgePort, "/giveaway/paula").place == "destination" { through += 1 }
                }
                try await Task.sleep(for: .milliseconds(150))  // a few of the reporters' rounds
            }
            print("two nodes with slices of 5 let \(through) clicks through a cap of 20")
            #expect(through >= 20 && through <= 25, "\(through) clicks went through a cap of 20 with two nodes and slices of 5")
            try await b.stop()
            try await a.stop()
        }
    }
}
