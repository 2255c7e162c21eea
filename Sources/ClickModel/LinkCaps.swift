/// A click cap on a link (SPEC section 12): at most `maxClicks` clicks a
/// period, for the whole link or for each credited partner. Past it, a click
/// goes to `fallback` (else the offer's fallback URL, else the link's own
/// destination), with a click id, and is recorded as `capped`: not billable.
///
/// What a cap counts: clicks that would go to the link's destination (billable
/// or unattributed) from visitors who are not bots. A bot sees a reached cap
/// like anyone else but does not use it up. A cap per partner does not count
/// unattributed clicks, which have no partner.
public struct LinkCap: Sendable, Equatable, Codable {
    public enum Scope: String, Sendable, Codable, CaseIterable {
        /// All partners together.
        case link
        /// Each credited partner apart.
        case partner
    }

    public enum Period: String, Sendable, Codable, CaseIterable {
        /// A UTC day.
        case day
        /// For ever.
        case total
    }

    /// The most caps a link may have: one per scope and period.
    public static let maxCaps = 4

    public var scope: Scope
    public var period: Period
    public var maxClicks: Int64
    public var fallback: Destination?

    public init(scope: Scope, period: Period, maxClicks: Int64, fallback: Destination? = nil) {
        self.scope = scope
        self.period = period
        self.maxClicks = maxClicks
        self.fallback = fallback
    }

    enum CodingKeys: String, CodingKey {
        case scope, period
        case maxClicks = "max_clicks"
        case fallback = "fallback_url"
    }
}
