import ClickModel
import Store

/// The live counters of SPEC section 3, kept by the aggregator's thread:
/// per offer, per credited partner and per (link, partner, ad); totals; unique
/// clicks; per-second buckets for the last 5 minutes and per-minute buckets for
/// the last 24 hours; and what the top offers and partners of the last five
/// minutes are.
///
/// Not thread-safe: the aggregator's thread owns it and publishes
/// `LiveSnapshot`s for everyone else. `record` allocates only when a map grows.
public final class LiveCounters {
    public static let secondBuckets = 300
    public static let minuteBuckets = 1440
    /// The top lists cover this many 10-second slices (5 minutes).
    public static let recentSlices = 30

    @exclusivity(unchecked) public private(set) var totals = OutcomeCounts()
    public let byOffer = FlatMap<UInt64, OutcomeCounts>(minimumCapacity: 1024)
    public let byCreditedPartner = FlatMap<UInt64, OutcomeCounts>(minimumCapacity: 4096)
    public let byLinkPartnerAd = FlatMap<LinkPartnerAd, OutcomeCounts>(minimumCapacity: 4096)

    /// Fingerprints of today's unique clicks.
    private let uniques = FlatMap<UInt64, UInt8>(minimumCapacity: 4096)
    @exclusivity(unchecked) public private(set) var uniqueDay: Int64 = 0

    @exclusivity(unchecked) private var seconds: UnsafeMutablePointer<TimeBucket>
    @exclusivity(unchecked) private var minutes: UnsafeMutablePointer<TimeBucket>

    /// Clicks per (10-second slice, id) of the last five minutes; pruned as slices age.
    private let recentOffers = FlatMap<UInt64, Int64>(minimumCapacity: 1024)
    private let recentPartners = FlatMap<UInt64, Int64>(minimumCapacity: 1024)

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
    }

    deinit {
        seconds.deallocate()
        minutes.deallocate()
    }

    /// Starts from what the store holds (at start, before any click is recorded).
    public func seed(_ seed: LiveCounterSeed) {
        totals = seed.totals
        for (id, counts) in seed.byOffer { byOffer.update(UInt64(id), initial: OutcomeCounts()) { $0.add(counts) } }
        for (id, counts) in seed.byCreditedPartner { byCreditedPartner.update(UInt64(id), initial: OutcomeCounts()) { $0.add(counts) } }
        for (key, counts) in seed.byLinkPartnerAd { byLinkPartnerAd.update(key, initial: OutcomeCounts()) { $0.add(counts) } }
        for (minute, counts) in seed.byMinute {
            let bucket = minutes + Int(minute % Int64(Self.minuteBuckets))
            if bucket.pointee.index < minute { bucket.pointee = TimeBucket(index: minute, counts: OutcomeCounts()) }
            if bucket.pointee.index == minute { bucket.pointee.counts.add(counts) }
        }
        uniqueDay = seed.uniqueDay
        for fingerprint in seed.uniqueFingerprints { _ = uniques.insert(fingerprint, value: 1) }
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
            if day == uniqueDay {
                let fingerprint = UniqueFingerprint.of(
                    linkID: click.pointee.linkID, creditedPartnerID: click.pointee.creditedPartnerID,
                    clientHash: click.pointee.clientHash)
                unique = uniques.insert(fingerprint, value: 1)
            }
        }

        totals.add(outcome, unique: unique)
        let offerID = UInt64(click.pointee.offerID)
        byOffer.update(offerID, initial: OutcomeCounts()) { $0.add(outcome, unique: unique) }
        let partnerID = UInt64(click.pointee.creditedPartnerID)
        if partnerID != 0 {
            byCreditedPartner.update(partnerID, initial: OutcomeCounts()) { $0.add(outcome, unique: unique) }
        }
        let key = LinkPartnerAd(linkID: click.pointee.linkID, partnerID: click.pointee.creditedPartnerID, adID: click.pointee.adID)
        byLinkPartnerAd.update(key, initial: OutcomeCounts()) { $0.add(outcome, unique: unique) }

        let second = milliseconds / 1000
        let secondBucket = seconds + Int(second % Int64(Self.secondBuckets))
        if secondBucket.pointee.index != second {
            if secondBucket.pointee.index < second { secondBucket.pointee = TimeBucket(index: second, counts: OutcomeCounts()) }
        }
        if secondBucket.pointee.index == second { secondBucket.pointee.counts.add(outcome, unique: unique) }
        let minute = second / 60
        let minuteBucket = minutes + Int(minute % Int64(Self.minuteBuckets))
        if minuteBucket.pointee.index < minute { minuteBucket.pointee = TimeBucket(index: minute, counts: OutcomeCounts()) }
        if minuteBucket.pointee.index == minute { minuteBucket.pointee.counts.add(outcome, unique: unique) }

        let slice = UInt64(truncatingIfNeeded: second / 10) & 0xFFFF_FFFF
        if offerID != 0 { recentOffers.update(slice << 32 | offerID, initial: 0) { $0 += 1 } }
        if partnerID != 0 { recentPartners.update(slice << 32 | partnerID, initial: 0) { $0 += 1 } }
        return unique
    }

    /// Clicks per second over the last `seconds` complete seconds before `now`.
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

    /// The ids with the most clicks in the last five minutes, most first.
    public func top(_ kind: TopKind, limit: Int, now milliseconds: Int64) -> [(id: UInt32, clicks: Int64)] {
        let map = kind == .offers ? recentOffers : recentPartners
        let currentSlice = milliseconds / 10_000
        let oldest = UInt64(truncatingIfNeeded: currentSlice - Int64(Self.recentSlices) + 1) & 0xFFFF_FFFF
        var sums: [UInt32: Int64] = [:]
        map.forEach { key, clicks in
            if key >> 32 >= oldest { sums[UInt32(truncatingIfNeeded: key), default: 0] += clicks }
        }
        return sums.map { (id: $0.key, clicks: $0.value) }
            .sorted { $0.clicks != $1.clicks ? $0.clicks > $1.clicks : $0.id < $1.id }
            .prefix(limit).map { $0 }
    }

    public enum TopKind: Sendable { case offers, partners }

    /// Forgets slices older than five minutes from the top-list maps.
    public func pruneRecent(now milliseconds: Int64) {
        let oldest = UInt64(truncatingIfNeeded: milliseconds / 10_000 - Int64(Self.recentSlices) + 1) & 0xFFFF_FFFF
        for map in [recentOffers, recentPartners] {
            var keep: [(UInt64, Int64)] = []
            map.forEach { key, clicks in if key >> 32 >= oldest { keep.append((key, clicks)) } }
            guard keep.count < map.count else { continue }
            map.removeAll()
            for (key, clicks) in keep { _ = map.insert(key, value: clicks) }
        }
    }
}
