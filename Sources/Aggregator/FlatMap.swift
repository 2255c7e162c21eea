import ClickModel
import Domain

/// A key of a `FlatMap`: fixed-size, with a cheap hash and a value that never
/// occurs as a real key (it marks empty slots).
public protocol FlatKey: Equatable, BitwiseCopyable {
    var flatHash: UInt64 { get }
    static var vacant: Self { get }
}

extension UInt64: FlatKey {
    @inlinable public var flatHash: UInt64 { FastHash.mix(self) }
    /// Ids and fingerprints are never 0.
    @inlinable public static var vacant: UInt64 { 0 }
}

extension LinkPartnerAd: FlatKey {
    @inlinable public var flatHash: UInt64 { FastHash.combine(UInt64(linkID) << 32 | UInt64(partnerID), UInt64(adID)) }
    /// Recorded clicks always have a link.
    @inlinable public static var vacant: LinkPartnerAd { LinkPartnerAd(linkID: 0, partnerID: 0, adID: 0) }
}

/// An open-addressing hash map (linear probing, at most half full) for the
/// aggregator's thread: fixed-size keys and values in two flat arrays, no
/// per-entry allocation and a hash of a few multiplications. `Dictionary`
/// hashes with SipHash, which alone would spend the aggregator's budget of
/// about 100 ns per click.
///
/// Not thread-safe: one thread owns it. There is no removal but `removeAll`.
/// Its stored properties opt out of dynamic exclusivity checks: the owning
/// thread never overlaps accesses, and the checks would cost more than the work.
public final class FlatMap<Key: FlatKey, Value: BitwiseCopyable> {
    /// A key and its value side by side: a lookup that finds its key has its
    /// value in the same cache line (or the next).
    @usableFromInline
    struct Entry {
        var key: Key
        var value: Value
    }

    @exclusivity(unchecked) public private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var entries: UnsafeMutablePointer<Entry>

    public init(minimumCapacity: Int = 16) {
        var capacity = 16
        while capacity < minimumCapacity * 2 { capacity <<= 1 }
        self.capacity = capacity
        self.entries = Self.allocateVacant(capacity)
    }

    deinit {
        entries.deallocate()
    }

    private static func allocateVacant(_ capacity: Int) -> UnsafeMutablePointer<Entry> {
        let entries = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
        // Only keys are read before a slot is filled; the values stay uninitialised (trivial type).
        for slot in 0..<capacity { (entries + slot).pointer(to: \.key)!.initialize(to: .vacant) }
        return entries
    }

    /// Calls `body` with the value of `key`, inserting `initial` first when absent.
    @inline(__always)
    public func update<R>(_ key: Key, initial: Value, _ body: (inout Value) -> R) -> R {
        let slot = findOrInsert(key, initial: initial)
        return body(&entries[slot].value)
    }

    /// Inserts `key` with `value` unless present. Returns whether it was inserted.
    @inline(__always)
    public func insert(_ key: Key, value: Value) -> Bool {
        let before = count
        _ = findOrInsert(key, initial: value)
        return count > before
    }

    /// The key stored in `key`'s first slot (vacant or not). Loading it brings
    /// that slot's cache line in; callers use it to overlap the misses of
    /// several lookups before doing them.
    @inline(__always)
    public func firstSlotKey(_ key: Key) -> Key {
        entries[Int(truncatingIfNeeded: key.flatHash) & (capacity - 1)].key
    }

    public subscript(key: Key) -> Value? {
        let mask = capacity - 1
        var slot = Int(truncatingIfNeeded: key.flatHash) & mask
        while true {
            let stored = entries[slot].key
            if stored == key { return entries[slot].value }
            if stored == .vacant { return nil }
            slot = (slot + 1) & mask
        }
    }

    /// Every entry, in no particular order.
    public func forEach(_ body: (Key, Value) -> Void) {
        for slot in 0..<capacity where entries[slot].key != .vacant { body(entries[slot].key, entries[slot].value) }
    }

    public func removeAll() {
        for slot in 0..<capacity { entries[slot].key = .vacant }
        count = 0
    }

    @inline(__always)
    private func findOrInsert(_ key: Key, initial: Value) -> Int {
        precondition(key != .vacant, "the vacant key cannot be stored")
        var mask = capacity - 1
        var slot = Int(truncatingIfNeeded: key.flatHash) & mask
        while true {
            let stored = entries[slot].key
            if stored == key { return slot }
            if stored == .vacant { break }
            slot = (slot + 1) & mask
        }
        if (count + 1) * 2 > capacity {
            grow()
            mask = capacity - 1
            slot = Int(truncatingIfNeeded: key.flatHash) & mask
            while entries[slot].key != .vacant { slot = (slot + 1) & mask }
        }
        entries[slot] = Entry(key: key, value: initial)
        count += 1
        return slot
    }

    private func grow() {
        let old = entries, oldCapacity = capacity
        capacity *= 2
        entries = Self.allocateVacant(capacity)
        let mask = capacity - 1
        for index in 0..<oldCapacity where old[index].key != .vacant {
            var slot = Int(truncatingIfNeeded: old[index].key.flatHash) & mask
            while entries[slot].key != .vacant { slot = (slot + 1) & mask }
            entries[slot] = old[index]
        }
        old.deallocate()
    }
}
