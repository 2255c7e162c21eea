import Domain
import Foundation
import Logging
import Metrics
import Synchronization

/// Delivers queued events to webhook endpoints: each attempt by
/// `WebhookPoster`, its outcome logged and applied by `RetrySchedule`.
///
/// Deliveries run concurrently, at most `concurrency` at once and at most
/// `perEndpoint` to one endpoint, and the sender takes more as soon as a slot
/// frees: an endpoint that is slow to answer fills its own slots only.
///
/// At least once: a delivery is marked delivered after the receiver's 2xx
/// answer is in. If the process stops between the two, or the answer is
/// lost, the delivery is sent again, with the same `webhook-id`, when its
/// lease ends or, sooner, when the same node starts again; receivers
/// deduplicate by it.
public final class WebhookSender: Sendable {
    public struct Limits: Sendable {
        public var concurrency = 64
        public var perEndpoint = 8
        /// The whole attempt: connecting, sending, and the answer's head.
        public var timeout: Duration = .seconds(10)
        /// How much of an answer's body is read and logged.
        public var responseBytes = 1024
        /// How long a taken delivery is held before another sender may take it.
        public var lease: Duration = .seconds(60)
        public var pollInterval: Duration = .milliseconds(200)
        /// Attempts started a second at most, so that a backlog (after a
        /// receiver's outage, or a replay) drains beside the edge, not over it.
        public var perSecond = 1000

        public init() {}
    }

    let store: any EventStore
    let targets: TargetGuard
    let schedule: RetrySchedule
    let limits: Limits
    let logger: Logger
    let poster: WebhookPoster
    /// This node's id (`--node-id`): the deliveries it holds are marked with it.
    let node: Int
    private let busy = Mutex<(total: Int, perEndpoint: [Int64: Int])>((0, [:]))
    private let slotFreed = Wakeup()
    private let records = Mutex<[AttemptResult]>([])
    /// `clickline_event_attempts_total{outcome}`: made once, counted per attempt.
    private let attemptsDelivered = Counter(label: "clickline_event_attempts_total", dimensions: [("outcome", "delivered")])
    private let attemptsRetried = Counter(label: "clickline_event_attempts_total", dimensions: [("outcome", "retry")])
    private let attemptsGivenUp = Counter(label: "clickline_event_attempts_total", dimensions: [("outcome", "gave_up")])
    private let attemptsDisabling = Counter(label: "clickline_event_attempts_total", dimensions: [("outcome", "endpoint_disabled")])

    public init(store: any EventStore, targets: TargetGuard, schedule: RetrySchedule = .standard, limits: Limits = Limits(),
                node: Int = 0, logger: Logger) {
        self.node = node
        self.store = store
        self.targets = targets
        self.schedule = schedule
        self.limits = limits
        self.logger = logger
        poster = WebhookPoster(targets: targets, timeout: limits.timeout, responseBytes: limits.responseBytes,
                               connectionsPerHost: limits.concurrency)
    }

    /// Delivers until the task is cancelled. Attempts in flight then are
    /// cancelled with it and not recorded: they go out again when this node
    /// starts again (or their leases end).
    public func run() async {
        // What this node held when it last stopped (killed mid-delivery) goes out again now.
        do {
            let released = try await store.releaseDeliveries(node: node, now: Self.now())
            if released > 0 { logger.notice("sending again what this node held when it stopped", metadata: ["deliveries": "\(released)"]) }
        } catch {
            logger.warning("cannot take back this node's deliveries; they go out when their leases end", metadata: ["error": "\(error)"])
        }
        var pace = Pace(perSecond: limits.perSecond)
        await withDiscardingTaskGroup { group in
            group.addTask {
                // Attempts are recorded together, every 20 ms: one transaction for all that ended meanwhile.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(20))
                    await self.writeRecords()
                }
            }
            while !Task.isCancelled {
                // Deliveries are taken a few at a time (each take is a transaction), as slots and the pace allow.
                let free = busy.withLock { limits.concurrency - $0.total }
                guard free > 0 else {
                    await slotFreed.wait(atMost: limits.pollInterval)
                    continue
                }
                let batch = min(free, pace.burst, Self.batch)
                let allowed = pace.allowed(at: .now)
                guard allowed >= batch else {
                    try? await Task.sleep(for: pace.until(batch))
                    continue
                }
                let due = await claim(now: Self.now(), atMost: allowed)
                pace.spend(due.count)
                for delivery in due {
                    group.addTask { await self.deliver(delivery) }
                }
                // Nothing more to take now: look again when an attempt ends (a
                // slot is free) or after the poll interval (new deliveries).
                if due.isEmpty { await slotFreed.wait(atMost: limits.pollInterval) }
            }
        }
        // What the last attempts found, written outside the cancelled task (a
        // cancelled write gives up its turn); anything lost goes out again
        // when its lease ends.
        await Task.detached { await self.writeRecords() }.value
        await poster.shutdown()
    }

    /// Writes the attempts ended since the last call, in one transaction.
    func writeRecords() async {
        let results = records.withLock { records in
            defer { records.removeAll(keepingCapacity: true) }
            return records
        }
        guard !results.isEmpty else { return }
        do {
            try await store.recordAttempts(results)
        } catch {
            logger.error("cannot record delivery attempts; they are sent again when their leases end",
                         metadata: ["attempts": "\(results.count)", "error": "\(error)"])
        }
    }

    /// Takes what is due and fits the free slots, and counts it as busy.
    func claim(now: Int64, atMost allowed: Int) async -> [DueDelivery] {
        let free = min(allowed, busy.withLock { limits.concurrency - $0.total })
        guard free > 0 else { return [] }
        let busyNow = busy.withLock { $0.perEndpoint }
        let due: [DueDelivery]
        do {
            due = try await store.claimDeliveries(now: now, leaseUntil: now + Int64(limits.lease.components.seconds) * 1000, limit: free,
                                                  perEndpoint: limits.perEndpoint, busy: busyNow, node: node)
        } catch {
            logger.error("cannot read the deliveries due", metadata: ["error": "\(error)"])
            try? await Task.sleep(for: limits.pollInterval)
            return []
        }
        busy.withLock { busy in
            for delivery in due {
                busy.perEndpoint[delivery.endpoint.id, default: 0] += 1
                busy.total += 1
            }
        }
        return due
    }

    /// One attempt, queued to be logged with its outcome; frees its slot.
    func deliver(_ delivery: DueDelivery) async {
        defer {
            busy.withLock { busy in
                busy.total -= 1
                busy.perEndpoint[delivery.endpoint.id, default: 1] -= 1
                if busy.perEndpoint[delivery.endpoint.id] == 0 { busy.perEndpoint[delivery.endpoint.id] = nil }
            }
            slotFreed.signal()
        }
        let attempt = await poster.attempt(delivery, at: Self.now())
        let ended = Self.now()
        let outcome = schedule.outcome(of: attempt, now: ended, queuedAt: delivery.queuedAt,
                                       failingSince: delivery.endpoint.failingSince ?? attempt.startedAt, random: Double.random(in: 0..<1))
        // Recorded with the others that ended about now, in one transaction.
        records.withLock { $0.append(AttemptResult(attempt, outcome)) }
        switch outcome {
        case .delivered: attemptsDelivered.increment()
        case .retry: attemptsRetried.increment()
        case .gaveUp:
            attemptsGivenUp.increment()
            logger.warning("gave up on a webhook delivery", metadata: ["delivery": "\(delivery.id)", "endpoint": "\(delivery.endpoint.id)",
                                                                       "event": "\(delivery.event.key)"])
        case .disableEndpoint(let reason):
            attemptsDisabling.increment()
            logger.warning("disabled a webhook endpoint", metadata: ["endpoint": "\(delivery.endpoint.id)", "reason": "\(reason)"])
        }
    }

    /// The fewest deliveries a take waits for, when slots and the pace allow more.
    static let batch = 16

    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}

/// A signal one task waits for: `signal` wakes the waiter, or the next one to
/// wait when none is waiting yet (one signal is kept, not counted).
final class Wakeup: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next signal, or after `timeout`.
    func wait(atMost timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.pending {
                            state.pending = false
                            return true
                        }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                // The time is up, or the wait is over (cancelled): wake the waiter above.
                try? await Task.sleep(for: timeout)
                self.signal()
            }
            await group.next()
            group.cancelAll()
        }
        // The signal the sleep gave after a real one came first is not kept.
        state.withLock { $0.pending = false }
    }
}

/// A token bucket: `perSecond` attempts a second, in bursts of a tenth of that.
struct Pace {
    let perSecond: Double
    let burst: Int
    var tokens: Double
    var last: ContinuousClock.Instant = .now

    init(perSecond: Int) {
        self.perSecond = Double(max(1, perSecond))
        burst = max(1, perSecond / 10)
        tokens = Double(burst)
    }

    /// Attempts that may start now.
    mutating func allowed(at now: ContinuousClock.Instant) -> Int {
        let elapsed = now - last
        last = now
        tokens = min(Double(burst), tokens + (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * perSecond)
        return Int(tokens)
    }

    mutating func spend(_ count: Int) { tokens -= Double(count) }

    /// How long until `count` attempts may start.
    func until(_ count: Int) -> Duration { .nanoseconds(Int64(max(0, Double(count) - tokens) / perSecond * 1e9) + 100_000) }
}
