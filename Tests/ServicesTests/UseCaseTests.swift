import ClickModel
import Domain
import Services
import Synchronization
import Testing

/// The use cases on in-memory stand-ins of the storage protocols they take:
/// their rules, with neither HTTP nor a database.
@Suite("Use cases")
struct UseCaseTests {
    static let urls = PublicURLs(tracking: { "https://go.example.com" }, dashboard: { "https://p.example.com" })

    static func destination(_ url: String = "https://shop.example.com/") throws -> Destination { try Destination(validating: url) }

    /// Expects `body` to be refused with `code` (and `field`, when given).
    static func expectRefusal(_ code: DomainError.Code, field: String? = nil, reason: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("not refused", sourceLocation: sourceLocation)
        } catch let error as DomainError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            if let field { #expect(error.field == field, "\(error)", sourceLocation: sourceLocation) }
            if let reason { #expect(error.reason == reason, "\(error)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("refused with \(error), not a DomainError", sourceLocation: sourceLocation)
        }
    }

    @Test func anOfferGetsAPostbackTokenAndALinkTheOffersDestination() async throws {
        let store = InMemoryCatalogue()
        let catalogue = Catalogue(store: store)
        let offer = try await catalogue.create(Offer(name: "Spring", destination: try Self.destination("https://shop.example.com/spring")))
        #expect(offer.postbackToken?.hasPrefix("clb_") == true)
        let rotated = try await catalogue.rotatePostbackToken(ofOffer: offer.id)
        #expect(rotated.postbackToken != offer.postbackToken)

        let link = try await catalogue.addLink(Code("spring")!, to: offer, destination: nil)
        #expect(link.destination == offer.destination, "the offer's own destination when the link names none")
        await Self.expectRefusal(.conflict, field: "code") { _ = try await catalogue.addLink(Code("SPRING")!, to: offer, destination: nil) }
        let bare = try await catalogue.create(Offer(name: "No destination"))
        await Self.expectRefusal(.invalid, field: "destination_url") { _ = try await catalogue.addLink(Code("bare")!, to: bare, destination: nil) }
    }

    @Test func aPartnerNeedsAParentThatExistsAndAFreeCode() async throws {
        let store = InMemoryCatalogue()
        let catalogue = Catalogue(store: store)
        let (paula, token) = try await catalogue.create(Partner(name: "Paula", code: Code("paula")!))
        #expect(token.hasPrefix("clp_"))
        #expect(try await store.partner(tokenHash: Secrets.hash(token)) == paula, "only the token's hash is kept, and it finds her")
        await Self.expectRefusal(.invalid, field: "parent_id") { _ = try await catalogue.create(Partner(name: "Orphan", code: Code("o")!, parentID: 99)) }
        await Self.expectRefusal(.conflict, field: "code") { _ = try await catalogue.create(Partner(name: "Other", code: Code("PAULA")!)) }
        let newToken = try await catalogue.issueToken(to: paula)
        #expect(try await store.partner(tokenHash: Secrets.hash(token)) == nil, "the old token stops working")
        #expect(try await store.partner(tokenHash: Secrets.hash(newToken)) == paula)
    }

    @Test func membersOfAPromoOfferGetCodesByItsNamingAndKeepThem() async throws {
        let store = InMemoryCatalogue()
        let catalogue = Catalogue(store: store)
        let memberships = Memberships(store: store)
        let offer = try await catalogue.create(Offer(
            name: "Codes", type: .promoCode, promo: PromoSettings(discount: .init(type: .percent, value: 20))))
        let (jane, _) = try await catalogue.create(Partner(name: "Jane Doe", code: Code("jane")!))
        let (jan, _) = try await catalogue.create(Partner(name: "Jane Roe", code: Code("jan")!))

        await Self.expectRefusal(.invalid, field: "partner_ids") { _ = try await memberships.add([jane.id, 404], to: offer, terms: MemberTerms()) }
        #expect(try await store.members(MemberQuery(offerID: offer.id)).isEmpty, "nobody was added")

        let added = try await memberships.add([jane.id, jan.id], to: offer, terms: MemberTerms())
        #expect(added.map(\.created) == [true, true])
        #expect(added.map(\.member.promoCode) == ["JANE20", "JANE20-2"], "the name and the discount, then a free variant")
        #expect(added.allSatisfy { $0.member.dashboardToken.hasPrefix("cld_") })
        let again = try await memberships.add([jane.id], to: offer, terms: MemberTerms())
        #expect(again.map(\.created) == [false] && again.first?.member.promoCode == "JANE20", "a member keeps its code")

        let refreshed = try await memberships.update(partnerID: jane.id, of: offer, refreshCode: true) { $0.status = .active }
        #expect(refreshed.promoCode != "JANE20" && refreshed.promoCode?.hasPrefix("JANE20") == true)
    }

    @Test func membersOfALinkOfferGetNoCodeAndCannotRefreshOne() async throws {
        let store = InMemoryCatalogue()
        let catalogue = Catalogue(store: store)
        let memberships = Memberships(store: store)
        let offer = try await catalogue.create(Offer(name: "Links", destination: try Self.destination()))
        let (paula, _) = try await catalogue.create(Partner(name: "Paula", code: Code("paula")!))
        let added = try await memberships.add([paula.id], to: offer, terms: MemberTerms())
        #expect(added.first?.member.promoCode == nil)
        await Self.expectRefusal(.invalid, field: "refresh_code") {
            _ = try await memberships.update(partnerID: paula.id, of: offer, refreshCode: true) { _ in }
        }
    }

    @Test func aPartnerGeneratesLinksForItselfAndItsDirectChildrenOnly() async throws {
        let store = InMemoryCatalogue()
        let catalogue = Catalogue(store: store)
        let offer = try await catalogue.create(Offer(name: "Spring", destination: try Self.destination()))
        _ = try await catalogue.addLink(Code("spring")!, to: offer, destination: nil)
        let (paula, _) = try await catalogue.create(Partner(name: "Paula", code: Code("paula")!))
        let (carl, _) = try await catalogue.create(Partner(name: "Carl", code: Code("carl")!, parentID: paula.id))
        let (grandchild, _) = try await catalogue.create(Partner(name: "Gus", code: Code("gus")!, parentID: carl.id))
        let (stranger, _) = try await catalogue.create(Partner(name: "Sam", code: Code("sam")!))
        let ad = try await store.createAd(Ad(partnerID: paula.id, code: Code("news")!, name: "Newsletter"))
        _ = try await store.createAd(Ad(partnerID: stranger.id, code: Code("theirs")!, name: "Not Paula's"))
        let links = PartnerLinks(store: store, urls: Self.urls)

        await Self.expectRefusal(.forbidden) { _ = try await links.generate(by: paula, linkCode: Code("spring")!, forPartner: nil, ad: nil) }
        _ = try await Memberships(store: store).add([paula.id], to: offer, terms: MemberTerms())

        let own = try await links.generate(by: paula, linkCode: Code("spring")!, forPartner: nil, ad: nil)
        #expect(own.url == "https://go.example.com/spring/paula" && own.credited == paula)
        let forChild = try await links.generate(by: paula, linkCode: Code("spring")!, forPartner: carl.code, ad: ad.code)
        #expect(forChild.url == "https://go.example.com/spring/paula.carl/news" && forChild.credited == carl && forChild.ad == ad)
        let forSelfByCode = try await links.generate(by: paula, linkCode: Code("spring")!, forPartner: paula.code, ad: nil)
        #expect(forSelfByCode.url == own.url)
        await Self.expectRefusal(.forbidden) { _ = try await links.generate(by: paula, linkCode: Code("spring")!, forPartner: grandchild.code, ad: nil) }
        await Self.expectRefusal(.forbidden) { _ = try await links.generate(by: paula, linkCode: Code("spring")!, forPartner: stranger.code, ad: nil) }
        await Self.expectRefusal(.invalid, field: "ad_code") { _ = try await links.generate(by: paula, linkCode: Code("spring")!, forPartner: nil, ad: Code("theirs")!) }
        await Self.expectRefusal(.invalid, field: "link_code") { _ = try await links.generate(by: paula, linkCode: Code("autumn")!, forPartner: nil, ad: nil) }
    }

    @Test func aConversionIsCreditedByTheRulesInTheWorkspacesCurrency() async throws {
        let store = InMemoryConversions(currency: Currency("EUR")!)
        let recorder = ConversionRecorder(store: store)
        #expect(try await recorder.amount("49.9", currency: nil, field: "amount") == Money(minorUnits: 4_990, currency: Currency("EUR")!))
        #expect(try await recorder.amount("49.90", currency: "eur", field: "amount").minorUnits == 4_990)
        await Self.expectRefusal(.invalid, field: "currency") { _ = try await recorder.amount("49.90", currency: "USD", field: "amount") }
        await Self.expectRefusal(.invalid, field: "currency") { _ = try await recorder.amount("49.90", currency: "euro", field: "amount") }
        await Self.expectRefusal(.invalid, field: "amount") { _ = try await recorder.amount("49.901", currency: nil, field: "amount") }
        await Self.expectRefusal(.invalid, field: "amount") { _ = try await recorder.amount(nil, currency: nil, field: "amount") }

        // Both a code and a click: the offer's policy (code_first) credits the code's member, 10 % of 49.90.
        let request = ConversionRequest(offerID: 1, orderID: "A-1", amount: Money(minorUnits: 4_990, currency: Currency("EUR")!),
                                        source: .postback, codes: ["JANE20"], clickID: "01M9", now: 1_000)
        guard case .created(let conversion) = try await recorder.record(request) else {
            Issue.record("not created")
            return
        }
        #expect(conversion.partnerID == 7 && conversion.decision.winner == .code)
        #expect(conversion.commissions.map(\.amount.minorUnits) == [499])
    }

    @Test func paymentsAreForOffersAndPartnersThatExist() async throws {
        let catalogue = InMemoryCatalogue()
        let offer = try await catalogue.createOffer(Offer(name: "O"))
        let partner = try await catalogue.createPartner(Partner(name: "P", code: Code("p")!), tokenHash: nil)
        let conversions = InMemoryConversions(currency: .usd)
        let payments = Payments(store: PaymentsStore(catalogue: catalogue, conversions: conversions))
        await Self.expectRefusal(.invalid, field: "offer_id") { _ = try await payments.due(offerID: 99, partnerIDs: [], now: 5) }
        await Self.expectRefusal(.invalid, field: "partner_ids") { _ = try await payments.pay(offerID: nil, partnerIDs: [99], reference: nil, now: 5) }
        _ = try await payments.pay(offerID: offer.id, partnerIDs: [partner.id], reference: "June", now: 5)
        let asked = try #require(conversions.lastPayment)
        #expect(asked.query.offerID == offer.id && asked.query.partnerIDs == [partner.id] && asked.query.now == 5 && asked.reference == "June")
    }
}

/// Conversions kept by what the use case hands the store: the plan it gives
/// is run on fixed evidence (a live code member and a click of another), and
/// payments asked for are noted.
final class InMemoryConversions: ConversionStore, WorkspaceStore, Sendable {
    private let workspace: Currency
    private let payment = Mutex<(query: PaymentQuery, reference: String?)?>(nil)

    init(currency: Currency) { workspace = currency }

    var lastPayment: (query: PaymentQuery, reference: String?)? { payment.withLock { $0 } }

    func currency() async throws -> Currency { workspace }
    func clientHashSalt() async throws -> UInt64 { 1 }

    func recordConversion(_ request: ConversionRequest,
                          plan: @escaping @Sendable (ConversionEvidence) -> ConversionPlan) async throws -> ConversionRecording {
        let offer = Offer(id: 1, name: "O", payout: .percent(Percent(basisPoints: 1_000)!))
        let candidates = AttributionCandidates(code: .init(code: "JANE20", partnerID: 7),
                                               click: .init(clickID: "01M9", found: true, partnerID: 8, clickedAt: 900, billable: true))
        let planned = plan(ConversionEvidence(offer: offer, candidates: candidates, terms: [:], amount: request.amount, now: request.now))
        let commissions = planned.lines.enumerated().map { index, line in
            Commission(id: Int64(index + 1), conversionID: 1, offerID: 1, partnerID: line.partnerID,
                       amount: Money(minorUnits: line.minorUnits, currency: request.amount.currency), kind: line.kind, status: .approved,
                       availableAt: request.now, paymentID: nil, reversesID: nil)
        }
        return .created(Conversion(
            id: 1, offerID: 1, orderID: request.orderID, partnerID: planned.decision.partnerID, amount: request.amount, status: .accepted,
            event: request.event, source: request.source, clickID: request.clickID, subIDs: [], candidates: candidates,
            decision: planned.decision, commissions: commissions, createdAt: request.now, reversedAt: nil))
    }

    func offer(postbackToken: String) async throws -> Offer? { nil }
    func conversion(id: Int64) async throws -> Conversion? { nil }
    func conversions(_ query: ConversionQuery) async throws -> [Conversion] { [] }
    func reverseConversion(id: Int64, at now: Int64) async throws -> Conversion { throw StoreError(.notFound, "no conversions here") }
    func review(_ decision: ReviewDecision) async throws -> Conversion { throw StoreError(.notFound, "no conversions here") }

    func paymentsDue(_ query: PaymentQuery) async throws -> [PaymentDue] {
        payment.withLock { $0 = (query, nil) }
        return []
    }

    func pay(_ query: PaymentQuery, reference: String?) async throws -> [Payment] {
        payment.withLock { $0 = (query, reference) }
        return []
    }

    func payments(partnerID: UInt32?, afterID: Int64, limit: Int) async throws -> [Payment] { [] }
}

/// What `Payments` takes, from the two stand-ins.
struct PaymentsStore: ConversionStore, OfferStore, PartnerStore {
    let catalogue: InMemoryCatalogue
    let conversions: InMemoryConversions

    func offer(postbackToken: String) async throws -> Offer? { nil }
    func recordConversion(_ request: ConversionRequest,
                          plan: @escaping @Sendable (ConversionEvidence) -> ConversionPlan) async throws -> ConversionRecording {
        try await conversions.recordConversion(request, plan: plan)
    }
    func conversion(id: Int64) async throws -> Conversion? { nil }
    func conversions(_ query: ConversionQuery) async throws -> [Conversion] { [] }
    func reverseConversion(id: Int64, at now: Int64) async throws -> Conversion { try await conversions.reverseConversion(id: id, at: now) }
    func review(_ decision: ReviewDecision) async throws -> Conversion { try await conversions.review(decision) }
    func paymentsDue(_ query: PaymentQuery) async throws -> [PaymentDue] { try await conversions.paymentsDue(query) }
    func pay(_ query: PaymentQuery, reference: String?) async throws -> [Payment] { try await conversions.pay(query, reference: reference) }
    func payments(partnerID: UInt32?, afterID: Int64, limit: Int) async throws -> [Payment] { [] }

    func createOffer(_ offer: Offer) async throws -> Offer { try await catalogue.createOffer(offer) }
    func offer(id: UInt32) async throws -> Offer? { try await catalogue.offer(id: id) }
    func offers(_ query: OfferQuery) async throws -> [Offer] { try await catalogue.offers(query) }
    func updateOffer(id: UInt32, _ change: @escaping @Sendable (inout Offer) throws -> Void) async throws -> Offer {
        try await catalogue.updateOffer(id: id, change)
    }
    func createPartner(_ partner: Partner, tokenHash: [UInt8]?) async throws -> Partner { try await catalogue.createPartner(partner, tokenHash: tokenHash) }
    func partner(id: UInt32) async throws -> Partner? { try await catalogue.partner(id: id) }
    func partner(code: Code) async throws -> Partner? { try await catalogue.partner(code: code) }
    func partner(tokenHash: [UInt8]) async throws -> Partner? { try await catalogue.partner(tokenHash: tokenHash) }
    func partners(_ query: PartnerQuery) async throws -> [Partner] { try await catalogue.partners(query) }
    func updatePartner(id: UInt32, _ change: @escaping @Sendable (inout Partner) throws -> Void) async throws -> Partner {
        try await catalogue.updatePartner(id: id, change)
    }
    func setPartnerTokenHash(partnerID: UInt32, hash: [UInt8]) async throws { try await catalogue.setPartnerTokenHash(partnerID: partnerID, hash: hash) }
}
