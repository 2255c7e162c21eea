import ClickModel

/// A click as the writer stores it: the record without its inline sub ids,
/// which travel beside it only when present.
public struct StoredClick: Sendable, BitwiseCopyable {
    public var id: ClickID
    public var clientHash: UInt64
    public var offerID: UInt32
    public var linkID: UInt32
    public var creditedPartnerID: UInt32
    public var generatingPartnerID: UInt32
    public var adID: UInt32
    /// Index into `ClickBatch.subIDs`, or -1 when the click has none.
    public var subIDsIndex: Int32
    public var outcome: ClickOutcome
    public var flags: ClickFlags
    public var botReason: BotReason
    public var workerID: UInt8

    /// Milliseconds since the Unix epoch.
    @inlinable public var milliseconds: UInt64 { id.milliseconds }

    @inlinable
    public init(id: ClickID, clientHash: UInt64, offerID: UInt32, linkID: UInt32, creditedPartnerID: UInt32,
                generatingPartnerID: UInt32, adID: UInt32, subIDsIndex: Int32, outcome: ClickOutcome,
                flags: ClickFlags, botReason: BotReason, workerID: UInt8) {
        self.id = id
        self.clientHash = clientHash
        self.offerID = offerID
        self.linkID = linkID
        self.creditedPartnerID = creditedPartnerID
        self.generatingPartnerID = generatingPartnerID
        self.adID = adID
        self.subIDsIndex = subIDsIndex
        self.outcome = outcome
        self.flags = flags
        self.botReason = botReason
        self.workerID = workerID
    }
}

/// The clicks of one write: what the aggregator hands the writer, stored in
/// one transaction together with the rollups derived from exactly these
/// clicks, so stored rollups always equal stored clicks.
public struct ClickBatch: Sendable {
    public var clicks: [StoredClick] = []
    public var subIDs: [SubIDs] = []

    public init(reservingCapacity capacity: Int = 0) {
        clicks.reserveCapacity(capacity)
    }

    public var count: Int { clicks.count }
    public var isEmpty: Bool { clicks.isEmpty }

    /// Adds a click from a ring record, with its sub ids (when its flags say
    /// it has some) and the aggregator's unique flag.
    @inlinable
    public mutating func append(_ record: UnsafePointer<ClickRecord>, subIDs clickSubIDs: UnsafePointer<SubIDs>?, unique: Bool) {
        var flags = record.pointee.flags
        if unique { flags.insert(.unique) } else { flags.remove(.unique) }
        var subIDsIndex: Int32 = -1
        if let clickSubIDs, flags.contains(.hasSubIDs) {
            subIDsIndex = Int32(subIDs.count)
            subIDs.append(clickSubIDs.pointee)
        } else {
            flags.remove(.hasSubIDs)
        }
        clicks.append(StoredClick(
            id: record.pointee.id, clientHash: record.pointee.clientHash,
            offerID: record.pointee.offerID, linkID: record.pointee.linkID,
            creditedPartnerID: record.pointee.creditedPartnerID, generatingPartnerID: record.pointee.generatingPartnerID,
            adID: record.pointee.adID, subIDsIndex: subIDsIndex, outcome: record.pointee.outcome,
            flags: flags, botReason: record.pointee.botReason, workerID: record.pointee.workerID))
    }

    /// Adds a click (tests and tools).
    public mutating func append(_ record: ClickRecord, subIDs clickSubIDs: SubIDs? = nil, unique: Bool) {
        var record = record
        if clickSubIDs != nil { record.flags.insert(.hasSubIDs) }
        withUnsafePointer(to: record) { recordPointer in
            if let clickSubIDs {
                withUnsafePointer(to: clickSubIDs) { append(recordPointer, subIDs: $0, unique: unique) }
            } else {
                append(recordPointer, subIDs: nil, unique: unique)
            }
        }
    }

    /// The sub ids of a click, if it has any.
    public func subIDs(of click: StoredClick) -> SubIDs? {
        click.subIDsIndex >= 0 ? subIDs[Int(click.subIDsIndex)] : nil
    }

    /// Empties the batch and keeps its memory for the next one.
    public mutating func removeAll() {
        clicks.removeAll(keepingCapacity: true)
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
