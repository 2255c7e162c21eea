import Atomics

/// A bounded, lock-free, single-producer single-consumer ring of fixed-size
/// values: how an edge worker hands clicks to the aggregator.
///
/// Thread contract: exactly one thread produces (`tryPush`) and exactly one
/// thread consumes (`drain`) for the life of the ring; they may be different
/// threads. `count` and `capacity` may be read from any thread.
///
/// Implementation (after Erik Rigtorp's SPSCQueue): `tail` is written only by
/// the producer and `head` only by the consumer, each on its own cache line.
/// The producer keeps a private copy of `head` next to `tail` and reads the
/// shared one only when its copy says the ring is full, so a push touches no
/// cache line the consumer writes. The consumer works in batches and reads
/// `tail` once per `drain`. A slot is published by the producer's releasing
/// store of `tail` after the element is written, and handed back by the
/// consumer's releasing store of `head` after it was read; the other side's
/// acquiring load of that index orders the element access. Indices grow
/// without wrapping (64 bits) and are masked into the storage.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    /// How many elements the ring holds; a power of two.
    public let capacity: Int
    @usableFromInline let mask: Int
    @usableFromInline let storage: UnsafeMutablePointer<Element>

    // Producer's line: `tail` (shared) and `cachedHead` (private).
    // Consumer's line: `head` (shared).
    @usableFromInline let lines: UnsafeMutableRawPointer
    @usableFromInline static var lineSize: Int { 128 }  // two cache lines: adjacent-line prefetch on x86

    @usableFromInline var tail: UnsafeAtomic<Int> { UnsafeAtomic(at: lines.assumingMemoryBound(to: UnsafeAtomic<Int>.Storage.self)) }
    @usableFromInline var cachedHead: UnsafeMutablePointer<Int> { (lines + 8).assumingMemoryBound(to: Int.self) }
    @usableFromInline var head: UnsafeAtomic<Int> {
        UnsafeAtomic(at: (lines + Self.lineSize).assumingMemoryBound(to: UnsafeAtomic<Int>.Storage.self))
    }

    /// - Parameter capacity: a power of two, at least 2.
    public init(capacity: Int) {
        precondition(capacity >= 2 && capacity & (capacity - 1) == 0, "ring capacity \(capacity) is not a power of two >= 2")
        self.capacity = capacity
        self.mask = capacity - 1
        self.storage = .allocate(capacity: capacity)
        self.lines = .allocate(byteCount: 2 * Self.lineSize, alignment: Self.lineSize)
        lines.initializeMemory(as: UInt8.self, repeating: 0, count: 2 * Self.lineSize)
        (lines).initializeMemory(as: UnsafeAtomic<Int>.Storage.self, repeating: .init(0), count: 1)
        (lines + Self.lineSize).initializeMemory(as: UnsafeAtomic<Int>.Storage.self, repeating: .init(0), count: 1)
    }

    deinit {
        storage.deallocate()
        lines.deallocate()
    }

    // MARK: producer

    /// Producer only. Writes one element in place through `write` and publishes
    /// it; returns false, without calling `write`, when the ring is full.
    /// Never blocks. Writing in place lets a large element be filled field by
    /// field, touching only what the click uses.
    @inlinable @inline(__always)
    public func tryPush(_ write: (UnsafeMutablePointer<Element>) -> Void) -> Bool {
        // Relaxed: only this thread writes `tail`.
        let tail = self.tail.load(ordering: .relaxed)
        if tail - cachedHead.pointee == capacity {
            // Acquiring: the consumer's reads of the slots it freed happen before we overwrite them.
            cachedHead.pointee = head.load(ordering: .acquiring)
            if tail - cachedHead.pointee == capacity { return false }
        }
        write(storage + (tail & mask))
        // Releasing: the element's bytes are visible before the consumer sees the new tail.
        self.tail.store(tail + 1, ordering: .releasing)
        return true
    }

    /// Producer only. Whether a push would succeed now. It stays true until
    /// the producer pushes, since only the consumer changes the ring meanwhile
    /// and it only frees slots.
    @inlinable @inline(__always)
    public func hasRoom() -> Bool {
        // Relaxed: only this thread writes `tail`.
        let tail = self.tail.load(ordering: .relaxed)
        if tail - cachedHead.pointee < capacity { return true }
        // Acquiring: as in `tryPush`.
        cachedHead.pointee = head.load(ordering: .acquiring)
        return tail - cachedHead.pointee < capacity
    }

    /// Producer only. Copies `element` in; false when the ring is full.
    @inlinable @inline(__always)
    public func tryPush(_ element: Element) -> Bool {
        tryPush { $0.initialize(to: element) }
    }

    // MARK: consumer

    /// Consumer only. Hands up to `limit` published elements to `body`, in
    /// order and in at most two contiguous runs, then frees their slots.
    /// Returns how many were consumed; 0 when the ring is empty. `body` must not
    /// keep the buffer: its slots are reused once `drain` returns.
    @inlinable
    public func drain(limit: Int = .max, _ body: (UnsafeBufferPointer<Element>) -> Void) -> Int {
        // Relaxed: only this thread writes `head`.
        let head = self.head.load(ordering: .relaxed)
        // Acquiring: the producer's element writes happen before we read them.
        let tail = self.tail.load(ordering: .acquiring)
        let available = min(tail - head, limit)
        guard available > 0 else { return 0 }
        let start = head & mask
        let firstRun = min(available, capacity - start)
        body(UnsafeBufferPointer(start: storage + start, count: firstRun))
        if firstRun < available {
            body(UnsafeBufferPointer(start: storage, count: available - firstRun))
        }
        // Releasing: our reads of the slots are done before the producer may reuse them.
        self.head.store(head + available, ordering: .releasing)
        return available
    }

    // MARK: any thread

    /// Elements published and not yet consumed. Exact on the consumer's thread
    /// when the producer is idle; otherwise a recent value.
    public var count: Int {
        let head = self.head.load(ordering: .relaxed)
        let tail = self.tail.load(ordering: .relaxed)
        return max(0, min(capacity, tail - head))
    }

    /// How full the ring is, from 0 to 1.
    public var fill: Double { Double(count) / Double(capacity) }
}
