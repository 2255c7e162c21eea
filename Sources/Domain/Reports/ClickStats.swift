import ClickModel

/// Click statistics read from the per-minute rollups.
public protocol ClickStatsStore: Sendable {
    /// The clicks a partner made or was credited with in `[from, to)`,
    /// grouped by the dimensions asked for; one row when none is.
    func partnerClickStats(_ query: PartnerClickStatsQuery) async throws -> [ClickStatsRow]
}

/// What a partner's statistics can be split by.
public enum ClickStatsDimension: String, Sendable, CaseIterable, Codable {
    case link, ad, child
}

public struct PartnerClickStatsQuery: Sendable {
    public var partnerID: UInt32
    /// Milliseconds since the Unix epoch; rollups are per minute, so both ends
    /// are taken to their minute.
    public var from: Int64
    public var to: Int64
    public var dimensions: [ClickStatsDimension]

    public init(partnerID: UInt32, from: Int64, to: Int64, dimensions: [ClickStatsDimension]) {
        self.partnerID = partnerID
        self.from = from
        self.to = to
        self.dimensions = dimensions
    }
}

/// One group of a partner's statistics. A dimension not asked for is nil; a
/// click without an ad has `adCode` nil under `ad`; the partner's own clicks
/// have `childCode` nil under `child`.
public struct ClickStatsRow: Sendable, Equatable {
    public var linkCode: String?
    public var adCode: String?
    public var childCode: String?
    public var counts: OutcomeCounts

    public init(linkCode: String? = nil, adCode: String? = nil, childCode: String? = nil, counts: OutcomeCounts) {
        self.linkCode = linkCode
        self.adCode = adCode
        self.childCode = childCode
        self.counts = counts
    }
}
