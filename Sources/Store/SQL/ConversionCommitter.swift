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
/// - A conversion whose deadline passes before its group starts is not
///   recorded (`StoreError(.unavailable)`), nor is one whose task is
///   cancelled while it waits. A group waits for the database's locks only
///   until the earliest deadline in it, then fails whole and changes nothing.
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
        var queue: [Waiter] = []
        var committing = false
        var nextID: UInt64 = 0
    }

    private let database: any SQLDatabase
    private let maxGroup: Int
    private let maxQueued: Int
    private let state = Mutex(State())

    /// - Parameters:
    ///   - maxGroup: the most conversions one commit carries.
    ///   - maxQueued: the most conversions waiting for a commit.
    init(database: any SQLDatabase, maxGroup: Int = 256, maxQueued: Int = 4096) {
        precondition(maxGroup > 0 && maxQueued > 0)
        self.database = database
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
                enum Step { case refused, queued, queuedAndStart, cancelled }
                let step = state.withLock { state -> Step in
                    guard state.queue.count < maxQueued else { return .refused }
                    // A cancellation that came before this point found nothing to take out.
                    if Task.isCancelled { return .cancelled }
                    state.queue.append(Waiter(id: id, request: request, plan: plan, deadline: deadline, continuation: continuation))
                    guard !state.committing else { return .queued }
                    state.committing = true
                    return .queuedAndStart
                }
                switch step {
                case .refused:
                    continuation.resume(throwing: StoreError(.unavailable, "\(maxQueued) conversions are waiting to be stored already"))
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .queued:
                    break
                case .queuedAndStart:
                    Task { await self.commitUntilEmpty() }
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
            let now = ContinuousClock.now
            var live: [Waiter] = []
            for waiter in group {
                if let deadline = waiter.deadline, deadline <= now {
                    waiter.continuation.resume(throwing: StoreError(.unavailable, "the deadline passed before the conversion could be stored"))
                } else {
                    live.append(waiter)
                }
            }
            guard !live.isEmpty else { continue }
            let work = live.map { ($0.request, $0.plan) }
            let options = WriteOptions(deadline: live.compactMap(\.deadline).min())
            do {
                let results = try await database.write(options) { db in
                    work.map { request, plan in Self.inSavepoint(db) { try ConversionsSQL.record(db, request, plan: plan) } }
                }
                for (waiter, result) in zip(live, results) { waiter.continuation.resume(with: result) }
            } catch {
                for waiter in live { waiter.continuation.resume(throwing: error) }
            }
        }
    }

    /// The next group, oldest first; nil (and no loop running) when the queue is empty.
    private func nextGroup() -> [Waiter]? {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                state.committing = false
                return nil
            }
            let count = min(maxGroup, state.queue.count)
            let group = Array(state.queue[..<count])
            state.queue.removeFirst(count)
            return group
        }
    }

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
