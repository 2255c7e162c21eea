import ClickModel
import Domain
import Foundation
import Hummingbird
import Testing

/// Reports over a small data set whose every figure is computed by hand:
///
/// | offer | payout | members | billable clicks | conversions (sale → commission) |
/// |---|---|---|---|---|
/// | A | 10 % | Alice, Ben | Alice 3, Ben 3 (and a bot) | Alice 100.00 → 10.00; Ben 50.00 → 5.00; Ben 20.00 → 2.00, reversed |
/// | B | 5.00 flat | Alice, Cara | Alice 1 | Alice 30.00 → 5.00 |
///
/// and one partial payment: Alice's 10.00 in offer A.
@Suite("Reports")
struct ReportAPITests {
    struct Data {
        var a: Int
        var b: Int
        var alice: Int
        var ben: Int
        var cara: Int
    }

    static func data(_ api: APIClient) async throws -> Data {
        func offer(_ name: String, _ payout: [String: Any]) async throws -> (Int, String) {
            let created = try await api.create("/v1/offers", ["name": name, "payout": payout, "destination_url": "https://shop.example.com/"])
            return (try #require(created.int("id")), try #require(created.string("postback_token")))
        }
        let (a, tokenA) = try await offer("Alpha sale", ["type": "percent", "value": 10])
        let (b, tokenB) = try await offer("Beta sale", ["type": "flat", "value": 500])
        let alice = try await api.partner("Alice", code: "alice").id
        let ben = try await api.partner("Ben", code: "ben").id
        let cara = try await api.partner("Cara", code: "cara").id
        _ = try await api.create("/v1/offers/\(a)/members", ["partner_ids": [alice, ben]])
        _ = try await api.create("/v1/offers/\(b)/members", ["partner_ids": [alice, cara]])

        for _ in 0..<2 { _ = try ConversionAPITests.click(api.store, offer: a, partner: alice) }
        _ = try ConversionAPITests.click(api.store, offer: a, partner: ben)
        _ = try ConversionAPITests.click(api.store, offer: a, partner: ben, outcome: .bot)
        func sale(_ offer: Int, _ token: String, _ partner: Int, _ order: String, _ amount: String) async throws -> Int {
            let clk = try ConversionAPITests.click(api.store, offer: offer, partner: partner)
            let response = try await api.get("/v1/postback?token=\(token)&clk=\(clk)&order_id=\(order)&amount=\(amount)", auth: .none)
            #expect(response.status == 201)
            return try #require(response.int("id"))
        }
        _ = try await sale(a, tokenA, alice, "a1", "100.00")
        _ = try await sale(a, tokenA, ben, "b1", "50.00")
        let refunded = try await sale(a, tokenA, ben, "b2", "20.00")
        _ = try await sale(b, tokenB, alice, "c1", "30.00")
        #expect(try await api.post("/v1/conversions/\(refunded)/reverse", [String: Any]()).status == 200)
        // Each sale came with its click, and the refunded sale's click still counts: Alice 3 and Ben 3 in A, Alice 1 in B.
        let paid = try await api.post("/v1/payments", ["offer_id": a, "partner_ids": [alice]])
        #expect(paid.int("items.0.amount") == 1_000)
        return Data(a: a, b: b, alice: alice, ben: ben, cara: cara)
    }

    @Test func theSummaryHoldsEveryKPI() async throws {
        try await APIFixture.run { api in
            _ = try await Self.data(api)
            let summary = try await api.get("/v1/reports/summary")
            #expect(summary.status == 200, "\(summary.text)")
            let expected: [String: Int] = [
                "members": 4, "members_with_conversions": 3, "conversions": 3, "clicks": 7, "total_sales": 18_000,
                "sales_per_member": 6_000, "commissions_earned": 2_000, "avg_commission_per_member": 667, "payments_due": 1_000,
                "members_with_payments_due": 2,
            ]
            for (kpi, value) in expected { #expect(summary.int("kpis.\(kpi)") == value, "\(kpi)") }
            #expect(summary.string("range.preset") == "last_6_months")
            #expect(summary.string("currency") == "USD")
            #expect(summary.string("definitions.members")?.contains("once per offer") == true)

            // KPI bounds leave out offers; presets and custom ranges move the window.
            #expect(try await api.get("/v1/reports/summary?min_conversions=2").int("kpis.conversions") == 2)
            #expect(try await api.get("/v1/reports/summary?max_clicks=1").int("offers") == 1)
            #expect(try await api.get("/v1/reports/summary?max_clicks=0").int("offers") == 0)
            #expect(try await api.get("/v1/reports/summary?range=month_to_date").int("kpis.total_sales") == 18_000)
            // A range of whole days reads the daily rollups; it must agree with the minutes.
            let today = Date()
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            let wholeDays = try await api.get("/v1/reports/summary?from=\(day.string(from: today.addingTimeInterval(-86_400)))&to=\(day.string(from: today))")
            for (kpi, value) in expected { #expect(wholeDays.int("kpis.\(kpi)") == value, "\(kpi) over whole days") }
            let report = try await api.get("/v1/reports/offers?from=\(day.string(from: today))&to=\(day.string(from: today))&columns=clicks")
            #expect(report.int("items.0.kpis.clicks") == 6)
            #expect(try await api.get("/v1/reports/summary?from=2020-01-01&to=2020-12-31").int("kpis.conversions") == 0)
            #expect(try await api.get("/v1/reports/summary?from=2020-01-01&to=2020-12-31").int("kpis.members") == 0,
                    "members who joined after the range")
            #expect(try await api.get("/v1/reports/summary?type=promo_code").int("offers") == 0)
            #expect(try await api.get("/v1/reports/summary?range=forever").errorField == "range")
            #expect(try await api.get("/v1/reports/summary?min_happiness=1").errorField == "min_happiness")
            #expect(try await api.get("/v1/reports/summary?project_id=1").errorField == "project_id")
            #expect(try await api.get("/v1/reports/summary?from=2026-02-01&to=2026-01-01").errorField == "from")
            #expect(try await api.get("/v1/reports/summary", auth: .ops).status == 403)
        }
    }

    @Test func theOffersReportSortsSelectsAndExportsCSV() async throws {
        try await APIFixture.run { api in
            let data = try await Self.data(api)
            let report = try await api.get("/v1/reports/offers?sort=-total_sales")
            #expect(report.int("items.0.offer_id") == data.a)
            #expect(report.int("items.0.kpis.total_sales") == 15_000)
            #expect(report.int("items.0.kpis.payments_due") == 500)
            #expect(report.int("items.0.kpis.members_with_payments_due") == 1)
            #expect(report.int("items.0.kpis.clicks") == 6)
            #expect(report.int("items.1.kpis.avg_commission_per_member") == 500)
            #expect(report.int("items.1.kpis.members") == 2)

            let narrow = try await api.get("/v1/reports/offers?columns=conversions,clicks&q=BETA")
            #expect(narrow.array("items").count == 1)
            #expect((narrow["items.0.kpis"] as? [String: Any])?.keys.sorted() == ["clicks", "conversions"])
            #expect(try await api.get("/v1/reports/offers?columns=profit").errorField == "columns")
            #expect(try await api.get("/v1/reports/offers?sort=-profit").errorField == "sort")

            let csv = try await api.get("/v1/reports/offers?format=csv&sort=name")
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"offers_") == true)
            let table = try CSVParser.parse(csv.text)
            #expect(table.first == ["offer_id", "name", "status", "type"] + KPINames.all)
            let json = try await api.get("/v1/reports/offers?sort=name")
            #expect(table.count == 3)
            for (index, row) in table.dropFirst().enumerated() {
                #expect(row[0] == String(json.int("items.\(index).offer_id") ?? -1))
                #expect(row[1] == json.string("items.\(index).name"))
                for (column, name) in KPINames.all.enumerated() {
                    let value = json.int("items.\(index).kpis.\(name)") ?? -1
                    let money = ["total_sales", "sales_per_member", "commissions_earned", "avg_commission_per_member", "payments_due"].contains(name)
                    #expect(row[4 + column] == (money ? Money(minorUnits: Int64(value), currency: .usd).decimalString : String(value)), "\(name)")
                }
            }
        }
    }

    @Test func theMembersReportOfAnOffer() async throws {
        try await APIFixture.run { api in
            let data = try await Self.data(api)
            let report = try await api.get("/v1/reports/offers/\(data.a)/members")
            #expect(report.array("items").count == 2)
            #expect(report.int("items.0.partner_id") == data.alice)
            #expect(report.int("items.0.kpis.clicks") == 3)
            #expect(report.int("items.0.kpis.paid") == 1_000 && report.int("items.0.kpis.payments_due") == 0)
            #expect(report.int("items.1.kpis.conversions") == 1, "the reversed sale does not count")
            #expect(report.int("items.1.kpis.payments_due") == 500)
            #expect(try await api.get("/v1/reports/offers/\(data.a)/members?q=ben").array("items").count == 1)
            #expect(try await api.get("/v1/reports/offers/\(data.b)/members?sort=-total_sales").int("items.0.partner_id") == data.alice)
            #expect(try await api.get("/v1/reports/offers/\(data.b)/members?sort=-total_sales").int("items.1.kpis.total_sales") == 0)
            #expect(try await api.get("/v1/reports/offers/999/members").status == 404)
            // Whole days read the per-member days; they must agree with the minutes.
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            let range = "from=\(day.string(from: Date().addingTimeInterval(-86_400)))&to=\(day.string(from: Date()))"
            let wholeDays = try await api.get("/v1/reports/offers/\(data.a)/members?\(range)")
            #expect(wholeDays.int("items.0.kpis.clicks") == 3 && wholeDays.int("items.1.kpis.total_sales") == 5_000)
            for index in 0..<2 {
                #expect(wholeDays["items.\(index).kpis"] as? NSDictionary == report["items.\(index).kpis"] as? NSDictionary, "member \(index)")
            }

            let csv = try CSVParser.parse(try await api.get("/v1/reports/offers/\(data.a)/members?format=csv&columns=total_sales,payments_due").text)
            #expect(csv == [
                ["partner_id", "name", "partner_code", "promo_code", "status", "total_sales", "payments_due"],
                [String(data.alice), "Alice", "alice", "", "active", "100.00", "0.00"],
                [String(data.ben), "Ben", "ben", "", "active", "50.00", "5.00"],
            ])
        }
    }

    @Test func csvFieldsAreQuotedAndFormulasDefused() throws {
        let table = try CSVParser.parse("a,b\r\n\"x, \"\"y\"\"\",'=1+1\r\n")
        #expect(table == [["a", "b"], ["x, \"y\"", "'=1+1"]])
    }
}

enum KPINames {
    static let all = ["members", "members_with_conversions", "conversions", "clicks", "total_sales", "sales_per_member",
                      "commissions_earned", "avg_commission_per_member", "payments_due", "members_with_payments_due"]
}

/// An RFC 4180 reader: CRLF records, quoted fields with doubled quotes.
enum CSVParser {
    struct Malformed: Error {}

    static func parse(_ text: String) throws -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false, index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if quoted {
                if character == "\"" {
                    let next = text.index(after: index)
                    if next < text.endIndex && text[next] == "\"" { field.append("\""); index = next } else { quoted = false }
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                guard field.isEmpty else { throw Malformed() }
                quoted = true
            } else if character == "," {
                row.append(field); field = ""
            } else if character == "\r\n" || character == "\n" {
                row.append(field); field = ""
                rows.append(row); row = []
            } else {
                field.append(character)
            }
            index = text.index(after: index)
        }
        guard !quoted else { throw Malformed() }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
