import AsyncHTTPClient
import Domain
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Wire

/// Delivers queued events to webhook endpoints: each attempt a signed POST
/// (`WebhookSignature`) to the address `TargetGuard` checked, answered
/// within `timeout`; its outcome logged and applied by `RetrySchedule`.
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
    let clients: PinnedClients
    private let busy = Mutex<(total: Int, perEndpoint: [Int64: Int])>((0, [:]))

    public init(store: any EventStore, targets: TargetGuard, schedule: RetrySchedule = .standard, limits: Limits = Limits(),
                logger: Logger) {
        self.store = store
        self.targets = targets
        self.schedule = schedule
        self.limits = limits
        self.logger = logger
        let seconds = limits.timeout.components.seconds
        clients = PinnedClients(connectTimeout: .seconds(min(5, max(1, seconds))), readTimeout: .seconds(max(1, seconds)))
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
        await clients.shutdown()
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
        let attempt = await self.attempt(delivery, at: Self.now())
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

    /// Sends the delivery once and says how it went; never throws.
    public func attempt(_ delivery: DueDelivery, at started: Int64) async -> DeliveryAttempt {
        let clock = ContinuousClock()
        let begun = clock.now
        var result = DeliveryAttempt(deliveryID: delivery.id, endpointID: delivery.endpoint.id, eventKey: delivery.event.key,
                                     eventType: delivery.event.type, attempt: delivery.attempts + 1, startedAt: started,
                                     statusCode: nil, latencyMilliseconds: 0, response: nil, error: nil)
        do {
            let target = try await targets.check(delivery.endpoint.url)
            let body = Array(delivery.event.body(createdAtText: Timestamp.format(delivery.event.createdAt)).utf8)
            let timestamp = started / 1000
            var request = HTTPClientRequest(url: delivery.endpoint.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "Clickline-Webhooks/1")
            request.headers.add(name: "webhook-id", value: delivery.event.key)
            request.headers.add(name: "webhook-timestamp", value: "\(timestamp)")
            request.headers.add(name: "webhook-signature",
                                value: WebhookSignature.header(id: delivery.event.key, timestamp: timestamp, body: body,
                                                               secrets: delivery.endpoint.signingSecrets(at: started)))
            request.body = .bytes(ByteBuffer(bytes: body))
            let cap = limits.responseBytes
            let deadline = NIODeadline.now() + .nanoseconds(Int64(limits.timeout.components.seconds) * 1_000_000_000
                                                            + limits.timeout.components.attoseconds / 1_000_000_000)
            let (status, head) = try await clients.with(host: target.host, address: target.address) { client in
                let response = try await client.execute(request, deadline: deadline)
                var head = ByteBuffer()
                for try await chunk in response.body {
                    var chunk = chunk
                    head.writeBuffer(&chunk)
                    if head.readableBytes >= cap { break }
                }
                return (Int(response.status.code), head)
            }
            result.statusCode = status
            let text = String(decoding: head.readableBytesView.prefix(cap), as: UTF8.self)
            result.response = text.isEmpty ? nil : text
            if !(200..<300).contains(status) { result.error = "answered \(status)" }
        } catch let error as DomainError {
            result.error = "not sent: \(error.message)"
        } catch {
            result.error = Self.describe(error)
        }
        result.latencyMilliseconds = Int((clock.now - begun).components.seconds * 1000
                                         + (clock.now - begun).components.attoseconds / 1_000_000_000_000_000)
        return result
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "no answer within the time limit"
            case .connectTimeout: return "could not connect within the time limit"
            case .remoteConnectionClosed: return "the receiver closed the connection"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }

    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
