import Domain
import Foundation
import Hummingbird
import Services
import Store
import Wire

/// What a member of an offer sees of it (SPEC section 6): its code or link,
/// the commission structure, its conversions and expected commission, and
/// the payments received. `GET /v1/dashboard/{token}` answers it as JSON;
/// the member page `/p/{token}` and the Partner Center's "My offers" show it.
package struct MemberDashboard: Encodable, Sendable {
    package struct OfferPart: Encodable, Sendable {
        package var id: UInt32
        package var name: String
        package var type: String
        package var status: String
        package var payout: PayoutBody
        package var parent_override_percent: Double?
        package var hold_days: Int
        package var starts_at: String?
        package var ends_at: String?
    }

    package struct ConversionPart: Encodable, Sendable {
        package var id: Int64
        package var order_id: String
        package var amount: Int64
        package var commission: Int64
        package var status: String
        package var created_at: String
    }

    package struct PaymentPart: Encodable, Sendable {
        package var id: Int64
        package var amount: Int64
        package var reference: String?
        package var created_at: String
    }

    package var partner: PartnerBody
    package var offer: OfferPart
    package var promo_code: String?
    package var tracking_url: String?
    package var dashboard_url: String
    package var commission_structure: String
    package var currency: String
    package var conversions: [ConversionPart]
    package var expected_commission: Int64
    package var paid_commission: Int64
    package var payments: [PaymentPart]

    /// The dashboard of the member holding `token`; 404 for any other text.
    package static func load(token: String, store: SQLStore, urls: PublicURLs) async throws -> MemberDashboard {
        guard token.hasPrefix("cld_"), let member = try await store.member(dashboardToken: token) else {
            throw APIError.notFound("no dashboard has this address; ask the brand for your link")
        }
        return try await load(member: member, store: store, urls: urls)
    }

    /// The dashboard of `member`.
    package static func load(member: Member, store: SQLStore, urls: PublicURLs) async throws -> MemberDashboard {
        guard let offer = try await store.offer(id: member.offerID) else {
            throw APIError.notFound("no dashboard has this address; ask the brand for your link")
        }
        let currency = try await store.currency()
        let link = try await store.links(offerID: offer.id).first
        let conversions = try await store.conversions(ConversionQuery(offerID: offer.id, partnerID: member.partner.id, limit: 1000))
        // Lines earned in this offer, including a parent's override lines on its children's sales.
        var expected: Int64 = 0, paid: Int64 = 0
        var rows: [ConversionPart] = []
        for conversion in conversions {
            let mine = conversion.commissions.filter { $0.partnerID == member.partner.id }
            rows.append(ConversionPart(id: conversion.id, order_id: conversion.orderID, amount: conversion.amount.minorUnits,
                                       commission: mine.filter { $0.status != .reversed && $0.status != .rejected }.reduce(0) { $0 + $1.amount.minorUnits },
                                       status: conversion.status.rawValue, created_at: Timestamp.format(conversion.createdAt)))
            for line in mine {
                switch line.status {
                case .pending, .approved, .held: expected += line.amount.minorUnits
                case .paid: paid += line.amount.minorUnits
                case .reversed, .rejected: break
                }
            }
        }
        let payout = member.payoutOverride ?? offer.payout
        var structure = switch payout {
        case .flat(let minorUnits): "You earn \(Money(minorUnits: minorUnits, currency: currency).decimalString) \(currency.code) per sale"
        case .percent(let percent): "You earn \(percent)% of each sale"
        }
        if let parentOverride = offer.parentOverride {
            structure += "; when a partner you referred makes a sale, you earn \(parentOverride)% of their commission"
        }
        structure += offer.holdDays > 0 ? ". Commissions are confirmed \(offer.holdDays) days after the sale." : "."
        let payments = try await store.payments(partnerID: member.partner.id, afterID: 0, limit: 1000)
            .filter { $0.offerID == nil || $0.offerID == offer.id }
        return MemberDashboard(
            partner: PartnerBody(member.partner),
            offer: OfferPart(id: offer.id, name: offer.name, type: offer.type.rawValue, status: offer.effectiveStatus(at: Timestamp.now()).rawValue,
                             payout: PayoutBody(payout), parent_override_percent: offer.parentOverride.map { Double($0.basisPoints) / 100 },
                             hold_days: offer.holdDays, starts_at: Timestamp.format(offer.startsAt), ends_at: Timestamp.format(offer.endsAt)),
            promo_code: member.promoCode,
            tracking_url: offer.type == .link ? link.map { urls.tracking(link: $0.code, partner: member.partner.code) } : nil,
            dashboard_url: urls.dashboard(token: member.dashboardToken),
            commission_structure: structure, currency: currency.code, conversions: rows, expected_commission: expected,
            paid_commission: paid,
            payments: payments.map { PaymentPart(id: $0.id, amount: $0.amount.minorUnits, reference: $0.reference,
                                                 created_at: Timestamp.format($0.createdAt)) })
    }

    static func register(on router: Router<ClicklineRequestContext>, store: SQLStore, urls: PublicURLs) {
        router.get("/v1/dashboard/{token}") { _, context in
            try JSONBody.response(try await load(token: context.parameters.get("token") ?? "", store: store, urls: urls))
        }
    }
}
