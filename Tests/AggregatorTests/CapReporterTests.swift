import Aggregator
import ClickCaps
import ClickModel
import Domain
import Logging
import Synchronization
import Testing

/// Nodes' cap counters meeting in one store: `cap_use` as the SQL stores keep
/// it (their statements are tested by the store contracts and end to end).
final class SharedCounters: CapUseStore {
    private let counters = Mutex<[CapKey: Int64]>([:])

    struct CapKey: Hashable {
        var linkID: UInt32, cap: Int, partnerID: UInt32, period: Int64
    }

    func addCapUse(_ uses: [CapUse]) async throws -> [Int64] {
        counters.withLock { counters in
            uses.map { use in
                let key = CapKey(linkID: use.linkID, cap: use.cap, partnerID: use.partnerID, period: use.period)
                counters[key, default: 0] += use.clicks
                return counters[key]!
            }
        }
    }

    func capUse(periods: [Int64]) async throws -> [CapUse] {
        counters.withLock { counters in
            counters.filter { periods.contains($0.key.period) }.map {
                CapUse(linkID: $0.key.linkID, cap: $0.key.cap, partnerID: $0.key.partnerID, period: $0.key.period, clicks: $0.value)
            }
        }
    }
}

@Suite("Caps across nodes")
struct CapReporterTests {
    static let cap = LinkCap(scope: .link, period: .total, maxClicks: 100)
    let key = CapLedger.Key(linkID: 1, cap: 0, partnerID: 0)

    static func node(_ store: SharedCounters, slice: Int64) -> CapReporter {
        CapReporter(ledger: CapLedger(capacity: 64, slice: slice), store: store, logger: Logger(label: "test")) { _ in [cap] }
    }

    /// Two nodes take clicks in turns, each reporting now and then: the cap
    /// is exceeded by at most one slice, the (nodes - 1) x slice bound, and
    /// once both have reported, neither lets another click through.
    @Test(arguments: [1, 7, 10, 25])
    func twoNodesExceedTheCapByAtMostOneSlice(reportEvery: Int) async throws {
        let store = SharedCounters()
        let slice: Int64 = 10
        let nodes = [Self.node(store, slice: slice), Self.node(store, slice: slice)]
        var allowed = 0
        for click in 0..<400 {
            let node = nodes[click % 2]
            if node.ledger.take(key, period: 0, max: Self.cap.maxClicks) { allowed += 1 }
            if click % reportEvery == 0 { try await node.report(now: 0) }
        }
        for node in nodes { try await node.report(now: 0) }
        #expect(allowed >= 100)
        #expect(allowed <= 100 + Int(slice), "\(allowed) clicks let through a cap of 100 with a slice of \(slice)")
        let total = try await store.capUse(periods: [0]).first?.clicks
        #expect(total == Int64(allowed))
        for node in nodes { #expect(!node.ledger.take(key, period: 0, max: Self.cap.maxClicks)) }
    }

    /// A node alone with an unlimited slice is exact; restarted, it starts
    /// from what the store counted.
    @Test func aRestartedNodeStartsFromTheStoresCount() async throws {
        let store = SharedCounters()
        let first = Self.node(store, slice: CapLedger.maxClicks)
        #expect((0..<60).filter { _ in first.ledger.take(key, period: 0, max: 100) }.count == 60)
        try await first.report(now: 0)
        let second = Self.node(store, slice: CapLedger.maxClicks)
        try await second.seed(now: 0)
        #expect((0..<60).filter { _ in second.ledger.take(key, period: 0, max: 100) }.count == 40)
        try await second.report(now: 0)
        #expect(try await store.capUse(periods: [0]).first?.clicks == 100)
    }
}
