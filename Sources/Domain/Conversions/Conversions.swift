import ClickModel

/// Conversions, their commissions, and payments: money, so every method is
/// one transaction, committed (SQLite `synchronous = FULL`) before it returns.
///
/// Contract every implementation meets:
/// - `recordConversion` gathers the evidence and writes the conversion, its
///   commission lines, the promo code's use and the rollups in one
///   transaction; `(offer, order_id)` is unique, and a second recording of an
///   order returns the first and changes nothing. Shopify deliveries seen
///   before (webhook id, event id, or store and order) change nothing either.
///   Conversions recorded at the same time may share one commit; each is
///   answered only once it is durable. Past the task's `Deadline`, a
///   conversion not stored yet is not stored, and the call throws
///   `StoreError(.unavailable)`.
/// - `reverseConversion` reverses unpaid lines and adds a negative line for
///   each paid one, so the partner's balance goes negative.
/// - `pay` marks lines paid and records the payments in one transaction.
public protocol ConversionStore: Sendable {
    /// The offer whose postback token this is, compared in constant time.
    func offer(postbackToken: String) async throws -> Offer?

    /// - Parameter plan: the business rules: who the evidence credits and what they earn.
    func recordConversion(_ request: ConversionRequest,
                          plan: @escaping @Sendable (ConversionEvidence) -> ConversionPlan) async throws -> ConversionRecording
    func conversion(id: Int64) async throws -> Conversion?
    func conversions(_ query: ConversionQuery) async throws -> [Conversion]
    /// Reverses a conversion (a refund); a reversed one is returned as it is.
    func reverseConversion(id: Int64, at now: Int64) async throws -> Conversion
    /// Approves or rejects a conversion (`ReviewRules`), logs the decision,
    /// and moves its lines: throws `StoreError(.conflict)` with the rule's
    /// reason when the decision cannot be given.
    func review(_ decision: ReviewDecision) async throws -> Conversion

    /// What is due per partner: approved lines (pending ones whose hold ended
    /// by `now` count as approved), summed.
    func paymentsDue(_ query: PaymentQuery) async throws -> [PaymentDue]
    /// Pays every partner whose due sum is positive, one payment each.
    func pay(_ query: PaymentQuery, reference: String?) async throws -> [Payment]
    func payments(partnerID: UInt32?, afterID: Int64, limit: Int) async throws -> [Payment]
}

/// Where a conversion came from.
public enum ConversionSource: String, Sendable, Codable {
    case postback, shopify
}

/// What a postback or an order says.
public struct ConversionRequest: Sendable {
    /// The offer, when the source names it (a postback's token); otherwise the
    /// code's or the click's offer.
    public var offerID: UInt32?
    public var orderID: String
    public var amount: Money
    public var event: String?
    public var source: ConversionSource
    /// The promo codes on the order; the first that a member holds is the candidate.
    public var codes: [String]
    /// A click id on the order, as sent.
    public var clickID: String?
    public var shopify: ShopifyDelivery?
    /// The coupon, deal or cashback site that referred the order (from a
    /// Shopify order's `referring_site`, matched against `CouponSites`):
    /// evidence that the order's code has leaked.
    public var couponSite: String?
    /// When an hour of the code's redemptions counts as a spike.
    public var redemptionSpike = RedemptionSpike()
    /// When a conversion is too soon after its click.
    public var fastConversion = FastConversion()
    /// The customer the order names, when it names one (a Shopify order's
    /// email, a postback's `customer_email`).
    public var customer: Customer?
    /// When a customer has converted through too many partners.
    public var sharedCustomer = SharedCustomer()
    /// When a code's new customers without a click say it has leaked.
    public var newCustomers = NewCustomerSignal()
    /// When a partner converts far more often than the offer's others.
    public var conversionRate = ConversionRateOutlier()
    /// Milliseconds since the Unix epoch.
    public var now: Int64

    public init(offerID: UInt32?, orderID: String, amount: Money, event: String? = nil, source: ConversionSource,
                codes: [String] = [], clickID: String? = nil, shopify: ShopifyDelivery? = nil, now: Int64) {
        self.offerID = offerID
        self.orderID = orderID
        self.amount = amount
        self.event = event
        self.source = source
        self.codes = codes
        self.clickID = clickID
        self.shopify = shopify
        self.now = now
    }
}

/// One delivery of a Shopify order webhook.
public struct ShopifyDelivery: Sendable {
    public var storeID: UInt32
    public var webhookID: String?
    public var eventID: String?

    public init(storeID: UInt32, webhookID: String?, eventID: String?) {
        self.storeID = storeID
        self.webhookID = webhookID
        self.eventID = eventID
    }
}

/// What the store found for a conversion, inside its transaction.
public struct ConversionEvidence: Sendable {
    public var offer: Offer
    public var candidates: AttributionCandidates
    /// For each candidate partner: its terms in the offer.
    public var terms: [UInt32: CreditTerms]
    public var amount: Money
    public var now: Int64

    public init(offer: Offer, candidates: AttributionCandidates, terms: [UInt32: CreditTerms], amount: Money, now: Int64) {
        self.offer = offer
        self.candidates = candidates
        self.terms = terms
        self.amount = amount
        self.now = now
    }
}

/// A candidate partner's terms: its payout override and its parent.
public struct CreditTerms: Sendable, Equatable {
    public var payoutOverride: Payout?
    public var parentID: UInt32?

    public init(payoutOverride: Payout?, parentID: UInt32?) {
        self.payoutOverride = payoutOverride
        self.parentID = parentID
    }
}

/// What to write: who is credited, why, and the commission lines.
public struct ConversionPlan: Sendable {
    public var decision: AttributionDecision
    public var lines: [CommissionLine]

    public init(decision: AttributionDecision, lines: [CommissionLine]) {
        self.decision = decision
        self.lines = lines
    }
}

public enum ConversionRecording: Sendable {
    case created(Conversion)
    /// The order was recorded before; nothing changed.
    case existing(Conversion)
    /// A Shopify delivery seen before, or an order of no offer here (no code
    /// of a member, no click): acknowledged, nothing stored but the delivery.
    case ignored(reason: String)
}

/// A stored conversion with its commission lines and attribution record.
public struct Conversion: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case accepted, reversed
    }

    public var id: Int64
    public var offerID: UInt32
    public var orderID: String
    public var partnerID: UInt32?
    public var amount: Money
    public var status: Status
    public var event: String?
    public var source: ConversionSource
    public var clickID: String?
    public var subIDs: [String?]
    public var candidates: AttributionCandidates
    public var decision: AttributionDecision
    public var commissions: [Commission]
    public var createdAt: Int64
    public var reversedAt: Int64?
    /// Why the conversion is suspect, if it is (SPEC section 14).
    public var flags: [QualityFlag] = []
    /// Where it stands in the review queue: nil when it never entered it.
    public var review: Review?
    /// Each decision on it, oldest first.
    public var reviewLog: [ReviewEntry] = []

    public init(id: Int64, offerID: UInt32, orderID: String, partnerID: UInt32?, amount: Money, status: Status, event: String?,
                source: ConversionSource, clickID: String?, subIDs: [String?], candidates: AttributionCandidates,
                decision: AttributionDecision, commissions: [Commission], createdAt: Int64, reversedAt: Int64?) {
        self.id = id
        self.offerID = offerID
        self.orderID = orderID
        self.partnerID = partnerID
        self.amount = amount
        self.status = status
        self.event = event
        self.source = source
        self.clickID = clickID
        self.subIDs = subIDs
        self.candidates = candidates
        self.decision = decision
        self.commissions = commissions
        self.createdAt = createdAt
        self.reversedAt = reversedAt
    }
}

/// A commission line: earned by a partner on a conversion.
public struct Commission: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Held for the offer's hold days.
        case pending
        /// Due: to be paid.
        case approved
        case paid
        case reversed
        /// Its conversion waits for review: never due, never paid.
        case held
        /// Its conversion was rejected in review (an approval brings it back).
        case rejected
    }

    public var id: Int64
    public var conversionID: Int64
    public var offerID: UInt32
    public var partnerID: UInt32
    /// Negative for the line that takes back a paid commission.
    public var amount: Money
    public var kind: CommissionLine.Kind
    public var status: Status
    /// When a pending line becomes due.
    public var availableAt: Int64
    public var paymentID: Int64?
    /// The paid line this one takes back, for reversal lines.
    public var reversesID: Int64?

    public init(id: Int64, conversionID: Int64, offerID: UInt32, partnerID: UInt32, amount: Money, kind: CommissionLine.Kind,
                status: Status, availableAt: Int64, paymentID: Int64?, reversesID: Int64?) {
        self.id = id
        self.conversionID = conversionID
        self.offerID = offerID
        self.partnerID = partnerID
        self.amount = amount
        self.kind = kind
        self.status = status
        self.availableAt = availableAt
        self.paymentID = paymentID
        self.reversesID = reversesID
    }
}

public struct ConversionQuery: Sendable {
    public var offerID: UInt32?
    public var partnerID: UInt32?
    public var status: Conversion.Status?
    public var review: Conversion.Review?
    /// Milliseconds since the Unix epoch, `[from, to)` of the creation time.
    public var from: Int64?
    public var to: Int64?
    public var afterID: Int64
    public var limit: Int

    public init(offerID: UInt32? = nil, partnerID: UInt32? = nil, status: Conversion.Status? = nil, review: Conversion.Review? = nil,
                from: Int64? = nil, to: Int64? = nil, afterID: Int64 = 0, limit: Int = 100) {
        self.offerID = offerID
        self.partnerID = partnerID
        self.status = status
        self.review = review
        self.from = from
        self.to = to
        self.afterID = afterID
        self.limit = limit
    }
}

/// Which due commissions a payment run covers.
public struct PaymentQuery: Sendable {
    public var offerID: UInt32?
    /// Empty for every partner.
    public var partnerIDs: [UInt32]
    /// Milliseconds since the Unix epoch: holds that ended by then count as due.
    public var now: Int64

    public init(offerID: UInt32? = nil, partnerIDs: [UInt32] = [], now: Int64) {
        self.offerID = offerID
        self.partnerIDs = partnerIDs
        self.now = now
    }
}

public struct PaymentDue: Sendable, Equatable {
    public var partner: Partner
    public var amount: Money
    public var commissions: Int

    public init(partner: Partner, amount: Money, commissions: Int) {
        self.partner = partner
        self.amount = amount
        self.commissions = commissions
    }
}

public struct Payment: Sendable, Equatable {
    public var id: Int64
    public var partnerID: UInt32
    public var amount: Money
    public var offerID: UInt32?
    public var reference: String?
    public var commissions: Int
    public var createdAt: Int64

    public init(id: Int64, partnerID: UInt32, amount: Money, offerID: UInt32?, reference: String?, commissions: Int, createdAt: Int64) {
        self.id = id
        self.partnerID = partnerID
        self.amount = amount
        self.offerID = offerID
        self.reference = reference
        self.commissions = commissions
        self.createdAt = createdAt
    }
}
