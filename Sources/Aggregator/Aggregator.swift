import Atomics
import ClickModel
import ClickRing
import Domain
import Logging
import Platform
import Synchronization

/// How the aggregator batches and publishes. Every default is documented.
public struct AggregatorConfiguration: Sendable {
    /// A batch is written at most this many milliseconds after its first click. Default 250.
    public var flushMilliseconds: Int = 250
    /// A batch is written once it holds this many clicks. Default 10,000.
    public var maxBatchClicks: Int = 10_000
    /// Clicks taken from one ring before moving to the next. Default 4,096.
    public var drainChunk: Int = 4_096
    /// Pause between passes over the rings unless one of them held a whole
    /// `drainChunk`, in microseconds. Default 2,000: at 100,000 clicks a
    /// second a pass takes about 200 clicks, the thread wakes 500 times a
    /// second instead of spinning against the edge for the cores, and a
    /// 65,536-click ring would take over half a second to fill.
    public var busySleepMicroseconds: Int = 2_000
    /// Pause after a pass that found every ring empty, in microseconds.
    /// Default 10,000: an idle service wakes a hundred times a second.
    public var idleSleepMicroseconds: Int = 10_000
    /// How often the live snapshot is refreshed, in milliseconds. Default 100.
    public var publishMilliseconds: Int = 100

    public init() {}
}

/// The aggregator: one thread that drains every edge worker's click channel in
/// batches, judges each billable click by the invalid-click checks, counts it
/// into the live counters, marks unique clicks and hands batches to the click
/// writer. Every worker's clicks pass the one thread, so the checks' per-address
/// counts are exact for the node.
///
/// Thread contract: `start()` and `stopAndDrain()` are called once each, from
/// one owner thread, in that order; `live` may be read from any thread. The
/// aggregator is the only consumer of every ring. `stopAndDrain()` must come
/// after the edge has stopped, so that the rings are drained to the very end.
public final class Aggregator: @unchecked Sendable {
    private let channels: [ClickChannel]
    private let writer: ClickWriter
    private let configuration: AggregatorConfiguration
    private let logger: Logger
    private let counters = LiveCounters()
    /// Nil when every check is off.
    private let invalidClicks: InvalidClicks?
    private let published = Mutex(LiveSnapshot())
    private let stopRequested = ManagedAtomic<Bool>(false)
    private let aggregated = ManagedAtomic<Int>(0)
    private var thread: OwnedThread?

    public init(channels: [ClickChannel], writer: ClickWriter, seed: LiveCounterSeed, invalidClicks rules: InvalidClickRules = .off,
                configuration: AggregatorConfiguration = .init(), logger: Logger) {
        self.channels = channels
        self.writer = writer
        self.configuration = configuration
        self.logger = logger
        counters.seed(seed)
        if rules.isOff {
            invalidClicks = nil
        } else {
            let judge = InvalidClicks(rules: rules)
            for click in seed.addressClicks { judge.seed(linkID: click.linkID, network: click.network, day: seed.uniqueDay) }
            invalidClicks = judge
        }
        publish(now: Clocks.wallClockMilliseconds())
    }

    /// The latest live figures (at most `publishMilliseconds` old).
    public var live: LiveSnapshot { published.withLock { $0 } }

    /// Clicks drained since start.
    public var aggregatedClicks: Int { aggregated.load(ordering: .relaxed) }

    public func start() {
        writer.start()
        thread = OwnedThread(name: "aggregator") { [self] in run() }
    }

    /// Drains every ring to the end, writes the last batch, waits for the
    /// writer to store everything and stops both threads.
    public func stopAndDrain() {
        // Releasing: whatever the edge pushed before it stopped is visible to the final drain.
        stopRequested.store(true, ordering: .releasing)
        thread?.join()
        thread = nil
        writer.finish()
        publish(now: Clocks.wallClockMilliseconds())
    }

    private func run() {
        var batch = writer.spareBatch(capacity: configuration.maxBatchClicks)
        var batchStartedAt: Int64 = 0
        var lastPublish: Int64 = 0
        while true {
            // Acquiring: pairs with `stopAndDrain`; checked before draining so the
            // last pass happens after the edge stopped.
            let stopping = stopRequested.load(ordering: .acquiring)
            var drained = 0
            var backedUp = false
            for channel in channels {
                // Never more than fits: a batch holds at most `maxBatchClicks`.
                let limit = min(configuration.drainChunk, configuration.maxBatchClicks - batch.count)
                let taken = channel.drain(limit: limit) { clicks in
                    let base = clicks.baseAddress!
                    // The aggregator is the ring's one consumer: the run is its own until `drain` returns.
                    invalidClicks?.judge(UnsafeMutableBufferPointer(mutating: clicks))
                    counters.record(clicks) { index, unique in
                        channel.withSubIDs(of: base + index) { batch.append(base + index, subIDs: $0, unique: unique) }
                    }
                }
                drained += taken
                if taken == limit { backedUp = true }
                if batch.isEmpty == false && batchStartedAt == 0 { batchStartedAt = Clocks.monotonicNanoseconds() }
                if batch.count >= configuration.maxBatchClicks {
                    writer.submit(batch)
                    batch = writer.spareBatch(capacity: configuration.maxBatchClicks)
                    batchStartedAt = 0
                }
            }
            if drained > 0 { aggregated.wrappingIncrement(by: drained, ordering: .relaxed) }

            let now = Clocks.monotonicNanoseconds()
            if !batch.isEmpty && now - batchStartedAt >= Int64(configuration.flushMilliseconds) * 1_000_000 {
                writer.submit(batch)
                batch = writer.spareBatch(capacity: configuration.maxBatchClicks)
                batchStartedAt = 0
            }
            if now - lastPublish >= Int64(configuration.publishMilliseconds) * 1_000_000 {
                lastPublish = now
                publish(now: Clocks.wallClockMilliseconds())
            }
            if stopping && drained == 0 {
                writer.submit(batch)
                return
            }
            if !backedUp {
                let pause = drained == 0 ? configuration.idleSleepMicroseconds : configuration.busySleepMicroseconds
                Clocks.sleep(nanoseconds: Int64(pause) * 1000)
            }
        }
    }

    private func publish(now: Int64) {
        var snapshot = LiveSnapshot()
        snapshot.generatedAt = now
        snapshot.clicksPerSecond1s = counters.clicksPerSecond(over: 1, now: now)
        snapshot.clicksPerSecond10s = counters.clicksPerSecond(over: 10, now: now)
        snapshot.clicksPerSecond60s = counters.clicksPerSecond(over: 60, now: now)
        snapshot.totals = counters.totals
        snapshot.topOffers = counters.top(.offers, limit: 10, now: now).map { LiveSnapshot.Ranked(id: $0.id, clicks: $0.clicks) }
        snapshot.topPartners = counters.top(.partners, limit: 10, now: now).map { LiveSnapshot.Ranked(id: $0.id, clicks: $0.clicks) }
        snapshot.lastHour = counters.minuteSeries(count: 60, now: now).map { $0.counts.clicks }
        published.withLock { $0 = snapshot }
    }
}

/// What the aggregator knows now, for `/v1/ops/live` and the dashboards.
public struct LiveSnapshot: Sendable {
    /// Milliseconds since the Unix epoch.
    public var generatedAt: Int64 = 0
    public var clicksPerSecond1s: Double = 0
    public var clicksPerSecond10s: Double = 0
    public var clicksPerSecond60s: Double = 0
    /// Every click since the store was created, by outcome.
    public var totals = OutcomeCounts()
    public var topOffers: [Ranked] = []
    public var topPartners: [Ranked] = []
    /// Clicks per minute for the last 60 minutes, oldest first.
    public var lastHour: [Int64] = []

    public struct Ranked: Sendable, Equatable {
        public var id: UInt32
        public var clicks: Int64
    }

    public init() {}
}
