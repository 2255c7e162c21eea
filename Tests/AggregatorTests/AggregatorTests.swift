import Aggregator
import ClickModel
import ClickRing
import Logging
import Platform
import Store
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
    func storedClickCount() throws -> Int { batches.withLock { $0.reduce(0) { $0 + $1.count } } }
    func click(id: ClickID) throws -> StoredClickRow? { nil }

    var clicks: [StoredClick] { batches.withLock { $0.flatMap(\.clicks) } }
}

@Suite("Aggregator and click writer")
struct AggregatorTests {
    let logger = Logger(label: "test")

    @Test func everyPushedClickIsCountedAndWrittenOnceInOrderPerRing() throws {
        let store = MemoryClickStore()
        let rings = [SPSCRing<ClickRecord>(capacity: 1024), SPSCRing<ClickRecord>(capacity: 1024)]
        let writer = ClickWriter(store: store, nodeID: 0, retentionDays: nil, logger: logger)
        var configuration = AggregatorConfiguration()
        configuration.maxBatchClicks = 700
        let aggregator = Aggregator(rings: rings, writer: writer, seed: LiveCounterSeed(), configuration: configuration, logger: logger)
        aggregator.start()

        var generators = [ClickIDGenerator(node: 0, worker: 0), ClickIDGenerator(node: 0, worker: 1)]
        let now = UInt64(Clocks.wallClockMilliseconds())
        var pushed = 0
        for i in 0..<5_000 {
            let worker = i % 2
            let record = ClickRecord(id: generators[worker].next(milliseconds: now), clientHash: UInt64(i % 50),
                                     offerID: 1, linkID: 10, creditedPartnerID: 100, generatingPartnerID: 100,
                                     workerID: UInt8(worker))
            while !rings[worker].tryPush(record) {}  // the test waits; the edge would drop
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
        #expect(aggregator.live.totals.clicks == Int64(pushed))
        #expect(aggregator.live.totals.unique == 50)
        #expect(aggregator.aggregatedClicks == pushed)
    }

    @Test func aBatchIsWrittenWithinTheFlushIntervalWithoutStopping() async throws {
        let store = MemoryClickStore()
        let ring = SPSCRing<ClickRecord>(capacity: 64)
        let writer = ClickWriter(store: store, nodeID: 0, retentionDays: nil, logger: logger)
        var configuration = AggregatorConfiguration()
        configuration.flushMilliseconds = 50
        let aggregator = Aggregator(rings: [ring], writer: writer, seed: LiveCounterSeed(), configuration: configuration, logger: logger)
        aggregator.start()
        defer { aggregator.stopAndDrain() }
        var ids = ClickIDGenerator(node: 0, worker: 0)
        #expect(ring.tryPush(ClickRecord(id: ids.next(milliseconds: UInt64(Clocks.wallClockMilliseconds())), offerID: 1, linkID: 1)))
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
        let ring = SPSCRing<ClickRecord>(capacity: 64)
        let writer = ClickWriter(store: store, nodeID: 0, retentionDays: nil, logger: logger)
        let aggregator = Aggregator(rings: [ring], writer: writer, seed: LiveCounterSeed(), logger: logger)
        aggregator.start()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        for _ in 0..<10 { #expect(ring.tryPush(ClickRecord(id: ids.next(milliseconds: UInt64(Clocks.wallClockMilliseconds())), offerID: 1, linkID: 1))) }
        aggregator.stopAndDrain()
        #expect(store.clicks.count == 10)
        #expect(writer.stats.snapshot().writeFailures == 3)
        #expect(writer.stats.snapshot().clicksLost == 0)
    }
}
