import ClickModel
import Domain
import Foundation
import Store
import StoreTesting
import Testing

/// What events out and their webhook deliveries must do on either database.
enum EventContract {
    static let now: Int64 = 1_790_000_000_000

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// A conversion and its reversal are each written with an event, and each
    /// event is queued for the active endpoints that asked for its type.
    static func conversionsAreToldToTheEndpointsThatAskForThem(_ store: SQLStore) async throws {
        let both = try await store.createEndpoint(url: "https://a.example/hook", events: [.conversionCreated, .conversionReversed],
                                                  secret: "whsec_a", now: now)
        let created = try await store.createEndpoint(url: "https://b.example/hook", events: [.conversionCreated], secret: "whsec_b", now: now)
        let off = try await store.createEndpoint(url: "https://c.example/hook", events: [.conversionCreated], secret: "whsec_c", now: now)
        _ = try await store.updateEndpoint(id: off.id, EndpointChange(status: .disabled))

        let offer = try await store.createOffer(Offer(name: "O")).id
        let request = ConversionRequest(offerID: offer, orderID: "o-1", amount: Money(minorUnits: 4_990, currency: .usd), source: .postback,
                                        now: now + 1)
        guard case .created(let conversion) = try await store.recordConversion(request, plan: ConversionContract.plan) else {
            Issue.record("not created")
            return
        }
        _ = try await store.recordConversion(request, plan: ConversionContract.plan)  // the same order again: no second event
        _ = try await store.reverseConversion(id: conversion.id, at: now + 2)
        _ = try await store.reverseConversion(id: conversion.id, at: now + 3)  // already reversed: no second event

        let due = try await store.claimDeliveries(now: now + 10, leaseUntil: now + 60_000, limit: 100, perEndpoint: 100, busy: [:])
        let sent = Dictionary(grouping: due, by: \.endpoint.id).mapValues { $0.map(\.event.type) }
        #expect(sent[both.id] == [.conversionCreated, .conversionReversed])
        #expect(sent[created.id] == [.conversionCreated])
        #expect(sent[off.id] == nil, "a disabled endpoint is sent nothing")
        let first = try #require(due.first { $0.endpoint.id == both.id })
        #expect(first.event.key.hasPrefix("evt_") && first.queuedAt == now + 1)
        let data = try json(first.event.data)
        #expect(data["id"] as? Int64 == conversion.id && data["order_id"] as? String == "o-1" && data["amount"] as? Int64 == 4_990)
        #expect(data["status"] as? String == "accepted", "as the API showed it when it happened")
        let reversed = try json(try #require(due.first { $0.event.type == .conversionReversed }).event.data)
        #expect(reversed["status"] as? String == "reversed")
        #expect(Set(due.map(\.event.key)).count == 2, "one event each, sent to each endpoint under the same id")

        // Taken: no other sender takes them while the lease holds; when it ends (the sender died), they come back.
        #expect(try await store.claimDeliveries(now: now + 20, leaseUntil: now + 60_000, limit: 100, perEndpoint: 100, busy: [:]).isEmpty)
        #expect(try await store.claimDeliveries(now: now + 60_000, leaseUntil: now + 120_000, limit: 100, perEndpoint: 100, busy: [:],
                                                node: 7).count == 3)
        // The node that holds them starts again: they are due at once; another node's start leaves them.
        #expect(try await store.releaseDeliveries(node: 3, now: now + 60_001) == 0)
        #expect(try await store.releaseDeliveries(node: 7, now: now + 60_001) == 3)
        #expect(try await store.claimDeliveries(now: now + 60_001, leaseUntil: now + 120_000, limit: 100, perEndpoint: 100, busy: [:]).count == 3)
    }

    /// Attempts are logged, and each outcome moves its delivery; a disabled
    /// endpoint keeps its deliveries for when it is enabled again.
    static func attemptsMoveDeliveries(_ store: SQLStore) async throws {
        _ = try await store.createTeamMember(TeamMember(email: "owner@example.com", role: .owner))
        _ = try await store.createTeamMember(TeamMember(email: "viewer@example.com", role: .viewer))
        let endpoint = try await store.createEndpoint(url: "https://a.example/hook", events: [.conversionCreated], secret: "whsec_a", now: now)
        var tests: [Event] = []
        for offset in 0..<3 { tests.append(try await store.queueTestEvent(endpointID: endpoint.id, data: "{\"n\":\(offset)}", now: now + Int64(offset))) }

        // At most `perEndpoint` less those busy, oldest first.
        let one = try await store.claimDeliveries(now: now + 10, leaseUntil: now + 60_000, limit: 100, perEndpoint: 3, busy: [endpoint.id: 2])
        #expect(one.map(\.event.key) == [tests[0].key])
        let rest = try await store.claimDeliveries(now: now + 10, leaseUntil: now + 60_000, limit: 100, perEndpoint: 3, busy: [:])
        #expect(rest.map(\.event.key) == [tests[1].key, tests[2].key])

        func attempt(_ delivery: DueDelivery, status: Int?, at: Int64) -> DeliveryAttempt {
            DeliveryAttempt(deliveryID: delivery.id, endpointID: endpoint.id, eventKey: delivery.event.key, eventType: delivery.event.type,
                            attempt: delivery.attempts + 1, startedAt: at, statusCode: status, latencyMilliseconds: 12,
                            response: status.map { "answered \($0)" }, error: status == 200 ? nil : "failed")
        }
        try await store.recordAttempt(attempt(one[0], status: 200, at: now + 11), outcome: .delivered)
        try await store.recordAttempt(attempt(rest[0], status: 500, at: now + 12), outcome: .retry(at: now + 5_000))
        try await store.recordAttempt(attempt(rest[1], status: nil, at: now + 13), outcome: .gaveUp)
        #expect(try await store.endpoint(id: endpoint.id)?.failingSince == now + 12)

        let retried = try await store.claimDeliveries(now: now + 5_000, leaseUntil: now + 60_000, limit: 100, perEndpoint: 8, busy: [:])
        #expect(retried.map(\.event.key) == [tests[1].key] && retried[0].attempts == 1, "only the one to retry, at its time")
        try await store.recordAttempt(attempt(retried[0], status: 410, at: now + 5_001),
                                      outcome: .disableEndpoint(reason: "the endpoint answered 410 Gone"))
        let disabled = try #require(try await store.endpoint(id: endpoint.id))
        #expect(disabled.status == .disabled && disabled.disabledReason == "the endpoint answered 410 Gone")
        let told = try await store.outbox(OutboxQuery(includeSignInMessages: true))
        #expect(told.map(\.to) == ["owner@example.com"], "the brand's owners, not its viewers")
        #expect(told.first?.body.contains("https://a.example/hook") == true && told.first?.body.contains("410 Gone") == true)
        #expect(try await store.claimDeliveries(now: now + 9_000_000, leaseUntil: now + 9_060_000, limit: 100, perEndpoint: 8, busy: [:]).isEmpty)

        let enabled = try await store.updateEndpoint(id: endpoint.id, EndpointChange(status: .active))
        #expect(enabled.disabledReason == nil && enabled.failingSince == nil)
        let resumed = try await store.claimDeliveries(now: now + 9_000_000, leaseUntil: now + 9_060_000, limit: 100, perEndpoint: 8, busy: [:])
        #expect(resumed.map(\.event.key) == [tests[1].key] && resumed[0].attempts == 2, "nothing lost by disabling")

        // The log, newest first, a page at a time.
        let log = try await store.attempts(endpointID: endpoint.id, beforeID: 0, limit: 3)
        #expect(log.map(\.statusCode) == [410, nil, 500])
        #expect(log[0].attempt == 2 && log[0].eventKey == tests[1].key && log[0].response == "answered 410" && log[0].latencyMilliseconds == 12)
        let older = try await store.attempts(endpointID: endpoint.id, beforeID: log[2].id, limit: 3)
        #expect(older.map(\.statusCode) == [200] && older[0].eventType == .webhookTest)
    }

    /// Replays queue events again: one by its id, or those of a time range
    /// that the endpoint asks for.
    static func replaysQueueEventsAgain(_ store: SQLStore) async throws {
        let offer = try await store.createOffer(Offer(name: "O")).id
        for order in 0..<4 {
            _ = try await store.recordConversion(ConversionRequest(offerID: offer, orderID: "o-\(order)", amount: Money(minorUnits: 100, currency: .usd),
                                                                   source: .postback, now: now + Int64(order) * 1_000),
                                                 plan: ConversionContract.plan)
        }
        // Made after the events: nothing queued for it until a replay.
        let endpoint = try await store.createEndpoint(url: "https://a.example/hook", events: [.conversionCreated], secret: "whsec_a",
                                                      now: now + 10_000)
        #expect(try await store.claimDeliveries(now: now + 20_000, leaseUntil: now + 80_000, limit: 100, perEndpoint: 100, busy: [:]).isEmpty)
        #expect(try await store.replay(endpointID: endpoint.id, .range(from: now + 1_000, to: now + 3_000), now: now + 20_000) == 2)
        let replayed = try await store.claimDeliveries(now: now + 20_000, leaseUntil: now + 80_000, limit: 100, perEndpoint: 100, busy: [:])
        #expect(replayed.map(\.event.createdAt) == [now + 1_000, now + 2_000])
        #expect(replayed.allSatisfy { $0.queuedAt == now + 20_000 }, "a replay is tried for as long as a new event")
        let key = replayed[0].event.key
        #expect(try await store.replay(endpointID: endpoint.id, .event(key: key), now: now + 30_000) == 1)
        #expect(try await store.claimDeliveries(now: now + 30_000, leaseUntil: now + 90_000, limit: 100, perEndpoint: 100, busy: [:])
                .map(\.event.key) == [key])
        await #expect(throws: StoreError.self) { try await store.replay(endpointID: endpoint.id, .event(key: "evt_none"), now: now) }
        await #expect(throws: StoreError.self) { try await store.replay(endpointID: 999, .event(key: key), now: now) }

        // Rotation keeps the old secret signing until the time given; deleting removes the log with it.
        let rotated = try await store.rotateSecret(id: endpoint.id, newSecret: "whsec_new", previousUntil: now + 86_400_000)
        #expect(rotated.secret == "whsec_new" && rotated.previousSecret == "whsec_a" && rotated.previousSecretUntil == now + 86_400_000)
        try await store.deleteEndpoint(id: endpoint.id)
        #expect(try await store.endpoint(id: endpoint.id) == nil)
        #expect(try await store.endpoints().isEmpty)
    }

    /// A conversion credited to a partner with a postback queues it, its URL
    /// rendered from the click's sub ids and the partner's commission; the
    /// reversal too. The brand's switch wins over the partner's changes.
    static func postbacksFollowTheirPartnersConversions(_ store: SQLStore) async throws {
        let offer = try await store.createOffer(Offer(name: "O")).id
        let jane = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        let nick = try await store.createPartner(Partner(name: "Nick", code: Code("nick")!), tokenHash: nil).id
        let template = try PostbackTemplate("https://t.example/pb?cid={click_id}&s1={sub1}&pay={commission}&st={status}&who={partner_code}")
        let set = try await store.setPostback(partnerID: jane, template: template, method: .get, now: now)
        #expect(set.status == .active && set.template == template.text && set.method == .get)
        #expect(try await store.endpoints().isEmpty, "a postback is not a webhook endpoint")

        var ids = ClickIDGenerator(node: 0, worker: 0)
        func convert(_ partner: UInt32, _ order: String, sub1: String) async throws -> Conversion {
            let id = ids.next(milliseconds: UInt64(now))
            var batch = ClickBatch()
            var subIDs = SubIDs()
            subIDs.set(0, sub1)
            batch.append(ClickRecord(id: id, offerID: offer, linkID: 1, creditedPartnerID: partner, generatingPartnerID: partner),
                         subIDs: subIDs, unique: false)
            try store.backend.write(batch, nodeID: 0)
            let request = ConversionRequest(offerID: offer, orderID: order, amount: Money(minorUnits: 4_990, currency: .usd), source: .postback,
                                            clickID: id.description, now: now + 1)
            guard case .created(let conversion) = try await store.recordConversion(request, plan: ConversionContract.plan) else {
                throw StoreError(.invalid, "not created")
            }
            return conversion
        }
        let janes = try await convert(jane, "o-1", sub1: "a&b=c#d")
        _ = try await convert(nick, "o-2", sub1: "nick's")
        _ = try await store.reverseConversion(id: janes.id, at: now + 2)
        let due = try await store.claimDeliveries(now: now + 10, leaseUntil: now + 60_000, limit: 100, perEndpoint: 100, busy: [:])
        #expect(due.count == 2 && due.allSatisfy { $0.endpoint.id == set.endpointID }, "Jane's two events, nothing of Nick's")
        #expect(due.map { $0.postback?.url } == [
            "https://t.example/pb?cid=\(janes.clickID!)&s1=a%26b%3Dc%23d&pay=4.99&st=approved&who=jane",
            "https://t.example/pb?cid=\(janes.clickID!)&s1=a%26b%3Dc%23d&pay=4.99&st=reversed&who=jane",
        ])

        let off = try await store.setPostbackStatus(partnerID: jane, .disabled)
        #expect(off.status == .disabled && off.disabledReason == Postback.disabledByBrand)
        let changed = try await store.setPostback(partnerID: jane, template: template, method: .postJSON, now: now)
        #expect(changed.status == .disabled && changed.method == .postJSON, "the partner cannot switch it back on")
        #expect(try await store.setPostbackStatus(partnerID: jane, .active).status == .active)
        await #expect(throws: StoreError.self) { try await store.setPostbackStatus(partnerID: nick, .disabled) }
        #expect(try await store.postback(partnerID: nick) == nil)
    }

    /// Partners, links and offers are told as the API shows them, each in
    /// the transaction of its change.
    static func catalogueChangesAreTold(_ store: SQLStore) async throws {
        _ = try await store.createEndpoint(url: "https://a.example/hook", events: [.partnerCreated, .linkCreated, .linkUpdated, .offerUpdated],
                                           secret: "whsec_a", now: now)
        let jane = try await store.createPartner(Partner(name: "Jane", email: "jane@example.com", code: Code("jane")!), tokenHash: [1, 2, 3])
        let offer = try await store.createOffer(Offer(name: "Summer")).id
        let link = try await store.createLink(TrackingLink(offerID: offer, code: Code("summer")!,
                                                           destination: try Destination(validating: "https://x.example/")))
        _ = try await store.updateLink(id: link.id) { $0.destination = try Destination(validating: "https://y.example/") }
        _ = try await store.updateOffer(id: offer) { $0.name = "Summer sale" }
        let due = try await store.claimDeliveries(now: .max / 2, leaseUntil: .max / 2, limit: 100, perEndpoint: 100, busy: [:])
        #expect(due.map(\.event.type) == [.partnerCreated, .linkCreated, .linkUpdated, .offerUpdated])
        let data = try due.map { try json($0.event.data) }
        #expect(data[0]["id"] as? Int64 == Int64(jane.id) && data[0]["code"] as? String == "jane" && data[0]["token"] == nil)
        #expect(data[1]["destination_url"] as? String == "https://x.example/" && data[1]["code"] as? String == "summer")
        #expect(data[2]["destination_url"] as? String == "https://y.example/")
        #expect(data[3]["name"] as? String == "Summer sale" && data[3]["id"] as? Int64 == Int64(offer))
    }

    /// The first order a coupon site referred flags the code: the brand hears
    /// it once (the event and an email to each owner); later ones add evidence.
    static func aLeakedCodeIsToldOnce(_ store: SQLStore) async throws {
        _ = try await store.createTeamMember(TeamMember(email: "owner@example.com", role: .owner))
        _ = try await store.createEndpoint(url: "https://a.example/hook", events: [.promoCodeLeaked], secret: "whsec_a", now: now)
        let offer = try await store.createOffer(Offer(name: "Codes", type: .promoCode, startsAt: now - 86_400_000)).id
        let jane = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        _ = try await store.addMembers(offerID: offer, partnerIDs: [jane], terms: MemberTerms(),
                                       credentials: MemberCredentials(dashboardToken: { "dash-jane" }, promoCode: { _, _ in "JANE20" }))
        for (order, site) in [("o-1", nil), ("o-2", "retailmenot.com"), ("o-3", "slickdeals.net"), ("o-4", "retailmenot.com")] {
            var request = ConversionRequest(offerID: offer, orderID: order, amount: Money(minorUnits: 5_000, currency: .usd), source: .shopify,
                                            codes: ["JANE20"], now: now)
            request.couponSite = site
            _ = try await store.recordConversion(request, plan: ConversionContract.plan)
        }
        let member = try #require(try await store.member(offerID: offer, partnerID: jane))
        #expect(member.promoCodeStatus == .leaked)
        #expect(member.leak == PromoCodeLeak(flaggedAt: now, reasons: [PromoCodeLeak.couponSite], orders: ["o-2", "o-3", "o-4"],
                                             referrers: ["retailmenot.com", "slickdeals.net"], orderCount: 3))
        let due = try await store.claimDeliveries(now: .max / 2, leaseUntil: .max / 2, limit: 100, perEndpoint: 100, busy: [:])
        #expect(due.map(\.event.type) == [.promoCodeLeaked], "told once")
        let data = try json(try #require(due.first).event.data)
        #expect(data["promo_code_status"] as? String == "leaked")
        let mail = try await store.outbox(OutboxQuery(includeSignInMessages: true)).filter { $0.subject.contains("JANE20") }
        #expect(mail.map(\.to) == ["owner@example.com"])
        #expect(mail.first?.body.contains("o-2") == true && mail.first?.body.contains("retailmenot.com") == true)

        // A new code: the old one keeps its evidence, and an order on it is kept, crediting nobody.
        let refreshed = try await store.refreshPromoCode(offerID: offer, partnerID: jane) { _, _ in "JANE21" }
        #expect(refreshed.promoCodeStatus == .active && refreshed.leak == nil)
        #expect(refreshed.previousCodes.map(\.code) == ["JANE20"] && refreshed.previousCodes.first?.leak == member.leak)
        let late = try await store.recordConversion(
            ConversionRequest(offerID: nil, orderID: "o-5", amount: Money(minorUnits: 5_000, currency: .usd), source: .shopify,
                              codes: ["jane20"], now: now), plan: ConversionContract.plan)
        guard case .created(let recorded) = late else {
            Issue.record("an order on a replaced code was not recorded: \(late)")
            return
        }
        #expect(recorded.offerID == offer && recorded.partnerID == nil && recorded.commissions.isEmpty)
        #expect(recorded.candidates.code?.refusal == "replaced_code" && recorded.candidates.code?.code == "JANE20")
        #expect(try await store.member(offerID: offer, partnerID: jane)?.promoUses == 0, "the new code was not used")
    }

    /// A burst of redemptions far above the code's usual hours flags it;
    /// the same number spread over the hours does not.
    static func aRedemptionSpikeFlagsTheCode(_ store: SQLStore) async throws {
        let hour: Int64 = 3_600_000
        // Members join at the wall clock's time; the orders come in the two days after.
        let start = (Int64(Date().timeIntervalSince1970 * 1000) / hour + 1) * hour
        let offer = try await store.createOffer(Offer(name: "Codes", type: .promoCode, startsAt: 0)).id
        let steady = try await store.createPartner(Partner(name: "Steady", code: Code("steady")!), tokenHash: nil).id
        let burst = try await store.createPartner(Partner(name: "Burst", code: Code("burst")!), tokenHash: nil).id
        _ = try await store.addMembers(offerID: offer, partnerIDs: [steady, burst], terms: MemberTerms(),
                                       credentials: MemberCredentials(dashboardToken: { "dash-\(UInt64.random(in: 0...UInt64.max))" },
                                                                      promoCode: { partner, _ in partner.code.value.uppercased() }))
        var number = 0
        func order(_ code: String, at time: Int64) async throws {
            number += 1
            _ = try await store.recordConversion(
                ConversionRequest(offerID: offer, orderID: "o-\(number)", amount: Money(minorUnits: 1_000, currency: .usd), source: .shopify,
                                  codes: [code], now: time), plan: ConversionContract.plan)
        }
        // A day and more of one order an hour for both, then 25 in one hour for one of them.
        for h in 0..<30 {
            try await order("STEADY", at: start + Int64(h) * hour)
            try await order("BURST", at: start + Int64(h) * hour + 1)
        }
        for minute in 0..<25 { try await order("BURST", at: start + 30 * hour + Int64(minute) * 60_000) }
        try await order("STEADY", at: start + 30 * hour)

        let flagged = try #require(try await store.member(offerID: offer, partnerID: burst))
        #expect(flagged.promoCodeStatus == .leaked)
        #expect(flagged.leak?.reasons == [PromoCodeLeak.redemptionSpike] && flagged.leak?.orders.count == 6,
                "flagged at the 20th order of the hour, and each after it added")
        #expect(try await store.member(offerID: offer, partnerID: steady)?.promoCodeStatus == .active)
    }

    /// The new-customer signal, when turned on: a code whose usual buyers are
    /// returning customers or come through its owner's clicks, then gets a day
    /// of orders mostly by new customers without a click, is flagged; a code
    /// always used that way (a podcast's) is not, and neither is anything
    /// while the signal is off.
    static func newCustomersWithoutClicksFlagTheCode(_ store: SQLStore) async throws {
        let hour: Int64 = 3_600_000
        let start = (Int64(Date().timeIntervalSince1970 * 1000) / hour + 1) * hour
        let offer = try await store.createOffer(Offer(name: "Codes", type: .promoCode, startsAt: 0)).id
        let shop = try await store.createPartner(Partner(name: "Shop", code: Code("shop")!), tokenHash: nil).id
        let podcast = try await store.createPartner(Partner(name: "Podcast", code: Code("podcast")!), tokenHash: nil).id
        let quiet = try await store.createPartner(Partner(name: "Quiet", code: Code("quiet")!), tokenHash: nil).id
        _ = try await store.addMembers(offerID: offer, partnerIDs: [shop, podcast, quiet], terms: MemberTerms(),
                                       credentials: MemberCredentials(dashboardToken: { "dash-\(UInt64.random(in: 0...UInt64.max))" },
                                                                      promoCode: { partner, _ in partner.code.value.uppercased() }))
        var number = 0
        func order(_ code: String, customer: String, at time: Int64, signal: NewCustomerSignal) async throws {
            number += 1
            var request = ConversionRequest(offerID: offer, orderID: "n-\(number)", amount: Money(minorUnits: 1_000, currency: .usd),
                                            source: .shopify, codes: [code], now: time)
            request.customer = Customer(email: customer, hash: "hash-\(customer)")
            request.newCustomers = signal
            _ = try await store.recordConversion(request, plan: ConversionContract.plan)
        }
        let on = NewCustomerSignal(sharePercent: 80, minimumOrders: 10)
        // A day of the same few customers returning on SHOP, new customers every time on PODCAST; a quiet day.
        for h in 0..<24 {
            try await order("SHOP", customer: "regular\(h % 3)@example.com", at: start + Int64(h) * hour, signal: on)
            try await order("PODCAST", customer: "listener\(h)@example.com", at: start + Int64(h) * hour + 1, signal: on)
        }
        // Then new customers on both, and on QUIET with the signal off.
        for n in 0..<12 {
            let time = start + 48 * hour + Int64(n) * 60_000
            try await order("SHOP", customer: "new\(n)@example.com", at: time, signal: on)
            try await order("PODCAST", customer: "later\(n)@example.com", at: time + 1, signal: on)
            try await order("QUIET", customer: "other\(n)@example.com", at: time + 2, signal: NewCustomerSignal())
        }
        let flagged = try #require(try await store.member(offerID: offer, partnerID: shop))
        #expect(flagged.promoCodeStatus == .leaked && flagged.leak?.reasons == [PromoCodeLeak.newCustomers], "\(String(describing: flagged.leak))")
        #expect(try await store.member(offerID: offer, partnerID: podcast)?.promoCodeStatus == .active, "always used by new customers")
        #expect(try await store.member(offerID: offer, partnerID: quiet)?.promoCodeStatus == .active, "the signal is off by default")
    }

    /// A partner converting far more often per click than the offer's other
    /// partners is flagged, from the rollups as read when the offer's rates
    /// are ten minutes old; the others, at an ordinary rate, are not.
    static func aPartnerConvertingFarAboveTheOthersIsFlagged(_ store: SQLStore) async throws {
        let offer = try await store.createOffer(Offer(name: "Links")).id
        let steady = try await store.createPartner(Partner(name: "Steady", code: Code("steady")!), tokenHash: nil).id
        let stuffer = try await store.createPartner(Partner(name: "Stuffer", code: Code("stuffer")!), tokenHash: nil).id
        try await store.addMember(offerID: offer, partnerID: steady, dashboardToken: { "dash-steady" })
        try await store.addMember(offerID: offer, partnerID: stuffer, dashboardToken: { "dash-stuffer" })
        // An hour ago: 2,000 clicks of Steady's, 20 of Stuffer's.
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var batch = ClickBatch()
        var clicks: [UInt32: [ClickID]] = [:]
        for (partner, count) in [(steady, 2_000), (stuffer, 20)] {
            for _ in 0..<count {
                let id = ids.next(milliseconds: UInt64(now - 3_600_000))
                clicks[partner, default: []].append(id)
                batch.append(ClickRecord(id: id, offerID: offer, linkID: 1, creditedPartnerID: partner, generatingPartnerID: partner), unique: false)
            }
        }
        try store.backend.write(batch, nodeID: 0)
        var number = 0
        func convert(_ partner: UInt32, at time: Int64) async throws -> Conversion? {
            number += 1
            let click = clicks[partner]![number % clicks[partner]!.count]
            guard case .created(let conversion) = try await store.recordConversion(
                ConversionRequest(offerID: offer, orderID: "r-\(number)", amount: Money(minorUnits: 1_000, currency: .usd), source: .postback,
                                  clickID: click.description, now: time), plan: ConversionContract.plan) else { return nil }
            return conversion
        }
        for _ in 0..<20 { _ = try await convert(steady, at: now) }
        for _ in 0..<11 { _ = try await convert(stuffer, at: now) }
        // Ten minutes on, the rates are read again: Stuffer's 12th conversion from 20 clicks against Steady's 1 %.
        let later = now + 600_001
        let flagged = try #require(try await convert(stuffer, at: later))
        #expect(flagged.flags.map(\.code) == ["conversion_rate_outlier"], "\(flagged.flags)")
        #expect(flagged.flags.first?.detail.contains("12 conversions from 20 clicks") == true, "\(flagged.flags)")
        #expect(try #require(try await convert(steady, at: later + 1)).flags.isEmpty, "an ordinary rate")
    }

    /// A conversion seconds after its click is flagged, in the store and in
    /// its event, and paid as ever; one at a shopper's pace is not flagged.
    static func aConversionTooSoonAfterItsClickIsFlagged(_ store: SQLStore) async throws {
        _ = try await store.createEndpoint(url: "https://a.example/hook", events: [.conversionCreated], secret: "whsec_a", now: now)
        let offer = try await store.createOffer(Offer(name: "Fast")).id
        let jane = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        var ids = ClickIDGenerator(node: 0, worker: 0)
        var batch = ClickBatch()
        let clicks = [ids.next(milliseconds: UInt64(now)), ids.next(milliseconds: UInt64(now))]
        for click in clicks {
            batch.append(ClickRecord(id: click, offerID: offer, linkID: 1, creditedPartnerID: jane, generatingPartnerID: jane), unique: false)
        }
        try store.backend.write(batch, nodeID: 0)
        for (order, click, after) in [("fast", clicks[0], Int64(2_500)), ("human", clicks[1], Int64(95_000))] {
            _ = try await store.recordConversion(
                ConversionRequest(offerID: offer, orderID: order, amount: Money(minorUnits: 10_000, currency: .usd), source: .postback,
                                  clickID: click.description, now: now + after), plan: ConversionContract.plan)
        }
        let stored = try await store.conversions(ConversionQuery(offerID: offer))
        #expect(stored.map(\.orderID) == ["fast", "human"])
        #expect(stored[0].flags == [QualityFlag(code: "fast_conversion", detail: "converted 2.5 s after its click, under 10.0 s")])
        #expect(stored[1].flags.isEmpty)
        #expect(stored.map { $0.commissions.first?.amount.minorUnits } == [1_000, 1_000], "a flag changes no money")
        let due = try await store.claimDeliveries(now: .max / 2, leaseUntil: .max / 2, limit: 100, perEndpoint: 100, busy: [:])
            .sorted { $0.event.id < $1.event.id }
        let told = try due.map { try json($0.event.data)["flags"] as? [[String: Any]] }
        #expect(told.first??.first?["code"] as? String == "fast_conversion" && told.last??.isEmpty == true)
    }

    /// Events past their retention go with their deliveries and log, a
    /// batch at a time, unless a delivery of them still waits.
    static func oldEventsAreDeletedOnceNothingWaitsForThem(_ store: SQLStore) async throws {
        let endpoint = try await store.createEndpoint(url: "https://a.example/hook", events: [.conversionCreated], secret: "whsec_a", now: now)
        var events: [Event] = []
        for offset in 0..<4 { events.append(try await store.queueTestEvent(endpointID: endpoint.id, data: "{}", now: now + Int64(offset))) }
        let due = try await store.claimDeliveries(now: now + 10, leaseUntil: now + 60_000, limit: 100, perEndpoint: 8, busy: [:])
        #expect(due.count == 4)
        // Delivered, given up, still to be retried, delivered (but newer than the cutoff).
        let outcomes: [AttemptOutcome] = [.delivered, .gaveUp, .retry(at: now + 5_000), .delivered]
        for (delivery, outcome) in zip(due, outcomes) {
            try await store.recordAttempt(
                DeliveryAttempt(deliveryID: delivery.id, endpointID: endpoint.id, eventKey: delivery.event.key, eventType: delivery.event.type,
                                attempt: 1, startedAt: now + 11, statusCode: 200, latencyMilliseconds: 5, response: "ok", error: nil),
                outcome: outcome)
        }
        #expect(try await store.attempts(endpointID: endpoint.id, beforeID: 0, limit: 10).count == 4)

        #expect(try await store.deleteEvents(before: now + 3, limit: 1) == 1, "a batch at a time")
        #expect(try await store.deleteEvents(before: now + 3, limit: 10) == 1)
        #expect(try await store.deleteEvents(before: now + 3, limit: 10) == 0, "the one still to be retried stays")
        let log = try await store.attempts(endpointID: endpoint.id, beforeID: 0, limit: 10)
        #expect(Set(log.map(\.eventKey)) == [events[2].key, events[3].key], "the deleted events' log went with them")
        let retried = try await store.claimDeliveries(now: now + 5_000, leaseUntil: now + 60_000, limit: 100, perEndpoint: 8, busy: [:])
        #expect(retried.map(\.event.key) == [events[2].key])
        await #expect(throws: StoreError.self, "gone, so it cannot be sent again") {
            _ = try await store.replay(endpointID: endpoint.id, .event(key: events[0].key), now: now + 6_000)
        }
    }

    /// A new member is told with its URLs, its code when it is given one
    /// (on joining and when refreshed), and each use of the code on an order.
    static func membersAndTheirCodesAreTold(_ store: SQLStore) async throws {
        _ = try await store.createEndpoint(url: "https://a.example/hook", events: [.memberAdded, .promoCodeGenerated, .promoCodeRedeemed],
                                           secret: "whsec_a", now: now)
        store.useMemberURLs(MemberURLs(tracking: { "https://go.example/\($0.value)/\($1.value)" },
                                       dashboard: { "https://admin.example/p/" + $0 }))
        let day: Int64 = 86_400_000
        let offer = try await store.createOffer(Offer(name: "Codes", type: .promoCode, startsAt: now - day)).id
        let jane = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        let credentials = MemberCredentials(dashboardToken: { "dash-jane" }, promoCode: { _, attempt in "JANE" + String(20 + attempt) })
        _ = try await store.addMembers(offerID: offer, partnerIDs: [jane], terms: MemberTerms(), credentials: credentials)
        _ = try await store.addMembers(offerID: offer, partnerIDs: [jane], terms: MemberTerms(), credentials: credentials)
        _ = try await store.recordConversion(
            ConversionRequest(offerID: offer, orderID: "o-1", amount: Money(minorUnits: 5_000, currency: .usd), source: .postback,
                              codes: ["JANE20"], now: now), plan: ConversionContract.plan)
        _ = try await store.refreshPromoCode(offerID: offer, partnerID: jane) { _, attempt in "JANE" + String(30 + attempt) }
        // A link offer's member has a tracking URL and no code.
        let links = try await store.createOffer(Offer(name: "Links")).id
        _ = try await store.createLink(TrackingLink(offerID: links, code: Code("summer")!, destination: try Destination(validating: "https://x.example/")))
        _ = try await store.addMembers(offerID: links, partnerIDs: [jane], terms: MemberTerms(),
                                       credentials: MemberCredentials(dashboardToken: { "dash-jane-2" }, promoCode: nil))

        // In the order they happened (the order was recorded at the test's clock, the others at the wall clock's).
        let due = try await store.claimDeliveries(now: .max / 2, leaseUntil: .max / 2, limit: 100, perEndpoint: 100, busy: [:])
            .sorted { $0.event.id < $1.event.id }
        #expect(due.map(\.event.type) == [.memberAdded, .promoCodeGenerated, .promoCodeRedeemed, .promoCodeGenerated, .memberAdded],
                "adding a member again tells nothing")
        let data = try due.map { try json($0.event.data) }
        #expect(data[0]["partner_id"] as? Int64 == Int64(jane) && data[0]["promo_code"] as? String == "JANE20")
        #expect(data[0]["dashboard_url"] as? String == "https://admin.example/p/dash-jane" && data[0]["tracking_url"] is NSNull)
        #expect(data[2]["promo_code"] as? String == "JANE20" && data[2]["promo_uses"] as? Int64 == 1)
        #expect(data[3]["promo_code"] as? String == "JANE30" && data[3]["promo_uses"] as? Int64 == 0)
        #expect(data[4]["tracking_url"] as? String == "https://go.example/summer/jane" && data[4]["promo_code"] is NSNull)
    }

    /// A held commission line is told as approved when its hold ends, and a
    /// payment when it is made, each as the API shows it.
    static func commissionsAndPaymentsAreTold(_ store: SQLStore) async throws {
        _ = try await store.createEndpoint(url: "https://a.example/hook", events: [.commissionApproved, .paymentCreated], secret: "whsec_a",
                                           now: now)
        let offer = try await store.createOffer(Offer(name: "Held", holdDays: 30)).id
        let jane = try await store.createPartner(Partner(name: "Jane", code: Code("jane")!), tokenHash: nil).id
        var ids = ClickIDGenerator(node: 0, worker: 0)
        let click = ids.next(milliseconds: UInt64(now))
        var batch = ClickBatch()
        batch.append(ClickRecord(id: click, offerID: offer, linkID: 1, creditedPartnerID: jane, generatingPartnerID: jane), unique: false)
        try store.backend.write(batch, nodeID: 0)
        guard case .created(let conversion) = try await store.recordConversion(
            ConversionRequest(offerID: offer, orderID: "o-1", amount: Money(minorUnits: 10_000, currency: .usd), source: .postback,
                              clickID: click.description, now: now), plan: ConversionContract.plan) else {
            Issue.record("not created")
            return
        }
        #expect(try await store.approveMaturedCommissions(now: now + 29 * 86_400_000) == 0, "still held")
        #expect(try await store.approveMaturedCommissions(now: now + 30 * 86_400_000) == 1)
        #expect(try await store.approveMaturedCommissions(now: now + 31 * 86_400_000) == 0, "told once")
        let payments = try await store.pay(PaymentQuery(now: now + 31 * 86_400_000), reference: "dec")
        let due = try await store.claimDeliveries(now: .max / 2, leaseUntil: .max / 2, limit: 100, perEndpoint: 100, busy: [:])
        #expect(due.map(\.event.type) == [.commissionApproved, .paymentCreated])
        let approved = try json(due[0].event.data), paid = try json(due[1].event.data)
        #expect(approved["id"] as? Int64 == conversion.commissions[0].id && approved["status"] as? String == "approved")
        #expect(approved["conversion_id"] as? Int64 == conversion.id && approved["offer_id"] as? Int64 == Int64(offer))
        #expect(approved["amount"] as? Int64 == 1_000 && approved["partner_id"] as? Int64 == Int64(jane))
        #expect(paid["id"] as? Int64 == payments[0].id && paid["amount"] as? Int64 == 1_000 && paid["reference"] as? String == "dec")
    }
}
