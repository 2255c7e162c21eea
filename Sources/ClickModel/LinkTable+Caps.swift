/// Link caps as the link table holds them. The counting itself is the cap
/// ledger's (it outlives any one table); the table says which caps a click's
/// link has and where a capped click goes.
extension LinkTable.View {
    @usableFromInline
    struct CapEntry: Sendable {
        @usableFromInline var perPartner: Bool
        @usableFromInline var daily: Bool
        @usableFromInline var maxClicks: Int64
        @usableFromInline var fallback: URLRef  // length 0 when the cap has none
    }

    /// One cap of a click's link, as the edge checks it.
    public struct CapCheck: BitwiseCopyable {
        /// Its index among the link's caps.
        public var index: UInt8
        public var perPartner: Bool
        public var daily: Bool
        public var maxClicks: Int64

        @usableFromInline
        init(index: UInt8, perPartner: Bool, daily: Bool, maxClicks: Int64) {
            self.index = index
            self.perPartner = perPartner
            self.daily = daily
            self.maxClicks = maxClicks
        }
    }

    /// How many caps the click's link has.
    @inlinable @inline(__always)
    public func capCount(_ resolution: LinkTable.Resolution) -> Int {
        Int(links[Int(resolution.linkIndex)].capCount)
    }

    /// The click's link's cap at `index` (below `capCount`).
    @inlinable @inline(__always)
    public func cap(_ resolution: LinkTable.Resolution, _ index: Int) -> CapCheck {
        let entry = caps[Int(links[Int(resolution.linkIndex)].capStart) + index]
        return CapCheck(index: UInt8(index), perPartner: entry.perPartner, daily: entry.daily, maxClicks: entry.maxClicks)
    }
}
