import Aggregator
import Benchmark
import BenchmarkSupport
import ClickModel
import ClickRing
import Domain
import Foundation
import Store
import StorePostgres
import StoreSQLite

/// Clicks shaped like affiliate traffic: 50 offers, 1,000 links, 20,000
/// partners whose clicks follow a skewed distribution (a few partners bring
/// most clicks), each promoting two links; 100,000 clients; a tenth of the
/// clicks bots, a tenth unattributed, three in ten with an ad. Each client
/// is an IPv4 address of 44.0.0.0/8, a client hash's worth of them.
func makeClicks(count: Int, startingAt milliseconds: UInt64, worker: Int = 0) -> [ClickRecord] {
    var ids = ClickIDGenerator(node: 0, worker: worker)
    var random = SplitMix64(seed: UInt64(worker) &+ milliseconds)
    return (0..<count).map { i in
        let skew = Double.random(in: 0..<1, using: &random)
        let partner = UInt32(skew * skew * skew * 20_000) + 1
        let link = Bool.random(using: &random) ? partner % 1_000 + 1 : (partner &* 7) % 1_000 + 1
        let roll = Int.random(in: 0..<10, using: &random)
        let client = UInt64.random(in: 1...100_000, using: &random)
        return ClickRecord(
            id: ids.next(milliseconds: milliseconds + UInt64(i / 100)),
            clientHash: client,
            offerID: link % 50 + 1, linkID: link,
            creditedPartnerID: roll == 1 ? 0 : partner, generatingPartnerID: partner,
            adID: roll < 3 ? partner : 0,
            outcome: roll == 0 ? .bot : roll == 1 ? .unattributed : .billable,
            network: ClientNetwork(rawValue: 0x0000_FFFF_2C00_0000 | client))
    }
}

/// The invalid-click checks as a service with a hosting-network list runs
/// them: the default address cap, and 10,000 /24 ranges, ten of them among
/// the clients' 391 (so that about one click in forty comes from one).
let checkedRules: InvalidClickRules = {
    let elsewhere = (0..<9_990).map { IPRange("44.\(4 + $0 / 256).\($0 % 256).0/24")! }
    let amongClients = (0..<10).map { IPRange("44.0.\($0 * 25).0/24")! }
    return InvalidClickRules(datacenters: DatacenterRanges(ranges: elsewhere + amongClients))
}()


let benchmarks: @Sendable () -> Void = {
    // Records moved through one ring by a producer thread and a consumer thread.
    Benchmark(
        "RingTransfer",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .mega, maxDuration: .seconds(5))
    ) { benchmark in
        let total = benchmark.scaledIterations.count
        let ring = SPSCRing<ClickRecord>(capacity: 65_536)
        let started = DispatchSemaphore(value: 0)
        benchmark.startMeasurement()
        Thread.detachNewThread {
            started.signal()
            var ids = ClickIDGenerator(node: 0, worker: 0)
            var pushed = 0
            while pushed < total {
                // As the edge writes a click: the hot fields in place, no sub ids.
                let id = ids.next(milliseconds: 1_800_000_000_000)
                let offer = UInt32(truncatingIfNeeded: pushed)
                if ring.tryPush({ record in
                    record.pointee.id = id
                    record.pointee.clientHash = 7
                    record.pointee.offerID = offer
                    record.pointee.linkID = 1
                    record.pointee.creditedPartnerID = 2
                    record.pointee.generatingPartnerID = 2
                    record.pointee.adID = 0
                    record.pointee.outcome = .billable
                    record.pointee.flags = []
                    record.pointee.botReason = .none
                    record.pointee.workerID = 0
                }) {
                    pushed += 1
                }
            }
        }
        started.wait()
        var received = 0
        var checksum: UInt32 = 0
        while received < total {
            received += ring.drain { records in
                for record in records { checksum &+= record.offerID }
            }
        }
        benchmark.stopMeasurement()
        blackHole(checksum)
    }

    // Clicks counted into the live counters on one core, with the maps at their steady size.
    Benchmark(
        "Aggregation",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .mega, maxDuration: .seconds(5))
    ) { benchmark in
        let clicks = makeClicks(count: benchmark.scaledIterations.count, startingAt: 1_800_000_000_000)
        let counters = LiveCounters()
        // Warm the maps so the measurement sees steady state, as a running service does.
        clicks.withUnsafeBufferPointer { buffer in for i in 0..<buffer.count { _ = counters.record(buffer.baseAddress! + i) } }
        var unique = 0
        clicks.withUnsafeBufferPointer { buffer in
            benchmark.startMeasurement()
            // As the aggregator does with each run it drains from a ring.
            counters.record(buffer) { _, isUnique in if isUnique { unique += 1 } }
            benchmark.stopMeasurement()
        }
        blackHole(unique)
    }

    // The same with the invalid-click checks first, as the aggregator runs them
    // on each run it drains: compare with Aggregation, measured in the same run.
    Benchmark(
        "AggregationWithClickChecks",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .mega, maxDuration: .seconds(5))
    ) { benchmark in
        let clicks = makeClicks(count: benchmark.scaledIterations.count, startingAt: 1_800_000_000_000)
        let counters = LiveCounters()
        let checks = InvalidClicks(rules: checkedRules)
        var warm = clicks
        warm.withUnsafeMutableBufferPointer { buffer in
            checks.judge(buffer)
            for i in 0..<buffer.count { _ = counters.record(buffer.baseAddress! + i) }
        }
        var measured = clicks
        var unique = 0
        measured.withUnsafeMutableBufferPointer { buffer in
            benchmark.startMeasurement()
            checks.judge(buffer)
            counters.record(UnsafeBufferPointer(buffer)) { _, isUnique in if isUnique { unique += 1 } }
            benchmark.stopMeasurement()
        }
        blackHole(unique)
    }

    // The invalid-click flags of ten million stored clicks (SQLite) judged
    // again from the store: time, and the process's peak memory (writing them
    // first included).
    Benchmark(
        "RecheckTenMillionStoredClicks",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident], maxDuration: .seconds(600), maxIterations: 1)
    ) { benchmark in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("clickline.sqlite").path)
        let start: UInt64 = 1_800_000_000_000
        let checks = InvalidClicks(rules: checkedRules)
        for number in 0..<1_000 {
            var clicks = makeClicks(count: 10_000, startingAt: start + UInt64(number) * 8_640, worker: number % 256)
            clicks.withUnsafeMutableBufferPointer { checks.judge($0) }
            var batch = ClickBatch(reservingCapacity: 10_000)
            for record in clicks { batch.append(record, unique: false) }
            try store.write(batch, nodeID: 0)
        }
        benchmark.startMeasurement()
        let report = try InvalidClickRecheck.run(store, rules: checkedRules, from: 0, to: Int64(start) + 86_400_000)
        benchmark.stopMeasurement()
        precondition(report.clicks == 10_000_000 && report.matches, "\(report)")
        blackHole(report)
    }

    // Clicks stored into SQLite in batches of 10,000 with their rollups.
    Benchmark(
        "ClickWriterSQLite",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .mega, maxDuration: .seconds(30), maxIterations: 5)
    ) { benchmark in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("clickline.sqlite").path)
        try measureClickWriter(store, benchmark)
    }

    // The same into PostgreSQL, on the server CLICKLINE_BENCH_POSTGRES names
    // (scripts/bench starts one on loopback), in a database of its own.
    if let server = ProcessInfo.processInfo.environment["CLICKLINE_BENCH_POSTGRES"] {
        Benchmark(
            "ClickWriterPostgres",
            configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .mega, maxDuration: .seconds(60), maxIterations: 3)
        ) { benchmark in
            let database = "bench_\(UInt64.random(in: 0...UInt64.max))"
            try psql(server, "CREATE DATABASE \(database)")
            defer { try? psql(server, "DROP DATABASE \(database) WITH (FORCE)") }
            var components = URLComponents(string: server)!
            components.path = "/" + database
            try measureClickWriter(try PostgresStore(url: components.string!), benchmark)
        }
    } else {
        print("ClickWriterPostgres left out: CLICKLINE_BENCH_POSTGRES is not set (scripts/bench starts a server and sets it)")
    }
}

/// A store that has run a while (a million clicks in), then another million
/// measured, in batches of 10,000 with their rollups, as the click writer
/// sends them: a batch a second of the clicks' time, and the writer's
/// maintenance (compacting what is finished) once a minute of it.
func measureClickWriter(_ store: any ClickStore, _ benchmark: Benchmark) throws {
    let perBatch = 10_000
    let start: UInt64 = 1_800_000_000_000
    func batches(_ count: Int, from first: Int) -> [(number: Int, batch: ClickBatch)] {
        (first..<(first + count)).map { number in
            var batch = ClickBatch(reservingCapacity: perBatch)
            for record in makeClicks(count: perBatch, startingAt: start + UInt64(number) * 1_000, worker: number % 256) {
                batch.append(record, unique: record.clientHash % 7 == 0)
            }
            return (number, batch)
        }
    }
    func write(_ number: Int, _ batch: ClickBatch) throws {
        try store.write(batch, nodeID: 0)
        if number % 60 == 59 { _ = try store.compactRollups(now: Int64(start) + Int64(number) * 1_000, limit: 24) }
    }
    for (number, batch) in batches(100, from: 0) { try write(number, batch) }
    let measured = batches(max(1, benchmark.scaledIterations.count / perBatch), from: 100)
    benchmark.startMeasurement()
    for (number, batch) in measured { try write(number, batch) }
    benchmark.stopMeasurement()
}

func psql(_ url: String, _ sql: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw StoreError(.unavailable, "psql failed: \(sql)") }
}
