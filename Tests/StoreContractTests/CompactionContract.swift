import ClickModel
import Domain
import Foundation
import Store
import StorePostgres
import StoreSQLite
import StoreTesting
import Testing

/// Rollups compacted per finished period read the same as the minutes they
/// came from, and clicks written late for a compacted period are not lost: on either database.
enum CompactionContract {
    typealias Readers = ClickStore & ClickStatsStore & ReportStore & CatalogueWriter

    static func readersAgreeBeforeAndAfterCompaction(_ store: SQLStore) async throws {
        let offer = try await store.createOffer(Offer(name: "O")).id
        let destination = try Destination(validating: "https://shop.example.com/")
        let spring = try await store.createLink(TrackingLink(offerID: offer, code: Code("spring")!, destination: destination)).id
        let summer = try await store.createLink(TrackingLink(offerID: offer, code: Code("summer")!, destination: destination)).id
        let parent = try await store.createPartner(Partner(name: "P", code: Code("paula")!), tokenHash: nil).id
        let child = try await store.createPartner(Partner(name: "C", code: Code("carl")!, parentID: parent), tokenHash: nil).id
        let ad = try await store.createAd(Ad(partnerID: parent, code: Code("news")!, name: "News")).id
        try await store.addMember(offerID: offer, partnerID: parent, dashboardToken: CatalogueContract.token)
        try await store.addMember(offerID: offer, partnerID: child, dashboardToken: CatalogueContract.token)

        // Two days of clicks, 90 minutes apart: the parent's own, with its ad, and its child's.
        let day: Int64 = 20_400
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var batch = ClickBatch()
        for step in 0..<32 {
            let at = UInt64(day * 86_400_000 + Int64(step) * 5_400_000)
            let credited = step % 3 == 0 ? child : parent
            batch.append(ClickStoreContract.click(&ids, at: at, offer: offer, link: step % 2 == 0 ? spring : summer, partner: parent,
                                                 ad: step % 4 == 0 ? ad : 0, client: UInt64(step)).credited(to: credited), unique: step % 5 == 0)
        }
        try store.backend.write(batch, nodeID: 0)

        let from = day * 86_400_000 + 1_800_000, to = (day + 2) * 86_400_000 - 600_000  // partial hours at both ends
        let queries = [[], [ClickStatsDimension.link], [.ad], [.child], [.link, .ad, .child]].flatMap { dimensions in
            [parent, child].map { PartnerClickStatsQuery(partnerID: $0, from: from, to: to, dimensions: dimensions) }
        }
        let report = ReportQuery(from: day * 86_400_000, to: (day + 2) * 86_400_000, now: (day + 2) * 86_400_000)
        func statistics() async throws -> [[ClickStatsRow]] {
            var rows: [[ClickStatsRow]] = []
            for query in queries { rows.append(try await store.partnerClickStats(query)) }
            return rows
        }
        let before = try await statistics()
        let membersBefore = try await store.memberReport(offerID: offer, report, text: nil)
        let offersBefore = try await store.offerReport(report)
        #expect(offersBefore.map(\.sums.clicks) == [32])
        #expect(before[0].first?.counts.clicks == 31, "the first click is before the range")
        #expect(before[1].first?.counts.clicks == 10, "the child's own view: the clicks credited to it")
        #expect(before[6].map(\.childCode) == [nil, "carl"])
        #expect(membersBefore.map(\.clicks).sorted() == [11, 21])

        // A round at a time, a day's worth of hours each, until every finished period is done.
        var rounds = 0
        while true {
            rounds += 1
            let round = try store.backend.compactRollups(now: (day + 3) * 86_400_000, limit: 24)
            if round.isComplete { break }
            #expect(round.hours == 24)
            // Half-way, the readers still agree: compacted hours from the table, the rest by the minute.
            #expect(try await statistics() == before)
        }
        #expect(rounds == 3, "three days of hours, 24 at a time")
        #expect(try await statistics() == before)
        #expect(try await store.memberReport(offerID: offer, report, text: nil) == membersBefore)
        #expect(try await store.offerReport(report) == offersBefore)
        #expect(try await store.dailySeries(report).map(\.clicks) == [16, 16])

        // A click written now for the first hour, which is compacted, is counted.
        var late = ClickBatch()
        late.append(ClickStoreContract.click(&ids, at: UInt64(day * 86_400_000 + 2_000_000), offer: offer, link: spring, partner: parent, client: 99)
            .credited(to: child), unique: false)
        try store.backend.write(late, nodeID: 0)
        #expect(try await store.partnerClickStats(queries[0]).first?.counts.clicks == 32)
        #expect(try await store.partnerClickStats(queries[1]).first?.counts.clicks == 11)
        #expect(try await store.memberReport(offerID: offer, report, text: nil).map(\.clicks).sorted() == [12, 21])
        #expect(try await store.offerReport(report).map(\.sums.clicks) == [33])
    }
}

@Suite("Compaction contract")
struct CompactionContractSuites {
    @Test func onSQLite() async throws {
        try await TestStores.sqlite { store, _ in try await CompactionContract.readersAgreeBeforeAndAfterCompaction(store) }
    }

    @Test(.needsPostgres)
    func onPostgreSQL() async throws {
        try await TestStores.postgres { store, _ in try await CompactionContract.readersAgreeBeforeAndAfterCompaction(store) }
    }
}

extension ClickRecord {
    /// The same click, credited to another partner than the one that generated it.
    func credited(to partner: UInt32) -> ClickRecord {
        var record = self
        record.creditedPartnerID = partner
        return record
    }
}
