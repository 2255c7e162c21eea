import ClickModel
import Domain
import Foundation
import Store
import StorePostgres
import StoreSQLite
import StoreTesting
import Testing

/// What the catalogue must do on either database: each test takes a fresh
/// store and is run by one suite per database.
enum CatalogueContract {
    typealias Catalogue = CatalogueWriter & CatalogueStore

    @Sendable static func token() -> String { "cld_test_" + UUID().uuidString.lowercased() }

    /// Writes of what the edge reads bump the version; writes of anything else, updates that change nothing and reads do not.
    static func writesTheEdgeReadsBumpTheVersion(_ store: SQLStore) async throws {
        var version = try store.backend.catalogueVersion()
        func bumped() throws -> Bool {
            let now = try store.backend.catalogueVersion()
            defer { version = now }
            return now > version
        }
        let offer = try await store.createOffer(Offer(name: "Summer", type: .promoCode)).id
        #expect(try bumped())
        _ = try await store.createLink(TrackingLink(offerID: offer, code: Code("summer")!, destination: try Destination(validating: "https://x.example/")))
        #expect(try bumped())
        let partner = try await store.createPartner(Partner(name: "Alice", code: Code("alice")!), tokenHash: nil).id
        #expect(try bumped())
        _ = try await store.addMembers(offerID: offer, partnerIDs: [partner], terms: MemberTerms(),
                                 credentials: MemberCredentials(dashboardToken: token, promoCode: { _, _ in "ALICE10" }))
        #expect(try bumped())
        _ = try await store.createAd(Ad(partnerID: partner, code: Code("blog")!, name: "Blog"))
        #expect(try bumped())
        _ = try await store.updateOffer(id: offer) { $0.status = .paused }
        #expect(try bumped())
        _ = try await store.updateMember(offerID: offer, partnerID: partner) { $0.status = .inactive }
        #expect(try bumped())
        _ = try await store.updateOffer(id: offer) { $0.status = .paused }
        #expect(try !bumped(), "an update that changes nothing writes nothing")
        try await store.setPartnerTokenHash(partnerID: partner, hash: Array(repeating: 1, count: 32))
        #expect(try !bumped(), "the edge does not read partners' tokens")
        _ = try await store.updateMember(offerID: offer, partnerID: partner) { $0.status = .active }
        _ = try await store.updateOffer(id: offer) { $0.status = .active }
        version = try store.backend.catalogueVersion()
        #expect(try await store.redeemPromoCode("alice10", at: Int64(Date().timeIntervalSince1970 * 1000)) != .refused(.unknownCode))
        #expect(try await store.member(offerID: offer, partnerID: partner)?.promoUses == 1)
        #expect(try !bumped(), "a redemption counts a use, which the edge does not read")
        _ = try await store.offers(OfferQuery(now: 0))
        #expect(try !bumped(), "reads change nothing")
    }

    static func theCatalogueReadsBackWhatWasWritten(_ store: SQLStore) async throws {
        let offer = try await store.createOffer(Offer(name: "Summer", fallback: try Destination(validating: "https://x.example/f"),
                                                clickParameter: "ref")).id
        _ = try await store.createLink(TrackingLink(offerID: offer, code: Code("Summer")!, destination: try Destination(validating: "https://x.example/")))
        let parent = try await store.createPartner(Partner(name: "Alice", code: Code("alice")!), tokenHash: nil).id
        let child = try await store.createPartner(Partner(name: "Ben", code: Code("ben")!, parentID: parent), tokenHash: nil).id
        try await store.addMember(offerID: offer, partnerID: child, status: .inactive, dashboardToken: token)
        _ = try await store.createAd(Ad(partnerID: parent, code: Code("blog")!, name: "Blog"))

        let (data, version) = try store.backend.loadCatalogue()
        #expect(version == (try store.backend.catalogueVersion()))
        #expect(data.offers.map(\.clickParameter) == ["ref"])
        #expect(data.offers.first?.fallback?.url == "https://x.example/f")
        #expect(data.links.map(\.code.value) == ["summer"], "codes are stored folded")
        #expect(data.partners.first { $0.id == child }?.parentID == parent)
        #expect(data.memberships.map(\.status) == [.inactive])
        #expect(data.ads.map(\.code.value) == ["blog"])
        #expect(try await store.link(code: Code("SUMMER")!)?.offerID == offer)
        #expect(try await store.links(forMember: child).isEmpty, "an inactive member has no links")
        #expect(try await store.ads(partnerID: parent).map(\.name) == ["Blog"])
    }

    /// Taken codes conflict, references to nothing are not found, a partner cannot be its own ancestor.
    static func refusalsSayWhy(_ store: SQLStore) async throws {
        let alice = try await store.createPartner(Partner(name: "Alice", code: Code("alice")!), tokenHash: nil).id
        await #expect { _ = try await store.createPartner(Partner(name: "Other", code: Code("ALICE")!), tokenHash: nil) } throws: {
            ($0 as? StoreError)?.code == .conflict
        }
        await #expect { _ = try await store.createPartner(Partner(name: "Orphan", code: Code("orphan")!, parentID: 999), tokenHash: nil) } throws: {
            ($0 as? StoreError)?.code == .notFound
        }
        let ben = try await store.createPartner(Partner(name: "Ben", code: Code("ben")!, parentID: alice), tokenHash: nil).id
        await #expect { _ = try await store.updatePartner(id: alice) { $0.parentID = ben } } throws: { ($0 as? StoreError)?.code == .invalid }
        let offer = try await store.createOffer(Offer(name: "O")).id
        await #expect { _ = try await store.addMembers(offerID: offer, partnerIDs: [ben, 999], terms: MemberTerms(),
                                           credentials: MemberCredentials(dashboardToken: token, promoCode: nil)) } throws: {
            ($0 as? StoreError)?.code == .notFound
        }
        #expect(try await store.members(MemberQuery(offerID: offer)).isEmpty, "nobody was added")
        await #expect { try await store.removeMember(offerID: offer, partnerID: ben) } throws: { ($0 as? StoreError)?.code == .notFound }
        await #expect { _ = try await store.createLink(TrackingLink(offerID: 999, code: Code("x")!, destination: try Destination(validating: "https://x.example/"))) }
            throws: { ($0 as? StoreError)?.code == .notFound }
    }

    /// Searches find text anywhere, ignoring ASCII case, with wildcards taken literally.
    static func searchesIgnoreCase(_ store: SQLStore) async throws {
        _ = try await store.createPartner(Partner(name: "Alice Moreau", email: "alice@example.com", code: Code("abc123")!), tokenHash: nil)
        _ = try await store.createPartner(Partner(name: "Ben 100%", code: Code("ben")!), tokenHash: nil)
        #expect(try await store.partners(PartnerQuery(text: "MOREAU")).map(\.name) == ["Alice Moreau"])
        #expect(try await store.partners(PartnerQuery(text: "ABC")).map(\.name) == ["Alice Moreau"])
        #expect(try await store.partners(PartnerQuery(text: "0%")).map(\.name) == ["Ben 100%"])
        #expect(try await store.partners(PartnerQuery(text: "_")).isEmpty)
        _ = try await store.createOffer(Offer(name: "Summer Sale"))
        #expect(try await store.offers(OfferQuery(text: "sale", now: 0)).map(\.name) == ["Summer Sale"])
    }

    /// Adding members again keeps them as they are; a promo code is taken once in the workspace.
    static func membersAreAddedOnceWithTheirOwnCodes(_ store: SQLStore) async throws {
        let offer = try await store.createOffer(Offer(name: "Codes", type: .promoCode)).id
        let jane = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        let june = try await store.createPartner(Partner(name: "June", code: Code("june")!), tokenHash: nil).id
        let credentials = MemberCredentials(dashboardToken: token, promoCode: { _, attempt in "J20" + (attempt == 0 ? "" : "-\(attempt)") })
        let first = try await store.addMembers(offerID: offer, partnerIDs: [jane, june, jane], terms: MemberTerms(), credentials: credentials)
        #expect(first.map(\.created) == [true, true])
        #expect(Set(first.compactMap(\.member.promoCode)) == ["J20", "J20-1"])
        let again = try await store.addMembers(offerID: offer, partnerIDs: [jane], terms: MemberTerms(), credentials: credentials)
        #expect(again.map(\.created) == [false] && again[0].member.promoCode == first[0].member.promoCode)
        #expect(try await store.member(dashboardToken: first[1].member.dashboardToken)?.partner.id == june)
        #expect(try await store.members(MemberQuery(offerID: offer, text: "j20-")).map(\.partner.id) == [june])
        let janesCode = try #require(first[0].member.promoCode)
        let refreshed = try await store.refreshPromoCode(offerID: offer, partnerID: jane) { _, attempt in "NEW" + String(attempt) }
        #expect(refreshed.promoCode == "NEW0" && refreshed.promoUses == 0)
        #expect(refreshed.previousCodes.map(\.code) == [janesCode] && refreshed.previousCodes[0].leak == nil)
        #expect(try await store.member(offerID: offer, partnerID: jane)?.previousCodes.map(\.code) == [janesCode])
        #expect(try await store.members(MemberQuery(offerID: offer)).map(\.previousCodes.count) == [1, 0], "Jane's, not June's")
        #expect(try await store.memberships(partnerID: june).map(\.offerID) == [offer])
        #expect(try await store.redeemPromoCode(janesCode.lowercased(), at: 0) == .refused(.replacedCode))
        #expect(try await store.redeemPromoCode("NEVER-GIVEN", at: 0) == .refused(.unknownCode))

        // A replaced code is never given again, so its orders never credit a newcomer.
        let ben = try await store.createPartner(Partner(name: "Ben", code: Code("ben")!), tokenHash: nil).id
        let bens = try await store.addMembers(offerID: offer, partnerIDs: [ben], terms: MemberTerms(), credentials: MemberCredentials(
            dashboardToken: token, promoCode: { _, attempt in attempt == 0 ? janesCode : "BEN20" }))
        #expect(bens[0].member.promoCode == "BEN20")
        let twice = try await store.refreshPromoCode(offerID: offer, partnerID: jane) { _, attempt in ["NEW0", janesCode, "NEW2"][min(attempt, 2)] }
        #expect(twice.promoCode == "NEW2" && twice.previousCodes.map(\.code) == ["NEW0", janesCode], "newest first")
    }

    /// A promo offer limited to two uses per code, from day 10 to day 20, with `JANE20`.
    static func redemptionFixture(_ store: SQLStore) async throws -> (offer: UInt32, partner: UInt32) {
        let day: Int64 = 86_400_000
        let offer = try await store.createOffer(Offer(name: "Codes", type: .promoCode, startsAt: 10 * day, endsAt: 20 * day,
                                                promo: PromoSettings(usageLimitPerCode: 2))).id
        let partner = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        _ = try await store.addMembers(offerID: offer, partnerIDs: [partner], terms: MemberTerms(),
                                 credentials: MemberCredentials(dashboardToken: token, promoCode: { _, attempt in "JANE20" + (attempt == 0 ? "" : "-\(attempt)") }))
        return (offer, partner)
    }

    static func codesAreRedeemedUpToTheirLimitInAnyCase(_ store: SQLStore) async throws {
        let day: Int64 = 86_400_000
        let (offer, partner) = try await redemptionFixture(store)
        guard case .redeemed(let member, let redeemedOffer) = try await store.redeemPromoCode("jane20", at: 12 * day) else {
            Issue.record("the code was refused")
            return
        }
        #expect(member.partner.id == partner && redeemedOffer.id == offer && member.promoUses == 1)
        #expect(try await store.redeemPromoCode("JANE20", at: 12 * day) != .refused(.usageLimitReached))
        #expect(try await store.redeemPromoCode("JANE20", at: 12 * day) == .refused(.usageLimitReached))
        #expect(try await store.member(offerID: offer, partnerID: partner)?.promoUses == 2, "refusals count nothing")
        #expect(try await store.redeemPromoCode("NOBODY", at: 12 * day) == .refused(.unknownCode))
    }

    static func codesAreRefusedOutsideTheDatesOfTheOfferAndTheMember(_ store: SQLStore) async throws {
        let day: Int64 = 86_400_000
        let (offer, partner) = try await redemptionFixture(store)
        #expect(try await store.redeemPromoCode("JANE20", at: 9 * day) == .refused(.offerNotLive))
        #expect(try await store.redeemPromoCode("JANE20", at: 20 * day) == .refused(.offerNotLive))
        _ = try await store.updateMember(offerID: offer, partnerID: partner) { $0.startsAt = 15 * day }
        #expect(try await store.redeemPromoCode("JANE20", at: 12 * day) == .refused(.memberNotLive))
        _ = try await store.updateMember(offerID: offer, partnerID: partner) { $0.startsAt = nil; $0.status = .inactive }
        #expect(try await store.redeemPromoCode("JANE20", at: 12 * day) == .refused(.memberNotLive))
        _ = try await store.updateMember(offerID: offer, partnerID: partner) { $0.status = .active }
        _ = try await store.updateOffer(id: offer) { $0.status = .paused }
        #expect(try await store.redeemPromoCode("JANE20", at: 12 * day) == .refused(.offerNotLive))
        #expect(try await store.member(offerID: offer, partnerID: partner)?.promoUses == 0)
    }

    static func shopifyStoresAreKept(_ store: SQLStore) async throws {
        let created = try await store.createShopifyStore(ShopifyStore(name: "Shop", shopDomain: "shop.myshopify.com", webhookSecret: "s3cret"))
        #expect(try await store.shopifyStore(id: created.id) == created)
        #expect(try await store.shopifyStores() == [created])
        await #expect { _ = try await store.createShopifyStore(ShopifyStore(name: "Again", shopDomain: "shop.myshopify.com", webhookSecret: "x")) } throws: {
            ($0 as? StoreError)?.code == .conflict
        }
    }
}

@Suite("Catalogue contract: SQLite")
struct SQLiteCatalogueContract {
    func withStore(_ body: (SQLStore) async throws -> Void) async throws {
        try await TestStores.sqlite { store, _ in try await body(store) }
    }

    @Test func writesTheEdgeReadsBumpTheVersion() async throws { try await withStore(CatalogueContract.writesTheEdgeReadsBumpTheVersion) }
    @Test func theCatalogueReadsBackWhatWasWritten() async throws { try await withStore(CatalogueContract.theCatalogueReadsBackWhatWasWritten) }
    @Test func refusalsSayWhy() async throws { try await withStore(CatalogueContract.refusalsSayWhy) }
    @Test func searchesIgnoreCase() async throws { try await withStore(CatalogueContract.searchesIgnoreCase) }
    @Test func membersAreAddedOnceWithTheirOwnCodes() async throws { try await withStore(CatalogueContract.membersAreAddedOnceWithTheirOwnCodes) }
    @Test func codesAreRedeemedUpToTheirLimitInAnyCase() async throws { try await withStore(CatalogueContract.codesAreRedeemedUpToTheirLimitInAnyCase) }
    @Test func codesAreRefusedOutsideTheDatesOfTheOfferAndTheMember() async throws {
        try await withStore(CatalogueContract.codesAreRefusedOutsideTheDatesOfTheOfferAndTheMember)
    }
    @Test func shopifyStoresAreKept() async throws { try await withStore(CatalogueContract.shopifyStoresAreKept) }
}

@Suite("Catalogue contract: PostgreSQL", .needsPostgres)
struct PostgresCatalogueContract {
    func withStore(_ body: (SQLStore) async throws -> Void) async throws {
        try await TestStores.postgres { store, _ in try await body(store) }
    }

    @Test func writesTheEdgeReadsBumpTheVersion() async throws { try await withStore(CatalogueContract.writesTheEdgeReadsBumpTheVersion) }
    @Test func theCatalogueReadsBackWhatWasWritten() async throws { try await withStore(CatalogueContract.theCatalogueReadsBackWhatWasWritten) }
    @Test func refusalsSayWhy() async throws { try await withStore(CatalogueContract.refusalsSayWhy) }
    @Test func searchesIgnoreCase() async throws { try await withStore(CatalogueContract.searchesIgnoreCase) }
    @Test func membersAreAddedOnceWithTheirOwnCodes() async throws { try await withStore(CatalogueContract.membersAreAddedOnceWithTheirOwnCodes) }
    @Test func codesAreRedeemedUpToTheirLimitInAnyCase() async throws { try await withStore(CatalogueContract.codesAreRedeemedUpToTheirLimitInAnyCase) }
    @Test func codesAreRefusedOutsideTheDatesOfTheOfferAndTheMember() async throws {
        try await withStore(CatalogueContract.codesAreRefusedOutsideTheDatesOfTheOfferAndTheMember)
    }
    @Test func shopifyStoresAreKept() async throws { try await withStore(CatalogueContract.shopifyStoresAreKept) }
}

/// Partners' click statistics on either database.
enum ClickStatsContract {
    typealias Stats = ClickStore & ClickStatsStore & CatalogueWriter

    /// By link, ad and child, the same before and after the finished hours are compacted.
    static func statisticsAgreeBeforeAndAfterCompaction(_ store: SQLStore) async throws {
        let offer = try await store.createOffer(Offer(name: "Summer")).id
        let link = try await store.createLink(TrackingLink(offerID: offer, code: Code("summer")!, destination: try Destination(validating: "https://x.example/"))).id
        let jane = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        let ben = try await store.createPartner(Partner(name: "Ben", code: Code("ben")!, parentID: jane), tokenHash: nil).id
        let ad = try await store.createAd(Ad(partnerID: jane, code: Code("blog")!, name: "Blog")).id
        let noon = ClickStoreContract.noon
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var batch = ClickBatch()
        func add(at offset: UInt64, credited: UInt32, ad: UInt32 = 0, outcome: ClickOutcome = .billable) {
            batch.append(ClickRecord(id: ids.next(milliseconds: noon + offset), clientHash: offset, offerID: offer, linkID: link,
                                     creditedPartnerID: credited, generatingPartnerID: jane, adID: ad, outcome: outcome), unique: false)
        }
        for minute in 0..<3 { add(at: UInt64(minute) * 3_600_000, credited: jane, ad: ad) }  // three hours
        add(at: 4_000_000, credited: ben)
        add(at: 4_100_000, credited: ben)
        add(at: 4_200_000, credited: 0, outcome: .unattributed)
        try store.backend.write(batch, nodeID: 0)

        let query = PartnerClickStatsQuery(partnerID: jane, from: Int64(noon) - 3_600_000, to: Int64(noon) + 5 * 3_600_000,
                                           dimensions: [.link, .ad, .child])
        func figures() async throws -> [String] {
            try await store.partnerClickStats(query).map { "\($0.linkCode ?? "-") \($0.adCode ?? "-") \($0.childCode ?? "-") \($0.counts.clicks)" }
        }
        let expected = ["summer - - 1", "summer - ben 2", "summer blog - 3"]
        #expect(try await figures() == expected)
        _ = try store.backend.compactRollups(now: Int64(noon) + 2 * 86_400_000, limit: 24)
        #expect(try await figures() == expected, "after compaction")
        let child = try await store.partnerClickStats(PartnerClickStatsQuery(partnerID: ben, from: query.from, to: query.to, dimensions: []))
        #expect(child.map(\.counts.clicks) == [2], "the child sees its own clicks")
    }
}

@Suite("Click statistics contract")
struct ClickStatsContractSuites {
    @Test func onSQLite() async throws {
        try await TestStores.sqlite { store, _ in try await ClickStatsContract.statisticsAgreeBeforeAndAfterCompaction(store) }
    }

    @Test(.needsPostgres)
    func onPostgreSQL() async throws {
        try await TestStores.postgres { store, _ in try await ClickStatsContract.statisticsAgreeBeforeAndAfterCompaction(store) }
    }
}
