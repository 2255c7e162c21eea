/// An IPv4 or IPv6 address as the edge keeps it: its bytes in network order,
/// the way the kernel hands them over (`sin_addr`, `sin6_addr`), in two
/// words. Parsed from text without allocating, for `X-Forwarded-For` and the
/// PROXY protocol on the worker threads.
public struct IPAddress: Sendable, BitwiseCopyable, Equatable, Hashable, CustomStringConvertible {
    /// The bytes in memory order: an IPv4 address in the first four bytes.
    public var words: (UInt64, UInt64)
    /// 4 or 16; 0 for none.
    public var length: UInt8

    @inlinable
    public init(words: (UInt64, UInt64), length: UInt8) {
        self.words = words
        self.length = length
    }

    public static let none = IPAddress(words: (0, 0), length: 0)

    /// Byte `index` (0 is the first byte on the wire).
    @inlinable
    public func byte(_ index: Int) -> UInt8 {
        let word = index < 8 ? words.0 : words.1
        return UInt8(truncatingIfNeeded: word >> (UInt64(index % 8) * 8))
    }

    /// Sets byte `index` (0 is the first byte on the wire).
    @inlinable
    public mutating func setByte(_ index: Int, _ value: UInt8) {
        let shift = UInt64(index % 8) * 8
        if index < 8 {
            words.0 = words.0 & ~(0xFF << shift) | UInt64(value) << shift
        } else {
            words.1 = words.1 & ~(0xFF << shift) | UInt64(value) << shift
        }
    }

    /// `1.2.3.4`, or IPv6 text (`2001:db8::1`, `::ffff:1.2.3.4`). An IPv6
    /// address that maps an IPv4 one is kept as that IPv4 address, so one
    /// client is one address whichever way it is written. Nil for anything
    /// else (a port, brackets, a zone, spaces).
    @inlinable
    public static func parse(_ text: UnsafeRawBufferPointer) -> IPAddress? {
        guard !text.isEmpty, text.count <= 45 else { return nil }
        var hasColon = false
        for byte in text where byte == UInt8(ascii: ":") { hasColon = true; break }
        return hasColon ? parseV6(text) : parseV4(text, from: 0, to: text.count)
    }

    public static func parse(_ text: String) -> IPAddress? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    @inlinable
    static func parseV4(_ text: UnsafeRawBufferPointer, from start: Int, to end: Int) -> IPAddress? {
        var address = IPAddress(words: (0, 0), length: 4)
        var part = 0, value = 0, digits = 0
        var i = start
        while i <= end {
            let byte: UInt8 = i < end ? text[i] : UInt8(ascii: ".")
            if byte == UInt8(ascii: ".") {
                // No empty parts, no leading zeros (`01` is octal to some parsers), at most 255.
                guard digits > 0, part < 4 else { return nil }
                address.setByte(part, UInt8(value))
                part += 1
                value = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if digits == 1 && value == 0 { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                guard value <= 255 else { return nil }
            } else {
                return nil
            }
            i += 1
        }
        return part == 4 ? address : nil
    }

    @inlinable
    static func parseV6(_ text: UnsafeRawBufferPointer) -> IPAddress? {
        // Up to eight groups; `::` once, standing for as many zero groups as are missing.
        var groups: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var gap = -1
        var i = 0
        let end = text.count
        func set(_ index: Int, _ value: UInt16) {
            withUnsafeMutableBytes(of: &groups) { $0.storeBytes(of: value, toByteOffset: index * 2, as: UInt16.self) }
        }
        if end >= 2 && text[0] == UInt8(ascii: ":") {
            guard text[1] == UInt8(ascii: ":") else { return nil }
            gap = 0
            i = 2
        }
        while i < end {
            // One group: up to four hex digits, or a dotted IPv4 tail.
            let start = i
            var value = 0
            while i < end, let digit = hex(text[i]) {
                value = value << 4 | digit
                i += 1
                guard i - start <= 4 else { return nil }
            }
            if i < end && text[i] == UInt8(ascii: ".") {
                guard count <= 6, let tail = parseV4(text, from: start, to: end) else { return nil }
                set(count, UInt16(tail.byte(0)) << 8 | UInt16(tail.byte(1)))
                set(count + 1, UInt16(tail.byte(2)) << 8 | UInt16(tail.byte(3)))
                count += 2
                i = end
                break
            }
            guard i > start, count < 8 else { return nil }
            set(count, UInt16(value))
            count += 1
            guard i < end else { break }
            guard text[i] == UInt8(ascii: ":"), i + 1 < end else { return nil }
            i += 1
            if text[i] == UInt8(ascii: ":") {
                guard gap < 0 else { return nil }
                gap = count
                i += 1
            }
        }
        guard gap >= 0 ? count < 8 : count == 8 else { return nil }
        var address = IPAddress(words: (0, 0), length: 16)
        let missing = 8 - count
        withUnsafeBytes(of: groups) { raw in
            for index in 0..<count {
                let value = raw.load(fromByteOffset: index * 2, as: UInt16.self)
                let position = gap >= 0 && index >= gap ? index + missing : index
                address.setByte(position * 2, UInt8(value >> 8))
                address.setByte(position * 2 + 1, UInt8(truncatingIfNeeded: value))
            }
        }
        return address.unmapped
    }

    @inlinable
    static func hex(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    /// `::ffff:a.b.c.d` as the IPv4 address `a.b.c.d`; any other address as it is.
    @inlinable
    public var unmapped: IPAddress {
        guard length == 16, words.0 == 0, words.1 & 0xFFFF_FFFF == 0xFFFF_0000 else { return self }
        return IPAddress(words: (words.1 >> 32, 0), length: 4)
    }

    /// The text form of RFC 5952 for IPv6 (`2001:db8::1`): lower case, no
    /// leading zeros, the longest run of two or more zero groups (the first of
    /// equal runs) written `::`.
    public var description: String {
        switch length {
        case 4: return "\(byte(0)).\(byte(1)).\(byte(2)).\(byte(3))"
        case 16:
            let groups = stride(from: 0, to: 16, by: 2).map { UInt16(byte($0)) << 8 | UInt16(byte($0 + 1)) }
            var longest = 0..<0, run = 0..<0
            for (index, group) in groups.enumerated() {
                guard group == 0 else { continue }
                run = run.upperBound == index && !run.isEmpty ? run.lowerBound..<index + 1 : index..<index + 1
                if run.count > longest.count { longest = run }
            }
            func text(_ groups: ArraySlice<UInt16>) -> String { groups.map { String($0, radix: 16) }.joined(separator: ":") }
            guard longest.count >= 2 else { return text(groups[...]) }
            return text(groups[..<longest.lowerBound]) + "::" + text(groups[longest.upperBound...])
        default: return "none"
        }
    }

    public static func == (a: IPAddress, b: IPAddress) -> Bool {
        a.length == b.length && a.words.0 == b.words.0 && a.words.1 == b.words.1
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(length)
    }
}

/// An address range in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`; a bare
/// address is the range of that one address).
public struct IPRange: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    /// Leading bits that must match: 0...32 for IPv4, 0...128 for IPv6.
    public var prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress.parse(String(parts[0])) else { return nil }
        let written = parts[0].contains(":") ? 128 : 32
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), String(prefix) == parts[1], (0...written).contains(prefix) else { return nil }
            // A prefix written on a mapped IPv6 address counts its 96 leading bits.
            self.prefix = written == 128 && address.length == 4 ? max(0, prefix - 96) : prefix
        } else {
            self.prefix = Int(address.length) * 8
        }
        self.address = address
    }

    /// Whether `candidate` is in the range (an IPv4 address is never in an IPv6 range, nor the reverse).
    @inlinable
    public func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.length == address.length else { return false }
        var remaining = prefix
        var index = 0
        while remaining >= 8 {
            if candidate.byte(index) != address.byte(index) { return false }
            remaining -= 8
            index += 1
        }
        guard remaining > 0 else { return true }
        let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - remaining))
        return candidate.byte(index) & mask == address.byte(index) & mask
    }

    public var description: String { "\(address)/\(prefix)" }
}
