import Aggregator
import ClickModel
import ClicklineApp
import Domain
import Foundation
import Services
import Store
import StoreTesting
import Testing

extension EndToEnd {
    /// Invalid clicks (SPEC section 14): address caps per /24 and /48,
    /// hosting networks, and the same verdicts again from the stored clicks.
    @Suite("Invalid clicks")
    struct InvalidClicksEndToEndTests {
        static let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

        /// A click on the demo link from `client`, named by a trusted balancer's PROXY header.
        static func click(_ server: TestServer, from client: String) throws -> ClickID {
            let family = client.contains(":") ? "TCP6" : "TCP4"
            let local = client.contains(":") ? "::1" : "127.0.0.1"
            let (response, _) = try HTTP.exchange(port: server.edgePort, Array((
                "PROXY \(family) \(client) \(local) 56324 80\r\n"
                + "GET /haircare/abc123 HTTP/1.1\r\nHost: t.example\r\nUser-Agent: \(agent)\r\nConnection: close\r\n\r\n").utf8))
            #expect(response.status == 302, "an invalid click is sent on all the same")
            return try #require(response.clickID)
        }

        /// `GET /v1/clicks/{id}`.
        static func click(_ server: TestServer, _ id: ClickID) throws -> [String: Any] {
            let answer = try HTTP.json(port: server.adminPort, "GET", "/v1/clicks/\(id)", token: server.adminKey)
            #expect(answer.status == 200, "\(answer.json)")
            return answer.json
        }

        static func codes(_ click: [String: Any]) -> [String] {
            (click["flags"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        }

        static func details(_ click: [String: Any]) -> [String] {
            (click["flags"] as? [[String: Any]] ?? []).compactMap { $0["detail"] as? String }
        }

        /// The stored clicks of `ids`, once all are stored.
        static func stored(_ server: TestServer, _ ids: [ClickID]) async throws -> [ClickRecord] {
            var clicks: [ClickRecord] = []
            try #require(try await server.waitUntil(seconds: 10) {
                clicks = []
                for id in ids {
                    guard let click = try await server.store.click(id: id) else { return false }
                    clicks.append(click.record)
                }
                return true
            } != nil, "the clicks were stored")
            return clicks
        }

        static let datacenters = try! DatacenterRanges(parsing: """
            # a hosting provider
            198.51.100.0/24
            2001:db8:dc::/48   # its IPv6 network
            """)

        @Test func addressCapsAreExactPer24AndPer48AndHostingNetworksNeverBill() async throws {
            let location = try TestStoreLocation.fresh()
            defer { location.remove() }
            let rules = InvalidClickRules(addressClickCap: 3, datacenters: Self.datacenters)
            let server = try await TestServer(location: location, configure: {
                $0.trustedProxies = [IPRange("127.0.0.0/8")!, IPRange("::1")!]
                $0.invalidClicks = rules
            }, prepare: { store in _ = try await DemoData.load(into: store) })
            do {
                // Five clients of one /24: three bill, two do not; a neighbouring /24 is apart.
                let office = try (1...5).map { try Self.click(server, from: "203.0.113.\($0)") }
                let neighbour = try Self.click(server, from: "203.0.112.200")
                // Four clients of one /48 (different /64s): three bill, one does not.
                let v6 = try ["2001:db8:1:1::1", "2001:db8:1:2::1", "2001:db8:1:3::5", "2001:db8:1:ffff::9"].map { try Self.click(server, from: $0) }
                let otherV6 = try Self.click(server, from: "2001:db8:2::1")
                // Hosting networks never bill, and do not use up a cap.
                let hosted = try ["198.51.100.7", "2001:db8:dc:5::1"].map { try Self.click(server, from: $0) }

                // Which of them are past the cap is the order the aggregator met them in (two edge workers
                // take turns); how many is exact.
                let officeClicks = try await Self.stored(server, office)
                #expect(officeClicks.filter { $0.outcome == .billable && $0.quality.isEmpty }.count == 3, "\(officeClicks.map(\.outcome))")
                #expect(officeClicks.filter { $0.outcome == .invalid && $0.quality == [.addressCap] }.count == 2)
                #expect(try await Self.stored(server, [neighbour, otherV6]).map(\.outcome) == [.billable, .billable])
                let v6Clicks = try await Self.stored(server, v6)
                #expect(v6Clicks.filter { $0.outcome == .billable }.count == 3 && v6Clicks.filter { $0.quality == [.addressCap] }.count == 1)
                #expect(v6Clicks.map(\.network.description) == ["2001:db8:1:1::/64", "2001:db8:1:2::/64", "2001:db8:1:3::/64", "2001:db8:1:ffff::/64"],
                        "a click keeps the client's /64, not the host")
                let hostedClicks = try await Self.stored(server, hosted)
                #expect(hostedClicks.map(\.outcome) == [.invalid, .invalid] && hostedClicks.allSatisfy { $0.quality == [.datacenter] })
                #expect(hostedClicks.allSatisfy { $0.creditedPartnerID != 0 }, "the credit it would have had is kept")

                // The API shows each click's flags, naming the address group and never the whole address.
                let capped = try #require(officeClicks.first { $0.quality == [.addressCap] })
                let cappedBody = try Self.click(server, capped.id)
                #expect(cappedBody["outcome"] as? String == "invalid" && Self.codes(cappedBody) == ["address_cap"], "\(cappedBody)")
                let cappedDetail = try #require(Self.details(cappedBody).first)
                #expect(cappedDetail.contains("203.0.113.0/24") && !cappedDetail.contains(capped.network.description), "\(cappedDetail)")
                let hostedBody = try Self.click(server, hosted[1])
                #expect(Self.codes(hostedBody) == ["datacenter"] && Self.details(hostedBody).first?.contains("2001:db8:dc::/48") == true, "\(hostedBody)")
                let clean = try #require(officeClicks.first { $0.outcome == .billable })
                let cleanBody = try Self.click(server, clean.id)
                #expect(cleanBody["outcome"] as? String == "billable" && Self.codes(cleanBody) == [] && cleanBody["partner_id"] as? Int != nil,
                        "\(cleanBody)")

                // Listing the flagged ones, a page at a time, gives the five invalid clicks once each.
                var flagged: [String] = []
                var cursor: String?
                repeat {
                    let page = try HTTP.json(port: server.adminPort, "GET", "/v1/clicks?flagged=true&limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""),
                                             token: server.adminKey)
                    #expect(page.status == 200, "\(page.json)")
                    let items = try #require(page.json["items"] as? [[String: Any]])
                    #expect(items.count <= 2)
                    flagged += items.compactMap { $0["id"] as? String }
                    cursor = page.json["next_cursor"] as? String
                } while cursor != nil
                let invalid = (officeClicks + v6Clicks + hostedClicks).filter { $0.outcome == .invalid }.map(\.id.description)
                #expect(flagged.sorted() == invalid.sorted(), "\(flagged) against \(invalid)")
                let billable = try HTTP.json(port: server.adminPort, "GET", "/v1/clicks?outcome=billable&limit=1000", token: server.adminKey)
                #expect((billable.json["items"] as? [[String: Any]])?.count == 8 && billable.json["next_cursor"] is NSNull, "\(billable.json)")

                // The live figures and the rollups count them apart.
                var totals: [String: Any] = [:]
                _ = try await server.waitUntil(seconds: 5) {
                    totals = try HTTP.json(port: server.adminPort, "GET", "/v1/ops/live", token: server.opsKey).json["totals"] as? [String: Any] ?? [:]
                    return totals["clicks"] as? Int == 13
                }
                #expect(totals["invalid"] as? Int == 5 && totals["billable"] as? Int == 8, "\(totals)")

                // The same verdicts again from the stored clicks; other settings would change them.
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let again = try InvalidClickRecheck.run(server.store.backend, rules: rules, from: 0, to: now + 86_400_000)
                #expect(again.matches && again.clicks == 13 && again.addressCap == 3 && again.datacenter == 2 && again.billable == 8, "\(again)")
                let looser = try InvalidClickRecheck.run(server.store.backend, rules: InvalidClickRules(addressClickCap: 4, datacenters: .none),
                                                         from: 0, to: now + 86_400_000)
                #expect(!looser.matches && looser.addressCap == 1 && looser.datacenter == 0 && looser.differingClicks == 2, "\(looser)")
                try await server.stop()

                // The command does the same on the stored clicks, with the service's settings as flags.
                let ranges = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-datacenters-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: ranges) }
                try "198.51.100.0/24\n2001:db8:dc::/48\n".write(to: ranges, atomically: true, encoding: .utf8)
                let same = try CommandLineTests.run(["clicks", "recheck", "--store", location.setting, "--address-click-cap", "3",
                                                     "--datacenter-ranges", ranges.path])
                #expect(same.status == 0 && same.output.contains("invalid 5 (datacenter 2, address_cap 3)"), "\(same.output)")
                #expect(same.output.contains("differences: 0 clicks by hosting network, 0 address groups by cap"), "\(same.output)")
                let changed = try CommandLineTests.run(["clicks", "recheck", "--store", location.setting, "--address-click-cap", "2"])
                #expect(changed.status == 1 && changed.output.contains("differences: 2 clicks by hosting network, 2 address groups by cap"),
                        "\(changed.output)")
            } catch {
                try? await server.stop()
                throw error
            }
        }

        /// The false-positive guard: fifty shoppers of one office behind one
        /// address, within the default cap, all bill.
        @Test func anOfficeOfFiftyBehindOneAddressStillPays() async throws {
            try await withServer(configure: { $0.trustedProxies = [IPRange("127.0.0.0/8")!] }) { server in
                #expect(Settings().invalidClicks.addressClickCap == 100, "the documented default")
                let ids = try (0..<50).map { _ in try Self.click(server, from: "192.0.2.10") }
                let clicks = try await Self.stored(server, ids)
                #expect(clicks.allSatisfy { $0.outcome == .billable }, "\(clicks.map(\.outcome))")
            }
        }

        /// A headless browser and a HEAD request are bots, each flagged with
        /// its own reason; bad listing parameters are refused, naming the field.
        @Test func headlessBrowsersAndHeadRequestsCarryTheirReasons() async throws {
            try await withServer { server in
                let headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
                var ids: [ClickID] = []
                for (method, agent) in [("GET", headless), ("HEAD", Self.agent)] {
                    let (response, _) = try HTTP.exchange(port: server.edgePort, Array(
                        "\(method) /haircare/abc123 HTTP/1.1\r\nHost: t.example\r\nUser-Agent: \(agent)\r\nConnection: close\r\n\r\n".utf8))
                    #expect(response.status == 302)
                    ids.append(try #require(response.clickID))
                }
                _ = try await Self.stored(server, ids)
                let bodies = try ids.map { try Self.click(server, $0) }
                #expect(bodies.map { $0["outcome"] as? String } == ["bot", "bot"])
                #expect(bodies.map(Self.codes) == [["headless_browser"], ["head_request"]], "\(bodies)")
                #expect(bodies[0]["devices"] as? [String] == ["desktop", "linux"], "\(bodies[0])")

                for (query, field) in [("outcome=fraud", "outcome"), ("limit=0", "limit"), ("cursor=x", "cursor"), ("flagged=yes", "flagged"),
                                       ("from=2026-13-01", "from"), ("from=2026-06-02&to=2026-06-01", "from"), ("link_id=-1", "link_id")] {
                    let answer = try HTTP.json(port: server.adminPort, "GET", "/v1/clicks?\(query)", token: server.adminKey)
                    #expect(answer.status == 422 && (answer.json["error"] as? [String: Any])?["field"] as? String == field, "\(query): \(answer.json)")
                }
                #expect(try HTTP.json(port: server.adminPort, "GET", "/v1/clicks/not-a-click", token: server.adminKey).status == 404)
                #expect(try HTTP.json(port: server.adminPort, "GET", "/v1/clicks/\(ClickID(milliseconds: 1, low80: 1))", token: server.adminKey).status == 404)
                #expect(try HTTP.json(port: server.adminPort, "GET", "/v1/clicks", token: nil).status == 401)
            }
        }
    }
}
