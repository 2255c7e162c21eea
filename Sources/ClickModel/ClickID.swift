/// A click id: a 128-bit ULID, 48 bits of milliseconds since the Unix epoch
/// followed by 80 bits that make it unique, written as 26 characters of
/// Crockford's base32 (`0-9 A-Z` without `I L O U`). Sorting ids sorts clicks by
/// time.
///
/// Ids made by `ClickIDGenerator` are unique across nodes and worker threads
/// without coordination: the 80 low bits are `node (12) | worker (8) |
/// sequence (60)`, and each worker's sequence only ever increases.
public struct ClickID: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var rawValue: UInt128

    /// The length of the text form.
    public static let textLength = 26

    @inlinable
    public init(rawValue: UInt128) { self.rawValue = rawValue }

    /// The id with the given time and low bits.
    @inlinable
    public init(milliseconds: UInt64, low80 low: UInt128) {
        self.rawValue = (UInt128(milliseconds & 0xFFFF_FFFF_FFFF) &<< 80) | (low & ClickID.low80Mask)
    }

    @usableFromInline static let low80Mask: UInt128 = (1 &<< 80) - 1

    /// Milliseconds since the Unix epoch at which the click was made.
    @inlinable
    public var milliseconds: UInt64 { UInt64(truncatingIfNeeded: rawValue &>> 80) }

    /// The smallest id of a given millisecond: a lower bound for range queries by time.
    @inlinable
    public static func lowerBound(milliseconds: UInt64) -> ClickID {
        ClickID(milliseconds: milliseconds, low80: 0)
    }

    @inlinable
    public static func < (lhs: ClickID, rhs: ClickID) -> Bool { lhs.rawValue < rhs.rawValue }

    @usableFromInline
    static let alphabet: StaticString = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

    /// Writes the 26-character text form to `destination`, which must have room for it.
    @inlinable
    public func write(to destination: UnsafeMutableRawPointer) {
        let symbols = ClickID.alphabet.utf8Start
        var value = rawValue
        var index = ClickID.textLength - 1
        while index >= 0 {
            destination.storeBytes(of: symbols[Int(truncatingIfNeeded: value & 31)], toByteOffset: index, as: UInt8.self)
            value &>>= 5
            index -= 1
        }
    }

    public var description: String {
        String(unsafeUninitializedCapacity: ClickID.textLength) { buffer in
            write(to: UnsafeMutableRawPointer(buffer.baseAddress!))
            return ClickID.textLength
        }
    }

    /// Calls `body` with the 16 bytes of the id, most significant first, as
    /// the stores keep it (so that bytes sort as ids).
    @inlinable
    public func withBigEndianBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: (UInt64(truncatingIfNeeded: rawValue &>> 64).bigEndian, UInt64(truncatingIfNeeded: rawValue).bigEndian), body)
    }

    /// The 16 bytes of the id, most significant first.
    public var bigEndianBytes: [UInt8] { withBigEndianBytes { Array($0) } }

    /// An id from its 16 big-endian bytes.
    public init?(bigEndianBytes bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var value: UInt128 = 0
        for byte in bytes { value = (value &<< 8) | UInt128(byte) }
        self.rawValue = value
    }

    /// Parses the text form, ignoring case. Nil for anything but 26 symbols of
    /// the alphabet whose value fits in 128 bits.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count == ClickID.textLength else { return nil }
        var value: UInt128 = 0
        for (index, byte) in utf8.enumerated() {
            guard let digit = ClickID.decode(byte) else { return nil }
            if index == 0 && digit > 7 { return nil }  // would overflow 128 bits
            value = (value &<< 5) | UInt128(digit)
        }
        self.rawValue = value
    }

    private static func decode(_ byte: UInt8) -> UInt8? {
        let upper = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) ? byte - 32 : byte
        switch upper {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return upper - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "H"): return upper - UInt8(ascii: "A") + 10
        case UInt8(ascii: "J"), UInt8(ascii: "K"): return upper - UInt8(ascii: "J") + 18
        case UInt8(ascii: "M"), UInt8(ascii: "N"): return upper - UInt8(ascii: "M") + 20
        case UInt8(ascii: "P")...UInt8(ascii: "T"): return upper - UInt8(ascii: "P") + 22
        case UInt8(ascii: "V")...UInt8(ascii: "Z"): return upper - UInt8(ascii: "V") + 27
        default: return nil
        }
    }
}

/// Makes the click ids of one worker thread. Not thread-safe: each worker owns one.
///
/// Ids of one generator strictly increase, also when the wall clock steps back
/// (the last millisecond is kept until the clock passes it again).
public struct ClickIDGenerator: Sendable {
    /// Node ids fit in 12 bits.
    public static let nodeRange: ClosedRange<Int> = 0...4095
    /// Worker ids fit in 8 bits.
    public static let workerRange: ClosedRange<Int> = 0...255

    @usableFromInline let prefix: UInt128
    @usableFromInline var sequence: UInt64
    @usableFromInline var lastMilliseconds: UInt64 = 0

    @usableFromInline static let sequenceMask: UInt64 = (1 &<< 60) - 1

    /// - Parameters:
    ///   - node: the node id (`--node-id`), 0...4095.
    ///   - worker: the worker thread's index, 0...255.
    ///   - seed: where the sequence starts; a random value by default. It starts
    ///     in the lower half of its 60 bits, so it cannot wrap in practice.
    public init(node: Int, worker: Int, seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        precondition(Self.nodeRange.contains(node), "node id \(node) outside \(Self.nodeRange)")
        precondition(Self.workerRange.contains(worker), "worker id \(worker) outside \(Self.workerRange)")
        self.prefix = (UInt128(node) &<< 68) | (UInt128(worker) &<< 60)
        self.sequence = seed & (Self.sequenceMask &>> 1)
    }

    /// The next id, for a click made at `milliseconds` since the Unix epoch.
    @inlinable
    public mutating func next(milliseconds: UInt64) -> ClickID {
        if milliseconds > lastMilliseconds { lastMilliseconds = milliseconds }
        sequence = (sequence &+ 1) & Self.sequenceMask
        return ClickID(milliseconds: lastMilliseconds, low80: prefix | UInt128(sequence))
    }
}
