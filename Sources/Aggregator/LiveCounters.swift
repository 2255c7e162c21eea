import ClickModel
import Domain

/// The live counters of SPEC section 3, kept by the aggregator's thread:
/// per offer, per credited partner and per (link, partner, ad); totals; unique
/// clicks; per-second buckets for the last 5 minutes and per-minute buckets for
/// the last 24 hours; and the top offers and partners of the last five minutes.
///
/// Not thread-safe: the aggregator's thread owns it and publishes
/// `LiveSnapshot`s for everyone else. Recording allocates only when a map
/// grows. The budget is about 100 ns a click, which is one or two cache misses:
/// offers and partners carry their recent clicks in their own entries (no
/// extra map per click for the top lists), and `record(_:_:)` touches the
/// large maps for a group of clicks before counting them, so that the misses
/// of the group overlap instead of following one another.
public final class LiveCounters {
    public static let secondBuckets = 300
    public static let minuteBuckets = 1440

    @exclusivity(unchecked) public private(set) var totals = OutcomeCounts()
    public let byOffer = FlatMap<UInt64, EntityCounts>(minimumCapacity: 1024)
    public let byCreditedPartner = FlatMap<UInt64, EntityCounts>(minimumCapacity: 4096)
    public let byLinkPartnerAd = FlatMap<LinkPartnerAd, OutcomeCounts>(minimumCapacity: 4096)

    /// Fingerprints of today's unique clicks: a set, eight bytes a slot.
    private let uniques = FlatMap<UInt64, Void>(minimumCapacity: 4096)
    @exclusivity(unchecked) public private(set) var uniqueDay: Int64 = 0

    @exclusivity(unchecked) private var seconds: UnsafeMutablePointer<TimeBucket>
    @exclusivity(unchecked) private var minutes: UnsafeMutablePointer<TimeBucket>

    /// Offers and partners with clicks in the last five minutes (candidates for the top lists).
    @exclusivity(unchecked) private var activeOffers: [UInt64] = []
    @exclusivity(unchecked) private var activePartners: [UInt64] = []
    /// Defeats dead-code elimination of the touching loads.
    @exclusivity(unchecked) private var touched: UInt64 = 0

    struct TimeBucket {
        /// Which second (or minute) since the Unix epoch the bucket holds; -1 for none.
        var index: Int64 = -1
        var counts = OutcomeCounts()
    }

    public init() {
        seconds = .allocate(capacity: Self.secondBuckets)
        seconds.initialize(repeating: TimeBucket(), count: Self.secondBuckets)
        minutes = .allocate(capacity: Self.minuteBuckets)
        minutes.initialize(repeating: TimeBucket(), count: Self.minuteBuckets)
        activeOffers.reserveCapacity(1024)
        activePartners.reserveCapacity(4096)
    }

    deinit {
        seconds.deallocate()
        minutes.deallocate()
    }

    /// Starts from what the store holds (at start, before any click is recorded).
    public func seed(_ seed: LiveCounterSeed) {
        totals = seed.totals
        for (id, counts) in seed.byOffer { byOffer.update(UInt64(id), initial: EntityCounts()) { $0.counts.add(counts) } }
        for (id, counts) in seed.byCreditedPartner {
            byCreditedPartner.update(UInt64(id), initial: EntityCounts()) { $0.counts.add(counts) }
        }
        for (key, counts) in seed.byLinkPartnerAd { byLinkPartnerAd.update(key, initial: OutcomeCounts()) { $0.add(counts) } }
        for (minute, counts) in seed.byMinute {
            let bucket = minutes + Int(minute % Int64(Self.minuteBuckets))
            if bucket.pointee.index < minute { bucket.pointee = TimeBucket(index: minute, counts: OutcomeCounts()) }
            if bucket.pointee.index == minute { bucket.pointee.counts.add(counts) }
        }
        uniqueDay = seed.uniqueDay
        for fingerprint in seed.uniqueFingerprints { _ = uniques.insert(fingerprint, value: ()) }
    }

    /// Counts a run of clicks, in order, calling `counted` with each click's
    /// index and whether it is unique. While one group of clicks is counted,
    /// the slots the next group needs are already being loaded.
    @inline(__always)
    public func record(_ clicks: UnsafeBufferPointer<ClickRecord>, _ counted: (Int, Bool) -> Void) {
        guard let base = clicks.baseAddress else { return }
        let group = 16
        touch(base, 0..<min(group, clicks.count))
        var start = 0
        while start < clicks.count {
            let end = min(start + group, clicks.count)
            touch(base, end..<min(end + group, clicks.count))
            for index in start..<end { counted(index, record(base + index)) }
            start = end
        }
    }

    /// Loads the first slot each click of `range` will probe in the large
    /// maps: independent loads, so their cache misses overlap.
    @inline(__always)
    private func touch(_ base: UnsafePointer<ClickRecord>, _ range: Range<Int>) {
        var touched: UInt64 = 0
        for index in range {
            let click = base + index
            touched &+= uniques.firstSlotKey(Self.fingerprint(click))
            touched &+= UInt64(byLinkPartnerAd.firstSlotKey(Self.key(click)).linkID)
            touched &+= byCreditedPartner.firstSlotKey(UInt64(click.pointee.creditedPartnerID))
        }
        self.touched &+= touched
    }

    /// Counts one click and returns whether it is unique: billable, and the
    /// first of its client for its link and credited partner on its UTC day.
    @inline(__always)
    public func record(_ click: UnsafePointer<ClickRecord>) -> Bool {
        let outcome = click.pointee.outcome
        let milliseconds = Int64(click.pointee.id.milliseconds)
        var unique = false
        if outcome == .billable {
            let day = milliseconds / 86_400_000
            if day > uniqueDay {
                uniques.removeAll()
                uniqueDay = day
            }
            if day == uniqueDay { unique = uniques.insert(Self.fingerprint(click), value: ()) }
        }

        totals.add(outcome, unique: unique)
        let slice = milliseconds / RecentClicks.sliceMilliseconds
        let offerID = UInt64(click.pointee.offerID)
        let offerBecameActive = byOffer.update(offerID, initial: EntityCounts()) { entry in
            entry.counts.add(outcome, unique: unique)
            return entry.recent.add(slice: slice)
        }
        if offerBecameActive { activeOffers.append(offerID) }
        let partnerID = UInt64(click.pointee.creditedPartnerID)
        if partnerID != 0 {
            let partnerBecameActive = byCreditedPartner.update(partnerID, initial: EntityCounts()) { entry in
                entry.counts.add(outcome, unique: unique)
                return entry.recent.add(slice: slice)
            }
            if partnerBecameActive { activePartners.append(partnerID) }
        }
        byLinkPartnerAd.update(Self.key(click), initial: OutcomeCounts()) { $0.add(outcome, unique: unique) }

        let second = milliseconds / 1000
        let secondBucket = seconds + Int(second % Int64(Self.secondBuckets))
        if secondBucket.pointee.index < second { secondBucket.pointee = TimeBucket(index: second, counts: OutcomeCounts()) }
        if secondBucket.pointee.index == second { secondBucket.pointee.counts.add(outcome, unique: unique) }
        let minute = second / 60
        let minuteBucket = minutes + Int(minute % Int64(Self.minuteBuckets))
        if minuteBucket.pointee.index < minute { minuteBucket.pointee = TimeBucket(index: minute, counts: OutcomeCounts()) }
        if minuteBucket.pointee.index == minute { minuteBucket.pointee.counts.add(outcome, unique: unique) }
        return unique
    }

    @inline(__always)
    static func fingerprint(_ click: UnsafePointer<ClickRecord>) -> UInt64 {
        UniqueFingerprint.of(linkID: click.pointee.linkID, creditedPartnerID: click.pointee.creditedPartnerID,
                             clientHash: click.pointee.clientHash)
    }

    @inline(__always)
    static func key(_ click: UnsafePointer<ClickRecord>) -> LinkPartnerAd {
        LinkPartnerAd(linkID: click.pointee.linkID, partnerID: click.pointee.creditedPartnerID, adID: click.pointee.adID)
    }

    /// Clicks per second over the last `window` complete seconds before `now`.
    public func clicksPerSecond(over window: Int, now milliseconds: Int64) -> Double {
        let current = milliseconds / 1000
        var sum: Int64 = 0
        for second in (current - Int64(window))..<current {
            let bucket = seconds[Int(((second % 300) + 300) % 300)]
            if bucket.index == second { sum += bucket.counts.clicks }
        }
        return Double(sum) / Double(window)
    }

    /// Per-minute counts of the last `count` minutes up to `now`, oldest first.
    public func minuteSeries(count: Int, now milliseconds: Int64) -> [(minute: Int64, counts: OutcomeCounts)] {
        let current = milliseconds / 60_000
        return ((current - Int64(count) + 1)...current).map { minute in
            let bucket = minutes[Int(((minute % 1440) + 1440) % 1440)]
            return (minute, bucket.index == minute ? bucket.counts : OutcomeCounts())
        }
    }

    public enum TopKind: Sendable { case offers, partners }

    /// The ids with the most clicks in the last five minutes (ten 30-second
    /// slices, the current one included), most first. Also forgets the ids
    /// that had none.
    public func top(_ kind: TopKind, limit: Int, now milliseconds: Int64) -> [(id: UInt32, clicks: Int64)] {
        let map = kind == .offers ? byOffer : byCreditedPartner
        let slice = milliseconds / RecentClicks.sliceMilliseconds
        var ranked: [(id: UInt32, clicks: Int64)] = []
        var stillActive: [UInt64] = []
        for id in kind == .offers ? activeOffers : activePartners {
            let clicks = map[id]?.recent.sum(at: slice) ?? 0
            if clicks > 0 || map[id].map({ $0.recent.latest > slice }) == true {
                stillActive.append(id)
                if clicks > 0 { ranked.append((UInt32(truncatingIfNeeded: id), clicks)) }
            } else {
                map.update(id, initial: EntityCounts()) { $0.recent.forget() }
            }
        }
        if kind == .offers { activeOffers = stillActive } else { activePartners = stillActive }
        ranked.sort { $0.clicks != $1.clicks ? $0.clicks > $1.clicks : $0.id < $1.id }
        return Array(ranked.prefix(limit))
    }
}

/// A live counter of an offer or partner: its counts, and its clicks of the
/// last five minutes for the top lists.
public struct EntityCounts: Sendable, BitwiseCopyable {
    public var counts = OutcomeCounts()
    public var recent = RecentClicks()
}

/// Clicks per 30-second slice over the last ten slices.
public struct RecentClicks: Sendable, BitwiseCopyable {
    public static let slices = 10
    public static let sliceMilliseconds: Int64 = 30_000

    /// The newest slice counted; `.min` when there is none in the window.
    public private(set) var latest: Int64 = .min
    private var perSlice = InlineArray<10, UInt32>(repeating: 0)

    /// Counts a click in `slice`. Returns true when there was none in the
    /// window before (the entity just became active).
    @inline(__always)
    mutating func add(slice: Int64) -> Bool {
        let n = Int64(Self.slices)
        if slice > latest {
            let wasIdle = latest == .min
            let stale = wasIdle ? n : min(n, slice - latest)
            for k in 0..<stale { perSlice[Int((slice - k) % n)] = 0 }
            latest = slice
            perSlice[Int(slice % n)] &+= 1
            return wasIdle
        }
        if slice > latest - n { perSlice[Int(slice % n)] &+= 1 }
        return false
    }

    /// Clicks in the window ending at `slice`.
    func sum(at slice: Int64) -> Int64 {
        guard latest != .min else { return 0 }
        let n = Int64(Self.slices)
        var sum: Int64 = 0
        var s = latest
        while s > latest - n {
            if s <= slice && s > slice - n { sum += Int64(perSlice[Int(s % n)]) }
            s -= 1
        }
        return sum
    }

    /// Marks the window empty (the entity left the active list).
    mutating func forget() {
        latest = .min
    }
}
