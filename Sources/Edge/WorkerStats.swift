import Atomics
import ClickModel

/// What one edge worker publishes about itself, readable from any thread.
///
/// Thread contract: only the owning worker writes, with relaxed stores of
/// values it counts privately, about ten times a second; readers get recent
/// values, each individually consistent. Nothing here is on the per-request path.
public final class WorkerStats: Sendable {
    public let workerID: Int
    public let ringCapacity: Int

    let requests = ManagedAtomic<Int>(0)
    let redirects = ManagedAtomic<Int>(0)
    let dropped = ManagedAtomic<Int>(0)
    let notFound = ManagedAtomic<Int>(0)
    let health = ManagedAtomic<Int>(0)
    let methodNotAllowed = ManagedAtomic<Int>(0)
    let connectionsAccepted = ManagedAtomic<Int>(0)
    let connectionsOpen = ManagedAtomic<Int>(0)
    let connectionsTimedOut = ManagedAtomic<Int>(0)
    let acceptPauses = ManagedAtomic<Int>(0)
    let outcomes: [ManagedAtomic<Int>]
    let failures: [ManagedAtomic<Int>]
    let malformedPaths: [ManagedAtomic<Int>]
    let latencyP50Nanoseconds = ManagedAtomic<Int>(0)
    let latencyP99Nanoseconds = ManagedAtomic<Int>(0)
    let latencyBuckets: [ManagedAtomic<Int>]
    let latencySumNanoseconds = ManagedAtomic<Int>(0)
    let catalogueVersion = ManagedAtomic<Int>(0)

    init(workerID: Int, ringCapacity: Int) {
        self.workerID = workerID
        self.ringCapacity = ringCapacity
        self.outcomes = ClickOutcome.allCases.map { _ in ManagedAtomic(0) }
        self.failures = HTTPFailure.allCases.map { _ in ManagedAtomic(0) }
        self.malformedPaths = MalformedPath.allCases.map { _ in ManagedAtomic(0) }
        self.latencyBuckets = (0..<LatencyBuckets.count).map { _ in ManagedAtomic(0) }
    }

    /// A consistent-enough copy for reports.
    public func snapshot(ringCount: Int) -> WorkerStatsSnapshot {
        WorkerStatsSnapshot(
            workerID: workerID,
            requests: requests.load(ordering: .relaxed),
            redirects: redirects.load(ordering: .relaxed),
            dropped: dropped.load(ordering: .relaxed),
            notFound: notFound.load(ordering: .relaxed),
            health: health.load(ordering: .relaxed),
            methodNotAllowed: methodNotAllowed.load(ordering: .relaxed),
            connectionsAccepted: connectionsAccepted.load(ordering: .relaxed),
            connectionsOpen: connectionsOpen.load(ordering: .relaxed),
            connectionsTimedOut: connectionsTimedOut.load(ordering: .relaxed),
            acceptPauses: acceptPauses.load(ordering: .relaxed),
            outcomes: Dictionary(uniqueKeysWithValues: ClickOutcome.allCases.map { ($0, outcomes[Int($0.rawValue)].load(ordering: .relaxed)) }),
            failures: Dictionary(uniqueKeysWithValues: HTTPFailure.allCases.map { ($0, failures[Int($0.rawValue)].load(ordering: .relaxed)) }),
            malformedPaths: Dictionary(uniqueKeysWithValues: MalformedPath.allCases.map { ($0, malformedPaths[Int($0.rawValue)].load(ordering: .relaxed)) }),
            latencyP50Nanoseconds: latencyP50Nanoseconds.load(ordering: .relaxed),
            latencyP99Nanoseconds: latencyP99Nanoseconds.load(ordering: .relaxed),
            latencyBuckets: latencyBuckets.map { $0.load(ordering: .relaxed) },
            latencySumNanoseconds: latencySumNanoseconds.load(ordering: .relaxed),
            ringCount: ringCount,
            ringCapacity: ringCapacity,
            catalogueVersion: catalogueVersion.load(ordering: .relaxed)
        )
    }
}

/// One worker's figures at one moment.
public struct WorkerStatsSnapshot: Sendable {
    public var workerID: Int
    public var requests: Int
    public var redirects: Int
    /// Clicks dropped because the ring was full (the redirect still went out).
    public var dropped: Int
    public var notFound: Int
    public var health: Int
    public var methodNotAllowed: Int
    public var connectionsAccepted: Int
    public var connectionsOpen: Int
    public var connectionsTimedOut: Int
    public var acceptPauses: Int
    public var outcomes: [ClickOutcome: Int]
    /// Requests refused by the parser, by reason (400, 414, 431, 505).
    public var failures: [HTTPFailure: Int]
    /// Requests whose path was malformed (400), by reason.
    public var malformedPaths: [MalformedPath: Int]
    /// Time from a read to its answers written, over the last seconds.
    public var latencyP50Nanoseconds: Int
    public var latencyP99Nanoseconds: Int
    /// Requests answered since start by latency bucket (`LatencyBuckets`), not cumulative.
    public var latencyBuckets: [Int]
    /// Sum of the latencies counted in `latencyBuckets`.
    public var latencySumNanoseconds: Int
    public var ringCount: Int
    public var ringCapacity: Int
    public var catalogueVersion: Int

    /// Every request answered 400 (parser failures with status 400 and malformed paths).
    public var badRequests: Int {
        failures.filter { $0.key.status == 400 }.values.reduce(0, +) + malformedPaths.values.reduce(0, +)
    }

    public var ringFill: Double { ringCapacity == 0 ? 0 : Double(ringCount) / Double(ringCapacity) }
}

/// The counters a worker keeps privately on the hot path and publishes on its tick.
struct WorkerCounters {
    var requests = 0
    var redirects = 0
    var dropped = 0
    var notFound = 0
    var health = 0
    var methodNotAllowed = 0
    var connectionsAccepted = 0
    var connectionsTimedOut = 0
    var acceptPauses = 0
    var outcomes = InlineArray<7, Int>(repeating: 0)
    var failures = InlineArray<16, Int>(repeating: 0)
    var malformedPaths = InlineArray<8, Int>(repeating: 0)
    var latencyBuckets = InlineArray<15, Int>(repeating: 0)
    var latencySumNanoseconds = 0

    /// Counts `requests` answered after `nanoseconds` (one read's worth of pipelined requests).
    @inline(__always)
    mutating func recordLatency(_ nanoseconds: Int, requests: Int) {
        latencyBuckets[LatencyBuckets.index(of: nanoseconds)] += requests
        latencySumNanoseconds &+= nanoseconds &* requests
    }

    func publish(to stats: WorkerStats, connectionsOpen: Int) {
        stats.requests.store(requests, ordering: .relaxed)
        stats.redirects.store(redirects, ordering: .relaxed)
        stats.dropped.store(dropped, ordering: .relaxed)
        stats.notFound.store(notFound, ordering: .relaxed)
        stats.health.store(health, ordering: .relaxed)
        stats.methodNotAllowed.store(methodNotAllowed, ordering: .relaxed)
        stats.connectionsAccepted.store(connectionsAccepted, ordering: .relaxed)
        stats.connectionsOpen.store(connectionsOpen, ordering: .relaxed)
        stats.connectionsTimedOut.store(connectionsTimedOut, ordering: .relaxed)
        stats.acceptPauses.store(acceptPauses, ordering: .relaxed)
        for i in stats.outcomes.indices { stats.outcomes[i].store(outcomes[i], ordering: .relaxed) }
        for i in stats.failures.indices { stats.failures[i].store(failures[i], ordering: .relaxed) }
        for i in stats.malformedPaths.indices { stats.malformedPaths[i].store(malformedPaths[i], ordering: .relaxed) }
        for i in stats.latencyBuckets.indices { stats.latencyBuckets[i].store(latencyBuckets[i], ordering: .relaxed) }
        stats.latencySumNanoseconds.store(latencySumNanoseconds, ordering: .relaxed)
    }
}
