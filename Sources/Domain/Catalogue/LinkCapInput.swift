import ClickModel

/// A link cap as a client writes it (SPEC section 12), before validation.
public struct LinkCapInput: Codable, Sendable, Equatable {
    public var scope: String
    public var period: String
    public var maxClicks: Int64
    public var fallbackURL: String?

    public init(scope: String, period: String, maxClicks: Int64, fallbackURL: String? = nil) {
        self.scope = scope
        self.period = period
        self.maxClicks = maxClicks
        self.fallbackURL = fallbackURL
    }

    public init(_ cap: LinkCap) {
        self.init(scope: cap.scope.rawValue, period: cap.period.rawValue, maxClicks: cap.maxClicks, fallbackURL: cap.fallback?.url)
    }

    enum CodingKeys: String, CodingKey {
        case scope, period
        case maxClicks = "max_clicks"
        case fallbackURL = "fallback_url"
    }

    // A cap without a fallback URL says so with null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(scope, forKey: .scope)
        try c.encode(period, forKey: .period)
        try c.encode(maxClicks, forKey: .maxClicks)
        try c.encode(fallbackURL, forKey: .fallbackURL)
    }

    /// The largest `max_clicks`.
    public static let maxClicks: Int64 = 1_000_000_000_000

    /// Validates a link's caps, or throws a 422-worthy error naming the field
    /// (`caps[1].period`). A link has at most one cap per scope and period.
    public static func validate(_ inputs: [LinkCapInput], field: String = "caps") throws(DomainError) -> [LinkCap] {
        guard inputs.count <= LinkCap.maxCaps else {
            throw .invalid(field, "at most \(LinkCap.maxCaps) caps (one per scope and period), not \(inputs.count)")
        }
        var caps: [LinkCap] = []
        for (i, input) in inputs.enumerated() {
            let place = "\(field)[\(i)]"
            guard let scope = LinkCap.Scope(rawValue: input.scope) else {
                throw .invalid("\(place).scope", "is \"link\" or \"partner\", not \"\(input.scope)\"")
            }
            guard let period = LinkCap.Period(rawValue: input.period) else {
                throw .invalid("\(place).period", "is \"day\" or \"total\", not \"\(input.period)\"")
            }
            guard (1...maxClicks).contains(input.maxClicks) else {
                throw .invalid("\(place).max_clicks", "is from 1 to \(maxClicks), not \(input.maxClicks)")
            }
            if caps.contains(where: { $0.scope == scope && $0.period == period }) {
                throw .invalid(place, "a cap per \(scope.rawValue) and \(period.rawValue) is given already")
            }
            let fallback = try input.fallbackURL.map { url throws(DomainError) in try LinkRuleInput.destination(url, "\(place).fallback_url") }
            caps.append(LinkCap(scope: scope, period: period, maxClicks: input.maxClicks, fallback: fallback))
        }
        return caps
    }
}
