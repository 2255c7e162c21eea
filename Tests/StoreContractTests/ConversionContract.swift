import ClickModel
import Domain
import Foundation
import GRDB
import Store
import StorePostgres
import StoreSQLite
import StoreTesting
import Testing

/// What conversions, commissions and payments must do on either database.
enum ConversionContract {
    typealias Conversions = ConversionStore & ClickStore & CatalogueWriter

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
    /// reports can read the rollups alone. `sums` runs a query of sums on the
    /// store's database and answers its one row (nil sums as 0).
    static func rollupsAlwaysEqualTheRawRows(_ store: SQLStore, sums: (String) throws -> [Int64]) async throws {
        let offer = try await store.createOffer(Offer(name: "O")).id
        let parent = try await store.createPartner(Partner(name: "P", code: Code("p")!), tokenHash: nil).id
        let child = try await store.createPartner(Partner(name: "C", code: Code("c")!, parentID: parent), tokenHash: nil).id
        try await store.addMember(offerID: offer, partnerID: child, dashboardToken: CatalogueContract.token)

        var ids = ClickIDGenerator(node: 0, worker: 0)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var conversionIDs: [Int64] = []
        for order in 0..<6 {
            let id = ids.next(milliseconds: UInt64(now - 60_000))
            var batch = ClickBatch()
            batch.append(ClickRecord(id: id, offerID: offer, linkID: 1, creditedPartnerID: child, generatingPartnerID: child), unique: false)
            try store.backend.write(batch, nodeID: 0)
            let request = ConversionRequest(offerID: offer, orderID: "o-\(order)", amount: Money(minorUnits: 1_000 + Int64(order) * 333, currency: .usd),
                                            source: .postback, clickID: id.description, now: now + Int64(order) * 61_000)
            guard case .created(let conversion) = try await store.recordConversion(request, plan: plan) else {
                Issue.record("order \(order) was not created")
                return
            }
            #expect(conversion.partnerID == child && conversion.commissions.count == 2)
            #expect(try await store.conversion(id: conversion.id) == conversion, "the answer is what was stored")
            conversionIDs.append(conversion.id)
            guard case .existing(let existing) = try await store.recordConversion(request, plan: plan) else {
                Issue.record("a repeated order was recorded again")
                return
            }
            #expect(existing == conversion)
        }
        _ = try await store.reverseConversion(id: conversionIDs[0], at: now)
        // Review: a rejected conversion's lines leave the sums and are never paid; one rejected and
        // approved again is back in them. A reversed one takes no decision.
        func decide(_ index: Int, _ verdict: ReviewDecision.Verdict) async throws -> Conversion {
            try await store.review(ReviewDecision(conversionID: conversionIDs[index], verdict: verdict, reason: "checked", by: "test", at: now + 500_000))
        }
        #expect(try await decide(2, .reject).commissions.map(\.status) == [.rejected, .rejected])
        _ = try await decide(3, .reject)
        let back = try await decide(3, .approve)
        #expect(back.review == .approved && back.commissions.map(\.status) == [.approved, .approved])
        #expect(back.reviewLog.map(\.decision) == [.rejected, .approved] && back.reviewLog.map(\.by) == ["test", "test"])
        await #expect(throws: StoreError.self) { try await decide(0, .approve) }
        let payments = try await store.pay(PaymentQuery(now: now + 1_000_000), reference: "first")
        #expect(payments.map(\.partnerID) == [parent, child] && payments.map(\.reference) == ["first", "first"])
        #expect(try await store.payments(partnerID: child, afterID: 0, limit: 10).map(\.id) == [payments[1].id])
        _ = try await store.reverseConversion(id: conversionIDs[1], at: now)
        let twice = try await store.reverseConversion(id: conversionIDs[1], at: now)
        #expect(twice.status == .reversed)
        #expect(try await store.conversions(ConversionQuery(status: .reversed)).map(\.id) == [conversionIDs[0], conversionIDs[1]])

        let rollup = try sums("SELECT SUM(conversions), SUM(sales), SUM(commissions), SUM(paid) FROM conversion_rollups")
        let conversions = try sums("SELECT COUNT(*), SUM(amount) FROM conversions WHERE status = 'accepted'")
        let earned = try sums("SELECT SUM(amount) FROM commissions WHERE status != 'reversed'")[0]
        let paid = try sums("SELECT SUM(amount) FROM commissions WHERE status = 'paid'")[0]
        let rejected = try sums("SELECT SUM(amount) FROM commissions WHERE status = 'rejected'")[0]
        #expect(rollup[0] == conversions[0] && rollup[1] == conversions[1] && rollup[2] == earned - rejected && rollup[3] == paid)
        #expect(rejected > 0)
        #expect(conversions[0] == 4)
        // The daily rollups agree with the per-minute ones.
        #expect(try sums("SELECT SUM(conversions), SUM(sales), SUM(commissions), SUM(paid) FROM offer_daily") == rollup)
        #expect(try sums("SELECT SUM(commissions), SUM(paid) FROM member_daily") == [earned - rejected, paid])
        // Per partner too: the child's and the parent's lines are theirs.
        for partner in [parent, child] {
            #expect(try sums("SELECT SUM(commissions) FROM conversion_rollups WHERE partner_id = \(partner)")
                == sums("SELECT SUM(amount) FROM commissions WHERE status NOT IN ('reversed', 'rejected') AND partner_id = \(partner)"))
        }
        // After the payment, the second reversal left negative balances due.
        let due = try await store.paymentsDue(PaymentQuery(now: now + 2_000_000))
        #expect(due.map(\.amount.minorUnits) == [-100, -133])
    }

    /// A postback's token finds its offer, and nothing else does.
    static func postbackTokensFindTheirOffer(_ store: SQLStore) async throws {
        let offer = try await store.createOffer(Offer(name: "O", postbackToken: "clb_secret")).id
        #expect(try await store.offer(postbackToken: "clb_secret")?.id == offer)
        #expect(try await store.offer(postbackToken: "clb_secreT") == nil)
        #expect(try await store.offer(postbackToken: "") == nil)
    }
}

@Suite("Conversion contract")
struct ConversionContractSuites {
    @Test func onSQLite() async throws {
        try await TestStores.sqlite { store, path in
            let queue = try DatabaseQueue(path: path)
            try await ConversionContract.rollupsAlwaysEqualTheRawRows(store) { sql in
                try queue.read { db in try Row.fetchOne(db, sql: sql)!.databaseValues.map { Int64.fromDatabaseValue($0) ?? 0 } }
            }
            try await ConversionContract.postbackTokensFindTheirOffer(store)
        }
    }

    @Test(.needsPostgres)
    func onPostgreSQL() async throws {
        try await TestStores.postgres { store, database in
            try await ConversionContract.rollupsAlwaysEqualTheRawRows(store) { sql in
                try TestPostgres.psql(database, sql).split(separator: "|", omittingEmptySubsequences: false).map { Int64($0) ?? 0 }
            }
            try await ConversionContract.postbackTokensFindTheirOffer(store)
        }
    }
}
