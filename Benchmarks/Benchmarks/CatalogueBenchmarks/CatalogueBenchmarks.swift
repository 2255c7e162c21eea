import Benchmark
import ClickModel
import Domain
import Foundation
import GRDB
import Logging
import Services
import Store
import StoreSQLite

/// A catalogue at the size SPEC section 10 names: 1,000 offers, 100,000
/// links, 1,000,000 partners (nine in ten the child of one of the first
/// 100,000), 1,000,000 memberships and 1,000,000 ads. Written once into a
/// SQLite file in the temporary directory and reused by later runs.
enum LargeCatalogue {
    static let offers = 1_000
    static let links = 100_000
    static let partners = 1_000_000
    static let ads = 1_000_000
    static let path = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-bench-catalogue-1m-v3.sqlite").path

    /// The store, filled on first use.
    static let store: SQLiteStore = {
        do {
            if !FileManager.default.fileExists(atPath: path) { try fill() }
            return try SQLiteStore(path: path)
        } catch {
            fatalError("cannot make the benchmark catalogue: \(error)")
        }
    }()

    private static func fill() throws {
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        _ = try SQLiteStore(path: partial)  // creates and migrates
        let queue = try DatabaseQueue(path: partial)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = OFF")
            try db.inTransaction {
                let offer = try db.makeStatement(sql: """
                    INSERT INTO offers (id, name, status, destination_url, fallback_url, created_at, updated_at, postback_token)
                    VALUES (?, ?, 'active', 'https://shop.example.com/', 'https://shop.example.com/sale', 0, 0, ?)
                    """)
                for id in 1...offers { try offer.execute(arguments: [id, "Offer \(id)", "clb_bench_\(id)"]) }
                let link = try db.makeStatement(sql: "INSERT INTO links (id, offer_id, code, destination_url, created_at) VALUES (?, ?, ?, ?, 0)")
                for id in 1...links {
                    try link.execute(arguments: [id, id % offers + 1, "l\(id)", "https://shop.example.com/p/\(id)?utm_source=clickline"])
                }
                let partner = try db.makeStatement(sql: "INSERT INTO partners (id, name, code, parent_id, status, created_at) VALUES (?, ?, ?, ?, 'active', 0)")
                for id in 1...partners {
                    try partner.execute(arguments: [id, "Partner \(id)", "p\(id)", id > 100_000 ? id % 100_000 + 1 : nil])
                }
                let member = try db.makeStatement(sql: """
                    INSERT INTO memberships (offer_id, partner_id, status, created_at, dashboard_token) VALUES (?, ?, 'active', 0, ?)
                    """)
                for id in 1...partners { try member.execute(arguments: [id % offers + 1, id, "cld_bench_\(id)"]) }
                let ad = try db.makeStatement(sql: "INSERT INTO ads (id, partner_id, code, name, created_at) VALUES (?, ?, ?, '', 0)")
                for id in 1...ads { try ad.execute(arguments: [id, id % partners + 1, "ad\(id % 7)x\(id)"]) }
                return .commit
            }
        }
        try queue.close()
        try FileManager.default.moveItem(atPath: partial, toPath: path)
        try? FileManager.default.removeItem(atPath: partial + "-wal")
        try? FileManager.default.removeItem(atPath: partial + "-shm")
    }
}

let benchmarks: @Sendable () -> Void = {
    // What the catalogue publisher does after every change: read the whole
    // catalogue in one transaction and index it for the edge.
    Benchmark(
        "LinkTableFromStore1M",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident], maxDuration: .seconds(60), maxIterations: 5)
    ) { benchmark in
        let store = LargeCatalogue.store
        benchmark.startMeasurement()
        let (data, version) = try store.loadCatalogue()
        let table = LinkTable(data, version: version) { jobs in DispatchQueue.concurrentPerform(iterations: jobs.count) { jobs[$0]() } }
        benchmark.stopMeasurement()
        precondition(table.partnerCount == LargeCatalogue.partners && table.adCount == LargeCatalogue.ads)
        blackHole(table)
    }

    // The same split in two: reading the rows, and indexing them.
    Benchmark(
        "CatalogueLoad1M",
        configuration: .init(metrics: [.wallClock], maxDuration: .seconds(60), maxIterations: 5)
    ) { benchmark in
        let store = LargeCatalogue.store
        benchmark.startMeasurement()
        blackHole(try store.loadCatalogue())
    }
    Benchmark(
        "LinkTableBuild1M",
        configuration: .init(metrics: [.wallClock], maxDuration: .seconds(60), maxIterations: 5)
    ) { benchmark in
        let (data, version) = try LargeCatalogue.store.loadCatalogue()
        benchmark.startMeasurement()
        blackHole(LinkTable(data, version: version) { jobs in DispatchQueue.concurrentPerform(iterations: jobs.count) { jobs[$0]() } })
    }

    // From a write through the store to a new table handed to the edge, with
    // the default poll of 100 ms (each worker then swaps on its next tick,
    // at most 100 ms later).
    Benchmark(
        "CatalogueChangeToEdge1M",
        configuration: .init(metrics: [.wallClock], maxDuration: .seconds(60), maxIterations: 5)
    ) { (benchmark: Benchmark) async throws in
        let store = LargeCatalogue.store
        let shared = SQLStore(backend: store)
        let publisher = CataloguePublisher(store: store, pollMilliseconds: 100, logger: Logger(label: "bench")) { blackHole($0) }
        try publisher.publishNow()
        publisher.start()
        defer { publisher.stop() }
        benchmark.startMeasurement()
        let offer = try await shared.updateOffer(id: 1) { $0.status = $0.status == .active ? .paused : .active }
        let target = try store.catalogueVersion()
        while publisher.version < target { usleep(1_000) }
        benchmark.stopMeasurement()
        blackHole(offer)
    }
}
