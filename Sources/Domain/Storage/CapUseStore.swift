/// Clicks counted against a link's cap in one period, by one node or by all
/// (SPEC section 12). `period` is 0 for a cap in total, else the UTC day
/// (days since the Unix epoch).
public struct CapUse: Sendable, Hashable {
    public var linkID: UInt32
    /// The cap's index among the link's caps.
    public var cap: Int
    /// The credited partner, 0 for a cap of the whole link.
    public var partnerID: UInt32
    public var period: Int64
    public var clicks: Int64

    public init(linkID: UInt32, cap: Int, partnerID: UInt32, period: Int64, clicks: Int64) {
        self.linkID = linkID
        self.cap = cap
        self.partnerID = partnerID
        self.period = period
        self.clicks = clicks
    }
}

/// Where the nodes' cap counts meet: each node adds the clicks it let through
/// and learns the total of all nodes in the same statement.
public protocol CapUseStore: Sendable {
    /// Adds each use's clicks to its counter, in one transaction, and returns
    /// the counters' totals after that, in the same order.
    func addCapUse(_ uses: [CapUse]) async throws -> [Int64]

    /// Every counter of these periods, with its total.
    func capUse(periods: [Int64]) async throws -> [CapUse]
}
