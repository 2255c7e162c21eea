import ClickModel

/// The load balancers whose word the edge takes for the client's address
/// (`--trusted-proxies`): from them, the PROXY protocol (v1 or v2) and
/// `X-Forwarded-For` name the client; from anyone else both are ignored (a
/// PROXY header from another peer is not HTTP, and is refused as such).
public struct TrustedProxies: Sendable {
    public let ranges: [IPRange]

    public init(_ ranges: [IPRange] = []) {
        self.ranges = ranges
    }

    @inlinable public var isEmpty: Bool { ranges.isEmpty }

    @inlinable
    public func contains(_ address: IPAddress) -> Bool {
        for range in ranges where range.contains(address) { return true }
        return false
    }

    /// The client behind `peer`: the peer itself unless it is trusted; then
    /// the rightmost address of `X-Forwarded-For` that is not trusted (each
    /// proxy appends the address it was reached from). An entry that is not
    /// an address ends the walk: what lies left of it cannot be trusted.
    @inlinable
    public func client(peer: IPAddress, forwardedFor: UnsafeRawBufferPointer) -> IPAddress {
        guard !forwardedFor.isEmpty, contains(peer) else { return peer }
        var client = peer
        var end = forwardedFor.count
        while end > 0 {
            var start = end
            while start > 0 && forwardedFor[start - 1] != UInt8(ascii: ",") { start -= 1 }
            var from = start, to = end
            while from < to && (forwardedFor[from] == UInt8(ascii: " ") || forwardedFor[from] == UInt8(ascii: "\t")) { from += 1 }
            while to > from && (forwardedFor[to - 1] == UInt8(ascii: " ") || forwardedFor[to - 1] == UInt8(ascii: "\t")) { to -= 1 }
            guard let entry = IPAddress.parse(UnsafeRawBufferPointer(rebasing: forwardedFor[from..<to])) else { return client }
            client = entry
            if !contains(entry) { return entry }
            end = start - 1
        }
        return client
    }
}

/// The PROXY protocol header a load balancer sends first on a connection
/// (haproxy.org's proxy-protocol.txt, versions 1 and 2).
public enum ProxyHeader {
    public enum Result: Equatable {
        /// The header is `length` bytes; the client is `source` (nil for a
        /// v2 LOCAL connection or v1 UNKNOWN: the peer itself, a health check).
        case header(length: Int, source: IPAddress?)
        /// Not a PROXY header: the connection starts with HTTP.
        case absent
        /// Could still be one: wait for more bytes.
        case incomplete
        /// Starts like one and is not: the connection is closed.
        case malformed
    }

    /// Byte `index` of the v2 signature, `\r\n\r\n\0\r\nQUIT\n`.
    @inlinable
    static func v2Signature(_ index: Int) -> UInt8 {
        switch index {
        case 0, 2, 5: 0x0D
        case 1, 3, 6, 11: 0x0A
        case 7: UInt8(ascii: "Q")
        case 8: UInt8(ascii: "U")
        case 9: UInt8(ascii: "I")
        case 10: UInt8(ascii: "T")
        default: 0x00
        }
    }

    /// The v1 header is at most 107 bytes, CRLF included.
    public static let v1MaxLength = 107

    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result {
        let v1 = "PROXY ".utf8
        if bytes.isEmpty { return .incomplete }
        if bytes[0] == UInt8(ascii: "P") {
            var index = 0
            for expected in v1 {
                guard index < bytes.count else { return .incomplete }
                guard bytes[index] == expected else { return .absent }
                index += 1
            }
            return parseV1(bytes)
        }
        if bytes[0] == 0x0D {
            for index in 0..<12 {
                guard index < bytes.count else { return .incomplete }
                guard bytes[index] == v2Signature(index) else { return .absent }
            }
            return parseV2(bytes)
        }
        return .absent
    }

    /// `PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n` (or `TCP6`, or `UNKNOWN ...`).
    @inlinable
    static func parseV1(_ bytes: UnsafeRawBufferPointer) -> Result {
        var end = -1
        for index in 6..<min(bytes.count, v1MaxLength) where bytes[index] == UInt8(ascii: "\n") {
            end = index
            break
        }
        guard end > 0 else { return bytes.count >= v1MaxLength ? .malformed : .incomplete }
        guard bytes[end - 1] == UInt8(ascii: "\r") else { return .malformed }
        let line = UnsafeRawBufferPointer(rebasing: bytes[6..<(end - 1)])
        // Fields separated by single spaces.
        var fields: (ByteRange, ByteRange, ByteRange, ByteRange, ByteRange) = (ByteRange(0, 0), ByteRange(0, 0), ByteRange(0, 0),
                                                                              ByteRange(0, 0), ByteRange(0, 0))
        var count = 0, start = 0
        for index in 0...line.count {
            guard index == line.count || line[index] == UInt8(ascii: " ") else { continue }
            guard index > start, count < 5 else { return count >= 1 && isUnknown(line, fields.0) ? .header(length: end + 1, source: nil) : .malformed }
            withUnsafeMutableBytes(of: &fields) { $0.storeBytes(of: ByteRange(start, index), toByteOffset: count * 8, as: ByteRange.self) }
            count += 1
            start = index + 1
        }
        if count >= 1 && isUnknown(line, fields.0) { return .header(length: end + 1, source: nil) }
        guard count == 5 else { return .malformed }
        let family = fields.0.bytes(in: line)
        let isV4 = family.count == 4 && family[0] == UInt8(ascii: "T") && family[1] == UInt8(ascii: "C") && family[2] == UInt8(ascii: "P")
            && family[3] == UInt8(ascii: "4")
        let isV6 = family.count == 4 && family[0] == UInt8(ascii: "T") && family[1] == UInt8(ascii: "C") && family[2] == UInt8(ascii: "P")
            && family[3] == UInt8(ascii: "6")
        guard isV4 || isV6, let source = IPAddress.parse(fields.1.bytes(in: line)), IPAddress.parse(fields.2.bytes(in: line)) != nil,
              isPort(fields.3.bytes(in: line)), isPort(fields.4.bytes(in: line)) else { return .malformed }
        if isV4 && source.length != 4 { return .malformed }
        return .header(length: end + 1, source: source)
    }

    @inlinable
    static func isUnknown(_ line: UnsafeRawBufferPointer, _ field: ByteRange) -> Bool {
        let text = field.bytes(in: line)
        guard text.count == 7 else { return false }
        var index = 0
        for expected in "UNKNOWN".utf8 {
            if text[index] != expected { return false }
            index += 1
        }
        return true
    }

    @inlinable
    static func isPort(_ text: UnsafeRawBufferPointer) -> Bool {
        guard !text.isEmpty, text.count <= 5, text[0] != UInt8(ascii: "0") || text.count == 1 else { return false }
        var value = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return false }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value <= 65_535
    }

    /// The binary header: signature, version and command, family and
    /// transport, a 16-bit length, then the addresses (and TLVs, skipped).
    @inlinable
    static func parseV2(_ bytes: UnsafeRawBufferPointer) -> Result {
        guard bytes.count >= 16 else { return .incomplete }
        let versionCommand = bytes[12], familyTransport = bytes[13]
        let length = Int(bytes[14]) << 8 | Int(bytes[15])
        guard versionCommand >> 4 == 2, versionCommand & 0x0F <= 1 else { return .malformed }
        guard bytes.count >= 16 + length else { return length > 2048 ? .malformed : .incomplete }
        if versionCommand & 0x0F == 0 { return .header(length: 16 + length, source: nil) }  // LOCAL: the proxy itself
        var source = IPAddress.none
        switch familyTransport {
        case 0x11, 0x12:  // TCP or UDP over IPv4: source, destination, two ports
            guard length >= 12 else { return .malformed }
            source.length = 4
            for index in 0..<4 { source.setByte(index, bytes[16 + index]) }
        case 0x21, 0x22:  // over IPv6
            guard length >= 36 else { return .malformed }
            source.length = 16
            for index in 0..<16 { source.setByte(index, bytes[16 + index]) }
            source = source.unmapped
        case 0x00:  // UNSPEC: the peer itself
            return .header(length: 16 + length, source: nil)
        default:
            return .malformed
        }
        return .header(length: 16 + length, source: source)
    }
}
