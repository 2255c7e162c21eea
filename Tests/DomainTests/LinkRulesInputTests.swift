import ClickModel
import Domain
import Testing

/// Link rules as a client sends them: valid ones become rules, and each
/// mistake is refused with its place named.
@Suite("Link rules, validated")
struct LinkRulesInputTests {
    typealias Input = LinkRuleInput

    static func parseTime(_ text: String) -> Int64? { text == "2027-01-31T23:59:59Z" ? 1_801_439_999_000 : nil }

    static func condition(_ type: String, _ values: [String]? = nil, param: String? = nil, equals: String? = nil,
                          at: String? = nil) -> Input.ConditionInput {
        Input.ConditionInput(type: type, values: values, parameter: param, equals: equals, at: at)
    }

    static func rule(_ conditions: [Input.ConditionInput], to url: String? = "https://shop.example.com/a",
                     split: [(String, Int)]? = nil) -> Input {
        Input(name: nil, conditions: conditions, destinationURL: url,
              split: split.map { $0.map { Input.VariantInput(destinationURL: $0.0, weight: $0.1) } })
    }

    static func refusal(_ inputs: [Input]) -> String? {
        do {
            _ = try Input.validate(inputs, parseTime: parseTime)
            return nil
        } catch {
            #expect(error.code == .invalid)
            return error.field
        }
    }

    @Test func everyConditionTypeIsRead() throws {
        let rules = try Input.validate([
            Self.rule([
                Self.condition("device", ["ios", "tablet"]), Self.condition("browser", ["instagram"]),
                Self.condition("country", ["ca", "US"]), Self.condition("language", ["FR", "en"]),
                Self.condition("partner", ["paula"]), Self.condition("ip", ["203.0.113.0/24", "2001:db8::/32"]),
                Self.condition("query", param: "utm_medium", equals: "email"), Self.condition("query", param: "gift"),
                Self.condition("before", at: "2027-01-31T23:59:59Z"), Self.condition("after", at: "2027-01-31T23:59:59Z"),
            ]),
            Self.rule([], to: nil, split: [("https://shop.example.com/a", 50), ("https://shop.example.com/b", 50)]),
        ], parseTime: Self.parseTime)
        #expect(rules.count == 2)
        #expect(rules[0].conditions == [
            .device([.ios, .tablet]), .browser([.instagram]), .country([CountryCode("CA")!, CountryCode("US")!]),
            .language(["fr", "en"]), .partner([Code("paula")!]), .ip([IPRange("203.0.113.0/24")!, IPRange("2001:db8::/32")!]),
            .query(parameter: "utm_medium", equals: "email"), .query(parameter: "gift", equals: nil),
            .before(1_801_439_999_000), .after(1_801_439_999_000),
        ])
        guard case .split(let variants) = rules[1].target else { Issue.record("not a split"); return }
        #expect(variants.map(\.weight) == [50, 50])
        // What the API shows reads back as the same rules.
        let shown = rules.map { Input($0, formatTime: { _ in "2027-01-31T23:59:59Z" }) }
        #expect(try Input.validate(shown, parseTime: Self.parseTime) == rules)
    }

    @Test(arguments: [
        ([rule([condition("weather", ["sunny"])])], "rules[0].if[0].type"),
        ([rule([condition("country", ["CAN"])])], "rules[0].if[0].in[0]"),
        ([rule([condition("country", ["CA", "1A"])])], "rules[0].if[0].in[1]"),
        ([rule([condition("language", ["english"])])], "rules[0].if[0].in[0]"),
        ([rule([condition("device", ["phone"])])], "rules[0].if[0].in[0]"),
        ([rule([condition("browser", ["netscape"])])], "rules[0].if[0].in[0]"),
        ([rule([condition("ip", ["203.0.113.0/33"])])], "rules[0].if[0].in[0]"),
        ([rule([condition("ip", ["10.0.0.300"])])], "rules[0].if[0].in[0]"),
        ([rule([condition("device", [])])], "rules[0].if[0].in"),
        ([rule([condition("query", param: "a&b")])], "rules[0].if[0].param"),
        ([rule([condition("before", at: "soon")])], "rules[0].if[0].at"),
        ([rule([], to: nil, split: [("https://shop.example.com/a", 50), ("https://shop.example.com/b", 40)])], "rules[0].split"),
        ([rule([], to: nil, split: [("https://shop.example.com/a", 100)])], "rules[0].split"),
        ([rule([], to: nil, split: [("https://shop.example.com/a", 0), ("https://shop.example.com/b", 100)])], "rules[0].split[0].weight"),
        ([rule([], to: nil, split: [("https://shop.example.com/a", 50), ("javascript:alert(1)", 50)])], "rules[0].split[1].destination_url"),
        ([rule([], to: "ftp://shop.example.com/")], "rules[0].destination_url"),
        ([rule([], to: "https://shop.example.com/\r\nSet-Cookie: a=b")], "rules[0].destination_url"),
        ([rule([], to: "https://shop.example.com/" + String(repeating: "a", count: 2100))], "rules[0].destination_url"),
        ([rule([], to: nil)], "rules[0].destination_url"),
        ([rule([], split: [("https://shop.example.com/a", 50), ("https://shop.example.com/b", 50)])], "rules[0].split"),
        ([rule([]), rule([condition("country", ["XYZ"])])], "rules[1].if[0].in[0]"),
        (Array(repeating: rule([]), count: 33), "rules"),
    ] as [([Input], String)])
    func mistakesAreRefusedWithTheirPlace(inputs: [Input], field: String) {
        #expect(Self.refusal(inputs) == field)
    }

    @Test func thirtyTwoRulesAreAllowed() {
        #expect(Self.refusal(Array(repeating: Self.rule([]), count: 32)) == nil)
    }
}
