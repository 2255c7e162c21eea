import ClickModel
import Domain
import Foundation
import Store
import StoreSQLite
import Synchronization
import Testing

/// A store in a fresh temporary directory, removed at the end.
final class TemporaryStore {
    let directory: URL
    let store: SQLiteStore
    /// The logic written once, on `store`.
    let shared: SQLStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-store-\(UUID().uuidString)")
        store = try SQLiteStore(path: directory.appendingPathComponent("nested/clickline.sqlite").path)
        shared = SQLStore(backend: store)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

func makeClick(_ ids: inout ClickIDGenerator, at milliseconds: UInt64, offer: UInt32 = 1, link: UInt32 = 10, partner: UInt32 = 100,
               ad: UInt32 = 0, outcome: ClickOutcome = .billable, client: UInt64 = 1) -> ClickRecord {
    ClickRecord(id: ids.next(milliseconds: milliseconds), clientHash: client, offerID: offer, linkID: link,
                creditedPartnerID: partner, generatingPartnerID: partner, adID: ad, outcome: outcome)
}

func makeSubIDs(_ values: [String]) -> SubIDs {
    var subIDs = SubIDs()
    for (index, value) in values.enumerated() { subIDs.set(index, value) }
    return subIDs
}

@Suite("SQLite store: clicks and rollups")
struct SQLiteClickStoreTests {
    static let now: UInt64 = 1_800_000_000_000

    @Test func storesClicksWithTheirSubIDsAndFlags() async throws {
        let temporary = try TemporaryStore()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var batch = ClickBatch()
        let first = makeClick(&ids, at: Self.now, ad: 5, client: 9)
        batch.append(first, subIDs: makeSubIDs(["spring sale", "", "東京"]), unique: true)
        batch.append(makeClick(&ids, at: Self.now, outcome: .bot), unique: false)
        try temporary.store.write(batch, nodeID: 3)

        #expect(try temporary.store.storedClickCount() == 2)
        let row = try #require(try await temporary.shared.click(id: first.id))
        #expect(row.offerID == 1 && row.linkID == 10 && row.creditedPartnerID == 100 && row.adID == 5)
        #expect(row.outcome == .billable)
        #expect(row.flags.contains(.unique) && row.flags.contains(.hasSubIDs))
        #expect(row.subIDValues == ["spring sale", nil, "東京", nil, nil])
        #expect(try await temporary.shared.click(id: ClickID(rawValue: 12345)) == nil)
    }

    @Test func rollupsEqualTheStoredClicks() throws {
        let temporary = try TemporaryStore()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var expected = OutcomeCounts()
        for batchNumber in 0..<3 {
            var batch = ClickBatch()
            for i in 0..<500 {
                let outcome = ClickOutcome.allCases[(i + batchNumber) % 4]
                let unique = outcome == .billable && i % 3 == 0
                batch.append(makeClick(&ids, at: Self.now + UInt64(i * 1_000), outcome: outcome, client: UInt64(i)), unique: unique)
                expected.add(outcome, unique: unique)
            }
            try temporary.store.write(batch, nodeID: 0)
        }
        let seed = try temporary.store.liveCounterSeed(now: Int64(Self.now) + 600_000)
        #expect(seed.totals == expected)
        #expect(seed.byOffer[1] == expected)
        #expect(seed.byCreditedPartner[100] == expected)
        #expect(seed.byLinkPartnerAd[LinkPartnerAd(linkID: 10, partnerID: 100, adID: 0)] == expected)
        #expect(seed.byMinute.values.reduce(OutcomeCounts(), +) == expected)
        #expect(try temporary.store.storedClickCount() == 1_500)
    }

    @Test func aBatchIsAllOrNothing() throws {
        let temporary = try TemporaryStore()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        let click = makeClick(&ids, at: Self.now)
        var first = ClickBatch()
        first.append(click, unique: false)
        try temporary.store.write(first, nodeID: 0)

        var second = ClickBatch()
        second.append(makeClick(&ids, at: Self.now), unique: false)
        second.append(click, unique: false)  // already stored: the whole batch must fail
        #expect(throws: StoreError.self) { try temporary.store.write(second, nodeID: 0) }
        #expect(try temporary.store.storedClickCount() == 1)
        #expect(try temporary.store.liveCounterSeed(now: Int64(Self.now)).totals.clicks == 1, "no rollup of the failed batch")
    }

    @Test func seedHoldsTodaysUniqueFingerprints() throws {
        let temporary = try TemporaryStore()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        let midnight = Self.now - Self.now % 86_400_000
        var batch = ClickBatch()
        batch.append(makeClick(&ids, at: midnight - 1_000, client: 1), unique: true)  // yesterday
        batch.append(makeClick(&ids, at: midnight + 1_000, client: 2), unique: true)
        batch.append(makeClick(&ids, at: midnight + 2_000, client: 2), unique: false)
        try temporary.store.write(batch, nodeID: 0)
        let seed = try temporary.store.liveCounterSeed(now: Int64(midnight) + 10_000)
        #expect(seed.uniqueDay == Int64(midnight / 86_400_000))
        #expect(seed.uniqueFingerprints == [UniqueFingerprint.of(linkID: 10, creditedPartnerID: 100, clientHash: 2)])
    }

    @Test func retentionDeletesWholePagesOfOldClicksAndKeepsRollups() throws {
        let temporary = try TemporaryStore()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        for second in 0..<3 {
            var batch = ClickBatch()
            for i in 0..<300 { batch.append(makeClick(&ids, at: Self.now + UInt64(second * 10_000 + i)), unique: false) }
            try temporary.store.write(batch, nodeID: 0)  // two pages: 256 and 44 clicks
        }
        // Before the second batch: the first batch's two pages go, a page at a time within the limit.
        #expect(try temporary.store.deleteClicks(before: Int64(Self.now) + 10_000, limit: 256) == 256)
        #expect(try temporary.store.deleteClicks(before: Int64(Self.now) + 10_000, limit: 256) == 44)
        #expect(try temporary.store.deleteClicks(before: Int64(Self.now) + 10_000, limit: 256) == 0)
        // The second batch goes whole; the third's first page holds clicks on both sides of the bound and stays whole.
        #expect(try temporary.store.deleteClicks(before: Int64(Self.now) + 20_100, limit: 10_000) == 300)
        #expect(try temporary.store.storedClickCount() == 300)
        #expect(try temporary.store.liveCounterSeed(now: Int64(Self.now)).totals.clicks == 900)
    }

    @Test func everyClickIsFoundAcrossPagesAndBatches() async throws {
        let temporary = try TemporaryStore()
        // Two workers whose clicks interleave in time, written in batches that overlap in id.
        var workers = [ClickIDGenerator(node: 0, worker: 0), ClickIDGenerator(node: 0, worker: 1)]
        var all: [ClickID] = []
        for batchNumber in 0..<4 {
            var batch = ClickBatch()
            for i in 0..<700 {
                let worker = i % 2
                let record = makeClick(&workers[worker], at: Self.now + UInt64(batchNumber * 100 + i / 10), client: UInt64(i))
                batch.append(record, subIDs: i % 50 == 0 ? makeSubIDs(["b\(batchNumber)", "i\(i)"]) : nil, unique: false)
                all.append(record.id)
            }
            try temporary.store.write(batch, nodeID: 0)
        }
        for id in all { #expect(try await temporary.shared.click(id: id)?.id == id) }
        #expect(try await temporary.shared.click(id: ClickID.lowerBound(milliseconds: Self.now + 50)) == nil)
        #expect(try temporary.store.storedClickCount() == 2_800)
    }
}

@Suite("Click pages")
struct ClickPageTests {
    @Test func aBatchIsCutIntoSortedPagesThatFindEveryClick() throws {
        var ids = [ClickIDGenerator(node: 0, worker: 0), ClickIDGenerator(node: 1, worker: 3)]
        var batch = ClickBatch()
        var expected: [ClickID: (UInt32, [String?])] = [:]
        for i in 0..<600 {
            let record = ClickRecord(
                id: ids[i % 2].next(milliseconds: 1_800_000_000_000 + UInt64(599 - i)), clientHash: UInt64(i), offerID: 3,
                linkID: UInt32(i), creditedPartnerID: 7, generatingPartnerID: 8, adID: 9, outcome: .bot, flags: [.unknownAd],
                botReason: .head, workerID: UInt8(i % 2), rule: UInt8(i % 33), variant: UInt8(i % 10),
                country: i % 3 == 0 ? CountryCode("CA")! : .none, devices: UInt16(i % 512))
            let subs: [String] = i % 7 == 0 ? ["s\(i)", "", "東京"] : []
            batch.append(record, subIDs: subs.isEmpty ? nil : makeSubIDs(subs), unique: false)
            expected[record.id] = (UInt32(i), subs.isEmpty ? [nil, nil, nil, nil, nil] : ["s\(i)", nil, "東京", nil, nil])
        }
        let pages = ClickPage.pages(of: batch)
        #expect(pages.map(\.count) == [256, 256, 88])
        for (index, page) in pages.enumerated() {
            #expect(page.isValid)
            let clicks = page.clicks()
            #expect(clicks.map(\.id) == clicks.map(\.id).sorted())
            #expect(clicks.map(\.subIDValues) == clicks.map { expected[$0.id]!.1 }, "sub ids read in one pass")
            if index > 0 { #expect(pages[index - 1].lastID < page.firstID) }
            // A filtered walk from the middle gives what reading each entry gives, and stops when told.
            var walked: [Int] = []
            page.forEachClick(from: 10, where: { $0.linkID % 2 == 1 }) { at, click in
                let alone = page.click(at: at)
                #expect(click.id == alone.id && click.subIDValues == alone.subIDValues && click.linkID % 2 == 1)
                walked.append(at)
                return walked.count < 40
            }
            #expect(walked.count == min(40, (10..<page.count).filter { page.click(at: $0).linkID % 2 == 1 }.count))
            #expect(walked == walked.sorted() && walked.allSatisfy { $0 >= 10 })
        }
        for (id, (link, subs)) in expected {
            let page = try #require(pages.first { $0.firstID <= id && id <= $0.lastID })
            let row = try #require(page.click(id: id))
            #expect(row.linkID == link && row.offerID == 3 && row.creditedPartnerID == 7 && row.generatingPartnerID == 8 && row.adID == 9)
            #expect(row.outcome == .bot && row.botReason == .head && row.flags.contains(.unknownAd))
            #expect(row.clientHash == UInt64(link) && row.workerID == UInt8(link % 2), "the whole record reads back")
            #expect(row.subIDValues == subs)
            #expect(row.record.rule == UInt8(link % 33) && row.record.variant == UInt8(link % 10))
            #expect(row.record.country == (link % 3 == 0 ? CountryCode("CA")! : .none))
            #expect(row.record.devices == UInt16(link % 512))
        }
    }

    /// Pages written before link rules (version 1, 48-byte entries) still read,
    /// as clicks that no rule chose; and those written before the client's
    /// network was kept (version 3), as clicks of no known network.
    @Test func aVersionOnePageReadsWithoutRuleVariantOrCountry() throws {
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var batch = ClickBatch()
        for i in 0..<3 {
            batch.append(ClickRecord(id: ids.next(milliseconds: 1_800_000_000_000 + UInt64(i)), clientHash: 42, offerID: 3, linkID: 4,
                                     creditedPartnerID: 7, outcome: .billable, flags: i == 1 ? [.hasSubIDs] : [], workerID: 1,
                                     rule: 5, variant: 1, country: CountryCode("FR")!, devices: DeviceClass.ios.bit,
                                     network: ClientNetwork(IPAddress.parse("203.0.113.9")!), quality: i == 2 ? [.addressCap] : []),
                         subIDs: i == 1 ? makeSubIDs(["x"]) : nil, unique: false)
        }
        let current = try #require(ClickPage.pages(of: batch).first)
        // The same page as versions 1, 2 and 3 wrote it: each entry without its last 15, 11 or 9 bytes.
        func older(_ version: UInt8, entrySize: Int) -> ClickPage {
            var old: [UInt8] = [version] + current.bytes[1..<3]
            for entry in 0..<current.count {
                let at = 3 + entry * ClickPage.entrySize
                old += current.bytes[at..<(at + entrySize)]
            }
            old += current.bytes[(3 + current.count * ClickPage.entrySize)...]
            return ClickPage(bytes: old)
        }
        let page = older(1, entrySize: 48)
        #expect(page.isValid)
        let clicks = page.clicks()
        #expect(clicks.count == 3)
        #expect(clicks.allSatisfy { $0.record.rule == 0 && $0.record.variant == 0 && $0.record.country == .none && $0.record.devices == 0 })
        #expect(clicks.allSatisfy { $0.linkID == 4 && $0.creditedPartnerID == 7 && $0.clientHash == 42 })
        #expect(clicks[1].subIDValues == ["x", nil, nil, nil, nil])
        let second = older(2, entrySize: 52).clicks()
        #expect(second.allSatisfy { $0.record.rule == 5 && $0.record.country == CountryCode("FR")! && $0.record.devices == 0 })
        #expect(second[1].subIDValues == ["x", nil, nil, nil, nil])
        let third = older(3, entrySize: 54).clicks()
        #expect(third.allSatisfy { $0.record.devices == DeviceClass.ios.bit && $0.record.network == .none && $0.record.quality.isEmpty })
        #expect(third[1].subIDValues == ["x", nil, nil, nil, nil])
        let clicksNow = current.clicks()
        #expect(clicksNow.allSatisfy { $0.record.devices == DeviceClass.ios.bit && $0.record.network.description == "203.0.113.9" })
        #expect(clicksNow.map(\.record.quality) == [[], [], [.addressCap]])
        #expect(!ClickPage(bytes: [5] + current.bytes[1...]).isValid, "a version this code does not know is not read")
    }
}

@Suite("SQLite store: the workspace")
struct SQLiteWorkspaceTests {
    @Test func saltIsStableAcrossOpens() async throws {
        let temporary = try TemporaryStore()
        let salt = try await temporary.shared.clientHashSalt()
        let reopened = SQLStore(backend: try SQLiteStore(path: temporary.store.path))
        #expect(try await reopened.clientHashSalt() == salt)
    }
}

/// A dashboard token for fixtures: unique, like the real ones.
@Sendable func testToken() -> String { "cld_test_" + UUID().uuidString.lowercased() }

@Suite("SQLite store: members")
struct SQLiteMemberTests {
    /// A promo-code offer with more members than SQLite binds parameters in
    /// one statement by default (32,766; some builds allow more) lists every
    /// member, each with its own replaced codes: the offer's member report
    /// and CSV read them so.
    @Test func anOfferWithMoreMembersThanAStatementBindsListsThemAll() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.shared
        let offer = try await store.createOffer(Offer(name: "Codes", type: .promoCode)).id
        let count = 33_000
        try await temporary.store.write(WriteOptions()) { db in
            for id in 1...count {
                _ = try db.execute("INSERT INTO partners (id, name, code, created_at) VALUES (?, ?, ?, 0)",
                                   [.integer(Int64(id)), .text("Partner \(id)"), .text("p\(id)")])
                _ = try db.execute("""
                    INSERT INTO memberships (offer_id, partner_id, created_at, dashboard_token, promo_code) VALUES (?, ?, 0, ?, ?)
                    """, [.integer(Int64(offer)), .integer(Int64(id)), .text("cld_m\(id)"), .text("CODE\(id)")])
            }
        }
        _ = try await store.refreshPromoCode(offerID: offer, partnerID: 7) { _, attempt in "NEW7-\(attempt)" }
        let members = try await store.members(MemberQuery(offerID: offer, limit: 1_000_000))
        #expect(members.count == count)
        #expect(members.filter { !$0.previousCodes.isEmpty }.map(\.partner.id) == [7])
        #expect(members.first { $0.partner.id == 7 }?.previousCodes.map(\.code) == ["CODE7"])
    }
}

@Suite("SQLite store: the one writer")
struct SQLiteWriterTurnTests {
    /// A write queued behind another that holds the one writer is answered
    /// at its deadline, while the other still holds it, and never runs
    /// afterwards; without a deadline, or for the conversion group commit,
    /// it waits its turn and runs.
    @Test func aWriteQueuedBehindAnotherIsAnsweredAtItsDeadlineAndNeverRuns() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let release = DispatchSemaphore(value: 0)
        let log = Log()
        let holder = Task {
            try await store.write(WriteOptions()) { _ in
                log.add("holding")
                // Let go when the test says so (or after a while, so that a failure cannot hang the run).
                _ = release.wait(timeout: .now() + 30)
                log.add("released")
            }
        }
        while !log.entries.contains("holding") { try await Task.sleep(for: .milliseconds(1)) }
        let queued = Task {
            try await store.write(WriteOptions(deadline: .now + .milliseconds(200))) { _ in log.add("gave up") }
        }
        let waiting = Task {
            try await store.write(WriteOptions(deadline: .now + .milliseconds(200), answersWhileQueued: false)) { _ in log.add("waited") }
        }
        let answer = await queued.result
        #expect(log.entries == ["holding"], "answered while the first write still holds the writer")
        #expect(((answer.failure) as? StoreError)?.code == .unavailable, "\(answer)")
        release.signal()
        try await holder.value
        try await waiting.value
        try await store.write(WriteOptions()) { _ in log.add("after") }
        #expect(log.entries == ["holding", "released", "waited", "after"], "the write given up never ran")
    }

    final class Log: Sendable {
        private let lines = Mutex<[String]>([])
        var entries: [String] { lines.withLock { $0 } }
        func add(_ line: String) { lines.withLock { $0.append(line) } }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
