import ClickModel
import Testing

@Suite("Registered destinations")
struct DestinationTests {
    @Test(arguments: [
        "https://shop.example.com/",
        "http://shop.example.com",
        "HTTPS://Shop.Example.com/p?a=1&b=%20#frag",
        "https://127.0.0.1:8443/x",
        "https://[2001:db8::1]:443/x",
        "https://shop.example.com/p;v=1/~x/(y)*!$'+,@:",
    ])
    func accepts(url: String) throws {
        let destination = try Destination(validating: url)
        #expect(destination.url.hasPrefix("http"))
    }

    @Test func schemeIsLowerCasedAndPartsFound() throws {
        let destination = try Destination(validating: "HTTPS://shop.example/p?a=1#top")
        #expect(destination.url == "https://shop.example/p?a=1#top")
        #expect(destination.hasQuery)
        #expect(destination.fragmentOffset == destination.url.utf8.count - 4)
        #expect(destination.hasQueryParameter(named: "a"))
        #expect(!destination.hasQueryParameter(named: "clk"))
    }

    @Test func questionMarkInFragmentIsNotAQuery() throws {
        let destination = try Destination(validating: "https://shop.example/p#a?b")
        #expect(!destination.hasQuery)
    }

    @Test(arguments: [
        ("", DestinationError.empty),
        ("ftp://shop.example/", .notHTTP),
        ("javascript:alert(1)", .notHTTP),
        ("//shop.example/", .notHTTP),
        ("/relative", .notHTTP),
        ("https:///path", .missingHost),
        ("https://user:pw@shop.example/", .userInfo),
        ("https://shop example/", .invalidByte(offset: 12, byte: 0x20)),
        ("https://shop.example/\r\nX: y", .invalidByte(offset: 21, byte: 0x0D)),
        ("https://shop.example/é", .invalidByte(offset: 21, byte: 0xC3)),
        ("https://shop.example/<x>", .invalidByte(offset: 21, byte: 0x3C)),
        ("https://shop.example/%zz", .badEscape(offset: 21)),
        ("https://shop.example:99999/", .badPort),
        ("https://shop.example:/", .badPort),
        ("https://shop_.example!/", .badHost),
        ("https://shop.example/#a#b", .invalidByte(offset: 23, byte: 0x23)),
    ])
    func rejects(url: String, error: DestinationError) {
        #expect(throws: error) { try Destination(validating: url) }
    }

    @Test func rejectsOverlongURLs() {
        let url = "https://shop.example/" + String(repeating: "a", count: 2048)
        #expect(throws: DestinationError.tooLong(url.utf8.count)) { try Destination(validating: url) }
    }
}
