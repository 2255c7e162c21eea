import ClickModel
import Testing

@Suite("Click ids (ULID)")
struct ClickIDTests {
    @Test func textIsTwentySixCrockfordCharacters() {
        var generator = ClickIDGenerator(node: 3, worker: 1, seed: 42)
        let id = generator.next(milliseconds: 1_700_000_000_000)
        let text = id.description
        #expect(text.count == 26)
        #expect(text.allSatisfy { "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains($0) })
        #expect(ClickID(text) == id)
        #expect(ClickID(text.lowercased()) == id, "parsing ignores case")
        #expect(id.milliseconds == 1_700_000_000_000)
    }

    @Test func knownValue() {
        // The ULID spec's reference encoding: the maximum value.
        #expect(ClickID(rawValue: .max).description == "7ZZZZZZZZZZZZZZZZZZZZZZZZZ")
        #expect(ClickID(rawValue: 0).description == "00000000000000000000000000")
        #expect(ClickID("7ZZZZZZZZZZZZZZZZZZZZZZZZZ") == ClickID(rawValue: .max))
        #expect(ClickID("01ARYZ6S41TSV4RRFFQ69G5FAV")?.milliseconds == 1_469_918_176_385)
    }

    @Test(arguments: ["", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVV", "81ARZ3NDEKTSV4RRFFQ69G5FAV",
                      "01ARZ3NDEKTSV4RRFFQ69G5FAU", "01ARZ3NDEKTSV4RRFFQ69G5FA!"])
    func rejectsInvalidText(text: String) {
        #expect(ClickID(text) == nil)
    }

    @Test func bytesRoundTrip() {
        var generator = ClickIDGenerator(node: 4095, worker: 255)
        let id = generator.next(milliseconds: 1_800_000_000_123)
        #expect(ClickID(bigEndianBytes: id.bigEndianBytes) == id)
        #expect(id.bigEndianBytes.count == 16)
    }

    @Test func idsOfOneGeneratorStrictlyIncreaseEvenWhenTheClockStepsBack() {
        var generator = ClickIDGenerator(node: 0, worker: 0)
        var previous = generator.next(milliseconds: 1_000)
        for milliseconds: UInt64 in [1_000, 1_000, 999, 500, 1_001, 1_001, 2_000, 1_500] {
            let next = generator.next(milliseconds: milliseconds)
            #expect(next > previous)
            #expect(next.description > previous.description, "the text sorts like the value")
            previous = next
        }
        #expect(previous.milliseconds == 2_000)
    }

    @Test func laterMillisecondsSortLater() {
        var a = ClickIDGenerator(node: 1, worker: 7, seed: .max)
        var b = ClickIDGenerator(node: 0, worker: 0, seed: 0)
        #expect(a.next(milliseconds: 5_000) < b.next(milliseconds: 5_001))
    }

    @Test func uniqueAcrossWorkerThreadsAndNodes() async {
        let perWorker = 50_000
        let ids = await withTaskGroup(of: [ClickID].self) { group in
            for node in 0..<2 {
                for worker in 0..<4 {
                    group.addTask {
                        // The same seed everywhere: only node and worker tell the ids apart.
                        var generator = ClickIDGenerator(node: node, worker: worker, seed: 12345)
                        var local: [ClickID] = []
                        local.reserveCapacity(perWorker)
                        for i in 0..<perWorker { local.append(generator.next(milliseconds: 1_000 + UInt64(i / 1000))) }
                        return local
                    }
                }
            }
            var all = Set<ClickID>()
            for await local in group { all.formUnion(local) }
            return all
        }
        #expect(ids.count == 8 * perWorker)
    }
}
