/// The query string of a tracking URL: passed on to the destination, with its
/// `sub1`...`sub5` kept on the click. Works on raw bytes and allocates nothing.
public enum QueryString {
    /// Calls `body` with each `&`-separated parameter that is not empty: the
    /// whole parameter, and its name (the bytes before the first `=`).
    @inlinable
    public static func forEachParameter(
        _ query: UnsafeRawBufferPointer,
        _ body: (_ parameter: ByteRange, _ name: ByteRange) -> Void
    ) {
        var start = 0
        var position = 0
        let count = query.count
        while position <= count {
            if position < count && query[position] != UInt8(ascii: "&") {
                position += 1
                continue
            }
            if position > start {
                var nameEnd = start
                while nameEnd < position && query[nameEnd] != UInt8(ascii: "=") { nameEnd += 1 }
                body(ByteRange(start, position), ByteRange(start, nameEnd))
            }
            position += 1
            start = position
        }
    }

    /// Whether a parameter name, once percent-decoded (and `+` read as a space),
    /// equals `literal` exactly. `c%6Ck` equals `clk`.
    @inlinable
    public static func decodedName(_ name: UnsafeRawBufferPointer, equals literal: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        var j = 0
        while i < name.count {
            guard j < literal.count else { return false }
            let (byte, width) = decodedByte(name, at: i)
            if byte != literal[j] { return false }
            i += width
            j += 1
        }
        return j == literal.count
    }

    /// Which sub id a parameter name is: 0 for `sub1` ... 4 for `sub5`, or nil.
    /// Names are compared after percent-decoding, case-sensitively.
    @inlinable
    public static func subIDIndex(_ name: UnsafeRawBufferPointer) -> Int? {
        guard name.count >= 4, name.count <= 12 else { return nil }
        var decoded: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        var i = 0
        var j = 0
        while i < name.count {
            guard j < 4 else { return nil }
            let (byte, width) = decodedByte(name, at: i)
            switch j {
            case 0: decoded.0 = byte
            case 1: decoded.1 = byte
            case 2: decoded.2 = byte
            default: decoded.3 = byte
            }
            i += width
            j += 1
        }
        guard j == 4, decoded.0 == UInt8(ascii: "s"), decoded.1 == UInt8(ascii: "u"), decoded.2 == UInt8(ascii: "b"),
              decoded.3 >= UInt8(ascii: "1"), decoded.3 <= UInt8(ascii: "5") else { return nil }
        return Int(decoded.3 - UInt8(ascii: "1"))
    }

    /// Whether the query has a parameter named `sub1`...`sub5`.
    @inlinable
    public static func hasSubID(_ query: UnsafeRawBufferPointer) -> Bool {
        var found = false
        forEachParameter(query) { _, name in
            if !found && subIDIndex(name.bytes(in: query)) != nil { found = true }
        }
        return found
    }

    /// Reads every `sub1`...`sub5` of the query into `subIDs` (the others empty).
    @inlinable
    public static func storeSubIDs(_ query: UnsafeRawBufferPointer, into subIDs: inout SubIDs) {
        for index in 0..<SubIDs.count { subIDs.reset(index) }
        forEachParameter(query) { parameter, name in
            guard let index = subIDIndex(name.bytes(in: query)) else { return }
            let valueStart = min(Int(name.end) + 1, Int(parameter.end))
            storeSubID(ByteRange(valueStart, Int(parameter.end)).bytes(in: query), index: index, into: &subIDs)
        }
    }

    /// Stores a parameter's value, percent-decoded and with `+` read as a space,
    /// as sub id `index`, cut to 64 bytes at a character boundary, bytes that
    /// are not well-formed UTF-8 replaced with `?`. A later
    /// parameter of the same name replaces an earlier one.
    @inlinable
    public static func storeSubID(_ value: UnsafeRawBufferPointer, index: Int, into subIDs: inout SubIDs) {
        subIDs.reset(index)
        var i = 0
        while i < value.count {
            let (byte, width) = decodedByte(value, at: i)
            if !subIDs.append(byte, to: index) { break }
            i += width
        }
        subIDs.trimPartialCharacter(index)
        subIDs.replaceInvalidUTF8(index)
    }

    /// The byte at `offset` once decoded, and how many input bytes it took:
    /// `%4A` is one byte from three, `+` is a space, a `%` without two hex
    /// digits after it stands for itself.
    @inlinable @inline(__always)
    public static func decodedByte(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (UInt8, Int) {
        let byte = bytes[offset]
        if byte == UInt8(ascii: "+") { return (UInt8(ascii: " "), 1) }
        if byte == UInt8(ascii: "%"), offset + 2 < bytes.count,
           let high = hexValue(bytes[offset + 1]), let low = hexValue(bytes[offset + 2]) {
            return (high << 4 | low, 3)
        }
        return (byte, 1)
    }

    @inlinable @inline(__always)
    public static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Whether a byte may stand unencoded in a query passed on in a Location
    /// header: RFC 3986's unreserved and sub-delimiter characters, `:`, `@`,
    /// `/` and `?`. `%` is handled apart: kept only before two hex digits.
    @inlinable @inline(__always)
    public static func isQuerySafe(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="),
             UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "?"):
            true
        default:
            false
        }
    }

    /// Appends a query parameter so that the result is correctly percent-encoded:
    /// safe bytes as they are, valid `%XX` escapes as they are, everything else
    /// (controls, space, quotes, `<>`, non-ASCII, a stray `%`) as `%XX`.
    /// Writes at most three bytes per input byte.
    @inlinable
    public static func appendEncoded(_ bytes: UnsafeRawBufferPointer, to writer: inout ByteWriter) {
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if isQuerySafe(byte) {
                writer.append(byte)
            } else if byte == UInt8(ascii: "%"), i + 2 < bytes.count,
                      hexValue(bytes[i + 1]) != nil, hexValue(bytes[i + 2]) != nil {
                writer.append(byte)
            } else {
                writer.append(UInt8(ascii: "%"))
                writer.append(hexDigit(byte >> 4))
                writer.append(hexDigit(byte & 0x0F))
            }
            i += 1
        }
    }

    @inlinable @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
    }
}
