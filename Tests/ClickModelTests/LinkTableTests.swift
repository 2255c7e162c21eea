import ClickModel
import Testing

/// Every row of SPEC section 2's outcome table, decided by `LinkTable.View.resolve`.
@Suite("The outcome table")
struct LinkTableTests {
    static let now: Int64 = 1_800_000_000_000
    static let day: Int64 = 86_400_000

    let table: LinkTable

    init() throws {
        let destination = try Destination(validating: "https://shop.example.com/hair?utm=a#top")
        var data = CatalogData()
        data.offers = [
            .init(id: 1, fallback: try Destination(validating: "https://shop.example.com/fallback")),
            .init(id: 2, status: .paused, fallback: try Destination(validating: "https://shop.example.com/paused")),
            .init(id: 3, status: .archived),
            .init(id: 4, endsAt: Self.now - Self.day),  // expired
            .init(id: 5, startsAt: Self.now + Self.day),  // not started
            .init(id: 6, clickParameter: "ref"),
        ]
        data.links = [
            .init(id: 10, offerID: 1, code: Code("haircare")!, destination: destination),
            .init(id: 20, offerID: 2, code: Code("paused")!, destination: destination),
            .init(id: 30, offerID: 3, code: Code("archived")!, destination: destination),
            .init(id: 40, offerID: 4, code: Code("expired")!, destination: destination),
            .init(id: 50, offerID: 5, code: Code("future")!, destination: destination),
            .init(id: 60, offerID: 6, code: Code("refparam")!, destination: destination),
            .init(id: 70, offerID: 99, code: Code("orphan")!, destination: destination),
            // Links that expire a day from now: with their own URL, with the offer's fallback, with neither.
            .init(id: 80, offerID: 1, code: Code("giveaway")!, destination: destination, expiresAt: Self.now + Self.day,
                  expiredDestination: try Destination(validating: "https://shop.example.com/over?from=giveaway")),
            .init(id: 81, offerID: 1, code: Code("springsale")!, destination: destination, expiresAt: Self.now + Self.day),
            .init(id: 82, offerID: 3, code: Code("oldarchive")!, destination: destination, expiresAt: Self.now + Self.day),
        ]
        data.partners = [
            .init(id: 100, code: Code("abc123")!),
            .init(id: 101, code: Code("kid")!, parentID: 100),
            .init(id: 102, code: Code("stranger")!),
            .init(id: 103, code: Code("grandkid")!, parentID: 101),
            .init(id: 104, code: Code("gone")!, status: .inactive),
            .init(id: 105, code: Code("sleepy")!),
            .init(id: 106, code: Code("later")!),
            .init(id: 107, code: Code("retiredkid")!, parentID: 100, status: .inactive),
        ]
        data.memberships = (1...6).map { CatalogData.Membership(offerID: UInt32($0), partnerID: 100) } + [
            .init(offerID: 1, partnerID: 104),
            .init(offerID: 1, partnerID: 105, status: .inactive),
            .init(offerID: 1, partnerID: 106, startsAt: Self.now + Self.day),
        ]
        data.ads = [
            .init(id: 500, partnerID: 100, code: Code("website2")!),
            .init(id: 501, partnerID: 102, code: Code("theirs")!),
        ]
        table = LinkTable(data, version: 7)
    }

    func resolve(_ target: String, now: Int64 = LinkTableTests.now) -> LinkTable.Resolution? {
        withBytes(target) { bytes in
            guard case .tracking(let path) = TrackingTarget.parse(bytes) else { return nil }
            return table.view.resolve(path, in: bytes, now: now)
        }
    }

    @Test func validClickIsBillableToThePartner() throws {
        let r = try #require(resolve("/haircare/abc123"))
        #expect(r.outcome == .billable)
        #expect(r.creditedPartnerID == 100)
        #expect(r.generatingPartnerID == 100)
        #expect(r.offerID == 1 && r.linkID == 10)
        #expect(r.flags.isEmpty)
        #expect(table.view.location(of: r).addsClickID)
    }

    @Test func codesAreCaseInsensitive() throws {
        let r = try #require(resolve("/HairCare/ABC123.KID/WebSite2"))
        #expect(r.outcome == .billable)
        #expect(r.creditedPartnerID == 101)
        #expect(r.adID == 500)
    }

    @Test func directChildGetsTheCredit() throws {
        let r = try #require(resolve("/haircare/abc123.kid"))
        #expect(r.outcome == .billable)
        #expect(r.creditedPartnerID == 101)
        #expect(r.generatingPartnerID == 100)
        #expect(r.flags.isEmpty)
    }

    @Test(arguments: ["stranger", "grandkid", "nobody", "retiredkid"])
    func anythingButAnActiveDirectChildCreditsThePartner(child: String) throws {
        let r = try #require(resolve("/haircare/abc123.\(child)"))
        #expect(r.outcome == .billable)
        #expect(r.creditedPartnerID == 100)
        #expect(r.flags == .invalidChild)
    }

    @Test func ownAdIsCounted() throws {
        let r = try #require(resolve("/haircare/abc123/website2"))
        #expect(r.adID == 500)
        #expect(r.flags.isEmpty)
    }

    @Test(arguments: ["theirs", "missing"])
    func unknownOrForeignAdIsFlagged(ad: String) throws {
        let r = try #require(resolve("/haircare/abc123/\(ad)"))
        #expect(r.outcome == .billable)
        #expect(r.adID == 0)
        #expect(r.flags == .unknownAd)
    }

    @Test func unknownPartnerIsUnattributed() throws {
        let r = try #require(resolve("/haircare/nobody"))
        #expect(r.outcome == .unattributed)
        #expect(r.creditedPartnerID == 0)
        #expect(r.generatingPartnerID == 0)
        #expect(table.view.location(of: r).addsClickID)
    }

    @Test func nonMemberIsUnattributed() throws {
        let r = try #require(resolve("/haircare/stranger/theirs"))
        #expect(r.outcome == .unattributed)
        #expect(r.creditedPartnerID == 0)
        #expect(r.generatingPartnerID == 102)
    }

    @Test(arguments: ["paused", "archived", "expired", "future"])
    func inactiveOfferRedirectsWithoutClickID(link: String) throws {
        let r = try #require(resolve("/\(link)/abc123"))
        #expect(r.outcome == .inactive)
        #expect(r.creditedPartnerID == 0)
        #expect(!table.view.location(of: r).addsClickID)
    }

    @Test func inactiveOfferUsesItsFallbackElseTheDestination() throws {
        let paused = try #require(resolve("/paused/abc123"))
        let withFallback = table.view.location(of: paused)
        #expect(String(decoding: withFallback.destination, as: UTF8.self) == "https://shop.example.com/paused")
        #expect(withFallback.usesFallback)
        let archived = try #require(resolve("/archived/abc123"))
        let withoutFallback = table.view.location(of: archived)
        #expect(String(decoding: withoutFallback.destination, as: UTF8.self) == "https://shop.example.com/hair?utm=a#top")
        #expect(!withoutFallback.usesFallback)
    }

    @Test(arguments: ["gone", "sleepy", "later"])
    func inactiveMembershipOrPartnerIsInactive(partner: String) throws {
        let r = try #require(resolve("/haircare/\(partner)"))
        #expect(r.outcome == .inactive)
        #expect(table.view.location(of: r).usesFallback)
    }

    @Test func offerEndsExactlyAtItsEnd() throws {
        let end = Self.now - Self.day
        #expect(resolve("/expired/abc123", now: end - 1)?.outcome == .billable)
        #expect(resolve("/expired/abc123", now: end)?.outcome == .inactive)
    }

    @Test func aLinkExpiresExactlyAtItsExpiry() throws {
        let expiry = Self.now + Self.day
        let before = try #require(resolve("/giveaway/abc123", now: expiry - 1))
        #expect(before.outcome == .billable && before.creditedPartnerID == 100)
        let after = try #require(resolve("/giveaway/abc123.kid/website2", now: expiry))
        #expect(after.outcome == .expired)
        #expect(after.creditedPartnerID == 0, "an expired link credits nobody")
        #expect(after.generatingPartnerID == 100, "whose URL it was is still recorded")
        #expect(resolve("/giveaway/nobody", now: expiry)?.outcome == .expired)
    }

    @Test func anExpiredLinkGoesToItsExpiredURLElseTheOffersFallbackElseItsDestination() throws {
        let expiry = Self.now + Self.day
        func location(_ link: String) throws -> (String, LinkTable.LocationParts) {
            let r = try #require(resolve("/\(link)/abc123", now: expiry))
            #expect(r.outcome == .expired)
            let parts = table.view.location(of: r)
            return (String(decoding: parts.destination, as: UTF8.self), parts)
        }
        let (own, ownParts) = try location("giveaway")
        #expect(own == "https://shop.example.com/over?from=giveaway")
        #expect(ownParts.destinationHasQuery && ownParts.usesFallback && !ownParts.addsClickID)
        let (offers, offersParts) = try location("springsale")
        #expect(offers == "https://shop.example.com/fallback")
        #expect(offersParts.usesFallback && !offersParts.addsClickID)
        let (neither, neitherParts) = try location("oldarchive")
        #expect(neither == "https://shop.example.com/hair?utm=a#top")
        #expect(!neitherParts.usesFallback && !neitherParts.addsClickID)
    }

    @Test func unknownLinkIsNil() {
        #expect(resolve("/nolink/abc123") == nil)
        #expect(resolve("/orphan/abc123") == nil, "a link of an unknown offer is left out")
    }

    @Test func offerClickParameterIsUsed() throws {
        let r = try #require(resolve("/refparam/abc123"))
        #expect(String(decoding: table.view.location(of: r).clickParameter, as: UTF8.self) == "ref")
    }

    @Test func tableCountsWhatItHolds() {
        #expect(table.version == 7)
        #expect(table.linkCount == 9)
        #expect(table.partnerCount == 8)
        #expect(table.adCount == 2)
    }

    @Test func largeTableFindsEveryCode() throws {
        let destination = try Destination(validating: "https://x.example/")
        var data = CatalogData(offers: [.init(id: 1)])
        for i in 1...20_000 {
            data.partners.append(.init(id: UInt32(i), code: Code("p\(i)")!))
            data.memberships.append(.init(offerID: 1, partnerID: UInt32(i)))
            data.ads.append(.init(id: UInt32(i), partnerID: UInt32(i), code: Code("ad")!))
        }
        data.links = [.init(id: 1, offerID: 1, code: Code("l")!, destination: destination)]
        // Indexes built one after the other, or as jobs run in another order, find the same.
        let sequential = LinkTable(data)
        let reordered = LinkTable(data) { jobs in jobs.reversed().forEach { $0() } }
        for big in [sequential, reordered] {
            for i in stride(from: 1, through: 20_000, by: 997) {
                let r = withBytes("/l/P\(i)/AD") { bytes -> LinkTable.Resolution? in
                    guard case .tracking(let path) = TrackingTarget.parse(bytes) else { return nil }
                    return big.view.resolve(path, in: bytes, now: 0)
                }
                #expect(r?.creditedPartnerID == UInt32(i))
                #expect(r?.adID == UInt32(i))
            }
        }
    }

    @Test func storedCodesAreTakenAsTheyAreOnlyWhenFolded() {
        #expect(Code(folded: "abc-1_x")?.value == "abc-1_x")
        #expect(Code(folded: "ABC")?.value == "abc", "an unfolded code is folded")
        #expect(Code(folded: "a b") == nil)
        #expect(Code(folded: "") == nil)
        #expect(Code(folded: String(repeating: "a", count: 33)) == nil)
    }
}
