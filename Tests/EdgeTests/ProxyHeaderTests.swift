import ClickModel
import Edge
import Testing

private func parse(_ bytes: [UInt8]) -> ProxyHeader.Result {
    bytes.withUnsafeBytes { ProxyHeader.parse($0) }
}

private func parse(_ text: String) -> ProxyHeader.Result { parse(Array(text.utf8)) }

/// A v2 header as HAProxy's `send-proxy-v2` writes it.
private func v2(command: UInt8 = 0x21, family: UInt8, addresses: [UInt8], tlvs: [UInt8] = []) -> [UInt8] {
    let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    let length = addresses.count + tlvs.count
    return signature + [command, family, UInt8(length >> 8), UInt8(length & 0xFF)] + addresses + tlvs
}

@Suite("The PROXY protocol, versions 1 and 2")
struct ProxyHeaderTests {
    @Test func version1() {
        let line = "PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\n"
        #expect(parse(line + "GET / HTTP/1.1\r\n") == .header(length: line.utf8.count, source: IPAddress.parse("203.0.113.7")))
        let six = "PROXY TCP6 2001:db8::7 2001:db8::1 56324 443\r\n"
        #expect(parse(six) == .header(length: six.utf8.count, source: IPAddress.parse("2001:db8::7")))
        // UNKNOWN: the proxy's own connection (a health check); the rest of the line is ignored.
        #expect(parse("PROXY UNKNOWN\r\n") == .header(length: 15, source: nil))
        #expect(parse("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n") == .header(length: 35, source: nil))
    }

    @Test func waitsForTheWholeHeader() {
        #expect(parse("") == .incomplete)
        #expect(parse("PRO") == .incomplete)
        #expect(parse("PROXY TCP4 203.0.113.7 10.0.0.1 5632") == .incomplete)
        #expect(parse([0x0D, 0x0A, 0x0D]) == .incomplete)
        let whole = v2(family: 0x11, addresses: [203, 0, 113, 7, 10, 0, 0, 1, 0xDC, 0x04, 0x01, 0xBB])
        #expect(parse(Array(whole.prefix(20))) == .incomplete)
    }

    @Test func plainHTTPIsNotAProxyHeader() {
        #expect(parse("GET / HTTP/1.1\r\n\r\n") == .absent)
        #expect(parse("POST / HTTP/1.1\r\n\r\n") == .absent)  // starts with P, not PROXY
        #expect(parse("\r\nGET / HTTP/1.1\r\n\r\n") == .absent)  // a CRLF first, not the v2 signature
    }

    @Test(arguments: [
        "PROXY TCP4 203.0.113.7 10.0.0.1 56324\r\n",  // a field missing
        "PROXY TCP4 203.0.113.7 10.0.0.1 56324 443 9\r\n",  // one too many
        "PROXY TCP4 2001:db8::7 10.0.0.1 56324 443\r\n",  // family and address disagree
        "PROXY TCP5 203.0.113.7 10.0.0.1 56324 443\r\n",
        "PROXY TCP4 203.0.113.7  10.0.0.1 56324 443\r\n",  // two spaces
        "PROXY TCP4 203.0.113.7 10.0.0.1 65536 443\r\n",
        "PROXY TCP4 203.0.113.7 10.0.0.1 056 443\r\n",
        "PROXY TCP4 203.0.113.300 10.0.0.1 56324 443\r\n",
        "PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\n",  // LF without CR
        "PROXY \r\n",
    ])
    func malformedVersion1(_ line: String) {
        #expect(parse(line) == .malformed)
    }

    @Test func version1HasAnEnd() {
        #expect(parse("PROXY TCP4 " + String(repeating: "1", count: 120)) == .malformed)
    }

    @Test func version2() {
        let ipv4 = v2(family: 0x11, addresses: [203, 0, 113, 7, 10, 0, 0, 1, 0xDC, 0x04, 0x01, 0xBB])
        #expect(parse(ipv4 + Array("GET /".utf8)) == .header(length: 28, source: IPAddress.parse("203.0.113.7")))
        var addresses = [UInt8](repeating: 0, count: 36)
        addresses[0] = 0x20; addresses[1] = 0x01; addresses[2] = 0x0d; addresses[3] = 0xb8; addresses[15] = 7
        #expect(parse(v2(family: 0x21, addresses: addresses)) == .header(length: 52, source: IPAddress.parse("2001:db8::7")))
        // TLVs after the addresses (HAProxy's unique id, say) are skipped.
        let withTLV = v2(family: 0x11, addresses: Array(ipv4[16...]), tlvs: [0x05, 0x00, 0x03, 0x61, 0x62, 0x63])
        #expect(parse(withTLV) == .header(length: 34, source: IPAddress.parse("203.0.113.7")))
        // LOCAL (a health check) and UNSPEC: the peer itself.
        #expect(parse(v2(command: 0x20, family: 0x00, addresses: [])) == .header(length: 16, source: nil))
        #expect(parse(v2(family: 0x00, addresses: [])) == .header(length: 16, source: nil))
    }

    @Test func malformedVersion2() {
        let addresses: [UInt8] = [203, 0, 113, 7, 10, 0, 0, 1, 0xDC, 0x04, 0x01, 0xBB]
        #expect(parse(v2(command: 0x11, family: 0x11, addresses: addresses)) == .malformed)  // version 1 in a v2 header
        #expect(parse(v2(command: 0x22, family: 0x11, addresses: addresses)) == .malformed)  // no command 2
        #expect(parse(v2(family: 0x11, addresses: Array(addresses.prefix(8)))) == .malformed)  // too short for IPv4
        #expect(parse(v2(family: 0x31, addresses: [UInt8](repeating: 0, count: 216))) == .malformed)  // AF_UNIX: no client address
    }

    @Test func forwardedForTakesTheRightmostUntrustedAddress() {
        let proxies = TrustedProxies([IPRange("10.0.0.0/8")!, IPRange("2001:db8::/32")!])
        let balancer = IPAddress.parse("10.0.0.2")!
        func client(_ peer: IPAddress, _ header: String) -> String {
            Array(header.utf8).withUnsafeBytes { proxies.client(peer: peer, forwardedFor: $0).description }
        }
        #expect(client(balancer, "203.0.113.7") == "203.0.113.7")
        // The client wrote the first entry itself; each proxy appended what it saw.
        #expect(client(balancer, "1.1.1.1, 203.0.113.7, 10.0.0.9") == "203.0.113.7")
        #expect(client(balancer, "1.1.1.1,203.0.113.7,2001:db8::5") == "203.0.113.7")
        #expect(client(balancer, " 198.51.100.4 ") == "198.51.100.4")
        #expect(client(balancer, "::ffff:198.51.100.4") == "198.51.100.4")
        // All trusted: the leftmost one is the client.
        #expect(client(balancer, "10.1.1.1, 10.2.2.2") == "10.1.1.1")
        // An entry that is not an address ends the walk at what was proven.
        #expect(client(balancer, "203.0.113.7, unknown") == "10.0.0.2")
        #expect(client(balancer, "nonsense, 10.0.0.3") == "10.0.0.3")
        // From an untrusted peer the header changes nothing.
        let stranger = IPAddress.parse("198.51.100.9")!
        #expect(client(stranger, "203.0.113.7") == "198.51.100.9")
        #expect(client(balancer, "") == "10.0.0.2")
    }
}
