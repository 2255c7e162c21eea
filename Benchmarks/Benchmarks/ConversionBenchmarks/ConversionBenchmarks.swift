import Benchmark
import ClickModel
import Foundation
import Domain
import Store
import StoreSQLite

/// A store holding 100 million clicks (in pages, as the click writer leaves
/// them), written once into the temporary directory and reused by later runs,
/// with 10,000 of their ids kept aside to look up.
enum LargeClickStore {
    static let clicks = 100_000_000
    static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-bench-clicks-100m-v1")
    static var path: String { directory.appendingPathComponent("clickline.sqlite").path }
    static var samplesPath: String { directory.appendingPathComponent("sample-ids.txt").path }

    static let store: SQLStore = {
        do {
            if !FileManager.default.fileExists(atPath: samplesPath) { try fill() }
            return SQLStore(backend: try SQLiteStore(path: path))
        } catch {
            fatalError("cannot make the benchmark click store: \(error)")
        }
    }()

    static let sampleIDs: [ClickID] = {
        _ = store
        let text = (try? String(contentsOfFile: samplesPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { ClickID(String($0)) }
    }()

    private static func fill() throws {
        try? FileManager.default.removeItem(at: directory)
        let store = try SQLiteStore(path: path)
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var random = SystemRandomNumberGenerator()
        var samples: [String] = []
        let perBatch = 10_000
        // 100 million clicks over about 40 days: 10,000 every 35 seconds.
        let start: UInt64 = 1_790_000_000_000
        for number in 0..<(clicks / perBatch) {
            var batch = ClickBatch(reservingCapacity: perBatch)
            let base = start + UInt64(number) * 35_000
            for i in 0..<perBatch {
                let partner = UInt32.random(in: 1...50, using: &random)  // few rollup rows: the lookup is what is measured
                let id = ids.next(milliseconds: base + UInt64(i * 3))
                batch.append(ClickRecord(id: id, clientHash: UInt64.random(in: 1...UInt64.max, using: &random), offerID: partner % 1_000 + 1,
                                         linkID: partner % 100_000 + 1, creditedPartnerID: partner, generatingPartnerID: partner),
                             unique: i % 3 == 0)
                if i == 4_321 { samples.append(id.description) }
            }
            try store.write(batch, nodeID: 0)
        }
        try samples.joined(separator: "\n").write(toFile: samplesPath, atomically: true, encoding: .utf8)
    }
}

let benchmarks: @Sendable () -> Void = {
    // The lookup a postback makes: a click found by the id the destination received.
    Benchmark(
        "ClickLookup100M",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxDuration: .seconds(20), maxIterations: 10)
    ) { (benchmark: Benchmark) async throws in
        let store = LargeClickStore.store
        let ids = LargeClickStore.sampleIDs
        precondition(ids.count == LargeClickStore.clicks / 10_000)
        var random = SystemRandomNumberGenerator()
        let picks = (0..<benchmark.scaledIterations.count).map { _ in ids.randomElement(using: &random)! }
        benchmark.startMeasurement()
        for id in picks {
            guard let click = try await store.click(id: id) else { fatalError("click \(id) is missing") }
            blackHole(click)
        }
    }
}
