import ClickCaps
import ClickModel
import Domain
import Logging
import Synchronization

/// Tells the store how many clicks this node's caps let through, and sets
/// the cap ledger's limits from the totals it answers (see `CapLedger` for
/// the bound this keeps across nodes).
///
/// One round at a time: `report()` is called by `run()` only, or by tests.
public final class CapReporter: Sendable {
    public let ledger: CapLedger
    private let store: any CapUseStore
    /// The caps of a link by id, from the catalogue the edge uses now.
    private let capsOfLink: @Sendable (UInt32) -> [LinkCap]
    private let logger: Logger
    /// What this node told the store so far, per counter and period.
    private let reported = Mutex<[Counter: Int64]>([:])

    private struct Counter: Hashable {
        var key: CapLedger.Key
        var period: Int64
    }

    public init(ledger: CapLedger, store: any CapUseStore, logger: Logger, capsOfLink: @escaping @Sendable (UInt32) -> [LinkCap]) {
        self.ledger = ledger
        self.store = store
        self.logger = logger
        self.capsOfLink = capsOfLink
    }

    /// Sets the limits of today's and the lasting counters from what the
    /// store holds, so that a restart does not start the caps again. Call it
    /// before the edge lets clicks through.
    public func seed(now: Int64) async throws {
        for use in try await store.capUse(periods: [CapLedger.totalPeriod, CapLedger.day(now)]) {
            guard let cap = cap(linkID: use.linkID, index: use.cap) else { continue }
            let key = CapLedger.Key(linkID: use.linkID, cap: UInt8(use.cap), partnerID: use.partnerID)
            ledger.setLimit(key, period: use.period, min(ledger.slice, cap.maxClicks - use.clicks))
        }
    }

    /// Tells the store what the counters took since the last round, and
    /// sets their limits from the totals. Returns how many counters it told.
    @discardableResult
    public func report(now: Int64) async throws -> Int {
        let known = reported.withLock { $0 }
        var readings: [CapLedger.Reading] = []
        ledger.forEachReading { reading in
            if reading.taken != known[Counter(key: reading.key, period: reading.period), default: 0] { readings.append(reading) }
        }
        guard !readings.isEmpty else { return 0 }
        // In one order on every node, so that two nodes' transactions never wait on each other's rows crosswise.
        readings.sort { ($0.key.linkID, $0.key.cap, $0.key.partnerID, $0.period) < ($1.key.linkID, $1.key.cap, $1.key.partnerID, $1.period) }
        let uses = readings.map { reading in
            CapUse(linkID: reading.key.linkID, cap: Int(reading.key.cap), partnerID: reading.key.partnerID, period: reading.period,
                   clicks: reading.taken - known[Counter(key: reading.key, period: reading.period), default: 0])
        }
        let totals = try await store.addCapUse(uses)
        let yesterday = CapLedger.day(now) - 1
        reported.withLock { reported in
            for reading in readings { reported[Counter(key: reading.key, period: reading.period)] = reading.taken }
            reported = reported.filter { $0.key.period == CapLedger.totalPeriod || $0.key.period >= yesterday }
        }
        for (reading, total) in zip(readings, totals) {
            guard let cap = cap(linkID: reading.key.linkID, index: Int(reading.key.cap)) else { continue }
            ledger.setLimit(reading.key, period: reading.period, reading.taken + min(ledger.slice, cap.maxClicks - total))
        }
        return readings.count
    }

    /// Reports every `intervalMilliseconds` until `stopping` says so, then
    /// once more (the edge has stopped by then: that round tells the last clicks).
    public func run(intervalMilliseconds: Int, now: @Sendable () -> Int64, stopping: @Sendable () -> Bool) async {
        var failing = false
        while !stopping() && !Task.isCancelled {
            do {
                try await report(now: now())
                if failing { logger.info("cap counts reach the store again") }
                failing = false
            } catch {
                if !failing { logger.warning("cap counts do not reach the store; nodes keep within their slices", metadata: ["error": "\(error)"]) }
                failing = true
            }
            try? await Task.sleep(for: .milliseconds(intervalMilliseconds))
        }
        do { try await report(now: now()) } catch { logger.warning("the last cap counts did not reach the store", metadata: ["error": "\(error)"]) }
    }

    private func cap(linkID: UInt32, index: Int) -> LinkCap? {
        let caps = capsOfLink(linkID)
        return caps.indices.contains(index) ? caps[index] : nil
    }
}
