/// Whether a member's promo code still earns as it should (SPEC section 14).
public enum PromoCodeStatus: String, Sendable, Codable {
    case active
    /// Flagged: the evidence is in `PromoCodeLeak`.
    case leaked
    /// Given up for a new code (`refresh_code`): a member's `previousCodes`.
    case replaced
}

/// A code its member gave up for a new one (`refresh_code`). From then on it
/// credits nobody, and no member is given it again, so an order that still
/// carries it is recorded with the refusal `replaced_code` rather than
/// credited or lost.
public struct ReplacedPromoCode: Sendable, Equatable {
    public var code: String
    public var replacedAt: Int64
    /// The evidence the code carried when it was replaced, if it had leaked.
    public var leak: PromoCodeLeak?

    public init(code: String, replacedAt: Int64, leak: PromoCodeLeak? = nil) {
        self.code = code
        self.replacedAt = replacedAt
        self.leak = leak
    }
}

/// What a leaked code's orders earn, per offer (`leaked_code_policy`).
public enum LeakedCodePolicy: String, Sendable, Codable, CaseIterable {
    /// The default: the code is flagged, and its orders are credited as ever.
    case credit
    /// Commissions on flagged orders wait for the brand's review.
    case hold
    /// Orders on the code after it was flagged earn nothing.
    case noCommission = "no_commission"
}

/// Why a code is taken for leaked: the signals that fired, and the orders and
/// referrers behind them.
public struct PromoCodeLeak: Sendable, Equatable {
    /// An order referred by a coupon, deal or cashback site (`CouponSites`).
    public static let couponSite = "coupon_site"
    /// An hour of redemptions far above the code's own usual hours (`RedemptionSpike`).
    public static let redemptionSpike = "redemption_spike"
    /// A day of redemptions mostly by new customers without a click of the owner (`NewCustomerSignal`).
    public static let newCustomers = "new_customers"
    /// The most orders and referrers kept as evidence; the counts go on.
    public static let maxEvidence = 50

    public var flaggedAt: Int64
    public var reasons: [String]
    /// Orders that carried the signals, oldest first.
    public var orders: [String]
    /// The sites that referred them, each once.
    public var referrers: [String]
    /// Orders that carried the signals, including those past `maxEvidence`;
    /// an order that carried two counts once.
    public var orderCount: Int

    public init(flaggedAt: Int64, reasons: [String] = [], orders: [String] = [], referrers: [String] = [], orderCount: Int = 0) {
        self.flaggedAt = flaggedAt
        self.reasons = reasons
        self.orders = orders
        self.referrers = referrers
        self.orderCount = orderCount
    }

    /// The flag of an order on a leaked code: one that is evidence itself
    /// (`reasons` not empty) or comes after the code was flagged.
    public static let orderFlagCode = "leaked_code"

    public static func orderFlag(code: String, reasons: [String], referrer: String?, alreadyLeaked: Bool) -> QualityFlag? {
        if reasons.contains(couponSite) {
            return QualityFlag(code: orderFlagCode, detail: "code \(code) used from \(referrer ?? "a coupon site"), a coupon, deal or cashback site")
        }
        if reasons.contains(redemptionSpike) {
            return QualityFlag(code: orderFlagCode, detail: "code \(code) used in an hour of redemptions far above its usual hours")
        }
        if reasons.contains(newCustomers) {
            return QualityFlag(code: orderFlagCode, detail: "code \(code) used in a day of orders mostly by new customers with no click of its owner")
        }
        if alreadyLeaked { return QualityFlag(code: orderFlagCode, detail: "code \(code) was flagged as leaked before this order") }
        return nil
    }

    /// The evidence with one more order, referred by `referrer`, for `reasons`.
    public func adding(order: String, referrer: String?, reasons: [String]) -> PromoCodeLeak {
        var leak = self
        for reason in reasons where !leak.reasons.contains(reason) { leak.reasons.append(reason) }
        if leak.orders.count < Self.maxEvidence, !leak.orders.contains(order) { leak.orders.append(order) }
        if let referrer, leak.referrers.count < Self.maxEvidence, !leak.referrers.contains(referrer) { leak.referrers.append(referrer) }
        leak.orderCount += 1
        return leak
    }
}
