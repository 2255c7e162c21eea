import ClickModel
import Testing

@Suite("IP addresses and CIDR ranges, parsed without allocating")
struct IPAddressTests {
    @Test func ipv4() throws {
        let address = try #require(IPAddress.parse("203.0.113.7"))
        #expect(address.length == 4)
        #expect((0..<4).map(address.byte) == [203, 0, 113, 7])
        #expect(address.description == "203.0.113.7")
        // Memory order, as the kernel's `sin_addr` holds it.
        #expect(address.words.0 == 0x0771_00CB)
        #expect(IPAddress.parse("0.0.0.0")?.length == 4)
        #expect(IPAddress.parse("255.255.255.255")?.byte(3) == 255)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1..2.3", "1.2.3.4 ", " 1.2.3.4",
                      "1.2.3.4:80", "a.b.c.d", "1.2.3.-4", "[::1]", "::1%eth0", ":::1", "1::2::3", "1:2:3:4:5:6:7:8:9",
                      "1:2:3:4:5:6:7", "12345::", "::g", "1:", ":1", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "unknown"])
    func refusesWhatIsNotAnAddress(_ text: String) {
        #expect(IPAddress.parse(text) == nil)
    }

    @Test func ipv6() throws {
        let loopback = try #require(IPAddress.parse("::1"))
        #expect(loopback.length == 16)
        #expect((0..<16).map(loopback.byte) == Array(repeating: 0, count: 15) + [1])
        let documentation = try #require(IPAddress.parse("2001:DB8::8:800:200c:417a"))
        #expect((0..<16).map(documentation.byte) == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a])
        #expect(IPAddress.parse("2001:db8:0:0:8:800:200c:417a") == documentation)
        #expect(IPAddress.parse("::") == IPAddress(words: (0, 0), length: 16))
        #expect(IPAddress.parse("fe80::")?.byte(0) == 0xfe)
        #expect(IPAddress.parse("1:2:3:4:5:6:7::")?.byte(13) == 7)
        #expect(IPAddress.parse("::2:3:4:5:6:7:8")?.byte(15) == 8)
        #expect(IPAddress.parse("64:ff9b::192.0.2.33")?.byte(15) == 33)
    }

    /// IPv6 is written as RFC 5952 recommends, its own examples included.
    @Test(arguments: [
        ("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"), ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"), ("2001:DB8::AAAA", "2001:db8::aaaa"), ("::", "::"), ("::1", "::1"),
        ("fe80::", "fe80::"), ("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"), ("0:0:1:2:3:4:5:6", "::1:2:3:4:5:6"),
        ("2001:db8:dc::", "2001:db8:dc::"),
    ])
    func ipv6IsWrittenShort(_ text: String, _ written: String) throws {
        let address = try #require(IPAddress.parse(text))
        #expect(address.description == written)
        #expect(IPAddress.parse(written) == address, "read back as the same address")
    }

    @Test func anIPv4MappedAddressIsThatIPv4Address() throws {
        let mapped = try #require(IPAddress.parse("::ffff:203.0.113.7"))
        #expect(mapped == IPAddress.parse("203.0.113.7"))
        #expect(IPAddress.parse("::ffff:cb00:7107") == IPAddress.parse("203.0.113.7"))
        // Only the mapped prefix: the NAT64 prefix is another address.
        #expect(IPAddress.parse("64:ff9b::203.0.113.7")?.length == 16)
    }

    @Test func ranges() throws {
        let private10 = try #require(IPRange("10.0.0.0/8"))
        #expect(private10.contains(IPAddress.parse("10.255.1.2")!))
        #expect(!private10.contains(IPAddress.parse("11.0.0.1")!))
        let odd = try #require(IPRange("192.168.0.0/17"))
        #expect(odd.contains(IPAddress.parse("192.168.127.255")!))
        #expect(!odd.contains(IPAddress.parse("192.168.128.0")!))
        let one = try #require(IPRange("127.0.0.1"))
        #expect(one.prefix == 32)
        #expect(one.contains(IPAddress.parse("127.0.0.1")!) && !one.contains(IPAddress.parse("127.0.0.2")!))
        #expect(IPRange("0.0.0.0/0")!.contains(IPAddress.parse("8.8.8.8")!))
        let v6 = try #require(IPRange("2001:db8::/32"))
        #expect(v6.contains(IPAddress.parse("2001:db8:ffff::1")!))
        #expect(!v6.contains(IPAddress.parse("2001:db9::1")!))
        // One family never matches the other.
        #expect(!IPRange("::/0")!.contains(IPAddress.parse("1.2.3.4")!))
        #expect(!IPRange("0.0.0.0/0")!.contains(IPAddress.parse("::1")!))
        // A mapped range is the IPv4 range it maps.
        let mapped = try #require(IPRange("::ffff:10.0.0.0/104"))
        #expect(mapped.contains(IPAddress.parse("10.9.8.7")!))
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/8/8", "10.0.0.0/08", "/8", "::/129", "10.0.0/8", "x/8"])
    func refusesMalformedRanges(_ text: String) {
        #expect(IPRange(text) == nil)
    }
}
