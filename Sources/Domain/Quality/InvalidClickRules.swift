import ClickModel

/// Hosting networks (`--datacenter-ranges FILE`): clicks from them are
/// scripts and proxies rather than shoppers, and are not billable (SPEC
/// section 14). Kept as sorted, merged intervals of `ClientNetwork` values,
/// so that a click is checked with one binary search and no allocation.
///
/// A click keeps its IPv6 network (the first 64 bits), so an IPv6 range
/// narrower than /64 counts as its whole /64.
public struct DatacenterRanges: Sendable, Equatable {
    /// Inclusive, sorted, not overlapping.
    public private(set) var intervals: [ClosedRange<UInt64>]

    public static let none = DatacenterRanges(ranges: [])

    public init(ranges: [IPRange]) {
        let spans = ranges.compactMap(Self.interval).sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt64>] = []
        for span in spans {
            guard let last = merged.last else {
                merged.append(span)
                continue
            }
            if last.upperBound == .max { break }  // the rest lie inside it
            if span.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, span.upperBound)
            } else {
                merged.append(span)
            }
        }
        intervals = merged
    }

    /// One CIDR a line (`203.0.113.0/24`, `2001:db8::/32`, or a bare
    /// address); blank lines and lines starting with `#` are skipped, and
    /// text after a `#` or a space on a line is a comment. A line that is not
    /// a CIDR is refused with its number, so a start with a bad file fails
    /// and says where.
    public init(parsing text: String) throws(DomainError) {
        var ranges: [IPRange] = []
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = raw.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let cidr = String(line.prefix { $0 != "#" && !$0.isWhitespace })
            guard let range = IPRange(cidr) else {
                throw .invalid("datacenter-ranges", "line \(index + 1): \"\(line.prefix(80))\" is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32")
            }
            ranges.append(range)
        }
        self.init(ranges: ranges)
    }

    public var isEmpty: Bool { intervals.isEmpty }

    /// Whether `network` lies in one of the ranges.
    @inlinable
    public func contains(_ network: ClientNetwork) -> Bool {
        let value = network.rawValue
        guard value != 0 else { return false }
        return intervals.withUnsafeBufferPointer { spans in
            var low = 0, high = spans.count
            while low < high {
                let middle = (low + high) / 2
                if spans[middle].upperBound < value { low = middle + 1 } else { high = middle }
            }
            return low < spans.count && spans[low].lowerBound <= value
        }
    }

    static func interval(_ range: IPRange) -> ClosedRange<UInt64>? {
        let first = ClientNetwork(range.address)
        guard first != .none else { return nil }
        if first.isV4 {
            let base = first.group(v4Prefix: range.prefix, v6Prefix: 64).rawValue
            return base...(base | ~ClientNetwork.mask(range.prefix, of: 32) & 0xFFFF_FFFF)
        }
        let prefix = min(range.prefix, 64)
        let base = first.group(v4Prefix: 32, v6Prefix: prefix).rawValue
        return base...(base | ~ClientNetwork.mask(prefix, of: 64))
    }
}

/// The invalid-click checks as the settings make them (SPEC section 14).
public struct InvalidClickRules: Sendable, Equatable {
    /// Billable clicks per address group per link per UTC day; past it a click
    /// is `invalid` (`address_cap`). 0 turns the cap off (`--address-click-cap`).
    public var addressClickCap: Int
    /// IPv4 clients are grouped by this many leading bits (`--address-group-v4`, 24).
    public var v4Prefix: Int
    /// IPv6 clients by this many (`--address-group-v6`, 48; at most 64).
    public var v6Prefix: Int
    public var datacenters: DatacenterRanges

    public init(addressClickCap: Int = 100, v4Prefix: Int = 24, v6Prefix: Int = 48, datacenters: DatacenterRanges = .none) {
        self.addressClickCap = addressClickCap
        self.v4Prefix = v4Prefix
        self.v6Prefix = v6Prefix
        self.datacenters = datacenters
    }

    /// No check at all: every click keeps the outcome the edge gave it.
    public static let off = InvalidClickRules(addressClickCap: 0, datacenters: .none)

    public var isOff: Bool { addressClickCap == 0 && datacenters.isEmpty }
}
