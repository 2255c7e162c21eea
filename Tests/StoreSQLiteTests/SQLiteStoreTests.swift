import ClickModel
import Foundation
import Store
import StoreSQLite
import Testing

/// A store in a fresh temporary directory, removed at the end.
final class TemporaryStore {
    let directory: URL
    let store: SQLiteStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-store-\(UUID().uuidString)")
        store = try SQLiteStore(path: directory.appendingPathComponent("nested/clickline.sqlite").path)
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

    @Test func storesClicksWithTheirSubIDsAndFlags() throws {
        let temporary = try TemporaryStore()
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var batch = ClickBatch()
        let first = makeClick(&ids, at: Self.now, ad: 5, client: 9)
        batch.append(first, subIDs: makeSubIDs(["spring sale", "", "東京"]), unique: true)
        batch.append(makeClick(&ids, at: Self.now, outcome: .bot), unique: false)
        try temporary.store.write(batch, nodeID: 3)

        #expect(try temporary.store.storedClickCount() == 2)
        let row = try #require(try temporary.store.click(id: first.id))
        #expect(row.offerID == 1 && row.linkID == 10 && row.creditedPartnerID == 100 && row.adID == 5)
        #expect(row.outcome == .billable)
        #expect(row.flags.contains(.unique) && row.flags.contains(.hasSubIDs))
        #expect(row.subIDs == ["spring sale", nil, "東京", nil, nil])
        #expect(try temporary.store.click(id: ClickID(rawValue: 12345)) == nil)
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

    @Test func everyClickIsFoundAcrossPagesAndBatches() throws {
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
        for id in all { #expect(try temporary.store.click(id: id)?.id == id) }
        #expect(try temporary.store.click(id: ClickID.lowerBound(milliseconds: Self.now + 50)) == nil)
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
                botReason: .head, workerID: UInt8(i % 2))
            let subs: [String] = i % 7 == 0 ? ["s\(i)", "", "東京"] : []
            batch.append(record, subIDs: subs.isEmpty ? nil : makeSubIDs(subs), unique: false)
            expected[record.id] = (UInt32(i), subs.isEmpty ? [nil, nil, nil, nil, nil] : ["s\(i)", nil, "東京", nil, nil])
        }
        let pages = ClickPage.pages(of: batch)
        #expect(pages.map(\.count) == [256, 256, 88])
        for (index, page) in pages.enumerated() {
            #expect(page.isValid)
            let rows = page.rows()
            #expect(rows.map(\.id) == rows.map(\.id).sorted())
            if index > 0 { #expect(pages[index - 1].lastID < page.firstID) }
        }
        for (id, (link, subs)) in expected {
            let page = try #require(pages.first { $0.firstID <= id && id <= $0.lastID })
            let row = try #require(page.click(id: id))
            #expect(row.linkID == link && row.offerID == 3 && row.creditedPartnerID == 7 && row.generatingPartnerID == 8 && row.adID == 9)
            #expect(row.outcome == .bot && row.botReason == .head && row.flags.contains(.unknownAd))
            #expect(row.subIDs == subs)
        }
    }
}

@Suite("SQLite store: catalogue and keys")
struct SQLiteCatalogueTests {
    @Test func everyCatalogueWriteBumpsTheVersion() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        var version = try store.catalogueVersion()
        func bumped() throws -> Bool {
            let now = try store.catalogueVersion()
            defer { version = now }
            return now > version
        }
        let offer = try store.createOffer(Offer(name: "Summer")).id
        #expect(try bumped())
        _ = try store.createLink(TrackingLink(offerID: offer, code: Code("summer")!, destination: try Destination(validating: "https://x.example/")))
        #expect(try bumped())
        let partner = try store.createPartner(Partner(name: "Alice", code: Code("alice")!), tokenHash: nil).id
        #expect(try bumped())
        try store.addMember(offerID: offer, partnerID: partner, dashboardToken: testToken)
        #expect(try bumped())
        _ = try store.createAd(Ad(partnerID: partner, code: Code("blog")!, name: "Blog"))
        #expect(try bumped())
        _ = try store.updateOffer(id: offer) { $0.status = .paused }
        #expect(try bumped())
        _ = try store.updateMember(offerID: offer, partnerID: partner) { $0.status = .inactive }
        #expect(try bumped())
        _ = try store.updateOffer(id: offer) { $0.status = .paused }
        #expect(try !bumped(), "an update that changes nothing writes nothing")
        _ = try store.liveCounterSeed(now: 0)
        #expect(try !bumped(), "reads change nothing")
    }

    @Test func loadCatalogueReturnsWhatWasWritten() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let offer = try store.createOffer(Offer(name: "Summer", fallback: try Destination(validating: "https://x.example/f"),
                                                clickParameter: "ref")).id
        _ = try store.createLink(TrackingLink(offerID: offer, code: Code("Summer")!, destination: try Destination(validating: "https://x.example/")))
        let parent = try store.createPartner(Partner(name: "Alice", code: Code("alice")!), tokenHash: nil).id
        let child = try store.createPartner(Partner(name: "Ben", code: Code("ben")!, parentID: parent), tokenHash: nil).id
        try store.addMember(offerID: offer, partnerID: child, status: .inactive, dashboardToken: testToken)
        _ = try store.createAd(Ad(partnerID: parent, code: Code("blog")!, name: "Blog"))

        let (data, version) = try store.loadCatalogue()
        #expect(version == (try store.catalogueVersion()))
        #expect(data.offers.map(\.clickParameter) == ["ref"])
        #expect(data.offers.first?.fallback?.url == "https://x.example/f")
        #expect(data.links.map(\.code.value) == ["summer"], "codes are stored folded")
        #expect(data.partners.first { $0.id == child }?.parentID == parent)
        #expect(data.memberships.map(\.status) == [.inactive])
        #expect(data.ads.map(\.code.value) == ["blog"])
    }

    @Test func duplicateCodesConflict() throws {
        let temporary = try TemporaryStore()
        _ = try temporary.store.createPartner(Partner(name: "Alice", code: Code("alice")!), tokenHash: nil)
        #expect {
            _ = try temporary.store.createPartner(Partner(name: "Other", code: Code("ALICE")!), tokenHash: nil)
        } throws: { ($0 as? StoreError)?.code == .conflict }
    }

    @Test func saltIsStableAcrossOpens() throws {
        let temporary = try TemporaryStore()
        let salt = try temporary.store.clientHashSalt()
        let reopened = try SQLiteStore(path: temporary.store.path)
        #expect(try reopened.clientHashSalt() == salt)
    }
}

/// A dashboard token for fixtures: unique, like the real ones.
@Sendable func testToken() -> String { "cld_test_" + UUID().uuidString.lowercased() }

@Suite("Promo code redemption")
struct PromoRedemptionTests {
    let day: Int64 = 86_400_000

    /// A promo offer limited to two uses per code, running from day 10 to day 20,
    /// with one member holding `JANE20`.
    func fixture() throws -> (TemporaryStore, offer: UInt32, partner: UInt32) {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let offer = try store.createOffer(Offer(
            name: "Codes", type: .promoCode, startsAt: 10 * day, endsAt: 20 * day,
            promo: PromoSettings(usageLimitPerCode: 2))).id
        let partner = try store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        _ = try store.addMembers(offerID: offer, partnerIDs: [partner], terms: MemberTerms(),
                                 credentials: MemberCredentials(dashboardToken: testToken, promoCode: { _, attempt in "JANE20" + (attempt == 0 ? "" : "-\(attempt)") }))
        return (temporary, offer, partner)
    }

    @Test func codesAreRedeemedUpToTheirLimitInAnyCase() throws {
        let (temporary, offer, partner) = try fixture()
        let store = temporary.store
        guard case .redeemed(let member, let redeemedOffer) = try store.redeemPromoCode("jane20", at: 12 * day) else {
            Issue.record("the code was refused")
            return
        }
        #expect(member.partner.id == partner && redeemedOffer.id == offer && member.promoUses == 1)
        #expect(try store.redeemPromoCode("JANE20", at: 12 * day) != .refused(.usageLimitReached))
        #expect(try store.redeemPromoCode("JANE20", at: 12 * day) == .refused(.usageLimitReached))
        #expect(try store.member(offerID: offer, partnerID: partner)?.promoUses == 2, "refusals count nothing")
        #expect(try store.redeemPromoCode("NOBODY", at: 12 * day) == .refused(.unknownCode))
    }

    @Test func codesAreRefusedOutsideTheDatesOfTheOfferAndTheMember() throws {
        let (temporary, offer, partner) = try fixture()
        let store = temporary.store
        #expect(try store.redeemPromoCode("JANE20", at: 9 * day) == .refused(.offerNotLive))
        #expect(try store.redeemPromoCode("JANE20", at: 20 * day) == .refused(.offerNotLive))
        _ = try store.updateMember(offerID: offer, partnerID: partner) { $0.startsAt = 15 * day }
        #expect(try store.redeemPromoCode("JANE20", at: 12 * day) == .refused(.memberNotLive))
        _ = try store.updateMember(offerID: offer, partnerID: partner) { $0.startsAt = nil; $0.status = .inactive }
        #expect(try store.redeemPromoCode("JANE20", at: 12 * day) == .refused(.memberNotLive))
        _ = try store.updateMember(offerID: offer, partnerID: partner) { $0.status = .active }
        _ = try store.updateOffer(id: offer) { $0.status = .paused }
        #expect(try store.redeemPromoCode("JANE20", at: 12 * day) == .refused(.offerNotLive))
        #expect(try store.member(offerID: offer, partnerID: partner)?.promoUses == 0)
    }
}
