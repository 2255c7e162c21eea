import ClickModel
import Domain
import Foundation
import Ops
import Store
import Testing

extension EndToEnd {
    /// SPEC section 12, expiry: a link with `expires_at` sends shoppers on
    /// afterwards to its `expired_url`, else to the offer's fallback URL, and
    /// the click counts as `expired`, never billable.
    @Suite("Links that expire")
    struct LinkExpiryTests {
        @Test func anExpiredLinkSendsShoppersOnAndCreditsNobody() async throws {
            try await withServer(prepare: { _ in }) { server in
                let admin = server.adminKey
                func call(_ method: String, _ path: String, _ token: String?, _ body: Any? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
                    let (status, json) = try HTTP.json(port: server.adminPort, method, path, token: token, body: body)
                    #expect((200..<300).contains(status), "\(method) \(path) answered \(status): \(json)", sourceLocation: sourceLocation)
                    return json
                }
                let offer = try #require(try call("POST", "/v1/offers", admin, [
                    "name": "Giveaway", "payout": ["type": "flat", "value": 100],
                    "destination_url": "https://shop.example.com/giveaway", "fallback_url": "https://shop.example.com/evergreen",
                ])["id"] as? Int)
                let partner = try call("POST", "/v1/partners", admin, ["name": "Paula", "code": "paula"])
                let partnerID = try #require(partner["id"] as? Int)
                let token = try #require(partner["token"] as? String)
                _ = try call("POST", "/v1/offers/\(offer)/members", admin, ["partner_ids": [partnerID]])

                let past = "2020-01-31T23:59:59Z", future = "2999-01-01T00:00:00Z"
                let over = try call("POST", "/v1/offers/\(offer)/links", admin, [
                    "code": "over", "expires_at": past, "expired_url": "https://shop.example.com/sold-out?ref=over",
                ])
                #expect(over["expires_at"] as? String == past)
                #expect(over["expired_url"] as? String == "https://shop.example.com/sold-out?ref=over")
                _ = try call("POST", "/v1/offers/\(offer)/links", admin, ["code": "ended", "expires_at": past])
                _ = try call("POST", "/v1/offers/\(offer)/links", admin, ["code": "running", "expires_at": future])
                let plain = try call("POST", "/v1/offers/\(offer)/links", admin, ["code": "plain"])
                #expect(plain["expires_at"] is NSNull && plain["expired_url"] is NSNull)

                let version = Int(try server.store.backend.catalogueVersion())
                _ = try await server.waitUntil(seconds: 2) { try server.live().workers.allSatisfy { $0.catalogueVersion >= version } }

                // Its own URL, with the shopper's query and no click id; then the offer's fallback.
                let toOwn = try HTTP.get(port: server.edgePort, "/over/paula?utm_source=tiktok")
                #expect(toOwn.status == 302)
                #expect(toOwn.header("Location") == "https://shop.example.com/sold-out?ref=over&utm_source=tiktok")
                let toFallback = try HTTP.get(port: server.edgePort, "/ended/paula")
                #expect(toFallback.header("Location") == "https://shop.example.com/evergreen")
                // A link whose time has not come counts as usual.
                let running = try HTTP.get(port: server.edgePort, "/running/paula")
                #expect(running.header("Location")?.hasPrefix("https://shop.example.com/giveaway?clk=") == true)

                // Stored as expired, apart from billable clicks, in the rollups the partner reads.
                var totals: [String: Any] = [:]
                let counted = try await server.waitUntil(seconds: 5) {
                    let rows = try call("GET", "/v1/partner/stats", token)["items"] as? [[String: Any]] ?? []
                    totals = rows.first ?? [:]
                    return totals["clicks"] as? Int == 3
                }
                #expect(counted != nil, "the partner's statistics did not count the three clicks: \(totals)")
                #expect(totals["expired"] as? Int == 2)
                #expect(totals["billable"] as? Int == 1)
                var live = try server.live().totals
                _ = try await server.waitUntil(seconds: 2) {
                    live = try server.live().totals
                    return live.clicks == 3
                }
                #expect(live.expired == 2 && live.billable == 1, "live totals: \(live)")
            }
        }

        @Test(arguments: [
            (["code": "x1", "expires_at": "next tuesday"], "expires_at"),
            (["code": "x2", "expires_at": "2027-01-31T23:59:59Z", "expired_url": "javascript:alert(1)"], "expired_url"),
            (["code": "x3", "expires_at": "2027-01-31T23:59:59Z", "expired_url": "https://shop.example.com/\r\nSet-Cookie: a=b"], "expired_url"),
            (["code": "x4", "expired_url": "https://shop.example.com/over"], "expired_url"),
        ])
        func badExpiryIsRefusedAndNothingIsStored(body: [String: String], field: String) async throws {
            try await withServer(prepare: { _ in }) { server in
                let (created, offer) = try HTTP.json(port: server.adminPort, "POST", "/v1/offers", token: server.adminKey, body: [
                    "name": "Giveaway", "payout": ["type": "flat", "value": 100], "destination_url": "https://shop.example.com/giveaway",
                ])
                #expect(created == 201)
                let id = try #require(offer["id"] as? Int)
                let (status, json) = try HTTP.json(port: server.adminPort, "POST", "/v1/offers/\(id)/links", token: server.adminKey, body: body)
                #expect(status == 422)
                #expect((json["error"] as? [String: Any])?["field"] as? String == field)
                let (_, links) = try HTTP.json(port: server.adminPort, "GET", "/v1/offers/\(id)/links", token: server.adminKey)
                #expect((links["items"] as? [Any])?.isEmpty == true)
            }
        }
    }
}
