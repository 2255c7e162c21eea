import ClickRing
import Foundation
import Testing

@Suite("The SPSC ring")
struct SPSCRingTests {
    @Test func rejectsCapacityThatIsNotAPowerOfTwo() async {
        await #expect(processExitsWith: .failure) {
            _ = SPSCRing<UInt64>(capacity: 100)
        }
    }

    @Test func fullRingDropsAndCountsExactly() {
        let ring = SPSCRing<UInt64>(capacity: 8)
        var dropped = 0
        for value in 0..<20 as Range<UInt64> where !ring.tryPush(value) { dropped += 1 }
        #expect(dropped == 12)
        #expect(ring.count == 8)

        var seen: [UInt64] = []
        let drained = ring.drain { seen += $0 }
        #expect(drained == 8)
        #expect(seen == Array(0..<8))
        #expect(ring.count == 0)
        #expect(ring.drain { _ in Issue.record("an empty ring handed out elements") } == 0)

        // After draining, the ring takes exactly `capacity` again.
        var accepted = 0
        for value in 100..<120 as Range<UInt64> where ring.tryPush(value) { accepted += 1 }
        #expect(accepted == 8)
    }

    @Test func drainHandsOutWrappedRunsInOrder() {
        let ring = SPSCRing<UInt64>(capacity: 8)
        for value in 0..<6 as Range<UInt64> { #expect(ring.tryPush(value)) }
        _ = ring.drain(limit: 5) { _ in }
        for value in 6..<13 as Range<UInt64> { #expect(ring.tryPush(value)) }  // wraps around the end
        var runs: [[UInt64]] = []
        #expect(ring.drain { runs.append(Array($0)) } == 8)
        #expect(runs.flatMap { $0 } == Array(5..<13))
        #expect(runs.count == 2)
    }

    @Test func drainRespectsItsLimit() {
        let ring = SPSCRing<UInt64>(capacity: 16)
        for value in 0..<10 as Range<UInt64> { _ = ring.tryPush(value) }
        var seen: [UInt64] = []
        #expect(ring.drain(limit: 4) { seen += $0 } == 4)
        #expect(ring.drain(limit: 100) { seen += $0 } == 6)
        #expect(seen == Array(0..<10))
    }

    @Test func inPlaceWritesArePublishedWhole() {
        struct Pair: BitwiseCopyable { var a: UInt64; var b: UInt64 }
        let ring = SPSCRing<Pair>(capacity: 4)
        #expect(ring.tryPush { $0.pointee.a = 7; $0.pointee.b = 9 })
        var got: [UInt64] = []
        _ = ring.drain { for pair in $0 { got += [pair.a, pair.b] } }
        #expect(got == [7, 9])
    }

    /// One producer and one consumer thread move ten million sequence numbers
    /// through a small ring: none lost, none duplicated, order kept. The
    /// producer retries when the ring is full (that is the test's choice; the
    /// edge drops instead).
    @Test func tenMillionRecordsAcrossTwoThreads() {
        let total: UInt64 = 10_000_000
        let ring = SPSCRing<UInt64>(capacity: 1024)
        let producerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var value: UInt64 = 0
            while value < total {
                if ring.tryPush(value) { value += 1 }
            }
            producerDone.signal()
        }
        var expected: UInt64 = 0
        var outOfOrder = 0
        while expected < total {
            _ = ring.drain { values in
                for value in values {
                    if value != expected { outOfOrder += 1 }
                    expected = value + 1
                }
            }
        }
        producerDone.wait()
        #expect(outOfOrder == 0)
        #expect(expected == total)
        #expect(ring.count == 0)
        #expect(ring.drain { _ in } == 0, "nothing beyond what was pushed")
    }
}
