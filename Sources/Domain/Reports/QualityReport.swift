/// The partner quality report (SPEC section 14): per partner over a range,
/// the clicks credited to it and how many of them were invalid, its flagged
/// conversions, orders on its leaked codes, and the commission held for review.
public struct QualityRow: Sendable, Equatable {
    public var partnerID: UInt32
    /// Clicks credited to the partner, whatever their outcome.
    public var clicks: Int64 = 0
    /// Of those, the ones not billable for their quality: bots (crawlers,
    /// previewers, headless browsers, prefetches) and `invalid` clicks
    /// (address caps, hosting networks).
    public var invalidClicks: Int64 = 0
    /// Conversions credited to the partner that carry a flag.
    public var flaggedConversions: Int64 = 0
    /// Orders on the partner's promo code flagged `leaked_code`, whoever was credited.
    public var leakedCodeOrders: Int64 = 0
    /// Commission lines of the partner held in the review queue, in minor units.
    public var heldCommission: Int64 = 0

    public init(partnerID: UInt32) {
        self.partnerID = partnerID
    }

    /// Invalid clicks per click, 0 without clicks.
    public var invalidShare: Double { clicks == 0 ? 0 : Double(invalidClicks) / Double(clicks) }
}
