import Domain
import Synchronization

/// Group commit for conversions: postbacks and order webhooks that arrive
/// together share one durable commit.
///
/// Each conversion joins a queue and waits. One group at a time is taken
/// from the queue and recorded in one write transaction, each conversion in
/// a savepoint of its own, so that one refused conversion leaves the others
/// in. The transaction commits (SQLite `synchronous = FULL`, PostgreSQL
/// `synchronous_commit = on`) and only then is each waiter answered. While a
/// group commits, the next one gathers: under load a commit carries as many
/// conversions as arrived during the one before, and alone a conversion
/// commits at once.
///
/// What a caller can rely on:
/// - An answer of `.created` or `.existing` means the conversion is durable.
/// - Idempotency holds inside a group: conversions run one after another in
///   the transaction, so a second postback of the same order sees the first
///   and answers `.existing`.
/// - Each waiter is answered by its deadline, whatever the database is
///   doing. Past it, the answer is `StoreError(.unavailable)`, and the
///   conversion is not recorded: a group that gets the database's lock only
///   after some of its deadlines passed leaves those out. The one exception
///   is a deadline that passes during the group's final commit; such a
///   conversion is found when it is sent again. A group waits for the
///   database's locks only until the earliest deadline in it.
/// - A waiter whose task is cancelled before its group starts is not recorded.
/// - At most `maxQueued` conversions wait; more are refused at once.
final class ConversionCommitter: Sendable {
    typealias Plan = @Sendable (ConversionEvidence) -> ConversionPlan

    private struct Waiter {
        var id: UInt64
        var request: ConversionRequest
        var plan: Plan
        var deadline: ContinuousClock.Instant?
        var continuation: CheckedContinuation<ConversionRecording, any Error>
    }

    private struct State {
        /// Waiting for a group, oldest first.
        var queue: [Waiter] = []
        /// In the group being committed, until answered.
        var committing: [UInt64: Waiter] = [:]
        var commitLoopRuns = false
        var watchdogRuns = false
        var nextID: UInt64 = 0
    }

    private let database: any SQLDatabase
    private let memberURLs: MemberURLsInUse
    private let rates = OfferConversionRates()
    private let maxGroup: Int
    private let maxQueued: Int
    private let state = Mutex(State())

    /// - Parameters:
    ///   - maxGroup: the most conversions one commit carries.
    ///   - maxQueued: the most conversions waiting for a commit.
    init(database: any SQLDatabase, memberURLs: MemberURLsInUse = MemberURLsInUse(), maxGroup: Int = 256, maxQueued: Int = 4096) {
        precondition(maxGroup > 0 && maxQueued > 0)
        self.database = database
        self.memberURLs = memberURLs
        self.maxGroup = maxGroup
        self.maxQueued = maxQueued
    }

    /// Records `request` in the next group; returns once that group is durable.
    /// - Parameter plan: decides, from the evidence found inside the transaction, who is credited and what they earn.
    func record(_ request: ConversionRequest, deadline: ContinuousClock.Instant?, plan: @escaping Plan) async throws -> ConversionRecording {
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enum Step { case refused, cancelled, queued(startCommitLoop: Bool, startWatchdog: Bool) }
                let step = state.withLock { state -> Step in
                    guard state.queue.count < maxQueued else { return .refused }
                    // A cancellation that came before this point found nothing to take out.
                    if Task.isCancelled { return .cancelled }
                    state.queue.append(Waiter(id: id, request: request, plan: plan, deadline: deadline, continuation: continuation))
                    let startCommitLoop = !state.commitLoopRuns, startWatchdog = deadline != nil && !state.watchdogRuns
                    state.commitLoopRuns = true
                    if startWatchdog { state.watchdogRuns = true }
                    return .queued(startCommitLoop: startCommitLoop, startWatchdog: startWatchdog)
                }
                switch step {
                case .refused:
                    continuation.resume(throwing: StoreError(.unavailable, "\(maxQueued) conversions are waiting to be stored already"))
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .queued(let startCommitLoop, let startWatchdog):
                    // Both loops run outside the request's task and its deadline.
                    if startCommitLoop { Deadline.$current.withValue(nil) { Task { await self.commitUntilEmpty() } } }
                    if startWatchdog { Deadline.$current.withValue(nil) { Task { await self.answerAtDeadlines() } } }
                }
            }
        } onCancel: {
            let removed = state.withLock { state -> Waiter? in
                guard let index = state.queue.firstIndex(where: { $0.id == id }) else { return nil }
                return state.queue.remove(at: index)
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Commits groups until the queue is empty; one such loop runs at a time.
    private func commitUntilEmpty() async {
        while let group = nextGroup() {
            let work = group.map { ($0.id, $0.request, $0.plan) }
            // Its waiters are answered at their deadlines by the watchdog, and those still waiting when it starts are recorded.
            let options = WriteOptions(deadline: group.compactMap(\.deadline).min(), answersWhileQueued: false)
            let memberURLs = self.memberURLs.current
            let rates = self.rates
            let results: [Result<ConversionRecording, any Error>]
            do {
                results = try await database.write(options) { db in
                    work.map { id, request, plan in
                        // One answered at its deadline while the group waited for the database is not recorded.
                        guard self.isStillWaiting(id) else { return .failure(Self.deadlinePassed) }
                        return Self.inSavepoint(db) {
                            try ConversionsSQL.record(db, request, memberURLs: memberURLs, rates: rates, plan: plan)
                        }
                    }
                }
            } catch {
                results = Array(repeating: .failure(error), count: group.count)
            }
            // Those the watchdog answered already are gone from `committing`.
            let answered = state.withLock { state in
                zip(group, results).compactMap { waiter, result in state.committing.removeValue(forKey: waiter.id).map { ($0, result) } }
            }
            for (waiter, result) in answered { waiter.continuation.resume(with: result) }
        }
    }

    private func isStillWaiting(_ id: UInt64) -> Bool {
        state.withLock { $0.committing[id] != nil }
    }

    /// The next group, oldest first, moved to `committing`; its waiters
    /// whose deadline passed already are answered instead. Nil (and no loop
    /// running) when the queue is empty.
    private func nextGroup() -> [Waiter]? {
        var expired: [Waiter] = []
        defer { for waiter in expired { waiter.continuation.resume(throwing: Self.deadlinePassed) } }
        return state.withLock { state -> [Waiter]? in
            let now = ContinuousClock.now
            while !state.queue.isEmpty {
                let count = min(maxGroup, state.queue.count)
                var group: [Waiter] = []
                for waiter in state.queue[..<count] {
                    if let deadline = waiter.deadline, deadline <= now { expired.append(waiter) } else { group.append(waiter) }
                }
                state.queue.removeFirst(count)
                guard !group.isEmpty else { continue }
                for waiter in group { state.committing[waiter.id] = waiter }
                return group
            }
            state.commitLoopRuns = false
            return nil
        }
    }

    /// Answers every waiter whose deadline passes, queued or committing,
    /// until no waiter with a deadline is left; one such loop runs at a
    /// time. It sleeps until the earliest deadline, so under a steady load
    /// it wakes about once per deadline's length.
    private func answerAtDeadlines() async {
        while true {
            let next = state.withLock { state -> ContinuousClock.Instant? in
                let earliest = (state.queue.compactMap(\.deadline) + state.committing.values.compactMap(\.deadline)).min()
                if earliest == nil { state.watchdogRuns = false }
                return earliest
            }
            guard let next else { return }
            try? await Task.sleep(until: next, clock: .continuous)
            let now = ContinuousClock.now
            let expired = state.withLock { state -> [Waiter] in
                var expired: [Waiter] = []
                state.queue.removeAll { waiter in
                    guard let deadline = waiter.deadline, deadline <= now else { return false }
                    expired.append(waiter)
                    return true
                }
                for (id, waiter) in state.committing {
                    if let deadline = waiter.deadline, deadline <= now { expired.append(state.committing.removeValue(forKey: id)!) }
                }
                return expired
            }
            for waiter in expired { waiter.continuation.resume(throwing: Self.deadlinePassed) }
        }
    }

    private static let deadlinePassed = StoreError(.unavailable, "the deadline passed before the conversion could be stored")

    /// Runs `body` in a savepoint: its changes stay when it returns and are
    /// undone when it throws, and the transaction goes on either way. A
    /// conflict means another node stored the same order (or Shopify
    /// delivery) between this one's check and its insert: the body runs
    /// once more and finds it.
    private static func inSavepoint(_ db: any SQLConnection, _ body: () throws -> ConversionRecording) -> Result<ConversionRecording, any Error> {
        do {
            try db.execute("SAVEPOINT conversion", [])
        } catch {
            return .failure(error)
        }
        var attempts = 0
        while true {
            attempts += 1
            do {
                let recording = try body()
                try db.execute("RELEASE SAVEPOINT conversion", [])
                return .success(recording)
            } catch {
                _ = try? db.execute("ROLLBACK TO SAVEPOINT conversion", [])
                if attempts == 1, let error = error as? StoreError, error.code == .conflict { continue }
                _ = try? db.execute("RELEASE SAVEPOINT conversion", [])
                return .failure(error)
            }
        }
    }
}
