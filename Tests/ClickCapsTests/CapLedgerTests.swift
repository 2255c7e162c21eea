import ClickCaps
import Foundation
import Testing

@Suite("The cap ledger")
struct CapLedgerTests {
    let key = CapLedger.Key(linkID: 7, cap: 0, partnerID: 0)

    @Test func aNodeAloneLetsThroughExactlyTheCap() {
        let ledger = CapLedger(capacity: 64, slice: CapLedger.maxClicks)
        let allowed = (0..<12).filter { _ in ledger.take(key, period: CapLedger.totalPeriod, max: 10) }.count
        #expect(allowed == 10)
        #expect(ledger.isReached(key, period: CapLedger.totalPeriod, max: 10))
        // Another cap of the same link, and another partner, count apart.
        #expect(ledger.take(CapLedger.Key(linkID: 7, cap: 1, partnerID: 0), period: CapLedger.totalPeriod, max: 10))
        #expect(ledger.take(CapLedger.Key(linkID: 7, cap: 0, partnerID: 3), period: CapLedger.totalPeriod, max: 10))
    }

    @Test func aDailyCapStartsAgainAtMidnightUTC() {
        let ledger = CapLedger(capacity: 64, slice: CapLedger.maxClicks)
        let midnight: Int64 = 1_796_083_200_000  // 2026-12-01T00:00:00Z
        #expect(CapLedger.day(midnight) == 20_788)
        #expect(CapLedger.day(midnight - 1) == 20_787)
        let today = CapLedger.day(midnight - 1), tomorrow = CapLedger.day(midnight)
        #expect((0..<5).filter { _ in ledger.take(key, period: today, max: 3) }.count == 3)
        #expect((0..<5).filter { _ in ledger.take(key, period: tomorrow, max: 3) }.count == 3)
        // Two days on, the counter of `today`'s parity starts from zero again.
        #expect((0..<5).filter { _ in ledger.take(key, period: today + 2, max: 3) }.count == 3)
    }

    @Test func theLimitFromTheStoreHolds() {
        let ledger = CapLedger(capacity: 64, slice: 100)
        // Before any word from the store: a slice, at most the cap.
        #expect((0..<150).filter { _ in ledger.take(key, period: 1, max: 1_000) }.count == 100)
        // The store says 990 of 1,000 are used in all: 10 more for this node beyond its 100.
        ledger.setLimit(key, period: 1, 110)
        #expect((0..<50).filter { _ in ledger.take(key, period: 1, max: 1_000) }.count == 10)
        // A limit is per period: another period starts from a slice.
        #expect(ledger.take(key, period: 2, max: 1_000))
    }

    @Test func readingsCountEachPeriodAndGivingBackUndoesATake() {
        let ledger = CapLedger(capacity: 64, slice: CapLedger.maxClicks)
        for _ in 0..<4 { _ = ledger.take(key, period: 10, max: 100) }
        for _ in 0..<2 { _ = ledger.take(key, period: 11, max: 100) }
        ledger.giveBack(key, period: 11)
        var readings: [Int64: Int64] = [:]
        ledger.forEachReading { readings[$0.period] = $0.taken }
        #expect(readings == [10: 4, 11: 1])
    }

    @Test func concurrentWorkersNeverExceedTheCap() async {
        let ledger = CapLedger(capacity: 1_024, slice: CapLedger.maxClicks)
        let key = self.key
        let allowed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var count = 0
                    for _ in 0..<20_000 where ledger.take(key, period: 0, max: 25_000) { count += 1 }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(allowed == 25_000)
    }

    @Test func aFullTableCapsAndCounts() {
        let ledger = CapLedger(capacity: 64, slice: CapLedger.maxClicks)
        var placed = 0
        for link in 1...100 where ledger.take(CapLedger.Key(linkID: UInt32(link), cap: 0, partnerID: 0), period: 0, max: 5) {
            placed += 1
        }
        #expect(placed == 64)
        #expect(ledger.overflows == 36)
    }
}
