import Atomics
import ClickModel
import Dispatch
import Domain
import Logging
import Metrics
import Platform
import Synchronization

/// The click writer: a thread that stores the aggregator's batches, in order,
/// one transaction per batch (clicks and their rollups together).
///
/// Thread contract: one thread (the aggregator's) calls `submit` and
/// `spareBatch`; `finish` is called once, after the last `submit`, from any
/// thread. The queue is bounded: when the store falls behind, `submit` blocks,
/// the aggregator stops draining, the edge rings fill and further clicks are
/// dropped and counted there; redirects never wait.
///
/// A batch that fails to store is retried with backoff, in order, until it is
/// stored: an outage of the store loses no click, unless it outlasts the
/// grace period of `finish(giveUpAfter:)` at shutdown.
public final class ClickWriter: @unchecked Sendable {
    private let store: any ClickStore
    private let nodeID: Int
    private let logger: Logger
    private let retention: Int64?
    private let queue = Mutex<[ClickBatch?]>([])
    private let spares = Mutex<[ClickBatch]>([])
    private let queued: DispatchSemaphore
    private let space: DispatchSemaphore
    private let giveUpAt = ManagedAtomic<Int64>(.max)
    public let stats = WriterStats()
    /// Commit durations, for whatever metrics backend the process bootstrapped.
    private let commitDuration = Metrics.Timer(label: "clickline_writer_commit_duration_seconds")
    private var thread: OwnedThread?

    /// - Parameters:
    ///   - maxQueuedBatches: batches waiting to be written before `submit` blocks. Default 64.
    ///   - retentionDays: clicks older than this are deleted (rollups stay); nil keeps them all.
    public init(store: any ClickStore, nodeID: Int, maxQueuedBatches: Int = 64, retentionDays: Int? = 90, logger: Logger) {
        self.store = store
        self.nodeID = nodeID
        self.logger = logger
        self.queued = DispatchSemaphore(value: 0)
        self.space = DispatchSemaphore(value: maxQueuedBatches)
        self.retention = retentionDays.map { Int64($0) * 86_400_000 }
    }

    public func start() {
        thread = OwnedThread(name: "click-writer") { [self] in run() }
    }

    /// Queues a batch for writing. Blocks while the queue is full.
    public func submit(_ batch: ClickBatch) {
        guard !batch.isEmpty else { return }
        space.wait()
        queue.withLock { $0.append(batch) }
        stats.queued.wrappingIncrement(ordering: .relaxed)
        queued.signal()
    }

    /// An empty batch, reusing the memory of one already written when there is one.
    public func spareBatch(capacity: Int) -> ClickBatch {
        spares.withLock { $0.popLast() } ?? ClickBatch(reservingCapacity: capacity)
    }

    /// Writes everything queued, then stops the thread and returns. A batch
    /// still failing `giveUpAfter` seconds from now is given up and its clicks
    /// counted in `stats.clicksLost` and logged.
    public func finish(giveUpAfter seconds: Double = 30) {
        giveUpAt.store(Clocks.monotonicNanoseconds() + Int64(seconds * 1e9), ordering: .relaxed)
        space.wait()
        queue.withLock { $0.append(nil) }
        queued.signal()
        thread?.join()
        thread = nil
    }

    private func run() {
        var lastMaintenance: Int64 = 0
        while true {
            queued.wait()
            guard let next = queue.withLock({ $0.removeFirst() }) else { break }
            var batch = next
            write(batch)
            stats.queued.wrappingDecrement(ordering: .relaxed)
            space.signal()
            batch.removeAll()
            let spare = batch
            spares.withLock { if $0.count < 4 { $0.append(spare) } }

            let now = Clocks.monotonicNanoseconds()
            if now - lastMaintenance > 60_000_000_000 {
                lastMaintenance = now
                if let retention { deleteExpiredClicks(retention: retention) }
                compactFinishedPeriods()
            }
        }
        space.signal()
    }

    private func write(_ batch: ClickBatch) {
        var delay: Int64 = 50_000_000
        var failures = 0
        while true {
            let started = Clocks.monotonicNanoseconds()
            do {
                try store.write(batch, nodeID: nodeID)
                stats.batchesWritten.wrappingIncrement(ordering: .relaxed)
                stats.clicksWritten.wrappingIncrement(by: batch.count, ordering: .relaxed)
                let elapsed = Clocks.monotonicNanoseconds() - started
                stats.lastCommitNanoseconds.store(Int(elapsed), ordering: .relaxed)
                commitDuration.recordNanoseconds(elapsed)
                if failures > 0 { logger.notice("click store is back", metadata: ["failed_attempts": "\(failures)"]) }
                return
            } catch {
                failures += 1
                stats.writeFailures.wrappingIncrement(ordering: .relaxed)
                if failures == 1 || failures % 20 == 0 {
                    logger.error("cannot store clicks; retrying", metadata: [
                        "clicks": "\(batch.count)", "attempt": "\(failures)", "error": "\(error)",
                    ])
                }
                if Clocks.monotonicNanoseconds() > giveUpAt.load(ordering: .relaxed) {
                    stats.clicksLost.wrappingIncrement(by: batch.count, ordering: .relaxed)
                    logger.critical("giving up on a batch of clicks at shutdown", metadata: ["clicks": "\(batch.count)"])
                    return
                }
                Clocks.sleep(nanoseconds: delay)
                delay = min(delay * 2, 2_000_000_000)
            }
        }
    }

    private func deleteExpiredClicks(retention: Int64) {
        let cutoff = Clocks.wallClockMilliseconds() - retention
        do {
            var deleted = 0
            while true {
                let count = try store.deleteClicks(before: cutoff, limit: 10_000)
                deleted += count
                if count < 10_000 { break }
            }
            if deleted > 0 { logger.info("deleted clicks past retention", metadata: ["clicks": "\(deleted)"]) }
        } catch {
            logger.warning("cannot delete clicks past retention", metadata: ["error": "\(error)"])
        }
    }

    /// Sums finished periods' rollups for the readers that seek them by
    /// member or partner; a round does at most a day's worth of hours, so a
    /// store with a long uncompacted past catches up without holding clicks
    /// back. A failure is tried again at the next round (readers read the
    /// minutes meanwhile).
    private func compactFinishedPeriods() {
        do {
            let done = try store.compactRollups(now: Clocks.wallClockMilliseconds(), limit: 24)
            if done.days + done.hours > 0 {
                logger.info("compacted rollups of finished periods", metadata: ["days": "\(done.days)", "hours": "\(done.hours)"])
            }
        } catch {
            logger.warning("cannot compact rollups", metadata: ["error": "\(error)"])
        }
    }
}

/// What the writer reports, readable from any thread.
public final class WriterStats: Sendable {
    public let batchesWritten = ManagedAtomic<Int>(0)
    public let clicksWritten = ManagedAtomic<Int>(0)
    public let writeFailures = ManagedAtomic<Int>(0)
    public let clicksLost = ManagedAtomic<Int>(0)
    public let queued = ManagedAtomic<Int>(0)
    public let lastCommitNanoseconds = ManagedAtomic<Int>(0)

    public func snapshot() -> WriterStatsSnapshot {
        WriterStatsSnapshot(
            batchesWritten: batchesWritten.load(ordering: .relaxed), clicksWritten: clicksWritten.load(ordering: .relaxed),
            writeFailures: writeFailures.load(ordering: .relaxed), clicksLost: clicksLost.load(ordering: .relaxed),
            queuedBatches: queued.load(ordering: .relaxed), lastCommitNanoseconds: lastCommitNanoseconds.load(ordering: .relaxed))
    }
}

/// The writer's figures at one moment.
public struct WriterStatsSnapshot: Sendable {
    public var batchesWritten: Int
    public var clicksWritten: Int
    public var writeFailures: Int
    /// Clicks given up at shutdown because the store kept failing.
    public var clicksLost: Int
    public var queuedBatches: Int
    public var lastCommitNanoseconds: Int
}
