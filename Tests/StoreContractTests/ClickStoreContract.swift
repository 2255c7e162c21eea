import ClickModel
import Domain
import Foundation
import Store
import Testing

/// What every `ClickStore` must do, whatever its database: each test takes a
/// fresh, empty store and is run by one suite per implementation.
enum ClickStoreContract {
    static let day: Int64 = 20_410
    static var noon: UInt64 { UInt64(day * 86_400_000 + 43_200_000) }

    static func click(_ ids: inout ClickIDGenerator, at milliseconds: UInt64, offer: UInt32 = 1, link: UInt32 = 10,
                      partner: UInt32 = 100, ad: UInt32 = 0, outcome: ClickOutcome = .billable, client: UInt64 = 1) -> ClickRecord {
        ClickRecord(id: ids.next(milliseconds: milliseconds), clientHash: client, offerID: offer, linkID: link,
                    creditedPartnerID: partner, generatingPartnerID: partner, adID: ad, outcome: outcome)
    }

    /// Every click of a batch spanning several pages is stored and found by its id, sub ids and all.
    static func everyClickIsStoredAndFound(_ store: SQLStore) async throws {
        var ids = ClickIDGenerator(node: 3, worker: 1)
        var batch = ClickBatch()
        var written: [ClickRecord] = []
        for index in 0..<700 {
            let record = click(&ids, at: noon + UInt64(index), offer: UInt32(1 + index % 3), link: UInt32(10 + index % 5),
                               partner: UInt32(100 + index % 7), ad: index % 4 == 0 ? 9 : 0,
                               outcome: index % 10 == 0 ? .bot : .billable, client: UInt64(index))
            var subIDs = SubIDs()
            subIDs.set(0, "s\(index)")
            batch.append(record, subIDs: index % 2 == 0 ? subIDs : nil, unique: index % 3 == 0)
            written.append(record)
        }
        try store.backend.write(batch, nodeID: 3)
        #expect(try store.backend.storedClickCount() == 700)
        for (index, record) in written.enumerated() where index % 37 == 0 || index == 699 {
            let found = try #require(try await store.click(id: record.id), "click \(index) not found")
            #expect(found.offerID == record.offerID && found.linkID == record.linkID && found.adID == record.adID)
            #expect(found.outcome == record.outcome)
            #expect(found.subIDValues.first.flatMap { $0 } == (index % 2 == 0 ? "s\(index)" : nil))
        }
        var other = ClickIDGenerator(node: 4, worker: 1)
        #expect(try await store.click(id: other.next(milliseconds: noon)) == nil)
    }

    /// Listing pages through every stored click once, in the order written,
    /// whatever the page size; filters and a time range pick the same clicks
    /// a scan does.
    static func clicksAreListedOnceEachInTheOrderWritten(_ store: SQLStore) async throws {
        var ids = ClickIDGenerator(node: 3, worker: 1)
        var written: [ClickRecord] = []
        for (size, start) in [(700, noon), (5, noon + 10_000), (300, noon + 20_000)] {
            var batch = ClickBatch()
            for index in 0..<size {
                var record = click(&ids, at: start + UInt64(index), offer: UInt32(1 + index % 3), link: UInt32(10 + index % 5),
                                   partner: UInt32(100 + index % 7), outcome: index % 10 == 0 ? .bot : .billable, client: UInt64(index))
                if record.outcome == .bot { record.botReason = .head }
                batch.append(record, subIDs: nil, unique: false)
                written.append(record)
            }
            try store.backend.write(batch, nodeID: 3)
        }
        func list(_ query: ClickQuery) async throws -> [ClickID] {
            var query = query
            var found: [ClickID] = []
            var listings = 0
            repeat {
                let listing = try await store.clicks(query)
                #expect(listing.clicks.count <= query.limit)
                found += listing.clicks.map(\.id)
                query.after = listing.next
                listings += 1
            } while query.after != nil && listings < 100
            return found
        }
        let everything = ClickQuery(from: 0, to: Int64(noon) + 86_400_000, limit: 97)
        #expect(try await list(everything) == written.map(\.id))

        var some = ClickQuery(from: Int64(noon) + 100, to: Int64(noon) + 20_050, offerID: 2, limit: 1000)
        some.partnerID = 101
        let expected = written.filter { $0.milliseconds >= noon + 100 && $0.milliseconds < noon + 20_050 && $0.offerID == 2 && $0.creditedPartnerID == 101 }
        #expect(!expected.isEmpty)
        #expect(try await list(some) == expected.map(\.id))
        let bots = try await list(ClickQuery(from: 0, to: Int64(noon) + 86_400_000, flaggedOnly: true, limit: 7))
        #expect(bots == written.filter { $0.outcome == .bot }.map(\.id))
        #expect(try await list(ClickQuery(from: Int64(noon) + 86_400_000, to: Int64(noon) + 2 * 86_400_000)).isEmpty)
    }

    /// The live counters' seed holds exactly the sums of what was written, and today's unique clicks.
    static func theSeedHoldsTheSumsOfWhatWasWritten(_ store: any ClickStore) throws {
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var batch = ClickBatch()
        batch.append(click(&ids, at: noon, offer: 1, partner: 100, client: 1), unique: true)
        batch.append(click(&ids, at: noon + 1, offer: 1, partner: 100, client: 1), unique: false)
        batch.append(click(&ids, at: noon + 2, offer: 2, partner: 200, ad: 5, client: 2), unique: true)
        batch.append(click(&ids, at: noon + 3, offer: 2, partner: 0, outcome: .unattributed), unique: false)
        batch.append(click(&ids, at: noon + 4, offer: 2, partner: 200, outcome: .bot), unique: false)
        try store.write(batch, nodeID: 0)
        var second = ClickBatch()
        second.append(click(&ids, at: noon + 60_000, offer: 1, partner: 100, client: 3), unique: true)
        try store.write(second, nodeID: 0)

        let seed = try store.liveCounterSeed(now: Int64(noon) + 120_000)
        #expect(seed.totals == OutcomeCounts(clicks: 6, billable: 4, unique: 3, bot: 1, unattributed: 1, inactive: 0))
        #expect(seed.byOffer[1]?.clicks == 3 && seed.byOffer[2]?.clicks == 3)
        #expect(seed.byCreditedPartner[100]?.billable == 3 && seed.byCreditedPartner[200]?.clicks == 2 && seed.byCreditedPartner[0] == nil)
        #expect(seed.byLinkPartnerAd[LinkPartnerAd(linkID: 10, partnerID: 200, adID: 5)]?.unique == 1)
        #expect(seed.byMinute.values.reduce(0) { $0 + $1.clicks } == 6)
        #expect(seed.byMinute[Int64(noon) / 60_000 + 1]?.clicks == 1)
        #expect(seed.uniqueDay == day)
        #expect(Set(seed.uniqueFingerprints).count == 3)
    }

    /// Rollups of one key written by several batches count once each, before
    /// and after the store tidies finished minutes, and for a minute written
    /// again after that.
    static func rollupsOfOneKeyFromManyBatchesAddUp(_ store: any ClickStore) throws {
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var nextMinute = ClickIDGenerator(node: 0, worker: 1)  // a generator's ids never go back in time
        for index in 0..<5 {
            var batch = ClickBatch()
            batch.append(click(&ids, at: noon + UInt64(index * 100), client: UInt64(index)), unique: index == 0)
            batch.append(click(&nextMinute, at: noon + 60_000 + UInt64(index), ad: 7), unique: false)
            try store.write(batch, nodeID: 0)
        }
        let expected = OutcomeCounts(clicks: 10, billable: 10, unique: 1, bot: 0, unattributed: 0, inactive: 0)
        #expect(try store.liveCounterSeed(now: Int64(noon)).totals == expected)
        _ = try store.compactRollups(now: Int64(noon) + 600_000, limit: 24)
        var seed = try store.liveCounterSeed(now: Int64(noon) + 600_000)
        #expect(seed.totals == expected)
        #expect(seed.byMinute[Int64(noon) / 60_000]?.clicks == 5 && seed.byMinute[Int64(noon) / 60_000 + 1]?.clicks == 5)
        #expect(seed.byLinkPartnerAd[LinkPartnerAd(linkID: 10, partnerID: 100, adID: 7)]?.clicks == 5)
        var late = ClickBatch()
        late.append(click(&ids, at: noon + 500), unique: false)
        try store.write(late, nodeID: 0)
        _ = try store.compactRollups(now: Int64(noon) + 600_000, limit: 24)
        seed = try store.liveCounterSeed(now: Int64(noon) + 600_000)
        #expect(seed.totals.clicks == 11 && seed.byMinute[Int64(noon) / 60_000]?.clicks == 6)
    }

    /// A batch holding a click already stored is refused whole.
    static func aBatchWithAStoredClickIsRefusedWhole(_ store: any ClickStore) throws {
        var ids = ClickIDGenerator(node: 0, worker: 0)
        let first = click(&ids, at: noon)
        var batch = ClickBatch()
        batch.append(first, unique: false)
        try store.write(batch, nodeID: 0)
        var again = ClickBatch()
        again.append(first, unique: false)
        again.append(click(&ids, at: noon + 10), unique: false)
        #expect(throws: (any Error).self) { try store.write(again, nodeID: 0) }
        #expect(try store.storedClickCount() == 1)
        #expect(try store.liveCounterSeed(now: Int64(noon)).totals.clicks == 1, "the refused batch's rollups are not there either")
    }

    /// Old pages go, oldest first, no more than the limit but at least a page.
    static func oldClicksAreDeletedByWholePages(_ store: any ClickStore) throws {
        var ids = ClickIDGenerator(node: 0, worker: 0)
        for batchIndex in 0..<3 {
            var batch = ClickBatch()
            for index in 0..<10 { batch.append(click(&ids, at: noon + UInt64(batchIndex * 60_000 + index)), unique: false) }
            try store.write(batch, nodeID: 0)
        }
        #expect(try store.deleteClicks(before: Int64(noon) + 90_000, limit: 5) == 10, "one page, though over the limit")
        #expect(try store.deleteClicks(before: Int64(noon) + 90_000, limit: 100) == 10)
        #expect(try store.deleteClicks(before: Int64(noon) + 90_000, limit: 100) == 0)
        #expect(try store.storedClickCount() == 10)
        #expect(try store.liveCounterSeed(now: Int64(noon)).totals.clicks == 30, "rollups are kept")
    }

    /// Finished periods are compacted a limited number at a time, once each.
    static func finishedPeriodsAreCompactedOnce(_ store: any ClickStore) throws {
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var batch = ClickBatch()
        batch.append(click(&ids, at: UInt64(day * 86_400_000)), unique: false)
        try store.write(batch, nodeID: 0)
        let now = (day + 2) * 86_400_000
        #expect(try store.compactRollups(now: now, limit: 24) == RollupCompaction(days: 2, hours: 24, isComplete: false))
        #expect(try store.compactRollups(now: now, limit: 24) == RollupCompaction(days: 0, hours: 24, isComplete: true))
        #expect(try store.compactRollups(now: now, limit: 24) == RollupCompaction(days: 0, hours: 0, isComplete: true))
        // A late click for a compacted period is written like any other.
        var late = ClickBatch()
        late.append(click(&ids, at: UInt64(day * 86_400_000 + 5)), unique: false)
        try store.write(late, nodeID: 0)
        #expect(try store.storedClickCount() == 2)
    }
}
