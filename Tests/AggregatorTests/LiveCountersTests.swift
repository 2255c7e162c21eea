import Aggregator
import ClickModel
import Domain
import Testing

func click(
    at milliseconds: UInt64, offer: UInt32 = 1, link: UInt32 = 10, credited: UInt32 = 100, ad: UInt32 = 0,
    outcome: ClickOutcome = .billable, client: UInt64 = 1, sequence: inout ClickIDGenerator
) -> ClickRecord {
    ClickRecord(id: sequence.next(milliseconds: milliseconds), clientHash: client, offerID: offer, linkID: link,
                creditedPartnerID: outcome == .billable || outcome == .bot ? credited : 0,
                generatingPartnerID: credited, adID: ad, outcome: outcome)
}

@Suite("Live counters")
struct LiveCountersTests {
    static let t0: UInt64 = 1_800_000_000_000 - 1_800_000_000_000 % 86_400_000 + 3_600_000  // 01:00 UTC

    func record(_ counters: LiveCounters, _ record: ClickRecord) -> Bool {
        withUnsafePointer(to: record) { counters.record($0) }
    }

    @Test func countsByOutcomeOfferPartnerAndKey() {
        let counters = LiveCounters()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        _ = record(counters, click(at: Self.t0, client: 1, sequence: &ids))
        _ = record(counters, click(at: Self.t0, ad: 5, client: 2, sequence: &ids))
        _ = record(counters, click(at: Self.t0, outcome: .bot, sequence: &ids))
        _ = record(counters, click(at: Self.t0, offer: 2, link: 20, outcome: .unattributed, sequence: &ids))
        _ = record(counters, click(at: Self.t0, offer: 2, link: 20, outcome: .inactive, sequence: &ids))

        #expect(counters.totals == OutcomeCounts(clicks: 5, billable: 2, unique: 2, bot: 1, unattributed: 1, inactive: 1))
        #expect(counters.byOffer[1]?.counts == OutcomeCounts(clicks: 3, billable: 2, unique: 2, bot: 1, unattributed: 0, inactive: 0))
        #expect(counters.byOffer[2]?.counts == OutcomeCounts(clicks: 2, billable: 0, unique: 0, bot: 0, unattributed: 1, inactive: 1))
        #expect(counters.byCreditedPartner[100]?.counts.clicks == 3)
        #expect(counters.byLinkPartnerAd[LinkPartnerAd(linkID: 10, partnerID: 100, adID: 5)]?.billable == 1)
        #expect(counters.byLinkPartnerAd[LinkPartnerAd(linkID: 10, partnerID: 100, adID: 0)]?.clicks == 2)
    }

    @Test func uniqueIsTheFirstBillableClickOfAClientPerLinkPartnerAndDay() {
        let counters = LiveCounters()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        #expect(record(counters, click(at: Self.t0, client: 7, sequence: &ids)))
        #expect(!record(counters, click(at: Self.t0 + 1000, client: 7, sequence: &ids)), "same client, link, partner, day")
        #expect(record(counters, click(at: Self.t0 + 2000, link: 11, client: 7, sequence: &ids)), "another link")
        #expect(record(counters, click(at: Self.t0 + 3000, credited: 101, client: 7, sequence: &ids)), "another partner")
        #expect(!record(counters, click(at: Self.t0 + 4000, outcome: .bot, client: 8, sequence: &ids)), "bots are never unique")
        #expect(record(counters, click(at: Self.t0 + 86_400_000, client: 7, sequence: &ids)), "the next UTC day")
        #expect(counters.totals.unique == 4)
    }

    @Test func ratesCountCompleteSeconds() {
        let counters = LiveCounters()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        for second in 0..<10 {
            for i in 0..<(second + 1) { _ = record(counters, click(at: Self.t0 + UInt64(second * 1000 + i), sequence: &ids)) }
        }
        let now = Int64(Self.t0) + 10_000
        #expect(counters.clicksPerSecond(over: 1, now: now) == 10)
        #expect(counters.clicksPerSecond(over: 10, now: now) == 5.5)
        #expect(counters.clicksPerSecond(over: 60, now: now) == 55.0 / 60)
        #expect(counters.clicksPerSecond(over: 1, now: now + 5_000) == 0, "old seconds do not count")
    }

    @Test func topOffersAndPartnersOfTheLastFiveMinutes() {
        let counters = LiveCounters()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        for _ in 0..<9 { _ = record(counters, click(at: Self.t0 - 400_000, offer: 3, credited: 300, sequence: &ids)) }
        for _ in 0..<3 { _ = record(counters, click(at: Self.t0, offer: 1, credited: 100, sequence: &ids)) }
        for _ in 0..<5 { _ = record(counters, click(at: Self.t0 + 60_000, offer: 2, credited: 200, sequence: &ids)) }
        let now = Int64(Self.t0) + 120_000
        #expect(counters.top(.offers, limit: 10, now: now).map(\.id) == [2, 1], "offer 3's clicks are older than five minutes")
        #expect(counters.top(.partners, limit: 1, now: now).map(\.clicks) == [5])
        #expect(counters.top(.offers, limit: 10, now: now).map(\.id) == [2, 1], "asking twice changes nothing")
        // Five minutes later, nothing is recent; a new click makes its offer active again.
        #expect(counters.top(.offers, limit: 10, now: now + 300_000).isEmpty)
        _ = record(counters, click(at: UInt64(now) + 300_000, offer: 1, credited: 100, sequence: &ids))
        #expect(counters.top(.offers, limit: 10, now: now + 300_000).map(\.clicks) == [1])
    }

    @Test func runsAreCountedInOrderWithTheirUniqueFlags() {
        let counters = LiveCounters()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        let clicks = (0..<100).map { i in click(at: Self.t0 + UInt64(i), client: UInt64(i % 30), sequence: &ids) }
        var flags: [Bool] = []
        clicks.withUnsafeBufferPointer { buffer in
            counters.record(buffer) { index, unique in
                #expect(index == flags.count)
                flags.append(unique)
            }
        }
        #expect(flags == (0..<100).map { $0 < 30 })
        #expect(counters.totals.clicks == 100)
    }

    @Test func minuteSeries() {
        let counters = LiveCounters()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        _ = record(counters, click(at: Self.t0, sequence: &ids))
        _ = record(counters, click(at: Self.t0 + 60_000, sequence: &ids))
        _ = record(counters, click(at: Self.t0 + 60_001, sequence: &ids))
        let series = counters.minuteSeries(count: 3, now: Int64(Self.t0) + 60_000)
        #expect(series.map(\.counts.clicks) == [0, 1, 2])
    }

    @Test func seedRestoresSumsAndTodaysUniques() {
        var seed = LiveCounterSeed()
        seed.totals = OutcomeCounts(clicks: 10, billable: 6, unique: 3, bot: 2, unattributed: 1, inactive: 1)
        seed.byOffer[1] = seed.totals
        seed.uniqueDay = Int64(Self.t0) / 86_400_000
        seed.uniqueFingerprints = [UniqueFingerprint.of(linkID: 10, creditedPartnerID: 100, clientHash: 7)]
        let counters = LiveCounters()
        counters.seed(seed)
        var ids = ClickIDGenerator(node: 0, worker: 0)
        #expect(!record(counters, click(at: Self.t0 + 5, client: 7, sequence: &ids)), "seen earlier today, before the restart")
        #expect(counters.totals.clicks == 11)
        #expect(counters.byOffer[1]?.counts.billable == 7)
    }
}

@Suite("Flat hash map")
struct FlatMapTests {
    @Test func growsAndKeepsEveryEntry() {
        let map = FlatMap<UInt64, Int64>()
        for key in 1...10_000 as ClosedRange<UInt64> { map.update(key, initial: 0) { $0 += Int64(key) } }
        for key in 1...10_000 as ClosedRange<UInt64> { map.update(key, initial: 0) { $0 += 1 } }
        #expect(map.count == 10_000)
        #expect(map[5_000] == 5_001)
        #expect(map[10_001] == nil)
        var sum: Int64 = 0
        map.forEach { _, value in sum += value }
        #expect(sum == (1...10_000).reduce(0, +) + 10_000)
        #expect(!map.insert(1, value: 0))
        #expect(map.insert(20_000, value: 0))
        map.removeAll()
        #expect(map.count == 0 && map[1] == nil)
    }
}
