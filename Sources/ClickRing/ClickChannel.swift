import ClickModel

/// What one edge worker hands the aggregator: its clicks in order in one ring,
/// and the sub ids of the clicks that have any, in the same order, in a ring
/// of their own. Records stay 64 bytes, so the aggregator streams through
/// them, and the larger sub ids are copied only for the clicks that carry them.
///
/// Thread contract: as `SPSCRing`: one producer (the worker) calls `tryPush`,
/// one consumer (the aggregator) calls `drain`.
///
/// Invariant: a record flagged `hasSubIDs` has exactly one entry in `subIDs`,
/// published before the record. The producer checks that both rings have room
/// before writing either, so a click is recorded whole or dropped whole.
public final class ClickChannel: Sendable {
    public let records: SPSCRing<ClickRecord>
    public let subIDs: SPSCRing<SubIDs>

    /// - Parameters:
    ///   - capacity: clicks the channel holds (a power of two).
    ///   - subIDsCapacity: clicks with sub ids it holds (a power of two); a quarter of `capacity` by default.
    public init(capacity: Int, subIDsCapacity: Int? = nil) {
        records = SPSCRing(capacity: capacity)
        subIDs = SPSCRing(capacity: subIDsCapacity ?? max(2, capacity / 4))
    }

    /// Producer only. Records one click: `fill` writes the record in place,
    /// and when `hasSubIDs` is true `fillSubIDs` writes its sub ids in place
    /// (the record's `hasSubIDs` flag is set here). False, writing nothing,
    /// when either ring is full.
    @inline(__always)
    public func tryPush(
        hasSubIDs: Bool,
        _ fill: (UnsafeMutablePointer<ClickRecord>) -> Void,
        subIDs fillSubIDs: (UnsafeMutablePointer<SubIDs>) -> Void
    ) -> Bool {
        // Room only grows while the producer waits, so checking first is enough.
        guard records.hasRoom() else { return false }
        if hasSubIDs {
            guard subIDs.tryPush(fillSubIDs) else { return false }
        }
        let pushed = records.tryPush { record in
            fill(record)
            if hasSubIDs { record.pointee.flags.insert(.hasSubIDs) } else { record.pointee.flags.remove(.hasSubIDs) }
        }
        assert(pushed, "a ring with room refused a push")
        return pushed
    }

    /// Consumer only. Hands up to `limit` clicks to `body` in order, in at
    /// most two runs, then frees their slots. Returns how many. Inside `body`,
    /// `withSubIDs(of:)` reads a record's sub ids.
    @inline(__always)
    public func drain(limit: Int = .max, _ body: (UnsafeBufferPointer<ClickRecord>) -> Void) -> Int {
        records.drain(limit: limit, body)
    }

    /// Consumer only, inside `drain`, for the records of a run in order:
    /// calls `body` with the sub ids of `record` (nil when it has none) and
    /// then frees them. `body` must copy what it keeps.
    @inline(__always)
    public func withSubIDs<R>(of record: UnsafePointer<ClickRecord>, _ body: (UnsafePointer<SubIDs>?) -> R) -> R {
        guard record.pointee.flags.contains(.hasSubIDs) else { return body(nil) }
        var result: R?
        let taken = subIDs.drain(limit: 1) { result = body($0.baseAddress) }
        precondition(taken == 1, "a record flagged with sub ids has none in the channel")
        return result!
    }
}
