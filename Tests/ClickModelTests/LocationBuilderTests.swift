import ClickModel
import Testing

@Suite("Location headers")
struct LocationBuilderTests {
    static let clickID = ClickID("01ARZ3NDEKTSV4RRFFQ69G5FAV")!

    /// Builds a Location from a destination and raw query bytes.
    func location(_ destination: String, query: [UInt8], parameter: String = "clk", clickID: ClickID? = clickID) throws -> String {
        let dest = try Destination(validating: destination)
        let destBytes = Array(dest.url.utf8)
        let param = Array(parameter.utf8)
        let capacity = LocationBuilder.maxLength(destinationCount: destBytes.count, queryCount: query.count, clickParameterCount: param.count)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
        defer { buffer.deallocate() }
        var writer = ByteWriter(base: buffer, capacity: capacity)
        destBytes.withUnsafeBytes { d in
            query.withUnsafeBytes { q in
                param.withUnsafeBytes { p in
                    LocationBuilder.append(destination: d, fragmentOffset: dest.fragmentOffset, destinationHasQuery: dest.hasQuery,
                                           query: q, clickParameter: p, clickID: clickID, to: &writer)
                }
            }
        }
        return String(decoding: writer.written, as: UTF8.self)
    }

    /// Every byte of a Location must be visible ASCII: nothing can end the header or start another.
    func expectSafe(_ value: String) {
        #expect(value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "unsafe byte in \(value)")
    }

    @Test func appendsTheClickID() throws {
        #expect(try location("https://shop.example/p", query: []) == "https://shop.example/p?clk=01ARZ3NDEKTSV4RRFFQ69G5FAV")
        #expect(try location("https://shop.example/p?a=1", query: []) == "https://shop.example/p?a=1&clk=01ARZ3NDEKTSV4RRFFQ69G5FAV")
    }

    @Test func keepsDestinationParametersThenIncomingThenClickID() throws {
        let value = try location("https://shop.example/p?utm=x#reviews", query: Array("sub1=a&color=red".utf8))
        #expect(value == "https://shop.example/p?utm=x&sub1=a&color=red&clk=01ARZ3NDEKTSV4RRFFQ69G5FAV#reviews")
    }

    @Test func noClickIDForInactiveOffers() throws {
        #expect(try location("https://shop.example/p", query: Array("a=1".utf8), clickID: nil) == "https://shop.example/p?a=1")
    }

    @Test(arguments: ["clk=forged", "c%6Ck=forged", "%63%6c%6b=forged", "clk", "clk="])
    func incomingClickParameterIsDropped(query: String) throws {
        let value = try location("https://shop.example/p", query: Array("\(query)&keep=1".utf8))
        #expect(value == "https://shop.example/p?keep=1&clk=01ARZ3NDEKTSV4RRFFQ69G5FAV")
    }

    @Test func offerClickParameterName() throws {
        #expect(try location("https://shop.example/p", query: Array("ref=x&clk=y".utf8), parameter: "ref")
                == "https://shop.example/p?clk=y&ref=01ARZ3NDEKTSV4RRFFQ69G5FAV")
    }

    @Test func crAndLfAreEncoded() throws {
        let value = try location("https://shop.example/p", query: Array("a=1\r\nSet-Cookie: x=1\r\n\r\n".utf8))
        expectSafe(value)
        #expect(value == "https://shop.example/p?a=1%0D%0ASet-Cookie:%20x=1%0D%0A%0D%0A&clk=01ARZ3NDEKTSV4RRFFQ69G5FAV")
    }

    @Test func encodedCrLfStaysEncoded() throws {
        let value = try location("https://shop.example/p", query: Array("a=%0d%0aSet-Cookie:%20x".utf8))
        expectSafe(value)
        #expect(value.hasPrefix("https://shop.example/p?a=%0d%0aSet-Cookie:%20x&clk="))
    }

    @Test func quotesAngleBracketsAndStrayPercentAreEncoded() throws {
        let value = try location("https://shop.example/p", query: Array("q=\"'<script>`{|}\\^%zz%4".utf8))
        expectSafe(value)
        #expect(value.hasPrefix("https://shop.example/p?q=%22'%3Cscript%3E%60%7B%7C%7D%5C%5E%25zz%254&clk="))
    }

    @Test func unicodeIsPercentEncoded() throws {
        let value = try location("https://shop.example/p", query: Array("name=Zoë&city=東京".utf8))
        expectSafe(value)
        #expect(value.hasPrefix("https://shop.example/p?name=Zo%C3%AB&city=%E6%9D%B1%E4%BA%AC&clk="))
    }

    @Test func nulAndOtherControlsAreEncoded() throws {
        let value = try location("https://shop.example/p", query: [0x61, 0x3D, 0x00, 0x01, 0x7F, 0x09])
        expectSafe(value)
        #expect(value.hasPrefix("https://shop.example/p?a=%00%01%7F%09&clk="))
    }

    @Test func eightKilobyteQuery() throws {
        var query = Array("sub1=".utf8)
        while query.count < 8 * 1024 { query += Array("\r\n\"é%".utf8) }
        let value = try location("https://shop.example/p", query: query)
        expectSafe(value)
        #expect(value.hasPrefix("https://shop.example/p?sub1=%0D%0A%22%C3%A9%25"))
        #expect(value.hasSuffix("&clk=01ARZ3NDEKTSV4RRFFQ69G5FAV"))
        #expect(value.utf8.count <= LocationBuilder.maxLength(destinationCount: 22, queryCount: query.count, clickParameterCount: 3))
    }

    @Test func emptyParametersAreSkipped() throws {
        #expect(try location("https://shop.example/p", query: Array("&&a=1&&".utf8)) == "https://shop.example/p?a=1&clk=01ARZ3NDEKTSV4RRFFQ69G5FAV")
    }
}
