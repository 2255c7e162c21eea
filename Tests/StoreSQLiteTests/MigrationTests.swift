import ClickModel
import Foundation
import GRDB
import Store
@testable import StoreSQLite
import Testing

@Suite("SQLite migrations")
struct MigrationTests {
    /// Clicks stored a row each by the first schema are found, sub ids and
    /// all, once the store has moved them into pages.
    @Test func clicksOfTheFirstSchemaMoveIntoPages() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-migration-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("clickline.sqlite").path

        var ids = ClickIDGenerator(node: 0, worker: 0)
        let first = ids.next(milliseconds: 1_800_000_000_000)
        let second = ids.next(milliseconds: 1_800_000_000_001)
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(queue, upTo: "v1: workspace, catalogue, keys, clicks, rollups")
            try queue.write { db in
                for (id, sub1, flags) in [(first, "spring" as String?, 8 + 4), (second, nil, 0)] {
                    try db.execute(sql: """
                        INSERT INTO clicks (id, node_id, worker_id, offer_id, link_id, credited_partner_id, generating_partner_id,
                                            ad_id, outcome, flags, bot_reason, client_hash, sub1)
                        VALUES (?, 0, 0, 1, 10, 100, 100, 0, 0, ?, 0, 42, ?)
                        """, arguments: [Data(id.bigEndianBytes), flags, sub1])
                }
            }
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.storedClickCount() == 2)
        let moved = try #require(try store.click(id: first))
        #expect(moved.linkID == 10 && moved.creditedPartnerID == 100)
        #expect(moved.flags.contains(.unique))
        #expect(moved.subIDs.first == "spring")
        #expect(try store.click(id: second)?.subIDs == [nil, nil, nil, nil, nil])
    }
}
