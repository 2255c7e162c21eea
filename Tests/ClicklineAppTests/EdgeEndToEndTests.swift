import API
import ClickModel
import ClicklineApp
import Domain
import Foundation
import Ops
import Services
import Store
import Testing

/// Adds to the demo brand what the outcome table needs beyond it: an
/// inactive member of the active offer.
func prepareOutcomeFixtures(_ store: SQLStore) async throws {
    _ = try await DemoData.load(into: store)
    let dora = try await store.createPartner(Partner(name: "Dora", code: Code("dora")!), tokenHash: nil)
    try await store.addMember(offerID: 1, partnerID: dora.id, status: .inactive, dashboardToken: { Secrets.make(.dashboardToken) })
}

extension EndToEnd {
    @Suite("Edge over real HTTP")
    struct EdgeEndToEndTests {
        static let haircare = "https://shop.example.com/collections/haircare?utm_source=clickline"

        @Test func everyRowOfTheOutcomeTable() async throws {
            try await withServer(prepare: prepareOutcomeFixtures) { server in
                let port = server.edgePort
                let alice = try #require(try await server.store.partner(code: Code("abc123")!)).id
                let ben = try #require(try await server.store.partner(code: Code("ben7")!)).id

                // Valid: billable, credited to the partner, with its ad and sub ids.
                let valid = try HTTP.get(port: port, "/haircare/abc123/website2?sub1=spring&color=red")
                #expect(valid.status == 302)
                #expect(valid.header("Cache-Control") == "no-store")
                #expect(valid.header("Content-Length") == "0")
                #expect(valid.body.isEmpty)
                let validID = try #require(valid.clickID)
                #expect(valid.header("Location") == "\(Self.haircare)&sub1=spring&color=red&clk=\(validID)")

                // Child: billable, credited to the child.
                let child = try HTTP.get(port: port, "/HAIRCARE/ABC123.Ben7")
                let childID = try #require(child.clickID)
                // Not a direct child: credited to the partner, flagged.
                let notChild = try HTTP.get(port: port, "/haircare/abc123.chloe")
                let notChildID = try #require(notChild.clickID)
                // Unknown ad: billable without an ad, flagged.
                let unknownAd = try HTTP.get(port: port, "/haircare/abc123/nosuchad")
                let unknownAdID = try #require(unknownAd.clickID)
                // Unknown partner and a non-member: unattributed, still with a click id.
                let unknownPartner = try HTTP.get(port: port, "/haircare/nobody")
                let unknownPartnerID = try #require(unknownPartner.clickID)
                let nonMember = try HTTP.get(port: port, "/haircare/chloe")
                let nonMemberID = try #require(nonMember.clickID)
                // Paused offer: its fallback, no click id.
                let paused = try HTTP.get(port: port, "/winter/abc123")
                #expect(paused.status == 302)
                #expect(paused.header("Location") == "https://shop.example.com/sale")
                // Inactive membership: the offer's fallback, no click id.
                let inactiveMember = try HTTP.get(port: port, "/haircare/dora")
                #expect(inactiveMember.header("Location") == "https://shop.example.com/")
                // HEAD, a prefetch and a link previewer: redirected like a person, counted as bots.
                let head = try HTTP.get(port: port, "/haircare/abc123", method: "HEAD")
                #expect(head.status == 302)
                let headID = try #require(head.clickID)
                let prefetch = try HTTP.get(port: port, "/haircare/abc123", headers: ["Sec-Purpose": "prefetch"])
                let prefetchID = try #require(prefetch.clickID)
                let slack = try HTTP.get(port: port, "/haircare/abc123", headers: ["User-Agent": "Slackbot-LinkExpanding 1.0"])
                let slackID = try #require(slack.clickID)

                for response in [child, notChild, unknownAd, unknownPartner, nonMember, head, prefetch, slack] {
                    #expect(response.status == 302)
                    #expect(response.header("Location")?.hasPrefix(Self.haircare + "&clk=") == true)
                }

                // Unknown link: 404, nothing recorded.
                #expect(try HTTP.get(port: port, "/nolink/abc123").status == 404)
                #expect(try HTTP.get(port: port, "/healthz").status == 200)

                // Eleven redirects, all recorded (the two inactive ones too).
                try #require(try await server.waitUntil(seconds: 5) { try server.store.backend.storedClickCount() == 11 } != nil)
                func row(_ id: ClickID) async throws -> StoredClick { try #require(try await server.store.click(id: id)) }

                let validRow = try await row(validID)
                #expect(validRow.outcome == .billable && validRow.creditedPartnerID == alice && validRow.adID != 0)
                #expect(validRow.subIDValues.first == "spring")
                let childRow = try await row(childID)
                #expect(childRow.outcome == .billable && childRow.creditedPartnerID == ben && childRow.generatingPartnerID == alice)
                let notChildRow = try await row(notChildID)
                #expect(notChildRow.creditedPartnerID == alice && notChildRow.flags.contains(.invalidChild))
                let unknownAdRow = try await row(unknownAdID)
                #expect(unknownAdRow.outcome == .billable && unknownAdRow.adID == 0 && unknownAdRow.flags.contains(.unknownAd))
                #expect(try await row(unknownPartnerID).outcome == .unattributed)
                #expect(try await row(nonMemberID).outcome == .unattributed)
                #expect(try await row(headID).botReason == .head)
                #expect(try await row(prefetchID).botReason == .prefetch)
                #expect(try await row(slackID).outcome == .bot)
                #expect(try await row(slackID).creditedPartnerID == alice, "a bot's attribution is kept for recounting")

                // The live figures are republished ten times a second.
                try #require(try await server.waitUntil(seconds: 1) { try server.live().totals.clicks == 11 } != nil)
                let live = try server.live()
                #expect(live.totals.billable == 4)
                #expect(live.totals.unattributed == 2)
                #expect(live.totals.inactive == 2)
                #expect(live.totals.bot == 3)
            }
        }

        /// A request the edge refuses, named for the test report.
        struct Refused: CustomTestStringConvertible, Sendable {
            var name: String
            var request: String
            var status: Int
            var testDescription: String { "\(name) → \(status)" }
        }

        static let refused: [Refused] = [
            .init(name: "percent-encoded code", request: "GET /haircare/abc%31 HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "too many segments", request: "GET /haircare/abc123/ad/extra HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "dot segment", request: "GET /haircare/../abc123 HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "bad character", request: "GET /haircare/abc;123 HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "33-character code", request: "GET /haircare/\(String(repeating: "a", count: 33)) HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "absolute-form target", request: "GET http://shop.example.com/haircare/abc123 HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "NUL in a header", request: "GET /haircare/abc123 HTTP/1.1\r\nHost: x\r\nX-Test: a\u{0}b\r\n\r\n", status: 400),
            .init(name: "two Host headers", request: "GET /haircare/abc123 HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", status: 400),
            .init(name: "conflicting Content-Length",
                  request: "GET /haircare/abc123 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", status: 400),
            .init(name: "chunked body", request: "GET /haircare/abc123 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
            .init(name: "bare line feeds", request: "GET /haircare/abc123 HTTP/1.1\nHost: x\n\n", status: 400),
            .init(name: "HTTP/2.0", request: "GET /haircare/abc123 HTTP/2.0\r\nHost: x\r\n\r\n", status: 505),
            .init(name: "33 KiB header", request: "GET /haircare/abc123 HTTP/1.1\r\nHost: x\r\nX: \(String(repeating: "v", count: 33 * 1024))\r\n\r\n", status: 431),
            .init(name: "9 KiB request line", request: "GET /\(String(repeating: "a", count: 9 * 1024)) HTTP/1.1\r\nHost: x\r\n\r\n", status: 414),
            .init(name: "POST with a body", request: "POST /haircare/abc123 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", status: 405),
        ]

        @Test(arguments: refused)
        func refusedRequestsAreAnsweredAndClosed(_ refused: Refused) async throws {
            let status = refused.status
            try await withServer { server in
                let (response, closed) = try HTTP.exchange(port: server.edgePort, refused.request)
                #expect(response.status == status)
                #expect(response.header("Location") == nil)
                #expect(closed, "the connection is closed after a refusal")
                if status == 405 { #expect(response.header("Allow") == "GET, HEAD") }
                // Nothing is recorded for a refused request.
                try await Task.sleep(for: .milliseconds(150))
                #expect(try server.store.backend.storedClickCount() == 0)
                #expect(try server.live().totals.clicks == 0)
            }
        }

        @Test func keepAliveAndPipelining() async throws {
            try await withServer { server in
                let connection = try RawConnection(port: server.edgePort)
                let one = "GET /haircare/abc123 HTTP/1.1\r\nHost: x\r\n\r\n"
                let two = "GET /shampoo/abc123/insta HTTP/1.1\r\nHost: x\r\n\r\n"
                try connection.send(one + two)
                let first = try connection.receive()
                let second = try connection.receive()
                #expect(first.header("Location")?.hasPrefix(Self.haircare) == true)
                #expect(second.header("Location")?.hasPrefix("https://shop.example.com/products/shampoo?clk=") == true)
                #expect(second.header("Location")?.hasSuffix("#reviews") == true)
                // A request split across writes, on the same connection.
                try connection.send("GET /haircare/abc")
                try await Task.sleep(for: .milliseconds(50))
                try connection.send("123 HTTP/1.1\r\nHo")
                try await Task.sleep(for: .milliseconds(50))
                try connection.send("st: x\r\n\r\n")
                #expect(try connection.receive().status == 302)
                // HTTP/1.0 without keep-alive closes.
                let old = try HTTP.exchange(port: server.edgePort, "GET /haircare/abc123 HTTP/1.0\r\n\r\n")
                #expect(old.0.status == 302 && old.closed)
            }
        }

        @Test func aClickIsLiveWithinOneSecondAndStoredAfterTheFlush() async throws {
            try await withServer { server in
                let before = try server.live().totals.clicks
                let response = try HTTP.get(port: server.edgePort, "/haircare/abc123")
                let id = try #require(response.clickID)
                let visibleAfter = try await server.waitUntil(seconds: 1) { try server.live().totals.clicks == before + 1 }
                #expect(visibleAfter != nil, "not visible in /v1/ops/live within 1 s")
                let storedAfter = try await server.waitUntil(seconds: 2) { try await server.store.click(id: id) != nil }
                #expect(storedAfter != nil, "not stored within 2 s (flush every 50 ms in tests)")
                let live = try server.live()
                #expect(live.topOffers.first?.offerID == 1)
                #expect(live.workers.count == 2)
            }
        }

        @Test func catalogueChangesReachTheEdgeWithinOneSecond() async throws {
            try await withServer { server in
                #expect(try HTTP.get(port: server.edgePort, "/newlink/abc123").status == 404)
                let offer = try await server.store.createOffer(Offer(name: "New", destination: try Destination(validating: "https://new.example/"))).id
                _ = try await server.store.createLink(TrackingLink(
                    offerID: offer, code: Code("newlink")!, destination: try Destination(validating: "https://new.example/x")))
                let alice = try #require(try await server.store.partner(code: Code("abc123")!)).id
                try await server.store.addMember(offerID: offer, partnerID: alice, dashboardToken: { Secrets.make(.dashboardToken) })
                let reached = try await server.waitUntil(seconds: 1) {
                    try HTTP.get(port: server.edgePort, "/newlink/abc123").header("Location")?.hasPrefix("https://new.example/x?clk=") == true
                }
                #expect(reached != nil, "the new link did not reach the edge within 1 s")

                _ = try await server.store.updateOffer(id: offer) { $0.status = .paused }
                let paused = try await server.waitUntil(seconds: 1) {
                    try HTTP.get(port: server.edgePort, "/newlink/abc123").header("Location") == "https://new.example/x"
                }
                #expect(paused != nil, "pausing did not reach the edge within 1 s")
                // Every worker reports the table it answers from; all of them hold the latest.
                let version = Int(try server.store.backend.catalogueVersion())
                let everyWorker = try await server.waitUntil(seconds: 1) {
                    try server.live().workers.allSatisfy { $0.catalogueVersion == version }
                }
                #expect(everyWorker != nil, "not every worker reported catalogue version \(version) within 1 s")
            }
        }

        @Test func opsEndpointsNeedAKey() async throws {
            try await withServer { server in
                #expect(try HTTP.get(port: server.adminPort, "/v1/ops/live").status == 401)
                let wrong = try HTTP.get(port: server.adminPort, "/v1/ops/live", headers: ["Authorization": "Bearer cla_wrong"])
                #expect(wrong.status == 401)
                #expect(wrong.text.contains("\"code\":\"unauthorized\""))
                let partnerToken = try HTTP.get(port: server.adminPort, "/metrics", headers: ["Authorization": "Basic abc"])
                #expect(partnerToken.status == 401)
                #expect(try server.admin("/v1/ops/live", key: server.opsKey).status == 200)
                #expect(try server.admin("/v1/ops/live", key: server.adminKey).status == 200)
                _ = try HTTP.get(port: server.edgePort, "/haircare/abc123")
                _ = try HTTP.get(port: server.edgePort, "/haircare/abc%31")
                try await Task.sleep(for: .milliseconds(250))  // the workers publish their counters every 100 ms
                let metrics = try server.admin("/metrics", key: server.opsKey)
                #expect(metrics.status == 200)
                #expect(metrics.text.contains("clickline_edge_redirects_total"))
                #expect(metrics.text.contains("clickline_clicks_dropped_total"))
                #expect(metrics.text.contains("reason=\"path_percent_encoded\""))
                #expect(try HTTP.get(port: server.adminPort, "/healthz").status == 200)
                #expect(try HTTP.get(port: server.adminPort, "/readyz").status == 200)
            }
        }
    }
}
