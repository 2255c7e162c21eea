import ClickModel

/// Stored clicks read one at a time or listed (`GET /v1/clicks`), each with
/// the facts the edge and the aggregator recorded.
public protocol ClickReader: Sendable {
    /// The stored click with this id, if any.
    func click(id: ClickID) async throws -> StoredClick?

    /// The stored clicks that match `query`, in the order they were stored
    /// (write batch by write batch, each in id order, so nearly time order
    /// and exactly so on one node), from just after `query.after`.
    func clicks(_ query: ClickQuery) async throws -> ClickListing
}

/// Which stored clicks a listing holds.
public struct ClickQuery: Sendable, Equatable {
    /// Milliseconds since the Unix epoch, `[from, to)` of the click time.
    public var from: Int64
    public var to: Int64
    public var offerID: UInt32?
    /// The credited partner.
    public var partnerID: UInt32?
    public var linkID: UInt32?
    public var outcome: ClickOutcome?
    /// Only clicks with a quality flag: a bot, or an invalid click.
    public var flaggedOnly: Bool
    /// Where the previous listing said to go on; nil for the first.
    public var after: ClickCursor?
    /// The most clicks one listing holds.
    public var limit: Int

    public init(from: Int64, to: Int64, offerID: UInt32? = nil, partnerID: UInt32? = nil, linkID: UInt32? = nil,
                outcome: ClickOutcome? = nil, flaggedOnly: Bool = false, after: ClickCursor? = nil, limit: Int = 100) {
        self.from = from
        self.to = to
        self.offerID = offerID
        self.partnerID = partnerID
        self.linkID = linkID
        self.outcome = outcome
        self.flaggedOnly = flaggedOnly
        self.after = after
        self.limit = limit
    }

    /// Whether `click` belongs in the listing, its time aside.
    public func matches(_ click: ClickRecord) -> Bool {
        if let offerID, click.offerID != offerID { return false }
        if let partnerID, click.creditedPartnerID != partnerID { return false }
        if let linkID, click.linkID != linkID { return false }
        if let outcome, click.outcome != outcome { return false }
        if flaggedOnly && !click.isFlagged { return false }
        return true
    }
}

extension ClickRecord {
    /// Whether the click carries a quality flag (SPEC section 14).
    public var isFlagged: Bool { botReason.isBot || !quality.isEmpty }
}

/// Where a listing goes on: the store's write batch (`page`) and the place
/// in it of the next click to read. Its text form, `page.index`, is the
/// listing's `next_cursor`.
public struct ClickCursor: Sendable, Equatable, CustomStringConvertible {
    public var page: Int64
    public var index: Int

    public init(page: Int64, index: Int) {
        self.page = page
        self.index = index
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let page = Int64(parts[0]), page >= 0, let index = Int(parts[1]), index >= 0 else { return nil }
        self.init(page: page, index: index)
    }

    public var description: String { "\(page).\(index)" }
}

/// One listing of stored clicks. A listing reads a bounded number of write
/// batches, so it may hold fewer than `limit` clicks, even none, while more
/// follow: the listing is complete when `next` is nil.
public struct ClickListing: Sendable {
    public var clicks: [StoredClick]
    public var next: ClickCursor?

    public init(clicks: [StoredClick], next: ClickCursor?) {
        self.clicks = clicks
        self.next = next
    }
}
