import ClickModel
import Domain
import Foundation
import GRDB
import Store
@testable import StoreSQLite
import Testing

@Suite("SQLite migrations")
struct MigrationTests {
    /// Clicks stored a row each by the first schema are found, sub ids and
    /// all, once the store has moved them into pages.
    @Test func clicksOfTheFirstSchemaMoveIntoPages() async throws {
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
            try await queue.write { db in
                for (id, sub1, flags) in [(first, "spring" as String?, 8 + 4), (second, nil, 0)] {
                    try db.execute(sql: """
                        INSERT INTO clicks (id, node_id, worker_id, offer_id, link_id, credited_partner_id, generating_partner_id,
                                            ad_id, outcome, flags, bot_reason, client_hash, sub1)
                        VALUES (?, 0, 0, 1, 10, 100, 100, 0, 0, ?, 0, 42, ?)
                        """, arguments: [Data(id.bigEndianBytes), flags, sub1])
                }
            }
        }
        let backend = try SQLiteStore(path: path)
        let store = SQLStore(backend: backend)
        #expect(try backend.storedClickCount() == 2)
        let moved = try #require(try await store.click(id: first))
        #expect(moved.linkID == 10 && moved.creditedPartnerID == 100)
        #expect(moved.flags.contains(.unique))
        #expect(moved.subIDValues.first == "spring")
        #expect(try await store.click(id: second)?.subIDValues == [nil, nil, nil, nil, nil])
    }

    /// Members of the second schema get a dashboard token each, offers the
    /// default terms; the edge's catalogue reads the same.
    @Test func membersOfTheSecondSchemaGetDashboardTokens() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-migration-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("clickline.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(queue, upTo: "v2: clicks stored in pages")
            try await queue.write { db in
                try db.execute(sql: """
                    INSERT INTO offers (id, name, created_at, updated_at) VALUES (1, 'Old', 0, 0);
                    INSERT INTO partners (id, name, code, created_at) VALUES (1, 'A', 'a', 0), (2, 'B', 'b', 0);
                    INSERT INTO memberships (offer_id, partner_id, created_at) VALUES (1, 1, 0), (1, 2, 0);
                    """)
            }
        }
        let backend = try SQLiteStore(path: path)
        let store = SQLStore(backend: backend)
        let members = try await store.members(MemberQuery(offerID: 1))
        #expect(members.count == 2)
        #expect(members.allSatisfy { $0.dashboardToken.hasPrefix("cld_") && $0.dashboardToken.count == 68 })
        #expect(Set(members.map(\.dashboardToken)).count == 2)
        let offer = try #require(try await store.offer(id: 1))
        #expect(offer.payout == .flat(minorUnits: 0))
        #expect(offer.attributionWindowDays == 30 && offer.creditPolicy == .codeFirst)
        #expect(try backend.loadCatalogue().data.memberships.count == 2)
    }

    /// Clicks and sales stored before members had daily rows are added to
    /// them, so the member report reads the same over whole days as by the minute.
    @Test func membersGetDailyClicksAndSalesFromTheRollups() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-migration-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("clickline.sqlite").path
        let day: Int64 = 20_000  // days since the epoch
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(queue, upTo: "v5: daily rollups for reports")
            try await queue.write { db in
                try db.execute(sql: """
                    INSERT INTO offers (id, name, created_at, updated_at) VALUES (1, 'Old', 0, 0);
                    INSERT INTO partners (id, name, code, created_at) VALUES (1, 'A', 'a', 0), (2, 'B', 'b', 0);
                    INSERT INTO memberships (offer_id, partner_id, created_at, dashboard_token) VALUES (1, 1, 0, 'cld_a'), (1, 2, 0, 'cld_b');
                    """)
                // (minute, credited partner, billable): A 3 + 2 on the first day and 4 on the next, B 1, 5 credited to nobody.
                for (minute, partner, billable) in [(day * 1440 + 10, 1, 3), (day * 1440 + 900, 1, 2), (day * 1440 + 1500, 1, 4),
                                                    (day * 1440 + 10, 2, 1), (day * 1440 + 20, 0, 5)] {
                    try db.execute(sql: """
                        INSERT INTO click_rollups VALUES (?, 0, 1, 7, ?, ?, 0, ?, ?, 0, 0, 0, 0)
                        """, arguments: [minute, partner, partner, billable, billable])
                }
                // A's sale of 100.00, as the fifth schema stored it: per minute, and per member and day without sales.
                try db.execute(sql: """
                    INSERT INTO conversion_rollups VALUES (?, 1, 1, 1, 10000, 1000, 0);
                    INSERT INTO member_daily (offer_id, partner_id, day, conversions, commissions, paid) VALUES (1, 1, ?, 1, 1000, 0);
                    """, arguments: [day * 1440 + 30, day])
            }
        }
        let backend = try SQLiteStore(path: path)
        let store = SQLStore(backend: backend)
        let wholeDays = ReportQuery(from: day * 86_400_000, to: (day + 2) * 86_400_000, now: (day + 2) * 86_400_000)
        let byMinute = ReportQuery(from: day * 86_400_000 + 60_000, to: (day + 2) * 86_400_000 - 60_000, now: (day + 2) * 86_400_000)
        let report = try await store.memberReport(offerID: 1, wholeDays, text: nil)
        #expect(report.map(\.clicks) == [9, 1])
        #expect(report.map(\.totalSales) == [10_000, 0])
        #expect(report.map(\.conversions) == [1, 0])
        #expect(try await store.memberReport(offerID: 1, byMinute, text: nil) == report, "partial days at both ends read the minutes")

        // The migration compacted every finished day: whole days read the per-member days.
        #expect(try backend.compactRollups(now: (day + 2) * 86_400_000, limit: 100) == RollupCompaction(days: 0, hours: 0, isComplete: true))
        // A click written late for a compacted day is added to it.
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var late = ClickBatch(reservingCapacity: 1)
        late.append(makeClick(&ids, at: UInt64(day * 86_400_000 + 5_000), offer: 1, link: 7, partner: 2), unique: false)
        try backend.write(late, nodeID: 0)
        #expect(try await store.memberReport(offerID: 1, wholeDays, text: nil).map(\.clicks) == [9, 2])
        #expect(try await store.memberReport(offerID: 1, byMinute, text: nil).map(\.clicks) == [9, 1], "the late click was in the first minute")
    }
}
