/// A range of byte offsets into a buffer the caller owns (the edge's read
/// buffer). Two `Int32`s, so results that carry several stay small and trivial.
public struct ByteRange: Equatable, Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var start: Int32
    public var end: Int32

    @inlinable
    public init(_ start: Int, _ end: Int) {
        self.start = Int32(truncatingIfNeeded: start)
        self.end = Int32(truncatingIfNeeded: end)
    }

    @inlinable public var count: Int { Int(end - start) }
    @inlinable public var isEmpty: Bool { end == start }

    /// The bytes of this range in `buffer`.
    @inlinable
    public func bytes(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[Int(start)..<Int(end)])
    }

    public var description: String { "\(start)..<\(end)" }
}

/// Appends bytes to memory the caller owns and sized beforehand: the edge's
/// output buffer. Writing past the capacity is a programming error and traps.
public struct ByteWriter {
    public let base: UnsafeMutableRawPointer
    public let capacity: Int
    @usableFromInline var _count: Int

    /// Bytes written so far.
    @inlinable public var count: Int { _count }

    @inlinable
    public init(base: UnsafeMutableRawPointer, capacity: Int, count: Int = 0) {
        self.base = base
        self.capacity = capacity
        self._count = count
    }

    @inlinable public var remaining: Int { capacity - count }

    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) {
        precondition(count < capacity, "ByteWriter overflow")
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        _count += 1
    }

    @inlinable
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(bytes.count <= remaining, "ByteWriter overflow")
        (base + count).copyMemory(from: source, byteCount: bytes.count)
        _count += bytes.count
    }

    @inlinable
    public mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends a non-negative integer in decimal.
    @inlinable
    public mutating func appendDecimal(_ value: Int) {
        precondition(value >= 0)
        var digits = 1
        var probe = value
        while probe >= 10 { probe /= 10; digits += 1 }
        precondition(digits <= remaining, "ByteWriter overflow")
        var rest = value
        var index = count + digits - 1
        repeat {
            base.storeBytes(of: UInt8(ascii: "0") + UInt8(rest % 10), toByteOffset: index, as: UInt8.self)
            rest /= 10
            index -= 1
        } while rest > 0
        _count += digits
    }

    /// Appends a click id's 26 characters.
    @inlinable
    public mutating func append(_ id: ClickID) {
        precondition(ClickID.textLength <= remaining, "ByteWriter overflow")
        id.write(to: base + count)
        _count += ClickID.textLength
    }

    /// The bytes written so far.
    @inlinable
    public var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Forgets everything written.
    @inlinable
    public mutating func removeAll() { _count = 0 }
}
