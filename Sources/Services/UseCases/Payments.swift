import Domain

/// "Send payment": what is due per partner, and paying it (SPEC section 5).
public struct Payments: Sendable {
    public typealias Store = ConversionStore & OfferStore & PartnerStore

    let store: any Store

    public init(store: any Store) {
        self.store = store
    }

    /// What is due, for one offer or some partners (all when empty), at `now`.
    public func due(offerID: UInt32?, partnerIDs: [UInt32], now: Int64) async throws -> [PaymentDue] {
        try await store.paymentsDue(try await query(offerID: offerID, partnerIDs: partnerIDs, now: now))
    }

    /// Pays everything due, one payment per partner whose due sum is
    /// positive, and marks those commissions paid, in one transaction.
    public func pay(offerID: UInt32?, partnerIDs: [UInt32], reference: String?, now: Int64) async throws -> [Payment] {
        try await store.pay(try await query(offerID: offerID, partnerIDs: partnerIDs, now: now), reference: reference)
    }

    private func query(offerID: UInt32?, partnerIDs: [UInt32], now: Int64) async throws -> PaymentQuery {
        if let offerID, try await store.offer(id: offerID) == nil { throw DomainError.invalid("offer_id", "offer \(offerID) does not exist") }
        for id in partnerIDs where try await store.partner(id: id) == nil {
            throw DomainError.invalid("partner_ids", "partner \(id) does not exist")
        }
        return PaymentQuery(offerID: offerID, partnerIDs: partnerIDs, now: now)
    }
}
