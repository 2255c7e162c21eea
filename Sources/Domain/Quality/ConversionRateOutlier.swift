/// A partner whose conversion rate on a link offer is far above the offer's
/// other partners' (SPEC section 14): orders credited to it that its clicks
/// do not explain, as with forced clicks (cookie stuffing), postbacks sent
/// for orders it never referred, or a partner buying through its own link.
///
/// Over the last `windowDays`: the partner has at least `minimumConversions`
/// conversions, the other partners together have at least
/// `minimumBaselineClicks` billable clicks and one conversion, and the
/// partner's conversions per click are at least `factor` times theirs (a
/// partner with conversions and no click at all is past any factor). A
/// partner converting well is not suspect: five times the offer's rate is
/// what the default asks. Promo-code offers are not judged (their orders come
/// without clicks).
public struct ConversionRateOutlier: Sendable, Equatable {
    public static let code = "conversion_rate_outlier"
    /// 0 turns the check off (`--conversion-rate-factor`).
    public var factor: Int
    public var minimumConversions: Int
    public var minimumBaselineClicks: Int
    public var windowDays: Int

    public init(factor: Int = 5, minimumConversions: Int = 10, minimumBaselineClicks: Int = 1_000, windowDays: Int = 30) {
        self.factor = factor
        self.minimumConversions = minimumConversions
        self.minimumBaselineClicks = minimumBaselineClicks
        self.windowDays = windowDays
    }

    /// Billable clicks and conversions over the window.
    public struct Counts: Sendable, Equatable {
        public var clicks: Int64
        public var conversions: Int64

        public init(clicks: Int64, conversions: Int64) {
            self.clicks = clicks
            self.conversions = conversions
        }
    }

    /// The flag for a conversion of a partner with `partner`'s counts (this
    /// conversion included), against `others`, the offer's other partners.
    public func flag(partner: Counts, others: Counts) -> QualityFlag? {
        guard factor > 0, partner.conversions >= Int64(minimumConversions), others.clicks >= Int64(minimumBaselineClicks),
              others.conversions > 0 else { return nil }
        // partner.conversions / partner.clicks >= factor × others.conversions / others.clicks, without division.
        guard partner.conversions * others.clicks >= Int64(factor) * others.conversions * partner.clicks else { return nil }
        return QualityFlag(code: Self.code, detail: "\(partner.conversions) conversions from \(partner.clicks) clicks in \(windowDays) days, "
                           + "at least \(factor) times the offer's other partners (\(others.conversions) from \(others.clicks))")
    }
}
