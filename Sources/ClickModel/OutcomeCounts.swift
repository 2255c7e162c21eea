/// Click counts by how the clicks counted: the unit of every live counter and
/// stored rollup.
public struct OutcomeCounts: Sendable, Hashable, BitwiseCopyable {
    /// Every recorded click.
    public var clicks: Int64 = 0
    public var billable: Int64 = 0
    /// Billable clicks that were their client's first for the link and credited partner that day.
    public var unique: Int64 = 0
    public var bot: Int64 = 0
    public var unattributed: Int64 = 0
    public var inactive: Int64 = 0
    public var capped: Int64 = 0
    public var expired: Int64 = 0
    /// Would have been billable but failed a quality check (address cap, hosting network).
    public var invalid: Int64 = 0

    @inlinable public init() {}

    public init(clicks: Int64, billable: Int64, unique: Int64, bot: Int64, unattributed: Int64, inactive: Int64,
                capped: Int64 = 0, expired: Int64 = 0, invalid: Int64 = 0) {
        self.clicks = clicks
        self.billable = billable
        self.unique = unique
        self.bot = bot
        self.unattributed = unattributed
        self.inactive = inactive
        self.capped = capped
        self.expired = expired
        self.invalid = invalid
    }

    /// Counts one click.
    @inlinable @inline(__always)
    public mutating func add(_ outcome: ClickOutcome, unique isUnique: Bool) {
        clicks &+= 1
        switch outcome {
        case .billable:
            billable &+= 1
            if isUnique { unique &+= 1 }
        case .unattributed: unattributed &+= 1
        case .inactive: inactive &+= 1
        case .bot: bot &+= 1
        case .capped: capped &+= 1
        case .expired: expired &+= 1
        case .invalid: invalid &+= 1
        }
    }

    @inlinable
    public mutating func add(_ other: OutcomeCounts) {
        clicks &+= other.clicks
        billable &+= other.billable
        unique &+= other.unique
        bot &+= other.bot
        unattributed &+= other.unattributed
        inactive &+= other.inactive
        capped &+= other.capped
        expired &+= other.expired
        invalid &+= other.invalid
    }

    @inlinable
    public static func + (lhs: OutcomeCounts, rhs: OutcomeCounts) -> OutcomeCounts {
        var sum = lhs
        sum.add(rhs)
        return sum
    }
}
