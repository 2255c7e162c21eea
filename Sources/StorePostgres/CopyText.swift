import NIOCore

/// Rows in the text format of PostgreSQL's `COPY ... FROM STDIN`: a row per
/// line, its columns separated by tabs. Only integers, written by hand: a
/// batch's rollups are some 84,000 of them.
struct CopyText {
    private(set) var buffer: ByteBuffer

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Appends a column; `endsRow` ends the line after it.
    mutating func append(_ value: Int64, endsRow: Bool = false) {
        if value < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var first = digits.count
            repeat {
                first -= 1
                digits[first] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: digits[first...])))
        }
        buffer.writeInteger(endsRow ? UInt8(ascii: "\n") : UInt8(ascii: "\t"))
    }
}
