import ClickModel
import Foundation
import GRDB
import Store
import StoreSQLite
import Testing

@Suite("Conversion store")
struct ConversionStoreTests {
    /// Credits the click's partner with 10 % and its parent with a flat 1.00.
    static func plan(_ evidence: ConversionEvidence) -> ConversionPlan {
        guard let click = evidence.candidates.click, click.found, click.partnerID != 0 else {
            return ConversionPlan(decision: AttributionDecision(winner: .none, partnerID: nil, policy: .codeFirst, reason: "none"), lines: [])
        }
        var lines = [CommissionLine(partnerID: click.partnerID, minorUnits: evidence.amount.minorUnits / 10, kind: .direct)]
        if let parent = evidence.terms[click.partnerID]?.parentID {
            lines.append(CommissionLine(partnerID: parent, minorUnits: 100, kind: .parentOverride))
        }
        return ConversionPlan(decision: AttributionDecision(winner: .click, partnerID: click.partnerID, policy: .codeFirst, reason: "click"),
                              lines: lines)
    }

    /// Whatever happens to conversions (recorded, repeated, reversed before and
    /// after payment, paid), the rollups equal sums over the raw rows, so
    /// reports can read the rollups alone.
    @Test func rollupsAlwaysEqualTheRawRows() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let offer = try store.createOffer(Offer(name: "O")).id
        let parent = try store.createPartner(Partner(name: "P", code: Code("p")!), tokenHash: nil).id
        let child = try store.createPartner(Partner(name: "C", code: Code("c")!, parentID: parent), tokenHash: nil).id
        try store.addMember(offerID: offer, partnerID: child, dashboardToken: testToken)

        var ids = ClickIDGenerator(node: 0, worker: 0)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var conversionIDs: [Int64] = []
        for order in 0..<6 {
            let id = ids.next(milliseconds: UInt64(now - 60_000))
            var batch = ClickBatch()
            batch.append(ClickRecord(id: id, offerID: offer, linkID: 1, creditedPartnerID: child, generatingPartnerID: child), unique: false)
            try store.write(batch, nodeID: 0)
            let request = ConversionRequest(offerID: offer, orderID: "o-\(order)", amount: Money(minorUnits: 1_000 + Int64(order) * 333, currency: .usd),
                                            source: .postback, clickID: id.description, now: now + Int64(order) * 61_000)
            guard case .created(let conversion) = try store.recordConversion(request, plan: Self.plan) else {
                Issue.record("order \(order) was not created")
                return
            }
            conversionIDs.append(conversion.id)
            guard case .existing = try store.recordConversion(request, plan: Self.plan) else {
                Issue.record("a repeated order was recorded again")
                return
            }
        }
        _ = try store.reverseConversion(id: conversionIDs[0], at: now)
        _ = try store.pay(PaymentQuery(now: now + 1_000_000), reference: "first")
        _ = try store.reverseConversion(id: conversionIDs[1], at: now)
        _ = try store.reverseConversion(id: conversionIDs[1], at: now)

        let queue = try DatabaseQueue(path: store.path)
        try queue.read { db in
            let rollup = try Row.fetchOne(db, sql: "SELECT SUM(conversions), SUM(sales), SUM(commissions), SUM(paid) FROM conversion_rollups")!
            let conversions = try Row.fetchOne(db, sql: "SELECT COUNT(*), SUM(amount) FROM conversions WHERE status = 'accepted'")!
            let earned = try Int64.fetchOne(db, sql: "SELECT SUM(amount) FROM commissions WHERE status != 'reversed'")!
            let paid = try Int64.fetchOne(db, sql: "SELECT SUM(amount) FROM commissions WHERE status = 'paid'")!
            #expect(rollup[0] as Int64 == conversions[0] as Int64)
            #expect(rollup[1] as Int64 == conversions[1] as Int64)
            #expect(rollup[2] as Int64 == earned)
            #expect(rollup[3] as Int64 == paid)
            #expect(conversions[0] as Int64 == 4)
            // The daily rollups agree with the per-minute ones.
            let daily = try Row.fetchOne(db, sql: "SELECT SUM(conversions), SUM(sales), SUM(commissions), SUM(paid) FROM offer_daily")!
            for column in 0..<4 { #expect(daily[column] as Int64 == rollup[column] as Int64) }
            let perMember = try Row.fetchOne(db, sql: "SELECT SUM(commissions), SUM(paid) FROM member_daily")!
            #expect(perMember[0] as Int64 == earned && perMember[1] as Int64 == paid)
            // Per partner too: the child's and the parent's lines are theirs.
            for partner in [parent, child] {
                let rolled = try Int64.fetchOne(db, sql: "SELECT SUM(commissions) FROM conversion_rollups WHERE partner_id = ?", arguments: [partner])
                let raw = try Int64.fetchOne(db, sql: "SELECT SUM(amount) FROM commissions WHERE status != 'reversed' AND partner_id = ?",
                                             arguments: [partner])
                #expect(rolled == raw)
            }
        }
        // After the payment, the second reversal left negative balances due.
        let due = try store.paymentsDue(PaymentQuery(now: now + 2_000_000))
        #expect(due.map(\.amount.minorUnits) == [-100, -133])
    }
}
