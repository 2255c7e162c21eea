import Atomics

/// This node's counters of capped links: how many clicks each cap has let
/// through in its period, and how many more it may let through before it
/// hears from the store again. Edge workers take from it on the hot path
/// with one compare-and-swap and no allocation; the cap reporter (one thread)
/// tells the store what was taken and sets the limits from its answer.
///
/// A counter is keyed by link, cap (its index in the link's caps) and
/// credited partner (0 for a cap of the whole link). Each keeps two periods
/// side by side, today and yesterday or tomorrow by the parity of the UTC day,
/// so that a day's counter starts at 0 at midnight without anyone resetting
/// it; a cap in total uses period 0.
///
/// How far a node may go without the store: after a report it may let
/// through `min(slice, max − total)` more clicks, where `total` is what the
/// store counted across all nodes at that report. Alone on a store, with a
/// slice of at least the cap, that is exact. With several nodes, each may let
/// through at most `slice` clicks the others do not know of yet, so a cap is
/// exceeded by at most `(nodes − 1) × slice` clicks.
///
/// The table is fixed in size and never forgets a key: a key it cannot place
/// caps its clicks (they are not billable) and counts them in `overflows`.
public final class CapLedger: @unchecked Sendable {
    /// A counter's identity.
    public struct Key: Hashable, Sendable, BitwiseCopyable {
        public var linkID: UInt32
        public var cap: UInt8
        public var partnerID: UInt32

        @inlinable
        public init(linkID: UInt32, cap: UInt8, partnerID: UInt32) {
            self.linkID = linkID
            self.cap = cap
            self.partnerID = partnerID
        }

        @usableFromInline var high: UInt64 { UInt64(linkID) << 32 | UInt64(partnerID) }
        @usableFromInline var low: UInt64 { UInt64(cap) + 1 }
    }

    /// The period of a cap in total.
    public static let totalPeriod: Int64 = 0

    /// The period of a daily cap at `now` (ms since the Unix epoch): the UTC day.
    @inlinable
    public static func day(_ now: Int64) -> Int64 { now >= 0 ? now / 86_400_000 : (now - 86_399_999) / 86_400_000 }

    /// Clicks a node may let through beyond what the store knows.
    public let slice: Int64
    public let capacity: Int

    // A counter word packs the period plus one (0: never used) above 44 bits
    // of count, so that the period and its count change together.
    @usableFromInline static let countBits: UInt64 = 44
    @usableFromInline static let countMask: UInt64 = (1 << 44) - 1
    /// The largest cap a counter holds.
    public static let maxClicks = Int64(countMask)

    @usableFromInline let mask: Int
    /// Per slot: 0 free, 1 being written, 2 holding a key.
    @usableFromInline let states: UnsafeMutablePointer<UnsafeAtomic<UInt8>.Storage>
    @usableFromInline let keys: UnsafeMutablePointer<(UInt64, UInt64)>
    /// Per slot, two words each: clicks let through, by period parity.
    @usableFromInline let taken: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    /// Per slot, two words each: how many may be let through, by period parity.
    @usableFromInline let limits: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    /// Slots in the order they were filled (slot + 1; 0 while being written), for the reporter.
    @usableFromInline let order: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>
    @usableFromInline let filled: UnsafeAtomic<Int>
    @usableFromInline let overflowCount: UnsafeAtomic<Int>

    /// - Parameters:
    ///   - capacity: counters it can hold, rounded up to a power of two.
    ///   - slice: clicks a node may let through before the store has counted them.
    public init(capacity: Int = 65_536, slice: Int64) {
        var size = 64
        while size < capacity { size <<= 1 }
        self.capacity = size
        self.mask = size - 1
        self.slice = max(1, min(slice, Self.maxClicks))
        states = .allocate(capacity: size)
        states.initialize(repeating: .init(0), count: size)
        keys = .allocate(capacity: size)
        keys.initialize(repeating: (0, 0), count: size)
        taken = .allocate(capacity: 2 * size)
        taken.initialize(repeating: .init(0), count: 2 * size)
        limits = .allocate(capacity: 2 * size)
        limits.initialize(repeating: .init(0), count: 2 * size)
        order = .allocate(capacity: size)
        order.initialize(repeating: .init(0), count: size)
        filled = .create(0)
        overflowCount = .create(0)
    }

    deinit {
        states.deallocate()
        keys.deallocate()
        taken.deallocate()
        limits.deallocate()
        order.deallocate()
        filled.destroy()
        overflowCount.destroy()
    }

    /// Clicks capped because the table was full.
    public var overflows: Int { overflowCount.load(ordering: .relaxed) }

    // MARK: the hot path

    /// Lets one click through if the cap allows it, and counts it.
    ///
    /// - Parameters:
    ///   - period: `totalPeriod`, or the UTC day for a daily cap.
    ///   - max: the cap.
    /// - Returns: false when the cap is reached (or the table is full).
    @inlinable
    public func take(_ key: Key, period: Int64, max: Int64) -> Bool {
        guard let slot = slot(of: key, inserting: true) else {
            overflowCount.wrappingIncrement(ordering: .relaxed)
            return false
        }
        let word = slot * 2 + Int(period & 1)
        let tag = UInt64(period + 1) << Self.countBits
        let counter = UnsafeAtomic<UInt64>(at: taken + word)
        let limitWord = UnsafeAtomic<UInt64>(at: limits + word).load(ordering: .relaxed)
        let limit = limitWord & ~Self.countMask == tag ? Int64(limitWord & Self.countMask) : Swift.min(slice, max)
        var current = counter.load(ordering: .relaxed)
        while true {
            let count = current & ~Self.countMask == tag ? Int64(current & Self.countMask) : 0
            guard count < limit else { return false }
            let (exchanged, original) = counter.weakCompareExchange(
                expected: current, desired: tag | UInt64(count + 1), ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    /// Whether a click would be capped now, without counting it (for bots,
    /// which see the cap but do not use it up).
    @inlinable
    public func isReached(_ key: Key, period: Int64, max: Int64) -> Bool {
        let limit: Int64, count: Int64
        let tag = UInt64(period + 1) << Self.countBits
        if let slot = slot(of: key, inserting: false) {
            let word = slot * 2 + Int(period & 1)
            let limitWord = UnsafeAtomic<UInt64>(at: limits + word).load(ordering: .relaxed)
            limit = limitWord & ~Self.countMask == tag ? Int64(limitWord & Self.countMask) : Swift.min(slice, max)
            let current = UnsafeAtomic<UInt64>(at: taken + word).load(ordering: .relaxed)
            count = current & ~Self.countMask == tag ? Int64(current & Self.countMask) : 0
        } else {
            (limit, count) = (Swift.min(slice, max), 0)
        }
        return count >= limit
    }

    /// Gives back a click `take` let through (another cap of the same link refused it).
    @inlinable
    public func giveBack(_ key: Key, period: Int64) {
        guard let slot = slot(of: key, inserting: false) else { return }
        let tag = UInt64(period + 1) << Self.countBits
        let counter = UnsafeAtomic<UInt64>(at: taken + slot * 2 + Int(period & 1))
        var current = counter.load(ordering: .relaxed)
        while current & ~Self.countMask == tag && current & Self.countMask > 0 {
            let (exchanged, original) = counter.weakCompareExchange(expected: current, desired: current - 1, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// The slot holding `key`, placing it in a free one when asked. Probes at
    /// most 64 slots: past that the table counts as full.
    @inlinable
    func slot(of key: Key, inserting: Bool) -> Int? {
        let (high, low) = (key.high, key.low)
        var hash = (high ^ (low &* 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 31
        var slot = Int(truncatingIfNeeded: hash) & mask
        for _ in 0..<Swift.min(64, capacity) {
            let state = UnsafeAtomic<UInt8>(at: states + slot)
            var seen = state.load(ordering: .acquiring)
            if seen == 0 && inserting {
                if state.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged {
                    keys[slot] = (high, low)
                    state.store(2, ordering: .releasing)
                    let index = filled.loadThenWrappingIncrement(ordering: .relaxed)
                    UnsafeAtomic<Int>(at: order + index).store(slot + 1, ordering: .releasing)
                    return slot
                }
                seen = state.load(ordering: .acquiring)
            }
            if seen == 0 { return nil }
            while seen == 1 { seen = state.load(ordering: .acquiring) }  // another thread is writing the key: a few stores
            if keys[slot] == (high, low) { return slot }
            slot = (slot + 1) & mask
        }
        return nil
    }

    // MARK: the reporter's side

    /// One period of one counter, as the reporter reads it.
    public struct Reading: Sendable, Equatable {
        public var key: Key
        public var period: Int64
        public var taken: Int64
    }

    /// Calls `body` with every counter's periods that were ever used.
    public func forEachReading(_ body: (Reading) -> Void) {
        let count = Swift.min(filled.load(ordering: .relaxed), capacity)
        for index in 0..<count {
            let entry = UnsafeAtomic<Int>(at: order + index).load(ordering: .acquiring)
            guard entry > 0 else { continue }
            let slot = entry - 1
            let (high, low) = keys[slot]
            let key = Key(linkID: UInt32(high >> 32), cap: UInt8(low - 1), partnerID: UInt32(truncatingIfNeeded: high))
            for parity in 0..<2 {
                let word = UnsafeAtomic<UInt64>(at: taken + slot * 2 + parity).load(ordering: .relaxed)
                guard word != 0 else { continue }
                body(Reading(key: key, period: Int64(word >> Self.countBits) - 1, taken: Int64(word & Self.countMask)))
            }
        }
    }

    /// Sets how many clicks of `key` in `period` may be let through in all
    /// (counting those already taken); the reporter calls it after each answer
    /// of the store, and at start with the totals the store holds.
    public func setLimit(_ key: Key, period: Int64, _ limit: Int64) {
        guard let slot = slot(of: key, inserting: true) else { return }
        let tag = UInt64(period + 1) << Self.countBits
        UnsafeAtomic<UInt64>(at: limits + slot * 2 + Int(period & 1))
            .store(tag | UInt64(Swift.max(0, Swift.min(limit, Self.maxClicks))), ordering: .relaxed)
    }
}
