import ClickModel
import Domain

/// The invalid-click checks of SPEC section 14, applied to clicks in the
/// order given: a click the edge made billable becomes `invalid` when it
/// comes from a hosting network, or when its address group already had
/// `addressClickCap` billable clicks on its link that UTC day (a local
/// address, `ClientNetwork.isLocal`, is never capped). The reasons go on the
/// click (`ClickQuality`).
///
/// The same code judges clicks live, in the aggregator, and again from the
/// stored clicks (`clickline clicks recheck`): a stored `invalid` click is
/// judged again as the billable click it was. Not thread-safe: one thread
/// owns it. Judging allocates only when its map grows.
public final class InvalidClicks {
    public let rules: InvalidClickRules
    /// Per (link, address group): the day's billable clicks so far.
    private let counts = FlatMap<AddressGroupKey, UInt32>(minimumCapacity: 4096)
    @exclusivity(unchecked) public private(set) var day: Int64 = 0

    public init(rules: InvalidClickRules) {
        self.rules = rules
    }

    /// Counts a click stored earlier on `day` that the cap counted live (at
    /// start: today's billable clicks and those invalid for the cap alone, so
    /// that a restart does not open the caps again).
    public func seed(linkID: UInt32, network: ClientNetwork, day: Int64) {
        guard rules.addressClickCap > 0, network != .none, !network.isLocal, day >= self.day else { return }
        if day > self.day {
            counts.removeAll()
            self.day = day
        }
        let key = AddressGroupKey(linkID: linkID, group: network.group(v4Prefix: rules.v4Prefix, v6Prefix: rules.v6Prefix))
        counts.update(key, initial: 0) { $0 &+= 1 }
    }

    /// Judges one click in place.
    @inline(__always)
    public func judge(_ click: UnsafeMutablePointer<ClickRecord>) {
        let outcome = click.pointee.outcome
        guard outcome == .billable || outcome == .invalid else { return }
        let network = click.pointee.network
        var quality = ClickQuality()
        if network != .none {
            if rules.datacenters.contains(network) {
                quality.insert(.datacenter)
            } else if rules.addressClickCap > 0 && !network.isLocal {
                let day = Int64(click.pointee.id.milliseconds) / 86_400_000
                if day > self.day {
                    counts.removeAll()
                    self.day = day
                }
                // A click of a day already past (a late one, after midnight) is not counted.
                if day == self.day {
                    let key = AddressGroupKey(linkID: click.pointee.linkID, group: network.group(v4Prefix: rules.v4Prefix, v6Prefix: rules.v6Prefix))
                    let seen = counts.update(key, initial: 0) { count -> UInt32 in
                        count &+= 1
                        return count
                    }
                    if Int(seen) > rules.addressClickCap { quality.insert(.addressCap) }
                }
            }
        }
        click.pointee.quality = quality
        click.pointee.outcome = quality.isEmpty ? .billable : .invalid
    }

    /// Judges a run of clicks, in order.
    @inline(__always)
    public func judge(_ clicks: UnsafeMutableBufferPointer<ClickRecord>) {
        guard let base = clicks.baseAddress else { return }
        for index in 0..<clicks.count { judge(base + index) }
    }
}

/// A link and an address group: what `--address-click-cap` counts per day.
struct AddressGroupKey: FlatKey {
    var linkID: UInt32
    var group: ClientNetwork

    var flatHash: UInt64 { FastHash.combine(UInt64(linkID), group.rawValue) }
    /// Recorded clicks always have a link.
    static var vacant: AddressGroupKey { AddressGroupKey(linkID: 0, group: .none) }
}

/// The invalid-click checks run again over stored clicks and compared with
/// what the clicks carry (`clickline clicks recheck`): after a change of
/// the settings, what they would have made of the same clicks; without one,
/// the proof that the stored flags follow from the stored clicks.
///
/// Clicks are judged in the order they were written, with the counts of every
/// node together (what a load balancer hashing by source makes true). The
/// aggregator judges each node's clicks as its rings hand them over, which
/// may order clicks of two workers within the same few milliseconds
/// differently from the store: so a hosting-network verdict is compared
/// click by click, and an address cap by how many clicks of each link,
/// address group and day it made invalid.
public struct InvalidClickRecheck: Sendable, Equatable {
    public var clicks = 0
    /// Clicks billable after the checks, now.
    public var billable = 0
    /// Invalid clicks now, by reason.
    public var datacenter = 0
    public var addressCap = 0
    /// Clicks whose hosting-network verdict differs from the stored one.
    public var differingClicks = 0
    /// Links, address groups and days whose count of clicks past the cap differs from the stored one.
    public var differingGroups = 0

    public var matches: Bool { differingClicks == 0 && differingGroups == 0 }

    public init() {}

    /// Judges the clicks of `[from, to)` (milliseconds) again under `rules`.
    public static func run(_ store: any ClickStore, rules: InvalidClickRules, from: Int64, to: Int64) throws -> InvalidClickRecheck {
        var report = InvalidClickRecheck()
        let judge = InvalidClicks(rules: rules)
        struct GroupDay: Hashable {
            var linkID: UInt32
            var group: ClientNetwork
            var day: Int64
        }
        // Per group and day: clicks past the cap as stored, and as judged now.
        var pastCap: [GroupDay: (stored: Int, judged: Int)] = [:]
        try store.forEachClick(from: from, to: to) { stored in
            report.clicks += 1
            var click = stored
            judge.judge(&click)
            if click.outcome == .billable { report.billable += 1 }
            if click.quality.contains(.datacenter) { report.datacenter += 1 }
            if click.quality.contains(.addressCap) { report.addressCap += 1 }
            let storedQuality = stored.outcome == .invalid ? stored.quality : []
            if storedQuality.contains(.datacenter) != click.quality.contains(.datacenter) { report.differingClicks += 1 }
            let wasPast = storedQuality.contains(.addressCap), isPast = click.quality.contains(.addressCap)
            if wasPast || isPast {
                let key = GroupDay(linkID: click.linkID, group: click.network.group(v4Prefix: rules.v4Prefix, v6Prefix: rules.v6Prefix),
                                   day: Int64(click.milliseconds) / 86_400_000)
                var counts = pastCap[key] ?? (0, 0)
                if wasPast { counts.stored += 1 }
                if isPast { counts.judged += 1 }
                pastCap[key] = counts
            }
        }
        report.differingGroups = pastCap.values.filter { $0.stored != $0.judged }.count
        return report
    }
}

extension InvalidClicks {
    /// Judges a copy of a click.
    public func judge(_ click: inout ClickRecord) {
        withUnsafeMutablePointer(to: &click) { judge($0) }
    }
}
