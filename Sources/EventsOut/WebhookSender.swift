import Domain
import Foundation
import Logging
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
/// lost, the delivery is sent again when its lease ends, with the same
/// `webhook-id`; receivers deduplicate by it.
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

        public init() {}
    }

    let store: any EventStore
    let targets: TargetGuard
    let schedule: RetrySchedule
    let limits: Limits
    let logger: Logger
    let poster: WebhookPoster
    private let busy = Mutex<(total: Int, perEndpoint: [Int64: Int])>((0, [:]))

    public init(store: any EventStore, targets: TargetGuard, schedule: RetrySchedule = .standard, limits: Limits = Limits(),
                logger: Logger) {
        self.store = store
        self.targets = targets
        self.schedule = schedule
        self.limits = limits
        self.logger = logger
        poster = WebhookPoster(targets: targets, timeout: limits.timeout, responseBytes: limits.responseBytes)
    }

    /// Delivers until the task is cancelled, then waits for the attempts in flight.
    public func run() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let due = await claim(now: Self.now())
                for delivery in due {
                    group.addTask { await self.deliver(delivery) }
                }
                if due.isEmpty { try? await Task.sleep(for: limits.pollInterval) }
            }
        }
        await poster.shutdown()
    }

    /// Takes what is due and fits the free slots, and counts it as busy.
    func claim(now: Int64) async -> [DueDelivery] {
        let free = busy.withLock { limits.concurrency - $0.total }
        guard free > 0 else {
            try? await Task.sleep(for: .milliseconds(20))
            return []
        }
        let busyNow = busy.withLock { $0.perEndpoint }
        let due: [DueDelivery]
        do {
            due = try await store.claimDeliveries(now: now, leaseUntil: now + Int64(limits.lease.components.seconds) * 1000, limit: free,
                                                  perEndpoint: limits.perEndpoint, busy: busyNow)
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

    /// One attempt, logged, with its outcome applied; frees its slot.
    func deliver(_ delivery: DueDelivery) async {
        defer {
            busy.withLock { busy in
                busy.total -= 1
                busy.perEndpoint[delivery.endpoint.id, default: 1] -= 1
                if busy.perEndpoint[delivery.endpoint.id] == 0 { busy.perEndpoint[delivery.endpoint.id] = nil }
            }
        }
        let attempt = await poster.attempt(delivery, at: Self.now())
        let ended = Self.now()
        let outcome = schedule.outcome(of: attempt, now: ended, queuedAt: delivery.queuedAt,
                                       failingSince: delivery.endpoint.failingSince ?? attempt.startedAt, random: Double.random(in: 0..<1))
        do {
            try await store.recordAttempt(attempt, outcome: outcome)
        } catch {
            logger.error("cannot record a delivery attempt; it is sent again when its lease ends",
                         metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
        switch outcome {
        case .delivered, .retry: break
        case .gaveUp:
            logger.warning("gave up on a webhook delivery", metadata: ["delivery": "\(delivery.id)", "endpoint": "\(delivery.endpoint.id)",
                                                                       "event": "\(delivery.event.key)"])
        case .disableEndpoint(let reason):
            logger.warning("disabled a webhook endpoint", metadata: ["endpoint": "\(delivery.endpoint.id)", "reason": "\(reason)"])
        }
    }

    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
