/// The client's network as a click keeps it, in eight bytes: an IPv4
/// address whole, an IPv6 address's first 64 bits (its network; the rest
/// names the device). Enough to group clicks by /24 and /48 and to find
/// hosting networks again from stored clicks, without keeping IPv6 hosts.
///
/// As a number: IPv6 bits 0-63 big-endian; IPv4 `0x0000_FFFF` in the top half
/// and the address in the bottom (the top half of a real IPv6 client is never
/// `0000:ffff`, which lies in reserved space); 0 for no address.
public struct ClientNetwork: RawRepresentable, Sendable, BitwiseCopyable, Hashable, Comparable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let none = ClientNetwork(rawValue: 0)
    @usableFromInline static let v4Tag: UInt64 = 0x0000_FFFF_0000_0000

    @inlinable
    public init(_ address: IPAddress) {
        switch address.length {
        case 4: rawValue = Self.v4Tag | UInt64(UInt32(bigEndian: UInt32(truncatingIfNeeded: address.words.0)))
        case 16: rawValue = UInt64(bigEndian: address.words.0)
        default: rawValue = 0
        }
    }

    @inlinable public var isV4: Bool { rawValue >> 32 == Self.v4Tag >> 32 }

    /// A loopback, private or link-local network (IPv4 127/8, 10/8,
    /// 172.16/12, 192.168/16, 169.254/16; IPv6 fc00::/7, fe80::/10): a peer
    /// there is a balancer not in `--trusted-proxies`, or a test, and says
    /// nothing of the shopper behind it.
    @inlinable
    public var isLocal: Bool {
        if isV4 {
            let address = UInt32(truncatingIfNeeded: rawValue)
            return address >> 24 == 127 || address >> 24 == 10 || address >> 20 == 0xAC1 || address >> 16 == 0xC0A8 || address >> 16 == 0xA9FE
        }
        return rawValue >> 57 == 0x7E || rawValue >> 54 == 0x3FA
    }

    /// The network's first address: an IPv4 address whole, an IPv6 one with its last 64 bits zero.
    public var address: IPAddress {
        if rawValue == 0 { return .none }
        if isV4 { return IPAddress(words: (UInt64(UInt32(truncatingIfNeeded: rawValue).bigEndian), 0), length: 4) }
        return IPAddress(words: (rawValue.bigEndian, 0), length: 16)
    }

    /// The network's first `prefix` bits (IPv4: 0...32; IPv6: 0...64, more counts as 64), the rest zero:
    /// clients in one group share it.
    @inlinable
    public func group(v4Prefix: Int, v6Prefix: Int) -> ClientNetwork {
        if rawValue == 0 { return self }
        if isV4 { return ClientNetwork(rawValue: Self.v4Tag | rawValue & Self.mask(v4Prefix, of: 32)) }
        return ClientNetwork(rawValue: rawValue & Self.mask(min(v6Prefix, 64), of: 64))
    }

    /// The low `width` bits with the first `prefix` of them set.
    @inlinable
    public static func mask(_ prefix: Int, of width: Int) -> UInt64 {
        guard prefix > 0 else { return 0 }
        let ones: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        return ones & ~((1 << UInt64(width - min(prefix, width))) &- 1)
    }

    public static func < (lhs: ClientNetwork, rhs: ClientNetwork) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        if rawValue == 0 { return "none" }
        return isV4 ? address.description : "\(address)/64"
    }
}

/// Why a click that would have been billable is not (SPEC section 14): the
/// `invalid` outcome's reasons, kept on the click. Values are stored; never renumber them.
public struct ClickQuality: OptionSet, Sendable, BitwiseCopyable, Hashable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Past `--address-click-cap` billable clicks of its address group on its link that UTC day.
    public static let addressCap = ClickQuality(rawValue: 1 << 0)
    /// From a hosting network of `--datacenter-ranges`.
    public static let datacenter = ClickQuality(rawValue: 1 << 1)
}
