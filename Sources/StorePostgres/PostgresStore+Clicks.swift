import ClickModel
import Domain
import Foundation
import NIOCore
import PostgresNIO
import Store

extension PostgresStore: ClickStore {
    /// One transaction: the batch's pages, its rollups (appended, merged with
    /// the other batches' once their minute is over), the offers' days, and
    /// the rollups of periods already compacted. Pages go in as arrays
    /// (`unnest`), rollups by COPY. Each statement is queued on the
    /// connection as soon as it is ready, so the server stores the pages while
    /// the rollups are summed here.
    ///
    /// A commit whose answer was lost (the server stopped as it committed)
    /// leaves the writer unsure; it writes the batch again, and a batch found
    /// stored whole, every page as written, is taken as written rather than
    /// refused, so the writer moves on and nothing is counted twice.
    public func write(_ batch: ClickBatch, nodeID: Int) throws {
        guard !batch.isEmpty else { return }
        let pages = ClickPage.pages(of: batch)
        do {
            try insert(batch, pages: pages, nodeID: nodeID)
        } catch let error as StoreError where error.code == .conflict {
            if try isStored(pages) { return }
            throw error
        }
    }

    /// Whether every page is stored with the ids and count it would have been written with.
    private func isStored(_ pages: [ClickPage]) throws -> Bool {
        let firstIDs = pages.map { ByteBuffer(bytes: $0.firstID.bigEndianBytes) }
        let lastIDs = pages.map { ByteBuffer(bytes: $0.lastID.bigEndianBytes) }
        let counts = pages.map { Int64($0.count) }
        return try withConnection { connection in
            let matching = try query(connection, """
                SELECT count(*) FROM click_pages p
                JOIN unnest(\(firstIDs)::BYTEA[], \(lastIDs)::BYTEA[], \(counts)::BIGINT[]) AS w(f, l, c)
                    ON p.first_id = w.f AND p.last_id = w.l AND p.count = w.c
                """).rows.first?.decode(Int64.self) ?? 0
            return matching == Int64(pages.count)
        }
    }

    private func insert(_ batch: ClickBatch, pages: [ClickPage], nodeID: Int) throws {
        try transaction { connection in
            var firstIDs: [ByteBuffer] = [], lastIDs: [ByteBuffer] = [], counts: [Int64] = [], data: [ByteBuffer] = []
            for page in pages {
                firstIDs.append(ByteBuffer(bytes: page.firstID.bigEndianBytes))
                lastIDs.append(ByteBuffer(bytes: page.lastID.bigEndianBytes))
                counts.append(Int64(page.count))
                data.append(ByteBuffer(bytes: page.bytes))
            }
            let pagesStored = connection.query("""
                INSERT INTO click_pages (first_id, last_id, node_id, count, data)
                SELECT f, l, \(Int64(nodeID)), c, d FROM unnest(\(firstIDs)::BYTEA[], \(lastIDs)::BYTEA[], \(counts)::BIGINT[], \(data)::BYTEA[])
                    AS page(f, l, c, d)
                """, logger: logger)

            let rollups = batch.rollups()
            var rows = CopyText(capacity: rollups.count * 64)
            var daily: [DailyKey: Int64] = [:]
            for rollup in rollups {
                let key = rollup.key, counts = rollup.counts
                rows.append(key.minute)
                rows.append(Int64(nodeID))
                rows.append(Int64(key.offerID))
                rows.append(Int64(key.linkID))
                rows.append(Int64(key.generatingPartnerID))
                rows.append(Int64(key.creditedPartnerID))
                rows.append(Int64(key.adID))
                rows.append(counts.clicks)
                rows.append(counts.billable)
                rows.append(counts.unique)
                rows.append(counts.bot)
                rows.append(counts.unattributed)
                rows.append(counts.inactive)
                rows.append(counts.capped)
                rows.append(counts.expired)
                rows.append(counts.invalid, endsRow: true)
                if counts.billable != 0 {
                    daily[DailyKey(offerID: key.offerID, day: floorDiv(key.minute, 1440)), default: 0] += counts.billable
                }
            }
            // The pages' answer first: a refused page ends the batch here. The copy is queued by a task of its
            // own, so nothing is queued after it until it is answered.
            _ = try Self.answer(to: pagesStored, on: connection)
            try copy(rows, into: "click_rollups", columns: Self.rollupColumns, on: connection)

            if !daily.isEmpty {
                let keys = Array(daily.keys)
                _ = try query(connection, """
                    INSERT INTO offer_daily (day, offer_id, billable)
                    SELECT d, o, b FROM unnest(\(keys.map(\.day))::BIGINT[], \(keys.map { Int64($0.offerID) })::BIGINT[],
                                               \(keys.map { daily[$0]! })::BIGINT[]) AS r(d, o, b)
                    ON CONFLICT (day, offer_id) DO UPDATE SET billable = offer_daily.billable + excluded.billable
                    """)
            }
            try addLateRollups(rollups, connection: connection)
            let traffic = batch.trafficRollups()
            if !traffic.isEmpty {
                _ = try query(connection, """
                    INSERT INTO traffic_daily (day, offer_id, country, devices, clicks, billable)
                    SELECT * FROM unnest(\(traffic.map(\.key.day))::BIGINT[], \(traffic.map { Int64($0.key.offerID) })::BIGINT[],
                                         \(traffic.map { Int64($0.key.country) })::INTEGER[], \(traffic.map { Int64($0.key.devices) })::INTEGER[],
                                         \(traffic.map(\.clicks))::BIGINT[], \(traffic.map(\.billable))::BIGINT[])
                    ON CONFLICT (day, offer_id, country, devices) DO UPDATE SET clicks = traffic_daily.clicks + excluded.clicks,
                        billable = traffic_daily.billable + excluded.billable
                    """)
            }
            let variants = batch.variantRollups()
            if !variants.isEmpty {
                _ = try query(connection, """
                    INSERT INTO variant_daily (link_id, rule, variant, day, clicks, billable, unique_clicks)
                    SELECT * FROM unnest(\(variants.map { Int64($0.key.linkID) })::BIGINT[], \(variants.map { Int64($0.key.rule) })::INTEGER[],
                                         \(variants.map { Int64($0.key.variant) })::INTEGER[], \(variants.map(\.key.day))::BIGINT[],
                                         \(variants.map(\.clicks))::BIGINT[], \(variants.map(\.billable))::BIGINT[],
                                         \(variants.map(\.unique))::BIGINT[])
                    ON CONFLICT (link_id, rule, variant, day) DO UPDATE SET clicks = variant_daily.clicks + excluded.clicks,
                        billable = variant_daily.billable + excluded.billable,
                        unique_clicks = variant_daily.unique_clicks + excluded.unique_clicks
                    """)
            }
        }
    }

    private static let rollupColumns = ["minute", "node_id", "offer_id", "link_id", "generating_partner_id", "credited_partner_id",
                                        "ad_id", "clicks", "billable", "unique_clicks", "bot", "unattributed", "inactive", "capped",
                                        "expired", "invalid"]

    /// Appends `rows` to `table` by COPY.
    private func copy(_ rows: CopyText, into table: String, columns: [String], on connection: PostgresConnection) throws {
        let logger = self.logger
        try Self.answer(on: connection) {
            try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                try await writer.write(rows.buffer)
            }
        }
    }

    private struct DailyKey: Hashable {
        var offerID: UInt32
        var day: Int64
    }

    public func liveCounterSeed(now: Int64) throws -> LiveCounterSeed {
        try withConnection { connection in
            var seed = LiveCounterSeed()
            let sums = "sum(clicks)::BIGINT, sum(billable)::BIGINT, sum(unique_clicks)::BIGINT, sum(bot)::BIGINT, sum(unattributed)::BIGINT, sum(inactive)::BIGINT, "
                + "sum(capped)::BIGINT, sum(expired)::BIGINT, sum(invalid)::BIGINT"
            func counts(_ row: PostgresRandomAccessRow, from column: Int) throws -> OutcomeCounts {
                func value(_ index: Int) throws -> Int64 { try row[index].decode(Int64?.self) ?? 0 }
                return OutcomeCounts(clicks: try value(column), billable: try value(column + 1), unique: try value(column + 2),
                                     bot: try value(column + 3), unattributed: try value(column + 4), inactive: try value(column + 5),
                                     capped: try value(column + 6), expired: try value(column + 7), invalid: try value(column + 8))
            }
            func rows(_ sql: String) throws -> [PostgresRandomAccessRow] {
                try query(connection, PostgresQuery(unsafeSQL: sql)).rows.map { PostgresRandomAccessRow($0) }
            }
            if let row = try rows("SELECT \(sums) FROM click_rollups").first { seed.totals = try counts(row, from: 0) }
            for row in try rows("SELECT offer_id, \(sums) FROM click_rollups GROUP BY offer_id") {
                seed.byOffer[UInt32(try row[0].decode(Int64.self))] = try counts(row, from: 1)
            }
            for row in try rows("SELECT credited_partner_id, \(sums) FROM click_rollups WHERE credited_partner_id != 0 GROUP BY credited_partner_id") {
                seed.byCreditedPartner[UInt32(try row[0].decode(Int64.self))] = try counts(row, from: 1)
            }
            for row in try rows("SELECT link_id, credited_partner_id, ad_id, \(sums) FROM click_rollups GROUP BY link_id, credited_partner_id, ad_id") {
                let key = LinkPartnerAd(linkID: UInt32(try row[0].decode(Int64.self)), partnerID: UInt32(try row[1].decode(Int64.self)),
                                        adID: UInt32(try row[2].decode(Int64.self)))
                seed.byLinkPartnerAd[key] = try counts(row, from: 3)
            }
            for row in try rows("SELECT minute, \(sums) FROM click_rollups WHERE minute > \(now / 60_000 - 1440) GROUP BY minute") {
                seed.byMinute[try row[0].decode(Int64.self)] = try counts(row, from: 1)
            }
            seed.uniqueDay = now / 86_400_000
            let dayStart = ClickID.lowerBound(milliseconds: UInt64(seed.uniqueDay * 86_400_000))
            // A page spans one batch, so no page holding today's clicks starts more than an hour earlier.
            let earliest = ByteBuffer(bytes: ClickID.lowerBound(milliseconds: UInt64(max(0, seed.uniqueDay * 86_400_000 - 3_600_000))).bigEndianBytes)
            for row in try query(connection, "SELECT data FROM click_pages WHERE first_id >= \(earliest) ORDER BY first_id").rows {
                let page = ClickPage(bytes: Array(buffer: try row.decode(ByteBuffer.self)))
                guard page.isValid else { continue }
                page.forEachEntry { entry in
                    guard entry.id >= dayStart else { return }
                    seed.add(todays: (entry.linkID, entry.creditedPartnerID, entry.clientHash, entry.outcome, entry.flags, entry.network,
                                      entry.quality))
                }
            }
            return seed
        }
    }

    /// Whole pages, oldest first, whose every click is older than `milliseconds`.
    public func deleteClicks(before milliseconds: Int64, limit: Int) throws -> Int {
        let bound = ByteBuffer(bytes: ClickID.lowerBound(milliseconds: UInt64(max(0, milliseconds))).bigEndianBytes)
        return try transaction { connection in
            var deleted = 0
            var ids: [Int64] = []
            for row in try query(connection, """
                SELECT id, count FROM click_pages WHERE first_id < \(bound) AND last_id < \(bound) ORDER BY first_id LIMIT \(Int64(limit + 1))
                """).rows {
                let (id, count) = try row.decode((Int64, Int32).self)
                if !ids.isEmpty && deleted + Int(count) > limit { break }
                ids.append(id)
                deleted += Int(count)
            }
            if !ids.isEmpty { _ = try query(connection, "DELETE FROM click_pages WHERE id = ANY(\(ids)::BIGINT[])") }
            return deleted
        }
    }

    public func forEachClick(from: Int64, to: Int64, _ body: (ClickRecord) throws -> Void) throws {
        let (low, high) = (ClickID.lowerBound(milliseconds: UInt64(max(0, from))), ClickID.lowerBound(milliseconds: UInt64(max(0, to))))
        let (lowBytes, highBytes) = (ByteBuffer(bytes: low.bigEndianBytes), ByteBuffer(bytes: high.bigEndianBytes))
        var after: Int64 = 0
        while true {
            let pages = try withConnection { connection in
                try query(connection, """
                    SELECT id, data FROM click_pages WHERE id > \(after) AND last_id >= \(lowBytes) AND first_id < \(highBytes) ORDER BY id LIMIT 500
                    """).rows.map { row in
                    let (id, data) = try row.decode((Int64, ByteBuffer).self)
                    return (id: id, page: ClickPage(bytes: Array(buffer: data)))
                }
            }
            for (_, page) in pages where page.isValid {
                try page.forEachRecord { click in if click.id >= low && click.id < high { try body(click) } }
            }
            guard let last = pages.last else { return }
            after = last.id
        }
    }

    public func storedClickCount() throws -> Int {
        try withConnection { connection in
            Int(try query(connection, "SELECT coalesce(sum(count), 0)::BIGINT FROM click_pages").rows.first?.decode(Int64.self) ?? 0)
        }
    }
}
