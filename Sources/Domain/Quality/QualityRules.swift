/// The quality checks as the settings make them (SPEC section 14).
public struct QualityRules: Sendable, Equatable {
    /// A leaked code: an order from one of these sites.
    public var couponSites: CouponSites
    /// A leaked code: an hour of redemptions far above its usual ones.
    public var redemptionSpike: RedemptionSpike
    /// A suspicious conversion: too soon after its click.
    public var fastConversion: FastConversion
    /// A suspicious conversion: its customer converted through several partners.
    public var sharedCustomer: SharedCustomer
    /// A leaked code: a day of orders mostly by new customers without a click (off by default).
    public var newCustomers: NewCustomerSignal
    /// A suspicious conversion: its partner converts far more often than the offer's others.
    public var conversionRate: ConversionRateOutlier
    /// Invalid clicks: the address cap and hosting networks, as clicks show them.
    public var invalidClicks: InvalidClickRules

    public init(couponSites: CouponSites = .builtIn, redemptionSpike: RedemptionSpike = RedemptionSpike(),
                fastConversion: FastConversion = FastConversion(), sharedCustomer: SharedCustomer = SharedCustomer(),
                newCustomers: NewCustomerSignal = NewCustomerSignal(), conversionRate: ConversionRateOutlier = ConversionRateOutlier(),
                invalidClicks: InvalidClickRules = InvalidClickRules()) {
        self.couponSites = couponSites
        self.redemptionSpike = redemptionSpike
        self.fastConversion = fastConversion
        self.sharedCustomer = sharedCustomer
        self.newCustomers = newCustomers
        self.conversionRate = conversionRate
        self.invalidClicks = invalidClicks
    }
}

/// A reason a click or a conversion is suspect, shown with it as
/// `flags: [{code, detail}]`. A flag never changes money by itself.
public struct QualityFlag: Sendable, Equatable, Codable {
    public var code: String
    public var detail: String

    public init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }
}

/// A conversion within `minimumMilliseconds` of its click is flagged
/// `fast_conversion`: no shopper reads a page and checks out that fast, a
/// script that clicks and posts an order does.
public struct FastConversion: Sendable, Equatable {
    public static let code = "fast_conversion"
    /// 0 turns the check off (`--fast-conversion-seconds`).
    public var minimumMilliseconds: Int64

    public init(minimumMilliseconds: Int64 = 10_000) {
        self.minimumMilliseconds = minimumMilliseconds
    }

    /// The flag for a conversion at `convertedAt` whose click was at `clickedAt`, if it is one.
    public func flag(clickedAt: Int64?, convertedAt: Int64) -> QualityFlag? {
        guard minimumMilliseconds > 0, let clickedAt else { return nil }
        let elapsed = convertedAt - clickedAt
        guard elapsed < minimumMilliseconds else { return nil }
        return QualityFlag(code: Self.code, detail: "converted \(Self.seconds(max(0, elapsed))) s after its click, under \(Self.seconds(minimumMilliseconds)) s")
    }

    static func seconds(_ milliseconds: Int64) -> String {
        "\(milliseconds / 1000).\(milliseconds % 1000 / 100)"
    }
}
