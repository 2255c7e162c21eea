import ClickModel

/// The clicks of one write: what the aggregator hands the writer, stored in
/// one transaction together with the rollups derived from exactly these
/// clicks, so stored rollups always equal stored clicks.
///
/// A click keeps the one shape the edge gave it, from the ring to the stored
/// page and back (`StoredClick`): its `ClickRecord`, and its sub ids when its
/// flags say it has some.
public struct ClickBatch: Sendable {
    /// The records, as the edge made them but for the aggregator's unique flag.
    public var clicks: [ClickRecord] { records }
    @usableFromInline var records: [ClickRecord] = []
    /// For each click, the index of its sub ids in `subIDs`, or -1.
    @usableFromInline var subIDsIndex: [Int32] = []
    @usableFromInline var subIDs: [SubIDs] = []

    public init(reservingCapacity capacity: Int = 0) {
        records.reserveCapacity(capacity)
        subIDsIndex.reserveCapacity(capacity)
    }

    public var count: Int { records.count }
    public var isEmpty: Bool { records.isEmpty }

    /// Adds a click from a ring record, with its sub ids (when its flags say
    /// it has some) and the aggregator's unique flag.
    @inlinable
    public mutating func append(_ record: UnsafePointer<ClickRecord>, subIDs clickSubIDs: UnsafePointer<SubIDs>?, unique: Bool) {
        append(record.pointee, subIDsAt: clickSubIDs, unique: unique)
    }

    /// Adds a click (tests and tools).
    public mutating func append(_ record: ClickRecord, subIDs clickSubIDs: SubIDs? = nil, unique: Bool) {
        var record = record
        if clickSubIDs != nil { record.flags.insert(.hasSubIDs) }
        if let clickSubIDs {
            withUnsafePointer(to: clickSubIDs) { append(record, subIDsAt: $0, unique: unique) }
        } else {
            append(record, subIDsAt: nil, unique: unique)
        }
    }

    @inlinable
    mutating func append(_ record: ClickRecord, subIDsAt clickSubIDs: UnsafePointer<SubIDs>?, unique: Bool) {
        var record = record
        if unique { record.flags.insert(.unique) } else { record.flags.remove(.unique) }
        if let clickSubIDs, record.flags.contains(.hasSubIDs) {
            subIDsIndex.append(Int32(subIDs.count))
            subIDs.append(clickSubIDs.pointee)
        } else {
            record.flags.remove(.hasSubIDs)
            subIDsIndex.append(-1)
        }
        records.append(record)
    }

    /// The sub ids of click `index`, if it has any.
    public func subIDs(ofClickAt index: Int) -> SubIDs? {
        let position = subIDsIndex[index]
        return position >= 0 ? subIDs[Int(position)] : nil
    }

    /// Empties the batch and keeps its memory for the next one.
    public mutating func removeAll() {
        records.removeAll(keepingCapacity: true)
        subIDsIndex.removeAll(keepingCapacity: true)
        subIDs.removeAll(keepingCapacity: true)
    }

    /// The per-minute rollups of these clicks.
    public func rollups() -> [ClickRollup] {
        var sums: [RollupKey: OutcomeCounts] = [:]
        sums.reserveCapacity(clicks.count / 2)
        for click in clicks {
            let key = RollupKey(
                minute: Int64(click.milliseconds / 60_000), offerID: click.offerID, linkID: click.linkID,
                generatingPartnerID: click.generatingPartnerID, creditedPartnerID: click.creditedPartnerID, adID: click.adID)
            sums[key, default: OutcomeCounts()].add(click.outcome, unique: click.flags.contains(.unique))
        }
        return sums.map { ClickRollup(key: $0.key, counts: $0.value) }.sorted { $0.key < $1.key }
    }
}

extension ClickBatch {
    /// The batch's clicks that a link rule chose, per UTC day, link, rule and
    /// variant: what the variant report reads.
    public func variantRollups() -> [VariantRollup] {
        var sums: [VariantRollup.Key: VariantRollup] = [:]
        for click in clicks where click.rule != 0 {
            let key = VariantRollup.Key(day: Int64(click.milliseconds / 86_400_000), linkID: click.linkID,
                                        rule: click.rule, variant: click.variant)
            var rollup = sums[key] ?? VariantRollup(key: key)
            rollup.clicks += 1
            if click.outcome == .billable {
                rollup.billable += 1
                if click.flags.contains(.unique) { rollup.unique += 1 }
            }
            sums[key] = rollup
        }
        return sums.values.sorted { ($0.key.day, $0.key.linkID, $0.key.rule, $0.key.variant) < ($1.key.day, $1.key.linkID, $1.key.rule, $1.key.variant) }
    }
}

extension ClickBatch {
    /// The batch's clicks per UTC day, offer, country and device classes:
    /// what the report by country and by device reads.
    public func trafficRollups() -> [TrafficRollup] {
        var sums: [TrafficRollup.Key: TrafficRollup] = [:]
        for click in clicks {
            let key = TrafficRollup.Key(day: Int64(click.milliseconds / 86_400_000), offerID: click.offerID,
                                        country: click.country.rawValue, devices: click.devices)
            var rollup = sums[key] ?? TrafficRollup(key: key)
            rollup.clicks += 1
            if click.outcome == .billable { rollup.billable += 1 }
            sums[key] = rollup
        }
        return sums.values.sorted { ($0.key.day, $0.key.offerID, $0.key.country, $0.key.devices) < ($1.key.day, $1.key.offerID, $1.key.country, $1.key.devices) }
    }
}

/// Clicks of one offer on one UTC day from one country and kind of device.
public struct TrafficRollup: Sendable, Equatable {
    public struct Key: Hashable, Sendable {
        public var day: Int64
        public var offerID: UInt32
        /// `CountryCode.rawValue`; 0 when unknown.
        public var country: UInt16
        /// `DeviceClass` bits; 0 when none is known.
        public var devices: UInt16
    }

    public var key: Key
    public var clicks: Int64 = 0
    public var billable: Int64 = 0
}

/// Clicks of one link rule's variant on one UTC day.
public struct VariantRollup: Sendable, Equatable {
    public struct Key: Hashable, Sendable {
        public var day: Int64
        public var linkID: UInt32
        /// The rule's index plus one.
        public var rule: UInt8
        public var variant: UInt8
    }

    public var key: Key
    public var clicks: Int64 = 0
    public var billable: Int64 = 0
    public var unique: Int64 = 0
}

/// What a stored rollup row counts: one minute of one link, partner pair and ad.
public struct RollupKey: Hashable, Sendable, Comparable {
    /// Minutes since the Unix epoch.
    public var minute: Int64
    public var offerID: UInt32
    public var linkID: UInt32
    public var generatingPartnerID: UInt32
    public var creditedPartnerID: UInt32
    public var adID: UInt32

    public init(minute: Int64, offerID: UInt32, linkID: UInt32, generatingPartnerID: UInt32, creditedPartnerID: UInt32, adID: UInt32) {
        self.minute = minute
        self.offerID = offerID
        self.linkID = linkID
        self.generatingPartnerID = generatingPartnerID
        self.creditedPartnerID = creditedPartnerID
        self.adID = adID
    }

    public static func < (a: RollupKey, b: RollupKey) -> Bool {
        (a.minute, a.offerID, a.linkID, a.generatingPartnerID, a.creditedPartnerID, a.adID)
            < (b.minute, b.offerID, b.linkID, b.generatingPartnerID, b.creditedPartnerID, b.adID)
    }
}

public struct ClickRollup: Sendable, Equatable {
    public var key: RollupKey
    public var counts: OutcomeCounts

    public init(key: RollupKey, counts: OutcomeCounts) {
        self.key = key
        self.counts = counts
    }
}

/// A click read back from the store: the record the edge made, and its sub
/// ids when it has some. Its record's properties read as its own
/// (`click.outcome`).
@dynamicMemberLookup
public struct StoredClick: Sendable {
    public var record: ClickRecord
    public var subIDs: SubIDs?

    public init(record: ClickRecord, subIDs: SubIDs?) {
        self.record = record
        self.subIDs = subIDs
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<ClickRecord, Value>) -> Value { record[keyPath: keyPath] }

    /// The five sub ids as text, nil where empty.
    public var subIDValues: [String?] { (0..<SubIDs.count).map { subIDs?.value($0) } }
}
