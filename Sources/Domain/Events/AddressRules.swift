import ClickModel

/// Addresses that events are never sent to, so that no one can use Clickline
/// to reach machines inside its own network: loopback, private, link-local
/// (the cloud metadata services among them), multicast, and the ranges that
/// are not on the public internet. `--allow-private-event-targets` lifts it.
public enum AddressRules {
    /// Why `address` is refused, or nil when it is a public address.
    public static func refusal(of address: IPAddress) -> String? {
        let address = address.unmapped
        if address.length == 16 {
            // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) lead to an IPv4 address: judge that one.
            if nat64.contains(address) { return refusal(of: embedded(in: address, at: 12)) }
            if sixToFour.contains(address) { return refusal(of: embedded(in: address, at: 2)) }
        }
        return ranges.first { $0.range.contains(address) }?.reason
    }

    /// The IPv4 address in bytes `first...first + 3` of an IPv6 one.
    static func embedded(in address: IPAddress, at first: Int) -> IPAddress {
        var v4 = IPAddress(words: (0, 0), length: 4)
        for index in 0..<4 { v4.setByte(index, address.byte(first + index)) }
        return v4
    }

    static let nat64 = IPRange("64:ff9b::/96")!
    static let sixToFour = IPRange("2002::/16")!

    static let ranges: [(range: IPRange, reason: String)] = [
        ("0.0.0.0/8", "this network"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared address space (carrier NAT, some cloud metadata services)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (cloud metadata services)"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved, and broadcast"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("100::/64", "discard"),
        ("2001:db8::/32", "documentation"),
        ("fc00::/7", "private (unique local, cloud metadata services)"),
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    ].map { (IPRange($0.0)!, $0.1) }
}
