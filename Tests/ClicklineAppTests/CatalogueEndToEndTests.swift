import API
import ClickModel
import Domain
import Foundation
import Ops
import Store
import Testing

extension EndToEnd {
    @Suite("Catalogue through the API, redirects on the edge")
    struct CatalogueEndToEndTests {
        /// The whole path of SPEC section 5 on a running server, without a
        /// restart: the brand sets up an offer, partners and members; the parent
        /// makes an ad and a link for its child; the edge follows the link and
        /// credits the child; the parent's statistics keep the ad apart.
        @Test func aLinkGeneratedForAChildCreditsTheChildAndCountsTheAd() async throws {
            try await withServer(prepare: { _ in }) { server in
                let admin = server.adminKey
                func call(_ method: String, _ path: String, _ token: String?, _ body: Any? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
                    let (status, json) = try HTTP.json(port: server.adminPort, method, path, token: token, body: body)
                    #expect((200..<300).contains(status), "\(method) \(path) answered \(status): \(json)", sourceLocation: sourceLocation)
                    return json
                }

                let offer = try #require(try call("POST", "/v1/offers", admin, [
                    "name": "Spring", "payout": ["type": "percent", "value": 10], "destination_url": "https://shop.example.com/spring",
                ])["id"] as? Int)
                _ = try call("POST", "/v1/offers/\(offer)/links", admin, ["code": "spring"])
                let parent = try call("POST", "/v1/partners", admin, ["name": "Paula", "code": "paula"])
                let parentID = try #require(parent["id"] as? Int)
                let parentToken = try #require(parent["token"] as? String)
                let child = try call("POST", "/v1/partners", admin, ["name": "Carl", "code": "carl", "parent_id": parentID])
                let childID = try #require(child["id"] as? Int)
                let childToken = try #require(child["token"] as? String)
                _ = try call("POST", "/v1/offers/\(offer)/members", admin, ["partner_ids": [parentID]])

                let ad = try call("POST", "/v1/partner/ads", parentToken, ["name": "Newsletter", "media_type": "email"])
                #expect(ad["code"] as? String == "newsletter")
                let generated = try call("POST", "/v1/partner/links/generate", parentToken,
                                         ["link_code": "spring", "for_partner_code": "carl", "ad_code": "newsletter"])
                let url = try #require(generated["url"] as? String)
                #expect(url == "http://localhost:\(server.edgePort)/spring/paula.carl/newsletter")
                let path = try #require(URL(string: url)?.path)

                // The edge follows the catalogue within a second, without a restart:
                // every worker answers from the version of the last write.
                let version = Int(try server.store.backend.catalogueVersion())
                let reached = try await server.waitUntil(seconds: 1) {
                    try server.live().workers.allSatisfy { $0.catalogueVersion >= version }
                }
                #expect(reached != nil, "the catalogue did not reach every edge worker within 1 s")
                let redirect: RawConnection.Response? = try HTTP.get(port: server.edgePort, path)
                #expect(redirect?.status == 302)
                let location = try #require(redirect?.header("Location"))
                #expect(location.hasPrefix("https://shop.example.com/spring?clk="))
                let clickID = try #require(redirect?.clickID)
                #expect(try HTTP.get(port: server.edgePort, "/spring/paula").status == 302)

                // The click credits the child, with the parent's ad, once stored.
                let stored = try await server.waitUntil(seconds: 3) { try await server.store.click(id: clickID) != nil }
                #expect(stored != nil)
                let click = try #require(try await server.store.click(id: clickID))
                #expect(click.outcome == .billable)
                #expect(Int(click.creditedPartnerID) == childID)
                #expect(Int(click.generatingPartnerID) == parentID)
                #expect(click.adID != 0)

                // The parent's statistics: the ad's click apart from the plain one.
                var rows: [[String: Any]] = []
                _ = try await server.waitUntil(seconds: 3) {
                    rows = try call("GET", "/v1/partner/stats?by=ad,child", parentToken)["items"] as? [[String: Any]] ?? []
                    return rows.reduce(0) { $0 + ($1["clicks"] as? Int ?? 0) } == 2
                }
                let viaAd = rows.first { $0["ad"] as? String == "newsletter" }
                let plain = rows.first { $0["ad"] == nil || $0["ad"] is NSNull }
                #expect(viaAd?["child"] as? String == "carl")
                #expect(viaAd?["billable"] as? Int == 1)
                #expect(plain?["clicks"] as? Int == 1)
                #expect(plain?["child"] == nil || plain?["child"] is NSNull)

                // The child sees its credited click; it cannot see its parent's.
                let childRows = try call("GET", "/v1/partner/stats", childToken)["items"] as? [[String: Any]] ?? []
                #expect(childRows.first?["billable"] as? Int == 1)
                #expect(try HTTP.json(port: server.adminPort, "GET", "/v1/partner/stats?partner_code=paula", token: childToken).status == 403)
            }
        }
    }
}
