import ClickModel
import Domain
import Testing

@Suite("Hosting networks")
struct DatacenterRangesTests {
    func network(_ text: String) -> ClientNetwork { ClientNetwork(IPAddress.parse(text)!) }

    @Test func rangesHoldTheirAddressesAndNoOthers() throws {
        let ranges = try DatacenterRanges(parsing: """
            # cloud A
            203.0.113.0/24
            198.51.100.64/26   # a slice of a /24
            192.0.2.5
            2001:db8:a::/48
            2001:db8:b:1::/64
            """)
        for inside in ["203.0.113.0", "203.0.113.255", "198.51.100.64", "198.51.100.127", "192.0.2.5", "2001:db8:a::1", "2001:db8:a:ffff::9",
                       "2001:db8:b:1::42"] {
            #expect(ranges.contains(network(inside)), "\(inside)")
        }
        for outside in ["203.0.112.255", "203.0.114.0", "198.51.100.63", "198.51.100.128", "192.0.2.4", "192.0.2.6", "2001:db8:b::1",
                        "2001:db8:b:2::1", "10.0.0.1"] {
            #expect(!ranges.contains(network(outside)), "\(outside)")
        }
        #expect(!ranges.contains(.none), "a click of no known address is in no range")
    }

    @Test func overlappingAndNarrowRangesMerge() throws {
        let ranges = try DatacenterRanges(parsing: "10.0.0.0/8\n10.1.0.0/16\n10.255.255.255\n2001:db8::/32\n2001:db8:1:2:3::/80\n")
        #expect(ranges.intervals.count == 2, "one span per family: \(ranges.intervals)")
        #expect(ranges.contains(network("2001:db8:1:2::9")), "a range narrower than /64 counts as its /64")
        #expect(try DatacenterRanges(parsing: "0.0.0.0/0\n").contains(network("8.8.8.8")))
        #expect(try !DatacenterRanges(parsing: "0.0.0.0/0\n").contains(network("2001:db8::1")), "IPv4 ranges hold no IPv6 client")
    }

    @Test(arguments: ["203.0.113.0/33", "203.0.113", "example.com", "2001:db8::/129", "10.0.0.0/8/8"])
    func aBadLineIsNamed(line: String) {
        #expect(throws: DomainError.self) { try DatacenterRanges(parsing: "10.0.0.0/8\n\n\(line)\n") }
        do {
            _ = try DatacenterRanges(parsing: "10.0.0.0/8\n\n\(line)\n")
        } catch {
            #expect(error.message.contains("line 3") && error.field == "datacenter-ranges", "\(error.message)")
        }
    }

    @Test func addressGroupsAre24And48ByDefault() {
        let rules = InvalidClickRules()
        func group(_ text: String) -> ClientNetwork { network(text).group(v4Prefix: rules.v4Prefix, v6Prefix: rules.v6Prefix) }
        #expect(group("203.0.113.1") == group("203.0.113.254") && group("203.0.113.1") != group("203.0.114.1"))
        #expect(group("2001:db8:1:1::1") == group("2001:db8:1:ffff::1") && group("2001:db8:1::1") != group("2001:db8:2::1"))
        #expect(group("203.0.113.1") != group("::ffff:203.0.114.1") && group("203.0.113.1") == group("::ffff:203.0.113.7"),
                "a mapped IPv6 address is its IPv4 one")
        #expect(rules.addressClickCap == 100)
    }

    @Test func localClientsAreKnown() {
        for local in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.0.9", "fd00::1", "fe80::1"] {
            #expect(network(local).isLocal, "\(local)")
        }
        for routed in ["8.8.8.8", "172.32.0.1", "172.15.255.255", "192.169.0.1", "203.0.113.1", "2001:db8::1", "2a00::1"] {
            #expect(!network(routed).isLocal, "\(routed)")
        }
    }
}
