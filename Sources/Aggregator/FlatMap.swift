import ClickModel
import Store

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
    @exclusivity(unchecked) public private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var keys: UnsafeMutablePointer<Key>
    @exclusivity(unchecked) private var values: UnsafeMutablePointer<Value>

    public init(minimumCapacity: Int = 16) {
        var capacity = 16
        while capacity < minimumCapacity * 2 { capacity <<= 1 }
        self.capacity = capacity
        self.keys = .allocate(capacity: capacity)
        self.keys.initialize(repeating: .vacant, count: capacity)
        self.values = .allocate(capacity: capacity)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// Calls `body` with the value of `key`, inserting `initial` first when absent.
    @inline(__always)
    public func update<R>(_ key: Key, initial: Value, _ body: (inout Value) -> R) -> R {
        let slot = findOrInsert(key, initial: initial)
        return body(&values[slot])
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
        keys[Int(truncatingIfNeeded: key.flatHash) & (capacity - 1)]
    }

    public subscript(key: Key) -> Value? {
        let mask = capacity - 1
        var slot = Int(truncatingIfNeeded: key.flatHash) & mask
        while true {
            let stored = keys[slot]
            if stored == key { return values[slot] }
            if stored == .vacant { return nil }
            slot = (slot + 1) & mask
        }
    }

    /// Every entry, in no particular order.
    public func forEach(_ body: (Key, Value) -> Void) {
        for slot in 0..<capacity where keys[slot] != .vacant { body(keys[slot], values[slot]) }
    }

    public func removeAll() {
        keys.update(repeating: .vacant, count: capacity)
        count = 0
    }

    @inline(__always)
    private func findOrInsert(_ key: Key, initial: Value) -> Int {
        precondition(key != .vacant, "the vacant key cannot be stored")
        var mask = capacity - 1
        var slot = Int(truncatingIfNeeded: key.flatHash) & mask
        while true {
            let stored = keys[slot]
            if stored == key { return slot }
            if stored == .vacant { break }
            slot = (slot + 1) & mask
        }
        if (count + 1) * 2 > capacity {
            grow()
            mask = capacity - 1
            slot = Int(truncatingIfNeeded: key.flatHash) & mask
            while keys[slot] != .vacant { slot = (slot + 1) & mask }
        }
        keys[slot] = key
        values.advanced(by: slot).initialize(to: initial)
        count += 1
        return slot
    }

    private func grow() {
        let oldKeys = keys, oldValues = values, oldCapacity = capacity
        capacity *= 2
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: .vacant, count: capacity)
        values = .allocate(capacity: capacity)
        let mask = capacity - 1
        for old in 0..<oldCapacity where oldKeys[old] != .vacant {
            var slot = Int(truncatingIfNeeded: oldKeys[old].flatHash) & mask
            while keys[slot] != .vacant { slot = (slot + 1) & mask }
            keys[slot] = oldKeys[old]
            values.advanced(by: slot).initialize(to: oldValues[old])
        }
        oldKeys.deallocate()
        oldValues.deallocate()
    }
}
