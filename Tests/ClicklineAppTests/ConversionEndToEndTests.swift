import API
import ClickModel
import Domain
import Foundation
import Store
import Testing

extension EndToEnd {
    @Suite("Clicks on the edge, conversions by postback")
    struct ConversionEndToEndTests {
        /// A shopper clicks a child's link on the real edge; the brand's server
        /// posts the sale back with the click id; the child is credited with its
        /// sub id, and the parent earns its override, to the cent.
        @Test func aPostbackCreditsTheClickOnTheEdge() async throws {
            try await withServer { server in
                let offer = try #require(try await server.store.offer(id: 1))
                let token = try #require(offer.postbackToken)
                let redirect = try HTTP.get(port: server.edgePort, "/haircare/abc123.ben7?sub1=june-mail")
                #expect(redirect.status == 302)
                let clk = try #require(redirect.clickID)
                let stored = try await server.waitUntil(seconds: 3) { try await server.store.click(id: clk) != nil }
                #expect(stored != nil, "the click was not stored")

                let path = "/v1/postback?token=\(token)&clk=\(clk)&order_id=E2E-1&amount=123.45"
                let (status, conversion) = try HTTP.json(port: server.adminPort, "GET", path, token: nil)
                #expect(status == 201)
                let ben = try #require(try await server.store.partner(code: Code("ben7")!))
                let alice = try #require(try await server.store.partner(code: Code("abc123")!))
                #expect(conversion["partner_id"] as? Int == Int(ben.id))
                #expect(conversion["sub1"] as? String == "june-mail")
                #expect(conversion["amount"] as? Int == 12_345)
                let lines = conversion["commissions"] as? [[String: Any]] ?? []
                // 10 % of 123.45 is 12.345: 12.35; Alice's 20 % of that is 2.47.
                #expect(lines.first?["amount"] as? Int == 1_235)
                #expect(lines.last?["partner_id"] as? Int == Int(alice.id))
                #expect(lines.last?["amount"] as? Int == 247)
                #expect(lines.first?["status"] as? String == "pending", "the demo offer holds commissions for 14 days")

                // The same postback again changes nothing.
                let (again, repeated) = try HTTP.json(port: server.adminPort, "GET", path, token: nil)
                #expect(again == 200)
                #expect(repeated["id"] as? Int == conversion["id"] as? Int)
            }
        }
    }
}
