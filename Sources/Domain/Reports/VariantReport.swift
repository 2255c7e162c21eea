import ClickModel

/// The variant report of one link (SPEC section 12): for each rule and
/// variant that chose a destination, its clicks and what they sold, so that
/// a brand can pick a split's winner.
public struct VariantReport: Sendable, Equatable {
    public var link: TrackingLink
    public var rows: [VariantKPIs]

    public init(link: TrackingLink, rows: [VariantKPIs]) {
        self.link = link
        self.rows = rows
    }
}

public struct VariantKPIs: Sendable, Equatable {
    /// The rule's index in the link's rules, from 0.
    public var rule: Int
    /// The variant's index in the rule's split, from 0 (0 for a rule with one destination).
    public var variant: Int
    /// Where the variant sends visitors now; nil when the rule or variant is gone from the link.
    public var destination: Destination?
    public var clicks: Int64
    public var uniqueClicks: Int64
    /// Accepted conversions whose click took this variant, and their amounts in minor units.
    public var conversions: Int64
    public var sales: Int64

    public init(rule: Int, variant: Int, destination: Destination?, clicks: Int64, uniqueClicks: Int64, conversions: Int64, sales: Int64) {
        self.rule = rule
        self.variant = variant
        self.destination = destination
        self.clicks = clicks
        self.uniqueClicks = uniqueClicks
        self.conversions = conversions
        self.sales = sales
    }

    /// Conversions per click, and its 95% Wilson score interval; with no
    /// clicks, 0 within [0, 1].
    public var conversionRate: (rate: Double, low: Double, high: Double) {
        Proportion.wilson(successes: min(conversions, clicks), trials: clicks)
    }
}

public enum Proportion {
    /// The observed proportion and its Wilson score interval (95% by default):
    /// unlike the normal approximation, it stays within [0, 1] and is honest
    /// about small samples and rates near 0, which conversion rates are.
    public static func wilson(successes: Int64, trials: Int64, z: Double = 1.959_963_984_540_054) -> (rate: Double, low: Double, high: Double) {
        guard trials > 0 else { return (0, 0, 1) }
        let n = Double(trials), p = Double(successes) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let center = (p + z2 / (2 * n)) / denominator
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / denominator
        return (p, max(0, center - half), min(1, center + half))
    }
}

extension VariantReport {
    /// The destination of rule `rule`'s variant `variant` in `rules`, if it is there.
    public static func destination(of rules: [LinkRule], rule: Int, variant: Int) -> Destination? {
        guard rules.indices.contains(rule) else { return nil }
        switch rules[rule].target {
        case .destination(let destination): return variant == 0 ? destination : nil
        case .split(let variants): return variants.indices.contains(variant) ? variants[variant].destination : nil
        }
    }
}
