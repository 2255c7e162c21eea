import Aggregator
import ClickModel
import ClickRing
import Domain
import Logging
import Platform
import Synchronization
import Testing

/// A click store in memory that records what it was given.
final class MemoryClickStore: ClickStore, Sendable {
    let batches = Mutex<[ClickBatch]>([])
    let failuresLeft = Mutex(0)

    func write(_ batch: ClickBatch, nodeID: Int) throws {
        try failuresLeft.withLock { left in
            if left > 0 {
                left -= 1
                throw StoreError(.unavailable, "store is down")
            }
        }
        batches.withLock { $0.append(batch) }
    }

    func liveCounterSeed(now: Int64) throws -> LiveCounterSeed { LiveCounterSeed() }
    func deleteClicks(before milliseconds: Int64, limit: Int) throws -> Int { 0 }
    func compactRollups(now: Int64, limit: Int) throws -> RollupCompaction { RollupCompaction(days: 0, hours: 0, isComplete: true) }
    func forEachClick(from: Int64, to: Int64, _ body: (ClickRecord) throws -> Void) throws {
        for batch in batches.withLock({ $0 }) {
            for click in batch.clicks where Int64(click.milliseconds) >= from && Int64(click.milliseconds) < to { try body(click) }
        }
    }
    func storedClickCount() throws -> Int { batches.withLock { $0.reduce(0) { $0 + $1.count } } }
    var clicks: [ClickRecord] { batches.withLock { $0.flatMap(\.clicks) } }
}

@Suite("Aggregator and click writer")
struct AggregatorTests {
    let logger = Logger(label: "test")

    @Test func everyPushedClickIsCountedAndWrittenOnceInOrderPerRing() throws {
        let store = MemoryClickStore()
        let channels = [ClickChannel(capacity: 1024), ClickChannel(capacity: 1024)]
        let writer = ClickWriter(store: store, nodeID: 0, retentionDays: nil, logger: logger)
        var configuration = AggregatorConfiguration()
        configuration.maxBatchClicks = 700
        let aggregator = Aggregator(channels: channels, writer: writer, seed: LiveCounterSeed(), configuration: configuration, logger: logger)
        aggregator.start()

        var generators = [ClickIDGenerator(node: 0, worker: 0), ClickIDGenerator(node: 0, worker: 1)]
        let now = UInt64(Clocks.wallClockMilliseconds())
        var pushed = 0
        for i in 0..<5_000 {
            let worker = i % 2
            let record = ClickRecord(id: generators[worker].next(milliseconds: now), clientHash: UInt64(i % 50),
                                     offerID: 1, linkID: 10, creditedPartnerID: 100, generatingPartnerID: 100,
                                     workerID: UInt8(worker))
            let hasSubIDs = i % 10 == 0
            // The test waits when a ring is full; the edge would drop.
            while !channels[worker].tryPush(hasSubIDs: hasSubIDs, { $0.initialize(to: record) }, subIDs: { subIDs in
                subIDs.initialize(to: SubIDs())
                subIDs.pointee.set(0, "click-\(i)")
            }) {}
            pushed += 1
        }
        aggregator.stopAndDrain()

        let clicks = store.clicks
        #expect(clicks.count == pushed)
        #expect(Set(clicks.map(\.id)).count == pushed, "no click written twice")
        #expect(store.batches.withLock { $0.allSatisfy { $0.count <= 700 } })
        for worker in 0..<2 {
            let ids = clicks.filter { $0.workerID == UInt8(worker) }.map(\.id)
            #expect(ids == ids.sorted(), "worker \(worker)'s clicks kept their order")
        }
        #expect(clicks.filter { $0.flags.contains(.unique) }.count == 50, "50 clients, one link and partner")
        // Every click kept its own sub ids.
        let batches = store.batches.withLock { $0 }
        var withSubIDs = 0
        for batch in batches {
            for (position, click) in batch.clicks.enumerated() where click.flags.contains(.hasSubIDs) {
                withSubIDs += 1
                let value = try #require(batch.subIDs(ofClickAt: position)?.value(0))
                let index = try #require(Int(value.dropFirst("click-".count)))
                #expect(index % 2 == Int(click.workerID), "the sub ids of a click of worker \(click.workerID)")
            }
        }
        #expect(withSubIDs == pushed / 10)
        #expect(aggregator.live.totals.clicks == Int64(pushed))
        #expect(aggregator.live.totals.unique == 50)
        #expect(aggregator.aggregatedClicks == pushed)
    }

    @Test func aBatchIsWrittenWithinTheFlushIntervalWithoutStopping() async throws {
        let store = MemoryClickStore()
        let channel = ClickChannel(capacity: 64)
        let writer = ClickWriter(store: store, nodeID: 0, retentionDays: nil, logger: logger)
        var configuration = AggregatorConfiguration()
        configuration.flushMilliseconds = 50
        let aggregator = Aggregator(channels: [channel], writer: writer, seed: LiveCounterSeed(), configuration: configuration, logger: logger)
        aggregator.start()
        defer { aggregator.stopAndDrain() }
        var ids = ClickIDGenerator(node: 0, worker: 0)
        let record = ClickRecord(id: ids.next(milliseconds: UInt64(Clocks.wallClockMilliseconds())), offerID: 1, linkID: 1)
        #expect(channel.tryPush(hasSubIDs: false, { $0.initialize(to: record) }, subIDs: { _ in }))
        var waited = 0
        while store.clicks.isEmpty && waited < 2_000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 10
        }
        #expect(store.clicks.count == 1)
        #expect(waited < 1_000, "written after \(waited) ms")
    }

    @Test func aFailingStoreIsRetriedAndLosesNothing() throws {
        let store = MemoryClickStore()
        store.failuresLeft.withLock { $0 = 3 }
        let channel = ClickChannel(capacity: 64)
        let writer = ClickWriter(store: store, nodeID: 0, retentionDays: nil, logger: logger)
        let aggregator = Aggregator(channels: [channel], writer: writer, seed: LiveCounterSeed(), logger: logger)
        aggregator.start()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        for _ in 0..<10 {
            let record = ClickRecord(id: ids.next(milliseconds: UInt64(Clocks.wallClockMilliseconds())), offerID: 1, linkID: 1)
            #expect(channel.tryPush(hasSubIDs: false, { $0.initialize(to: record) }, subIDs: { _ in }))
        }
        aggregator.stopAndDrain()
        #expect(store.clicks.count == 10)
        #expect(writer.stats.snapshot().writeFailures == 3)
        #expect(writer.stats.snapshot().clicksLost == 0)
    }
}
