import Synchronization

/// Whether the store answers: what `/readyz` reads, from memory, so that it
/// never waits on the store itself.
///
/// Two things are watched. Every call `SQLStore` makes is timed while it is
/// in flight, and a probe (`SQLStore.probe()`, run every half second by the
/// service) checks that a write could start. The store answers while the
/// probe has succeeded within the limit and no call has waited longer than
/// it. A held write lock, a stopped server or a full queue all show up as one
/// of the two, without a request of anyone's having to fail first.
public final class StoreHealth: Sendable {
    private struct State {
        var nextCall: UInt64 = 0
        var inFlight: [UInt64: ContinuousClock.Instant] = [:]
        var lastProbeAnswer: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    public init() {}

    /// Times `body` as a call in flight.
    func track<T>(_ body: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        let call = state.withLock { state -> UInt64 in
            state.nextCall &+= 1
            state.inFlight[state.nextCall] = started
            return state.nextCall
        }
        defer { _ = state.withLock { $0.inFlight.removeValue(forKey: call) } }
        return try await body()
    }

    func probeAnswered(at instant: ContinuousClock.Instant = .now) {
        state.withLock { $0.lastProbeAnswer = instant }
    }

    /// How long the oldest call still in flight has waited; zero when none is.
    public func longestWait(now: ContinuousClock.Instant = .now) -> Duration {
        state.withLock { state in state.inFlight.values.min().map { $0.duration(to: now) } ?? .zero }
    }

    /// Whether the store answered within `limit`: the probe succeeded that
    /// recently, and no call has waited longer.
    public func isAnswering(within limit: Duration, now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { state in
            guard let answer = state.lastProbeAnswer, answer.duration(to: now) <= limit else { return false }
            guard let oldest = state.inFlight.values.min() else { return true }
            return oldest.duration(to: now) <= limit
        }
    }
}
