import Domain
import Foundation
import Testing

@Suite("Postback URL templates")
struct PostbackTemplateTests {
    static let template = "https://tracker.example/postback?cid={click_id}&s1={sub1}&payout={commission}&txid={order_id}"

    /// Every value is percent-encoded: no sub id can add a parameter, cut
    /// the URL with `#`, break a line, or be read as a macro again.
    @Test(arguments: ["a&b=c", "x#fragment", "line\r\nX-Injected: 1", "ünïcødé ✓ 日本", "{click_id}", "100% sure", "a+b c", "?sub1=evil"])
    func hostileValuesStayOneValue(_ value: String) throws {
        let url = try PostbackTemplate(Self.template).render(["click_id": "01J", "sub1": value, "commission": "4.99", "order_id": "A-1"])
        let query = try #require(url.split(separator: "?", maxSplits: 1).last)
        let pairs = query.split(separator: "&").map { $0.split(separator: "=", maxSplits: 1) }
        #expect(pairs.map { String($0[0]) } == ["cid", "s1", "payout", "txid"], "\(url)")
        #expect(!url.contains("#") && !url.contains("\r") && !url.contains("\n") && !url.contains(" ") && !url.contains("{"))
        #expect(url.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(PostbackTemplate.request(url: url, method: .postJSON).body?.contains(jsonEscaped(value)) == true)
    }

    func jsonEscaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }

    @Test func macrosAreReplacedAndMissingOnesAreEmpty() throws {
        let url = try PostbackTemplate(Self.template).render(["click_id": "01JABC", "commission": "4.99"])
        #expect(url == "https://tracker.example/postback?cid=01JABC&s1=&payout=4.99&txid=")
    }

    @Test(arguments: [
        ("https://t.example/?x={clickid}", "{clickid} is not a macro"), ("https://t.example/?x={sub1", "not closed"),
        ("https://t.example/?x=sub1}", "closes no macro"), ("https://{partner_code}.t.example/?x=1", "not in the host"),
    ])
    func badTemplatesAreRefusedNamingTheMacro(_ text: String, _ reason: String) {
        #expect { _ = try PostbackTemplate(text) } throws: { ($0 as? DomainError)?.message.contains(reason) == true }
    }

    @Test func formAndJSONBodiesCarryTheQuery() throws {
        let url = try PostbackTemplate("https://t.example/pb?cid={click_id}&amount={amount}").render(["click_id": "a&b", "amount": "10.00"])
        #expect(PostbackTemplate.request(url: url, method: .get) == PostbackRequest(method: .get, url: url, body: nil))
        #expect(PostbackTemplate.request(url: url, method: .postForm)
                == PostbackRequest(method: .postForm, url: "https://t.example/pb", body: "cid=a%26b&amount=10.00"))
        #expect(PostbackTemplate.request(url: url, method: .postJSON)
                == PostbackRequest(method: .postJSON, url: "https://t.example/pb", body: #"{"cid":"a&b","amount":"10.00"}"#))
    }
}
