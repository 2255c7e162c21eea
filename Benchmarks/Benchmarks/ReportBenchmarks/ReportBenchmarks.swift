import Benchmark
import BenchmarkSupport
import ClickModel
import Domain
import Foundation
import GRDB
import Store
import StoreSQLite

/// Six months of a large brand, in rollups: 1,000 offers, 100,000 partners
/// (each a member of one or two offers), 10 million clicks written through
/// the click writer as the edge would, and 1 million conversions with their
/// commissions (a tenth paid) in the conversion rollups. Made once in the
/// temporary directory and reused.
enum LargeBrand {
    static let offers = 1_000
    static let partners = 100_000
    static let clicks = 10_000_000
    static let conversions = 1_000_000
    static let days: Int64 = 182
    static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-bench-reports-v1")
    static var path: String { directory.appendingPathComponent("clickline.sqlite").path }
    static var done: String { directory.appendingPathComponent("complete").path }
    /// The range's end: the benchmark reads the six months before it.
    static let end: Int64 = 1_795_000_000_000 - 1_795_000_000_000 % 86_400_000
    static var start: Int64 { end - days * 86_400_000 }

    static let store: SQLStore = {
        do {
            if !FileManager.default.fileExists(atPath: done) { try fill() }
            let backend = try SQLiteStore(path: path)
            // What the click writer does once a period has ended (nothing after the first time).
            while try !backend.compactRollups(now: end, limit: 10_000).isComplete {}
            return SQLStore(backend: backend)
        } catch {
            fatalError("cannot make the benchmark brand: \(error)")
        }
    }()

    private static func fill() throws {
        try? FileManager.default.removeItem(at: directory)
        let store = try SQLiteStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = OFF")
            try db.inTransaction {
                for id in 1...offers {
                    try db.execute(sql: "INSERT INTO offers (id, name, created_at, updated_at) VALUES (?, ?, 0, 0)", arguments: [id, "Offer \(id)"])
                }
                for id in 1...partners {
                    try db.execute(sql: "INSERT INTO partners (id, name, code, created_at) VALUES (?, ?, ?, 0)", arguments: [id, "Partner \(id)", "p\(id)"])
                    try db.execute(sql: "INSERT INTO memberships (offer_id, partner_id, created_at, dashboard_token) VALUES (?, ?, 0, ?)",
                                   arguments: [id % offers + 1, id, "cld_a\(id)"])
                    if id % 2 == 0 {
                        try db.execute(sql: "INSERT OR IGNORE INTO memberships (offer_id, partner_id, created_at, dashboard_token) VALUES (?, ?, 0, ?)",
                                       arguments: [(id / 2) % offers + 1, id, "cld_b\(id)"])
                    }
                }
                // A conversion rollup row per conversion minute, offer and partner, as the conversion store writes them.
                var random = SplitMix64(seed: 42)
                let statement = try db.makeStatement(sql: """
                    INSERT INTO conversion_rollups (minute, offer_id, partner_id, conversions, sales, commissions, paid) VALUES (?, ?, ?, 1, ?, ?, ?)
                    ON CONFLICT (minute, offer_id, partner_id) DO UPDATE SET conversions = conversions + 1, sales = sales + excluded.sales,
                        commissions = commissions + excluded.commissions, paid = paid + excluded.paid
                    """)
                for _ in 0..<conversions {
                    let partner = Int64.random(in: 1...Int64(partners), using: &random)
                    let minute = (start + Int64.random(in: 0..<(days * 86_400_000), using: &random)) / 60_000
                    let sale = Int64.random(in: 500...50_000, using: &random)
                    let commission = sale / 10
                    try statement.execute(arguments: [minute, partner % Int64(offers) + 1, partner, sale, commission,
                                                      Int64.random(in: 0..<10, using: &random) == 0 ? commission : 0])
                }
                return .commit
            }
        }
        try queue.close()
        // Clicks through the writer, in batches of 10,000, as the edge and aggregator make them.
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var random = SplitMix64(seed: 7)
        let perBatch = 10_000
        let spacing = UInt64(days * 86_400_000) / UInt64(clicks / perBatch)
        for number in 0..<(clicks / perBatch) {
            var batch = ClickBatch(reservingCapacity: perBatch)
            let base = UInt64(start) + UInt64(number) * spacing
            for i in 0..<perBatch {
                let skew = Double.random(in: 0..<1, using: &random)
                let partner = UInt32(skew * skew * Double(partners)) + 1
                let roll = Int.random(in: 0..<10, using: &random)
                batch.append(ClickRecord(
                    id: ids.next(milliseconds: base + UInt64(i) * spacing / UInt64(perBatch)), clientHash: random.next(),
                    offerID: partner % UInt32(offers) + 1, linkID: partner % 50_000 + 1,
                    creditedPartnerID: roll == 1 ? 0 : partner, generatingPartnerID: partner, adID: roll < 3 ? partner : 0,
                    outcome: roll == 0 ? .bot : roll == 1 ? .unattributed : .billable), unique: roll > 5)
            }
            try store.write(batch, nodeID: 0)
        }
        FileManager.default.createFile(atPath: done, contents: Data())
    }
}


let benchmarks: @Sendable () -> Void = {
    // What GET /v1/reports/summary and /v1/reports/offers read: every offer's
    // KPIs over the last six months (the summary adds the rows up).
    Benchmark(
        "OfferReport10MClicks1MConversions",
        configuration: .init(metrics: [.wallClock], maxDuration: .seconds(30), maxIterations: 10)
    ) { (benchmark: Benchmark) async throws in
        let store = LargeBrand.store
        let query = ReportQuery(from: LargeBrand.start, to: LargeBrand.end, now: LargeBrand.end)
        benchmark.startMeasurement()
        let rows = try await store.offerReport(query)
        benchmark.stopMeasurement()
        precondition(rows.count == LargeBrand.offers)
        blackHole(rows)
    }

    // What GET /v1/partner/stats reads for the busiest partner: six months by link, ad and child.
    Benchmark(
        "PartnerStats10MClicks",
        configuration: .init(metrics: [.wallClock], maxDuration: .seconds(30), maxIterations: 10)
    ) { (benchmark: Benchmark) async throws in
        let store = LargeBrand.store
        let query = PartnerClickStatsQuery(partnerID: 1, from: LargeBrand.start, to: LargeBrand.end - 1_800_000, dimensions: [.link, .ad, .child])
        benchmark.startMeasurement()
        let rows = try await store.partnerClickStats(query)
        benchmark.stopMeasurement()
        precondition(!rows.isEmpty)
        blackHole(rows)
    }

    Benchmark(
        "MemberReport10MClicks1MConversions",
        configuration: .init(metrics: [.wallClock], maxDuration: .seconds(30), maxIterations: 10)
    ) { (benchmark: Benchmark) async throws in
        let store = LargeBrand.store
        let query = ReportQuery(from: LargeBrand.start, to: LargeBrand.end, now: LargeBrand.end)
        benchmark.startMeasurement()
        blackHole(try await store.memberReport(offerID: 1, query, text: nil))
    }

    leakedCodeBenchmarks()
}
