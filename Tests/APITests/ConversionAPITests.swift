import ClickModel
import Domain
import Foundation
import GRDB
import Hummingbird
import Services
import Store
import StoreTesting
import Testing
import Wire

/// Money through the API: postbacks, Shopify orders, reversals and payments.
@Suite("Conversions, commissions and payments")
struct ConversionAPITests {
    /// A link offer paying 10 % with a 20 % parent override; Alice (parent),
    /// Ben (her child, a member whose code is ALICE10's neighbour BEN10),
    /// and Alice's promo code ALICE10 in a promo offer of the same brand.
    struct Brand {
        var offer: Int
        var token: String
        var alice: Int
        var ben: Int
    }

    static func brand(_ api: APIClient, holdDays: Int = 0) async throws -> Brand {
        let created = try await api.create("/v1/offers", [
            "name": "Spring", "payout": ["type": "percent", "value": 10], "parent_override_percent": 20, "hold_days": holdDays,
            "destination_url": "https://shop.example.com/",
        ])
        let offer = try #require(created.int("id"))
        let alice = try await api.partner("Alice", code: "alice")
        let ben = try await api.partner("Ben", code: "ben", parent: alice.id)
        _ = try await api.create("/v1/offers/\(offer)/members", ["partner_ids": [alice.id, ben.id]])
        return Brand(offer: offer, token: try #require(created.string("postback_token")), alice: alice.id, ben: ben.id)
    }

    /// Stores a click as the edge would have, and returns its id.
    static func click(_ store: SQLStore, offer: Int, partner: Int, at milliseconds: Int64 = Timestamp.nowForTests(),
                      outcome: ClickOutcome = .billable, sub1: String? = nil) throws -> ClickID {
        var ids = ClickIDGenerator(node: 0, worker: 1)
        let id = ids.next(milliseconds: UInt64(milliseconds))
        var batch = ClickBatch()
        var subs: SubIDs?
        if let sub1 {
            var values = SubIDs()
            values.set(0, sub1)
            subs = values
        }
        batch.append(ClickRecord(id: id, offerID: UInt32(offer), linkID: 1, creditedPartnerID: outcome == .billable ? UInt32(partner) : 0,
                                 generatingPartnerID: UInt32(partner), outcome: outcome), subIDs: subs, unique: true)
        try store.backend.write(batch, nodeID: 0)
        return id
    }

    @Test func aPostbackCreditsTheClicksPartnerOnceWithItsSubIDs() async throws {
        try await APIFixture.run { api in
            let brand = try await Self.brand(api)
            let clk = try Self.click(api.store, offer: brand.offer, partner: brand.ben, sub1: "spring-mail")
            let path = "/v1/postback?token=\(brand.token)&clk=\(clk)&order_id=A-1&amount=49.90&currency=USD&event=sale"
            let first = try await api.get(path, auth: .none)
            #expect(first.status == 201, "\(first.text)")
            #expect(first.int("partner_id") == brand.ben)
            #expect(first.int("amount") == 4990)
            #expect(first.string("currency") == "USD")
            #expect(first.string("sub1") == "spring-mail")
            #expect(first.string("click_id") == clk.description)
            // Ben earns 10 % (4.99), Alice 20 % of that (1.00, rounded half up from 0.998).
            #expect(first.int("commissions.0.amount") == 499 && first.string("commissions.0.kind") == "direct")
            #expect(first.int("commissions.1.partner_id") == brand.alice && first.int("commissions.1.amount") == 100)
            #expect(first.string("commissions.1.kind") == "parent_override")
            #expect(first.string("attribution.winner") == "click")
            #expect(first.string("attribution.policy") == "code_first")

            // The same order again: the same conversion, nothing new.
            let again = try await api.request(.post, "/v1/postback?order_id=A-1&amount=49.90&clk=\(clk)", auth: .none,
                                              headers: APIClient.headers(["X-Clickline-Token": brand.token]))
            #expect(again.status == 200)
            #expect(again.int("id") == first.int("id"))
            #expect(try await api.get("/v1/conversions").array("items").count == 1)
            let read = try await api.get("/v1/conversions/\(first.int("id") ?? 0)")
            #expect(read.string("attribution.reason")?.contains("click within the window") == true)
            #expect(read.int("attribution.candidates.click.partner_id") == brand.ben)
        }
    }

    @Test func postbacksAreCheckedBeforeAnythingIsStored() async throws {
        try await APIFixture.run { api in
            let brand = try await Self.brand(api)
            let base = "/v1/postback?token=\(brand.token)&order_id=B-1"
            #expect(try await api.get("/v1/postback?order_id=B-1&amount=1.00", auth: .none).status == 401)
            #expect(try await api.get("/v1/postback?token=clb_wrong&order_id=B-1&amount=1.00", auth: .none).status == 401)
            #expect(try await api.get("\(base)&amount=10.125", auth: .none).errorField == "amount", "three decimals")
            #expect(try await api.get("\(base)&amount=-5", auth: .none).errorField == "amount")
            #expect(try await api.get("\(base)&amount=1e3", auth: .none).errorField == "amount")
            #expect(try await api.get("\(base)", auth: .none).errorField == "amount")
            #expect(try await api.get("\(base)&amount=5.00&currency=EUR", auth: .none).errorField == "currency")
            #expect(try await api.get("/v1/postback?token=\(brand.token)&amount=5.00", auth: .none).errorField == "order_id")
            #expect(try await api.get("\(base)&amount=5.00&event=bad%20event", auth: .none).errorField == "event")
            #expect(try await api.get("/v1/conversions").array("items").isEmpty)

            // A postback without a click, or with an unknown one, is kept unattributed.
            let unknown = try await api.get("\(base)&amount=0.01&clk=01ARZ3NDEKTSV4RRFFQ69G5FAV", auth: .none)
            #expect(unknown.status == 201)
            #expect(unknown["partner_id"] == nil)
            #expect(unknown.array("commissions").isEmpty)
            #expect(unknown.string("attribution.winner") == "none")
            // Form bodies work as query strings do.
            let form = try await api.request(.post, "/v1/postback", auth: .none, raw: "token=\(brand.token)&order_id=B-2&amount=999999.99",
                                             headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(form.status == 201)
            #expect(form.int("amount") == 99_999_999)
        }
    }

    /// When the store cannot commit (here another writer holds the database
    /// past the busy timeout), the answer is 503 and nothing is recorded.
    /// PostgreSQL's case, the server gone under load, is `scripts/fault-postgres`.
    @Test(.enabled(if: StoreUnderTest.current == .sqlite, "holds SQLite's write lock"))
    func aConversionThatCannotBeCommittedGets503() async throws {
        try await APIFixture.run { api in
            let brand = try await Self.brand(api)
            // Another connection holds the write lock until told to let go.
            let blocker = try DatabaseQueue(path: try #require(api.fixture.location.sqlitePath))
            let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                try? blocker.inTransaction(.immediate) { _ in
                    locked.signal()
                    release.wait()
                    return .rollback
                }
                done.signal()
            }
            locked.wait()
            let blocked = try await api.get("/v1/postback?token=\(brand.token)&order_id=D-1&amount=5.00", auth: .none)
            release.signal()
            done.wait()
            #expect(blocked.status == 503)
            #expect(blocked.errorCode == "unavailable")
            #expect(try await api.get("/v1/conversions").array("items").isEmpty)
            #expect(try await api.get("/v1/postback?token=\(brand.token)&order_id=D-1&amount=5.00", auth: .none).status == 201)
        }
    }

    @Test func anExpiredClickCreditsNobodyButTheConversionIsKept() async throws {
        try await APIFixture.run { api in
            let brand = try await Self.brand(api)
            let old = try Self.click(api.store, offer: brand.offer, partner: brand.ben, at: Timestamp.nowForTests() - 31 * 86_400_000)
            let response = try await api.get("/v1/postback?token=\(brand.token)&clk=\(old)&order_id=C-1&amount=20.00", auth: .none)
            #expect(response.status == 201)
            #expect(response["partner_id"] == nil)
            #expect(response.string("attribution.reason")?.contains("older than the 30-day window") == true)
            let bot = try Self.click(api.store, offer: brand.offer, partner: brand.ben, outcome: .bot)
            let botResponse = try await api.get("/v1/postback?token=\(brand.token)&clk=\(bot)&order_id=C-2&amount=20.00", auth: .none)
            #expect(botResponse["partner_id"] == nil)
        }
    }

    @Test func reversalBeforePaymentCancelsAndAfterPaymentLeavesANegativeBalance() async throws {
        try await APIFixture.run { api in
            let brand = try await Self.brand(api)
            func convert(_ order: String, _ amount: String) async throws -> Int {
                let clk = try Self.click(api.store, offer: brand.offer, partner: brand.ben)
                let response = try await api.get("/v1/postback?token=\(brand.token)&clk=\(clk)&order_id=\(order)&amount=\(amount)", auth: .none)
                return try #require(response.int("id"))
            }
            let first = try await convert("R-1", "100.00")   // Ben 10.00, Alice 2.00
            let second = try await convert("R-2", "50.00")   // Ben 5.00, Alice 1.00

            // Reversed before payment: its lines are reversed and no longer due.
            let reversed = try await api.post("/v1/conversions/\(second)/reverse", [String: Any]())
            #expect(reversed.status == 200)
            #expect(reversed.string("status") == "reversed")
            #expect(reversed.string("commissions.0.status") == "reversed")
            let due = try await api.get("/v1/payments/due")
            #expect(due.int("total") == 1_200)
            #expect(due.int("items.0.amount") == 200 && due.int("items.1.amount") == 1_000)

            // Pay everything due: one payment per partner, lines paid.
            let paid = try await api.post("/v1/payments", ["reference": "June payout"])
            #expect(paid.status == 201)
            #expect(paid.array("items").count == 2)
            #expect(paid.string("items.0.reference") == "June payout")
            #expect(try await api.get("/v1/payments/due").int("total") == 0)
            #expect(try await api.get("/v1/conversions/\(first)").string("commissions.0.status") == "paid")
            #expect(try await api.post("/v1/payments", [String: Any]()).array("items").isEmpty, "nothing left to pay")

            // Reversed after payment: negative lines, due at once; nothing to pay out.
            let late = try await api.post("/v1/conversions/\(first)/reverse", [String: Any]())
            #expect(late.array("commissions").count == 4)
            #expect(late.int("commissions.2.amount") == -1_000 && late.int("commissions.2.reverses_id") == late.int("commissions.0.id"))
            let negative = try await api.get("/v1/payments/due")
            #expect(negative.int("items.0.amount") == -200 && negative["items.0.payable"] as? Bool == false)
            #expect(negative.int("items.1.amount") == -1_000)
            #expect(negative.int("total") == 0)
            #expect(try await api.post("/v1/payments", [String: Any]()).array("items").isEmpty)
            // Reversing twice changes nothing.
            #expect(try await api.post("/v1/conversions/\(first)/reverse", [String: Any]()).array("commissions").count == 4)

            // The next sale is first set against the debt.
            _ = try await convert("R-3", "150.00")  // Ben 15.00, Alice 3.00
            let after = try await api.get("/v1/payments/due")
            #expect(after.int("items.0.amount") == 100 && after.int("items.1.amount") == 500)
            let payments = try await api.get("/v1/payments")
            #expect(payments.array("items").count == 2)
        }
    }

    @Test func commissionsArePendingForTheHoldDays() async throws {
        try await APIFixture.run { api in
            let brand = try await Self.brand(api, holdDays: 14)
            let clk = try Self.click(api.store, offer: brand.offer, partner: brand.alice)
            let conversion = try await api.get("/v1/postback?token=\(brand.token)&clk=\(clk)&order_id=H-1&amount=30.00", auth: .none)
            #expect(conversion.string("commissions.0.status") == "pending")
            #expect(try await api.get("/v1/payments/due").array("items").isEmpty)
            #expect(try await api.post("/v1/payments", [String: Any]()).array("items").isEmpty)
        }
    }

    @Test func paymentsCanBeLimitedAndExportedAsCSV() async throws {
        try await APIFixture.run { api in
            let brand = try await Self.brand(api)
            for (order, partner) in [("P-1", brand.alice), ("P-2", brand.ben)] {
                let clk = try Self.click(api.store, offer: brand.offer, partner: partner)
                _ = try await api.get("/v1/postback?token=\(brand.token)&clk=\(clk)&order_id=\(order)&amount=10.00", auth: .none)
            }
            let csv = try await api.get("/v1/payments/due?format=csv")
            #expect(csv.status == 200)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.headers[.contentDisposition]?.contains("attachment; filename=\"payouts-due-") == true)
            let lines = csv.text.components(separatedBy: "\r\n")
            #expect(lines[0] == "partner_id,partner_code,name,email,amount,currency,commissions")
            #expect(lines[1] == "\(brand.alice),alice,Alice,alice@example.com,1.20,USD,2", "1.00 direct and 0.20 from Ben")
            #expect(lines[2] == "\(brand.ben),ben,Ben,ben@example.com,1.00,USD,1")

            let onlyBen = try await api.post("/v1/payments", ["partner_ids": [brand.ben]])
            #expect(onlyBen.array("items").count == 1 && onlyBen.int("items.0.amount") == 100)
            #expect(try await api.post("/v1/payments", ["partner_ids": [999]]).errorField == "partner_ids")
            #expect(try await api.post("/v1/payments", ["offer_id": "x"]).status == 400)
            #expect(try await api.get("/v1/payments/due").int("total") == 120)
            let history = try await api.get("/v1/payments?format=csv")
            #expect(history.text.components(separatedBy: "\r\n")[1].hasPrefix("1,\(brand.ben),1.00,USD,,,1,"))
            #expect(try await api.get("/v1/payments/due", auth: .ops).status == 403)
            #expect(try await api.post("/v1/payments", [String: Any](), auth: .ops).status == 403)
        }
    }

    @Test func conversionsAreListedWithFilters() async throws {
        try await APIFixture.run { api in
            let brand = try await Self.brand(api)
            for (order, partner) in [("L-1", brand.alice), ("L-2", brand.ben), ("L-3", brand.ben)] {
                let clk = try Self.click(api.store, offer: brand.offer, partner: partner)
                _ = try await api.get("/v1/postback?token=\(brand.token)&clk=\(clk)&order_id=\(order)&amount=10.00", auth: .none)
            }
            #expect(try await api.get("/v1/conversions?partner_id=\(brand.ben)").array("items").count == 2)
            #expect(try await api.get("/v1/conversions?offer_id=\(brand.offer)&limit=2").string("next_cursor") != nil)
            #expect(try await api.get("/v1/conversions?from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z").array("items").isEmpty)
            #expect(try await api.get("/v1/conversions?status=accepted").array("items").count == 3)
            #expect(try await api.get("/v1/conversions?status=lost").errorField == "status")
            #expect(try await api.get("/v1/conversions/999").status == 404)
            #expect(try await api.get("/v1/conversions", auth: .none).status == 401)
        }
    }
}

/// Where test times come from.
enum Timestamp {
    static func nowForTests() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
