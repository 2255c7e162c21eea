import Domain
import Foundation

/// A payment as the API shows it, and as `payment.created` carries it.
package struct PaymentBody: Encodable {
    var id: Int64
    var partner_id: UInt32
    var amount: Int64
    var currency: String
    var offer_id: UInt32?
    var reference: String?
    var commissions: Int
    var created_at: String

    package init(_ payment: Payment) {
        id = payment.id
        partner_id = payment.partnerID
        amount = payment.amount.minorUnits
        currency = payment.amount.currency.code
        offer_id = payment.offerID
        reference = payment.reference
        commissions = payment.commissions
        created_at = Timestamp.format(payment.createdAt)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(partner_id, forKey: .partner_id)
        try c.encode(amount, forKey: .amount)
        try c.encode(currency, forKey: .currency)
        try c.encode(offer_id, forKey: .offer_id)
        try c.encode(reference, forKey: .reference)
        try c.encode(commissions, forKey: .commissions)
        try c.encode(created_at, forKey: .created_at)
    }

    enum CodingKeys: String, CodingKey { case id, partner_id, amount, currency, offer_id, reference, commissions, created_at }
}
