import ClickModel
import Edge
import Testing

/// Feeds a request through the scanner and the parser, as the edge does.
func parse(_ text: String, limits: HTTPLimits = HTTPLimits()) -> Result<RequestHead, HTTPFailure>? {
    parse(Array(text.utf8), limits: limits)
}

func parse(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) -> Result<RequestHead, HTTPFailure>? {
    bytes.withUnsafeBytes { raw in
        var scanner = HeadScanner()
        switch scanner.scan(raw, limits: limits) {
        case .incomplete: return nil
        case .failure(let failure): return .failure(failure)
        case .complete(let start, let end): return HTTPRequestParser.parse(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
        }
    }
}

func failure(_ text: String, limits: HTTPLimits = HTTPLimits()) -> HTTPFailure? {
    if case .failure(let failure) = parse(text, limits: limits) { return failure }
    return nil
}

@Suite("The edge's HTTP/1.1 request parser")
struct HTTPRequestParserTests {
    @Test func plainGet() throws {
        let text = "GET /haircare/abc123?sub1=x HTTP/1.1\r\nHost: t.example\r\nUser-Agent: Test/1.0\r\n\r\n"
        let head = try #require(try parse(text)?.get())
        #expect(head.method == .get)
        #expect(head.isHTTP11)
        #expect(head.keepAlive)
        #expect(!head.isPrefetch)
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[Int(head.target.start)..<Int(head.target.end)], as: UTF8.self) == "/haircare/abc123?sub1=x")
        #expect(String(decoding: bytes[Int(head.userAgent.start)..<Int(head.userAgent.end)], as: UTF8.self) == "Test/1.0")
    }

    @Test func headAndOtherMethods() throws {
        #expect(try parse("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")?.get().method == .head)
        #expect(try parse("POST / HTTP/1.1\r\nHost: x\r\n\r\n")?.get().method == .other)
        #expect(try parse("get / HTTP/1.1\r\nHost: x\r\n\r\n")?.get().method == .other, "methods are case-sensitive")
    }

    @Test func keepAliveRules() throws {
        #expect(try parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?.get().keepAlive == false)
        #expect(try parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, TE\r\n\r\n")?.get().keepAlive == true)
        #expect(try parse("GET / HTTP/1.0\r\n\r\n")?.get().keepAlive == false)
        #expect(try parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")?.get().keepAlive == true)
        #expect(try parse("GET / HTTP/1.0\r\nconnection: TE, close\r\n\r\n")?.get().keepAlive == false)
    }

    @Test func headerNamesAreCaseInsensitiveAndValuesTrimmed() throws {
        let text = "GET / HTTP/1.1\r\nhOsT: x\r\nuser-AGENT: \t Bot/1 \t\r\n\r\n"
        let head = try #require(try parse(text)?.get())
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[Int(head.userAgent.start)..<Int(head.userAgent.end)], as: UTF8.self) == "Bot/1")
    }

    @Test(arguments: [
        "Sec-Purpose: prefetch", "Sec-Purpose: prefetch;prerender", "Purpose: prefetch", "X-Purpose: preview", "X-Moz: prefetch",
    ])
    func prefetchHeaders(header: String) throws {
        #expect(try parse("GET / HTTP/1.1\r\nHost: x\r\n\(header)\r\n\r\n")?.get().isPrefetch == true)
    }

    @Test func theLastForwardedForIsKept() throws {
        let text = "GET / HTTP/1.1\r\nX-Forwarded-For: 1.1.1.1\r\nHost: x\r\nx-forwarded-for:  203.0.113.7, 10.0.0.2 \r\n\r\n"
        let head = try #require(try parse(text)?.get())
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[Int(head.forwardedFor.start)..<Int(head.forwardedFor.end)], as: UTF8.self) == "203.0.113.7, 10.0.0.2")
        #expect(try parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n")?.get().forwardedFor.isEmpty == true)
    }

    @Test func oneEmptyLineBeforeTheRequestIsIgnored() throws {
        #expect(try parse("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")?.get().method == .get)
        #expect(failure("\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n") == .leadingEmptyLines)
    }

    @Test func contentLengthZeroIsFine() throws {
        #expect(try parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n")?.get().method == .get)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: x\r\nX: a\u{0}b\r\n\r\n", HTTPFailure.controlCharacter),
        ("GET / HTTP/1.1\r\nHost: x\r\nX: a\u{1}b\r\n\r\n", .controlCharacter),
        ("GET / HTTP/1.1\r\nHost: x\r\nX: a\u{7F}b\r\n\r\n", .controlCharacter),
        ("GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", .badHost),
        ("GET / HTTP/1.1\r\n\r\n", .badHost),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n", .badContentLength),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", .badContentLength),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\n", .badContentLength),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n", .bodyNotAccepted),
        ("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", .bodyNotAccepted),
        ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", .versionNotSupported),
        ("GET / HTTP/1.2\r\nHost: x\r\n\r\n", .versionNotSupported),
        ("GET / HTTP/0.9\r\nHost: x\r\n\r\n", .versionNotSupported),
        ("GET / HTTP/1\r\nHost: x\r\n\r\n", .malformedVersion),
        ("GET / http/1.1\r\nHost: x\r\n\r\n", .malformedVersion),
        ("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", .malformedVersion),
        ("GET /\r\nHost: x\r\n\r\n", .malformedRequestLine),
        ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", .malformedRequestLine),
        (" GET / HTTP/1.1\r\nHost: x\r\n\r\n", .malformedRequestLine),
        ("GET /a\u{7F} HTTP/1.1\r\nHost: x\r\n\r\n", .badTargetByte),
        ("GET /é HTTP/1.1\r\nHost: x\r\n\r\n", .badTargetByte),
        ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", .malformedHeader),
        ("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", .malformedHeader),
        ("GET / HTTP/1.1\r\nHost: x\r\nNo colon\r\n\r\n", .malformedHeader),
        ("GET / HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n", .malformedHeader),
        ("GET / HTTP/1.1\nHost: x\n\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\nHost: x\n\r\n", .bareLineFeed),
    ])
    func refused(request: String, expected: HTTPFailure) {
        #expect(failure(request) == expected, "\(request.debugDescription)")
    }

    @Test func statusOfEachFailure() {
        #expect(HTTPFailure.versionNotSupported.status == 505)
        #expect(HTTPFailure.requestLineTooLong.status == 414)
        #expect(HTTPFailure.headersTooLarge.status == 431)
        #expect(HTTPFailure.controlCharacter.status == 400)
    }

    @Test func requestLineLimit() {
        let limits = HTTPLimits(requestLine: 100)
        let fits = "GET /" + String(repeating: "a", count: 100 - 14) + " HTTP/1.1"
        #expect(fits.utf8.count == 100)
        #expect((try? parse(fits + "\r\nHost: x\r\n\r\n", limits: limits)?.get()) != nil)
        let over = "GET /" + String(repeating: "a", count: 101 - 14) + " HTTP/1.1"
        #expect(failure(over + "\r\nHost: x\r\n\r\n", limits: limits) == .requestLineTooLong)
        // Refused before the line ends: a client cannot make the edge buffer an endless line.
        #expect(failure("GET /" + String(repeating: "a", count: 200), limits: limits) == .requestLineTooLong)
    }

    @Test func headerBlockAndCountLimits() {
        let big = "GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "v", count: 33 * 1024) + "\r\n\r\n"
        #expect(failure(big) == .headersTooLarge)
        let unterminated = "GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "v", count: 33 * 1024)
        #expect(failure(unterminated) == .headersTooLarge)
        let many = "GET / HTTP/1.1\r\nHost: x\r\n" + (1...100).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        #expect(failure(many) == .headersTooLarge, "101 header lines")
        let hundred = "GET / HTTP/1.1\r\nHost: x\r\n" + (1...99).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        #expect((try? parse(hundred)?.get()) != nil, "100 header lines")
    }

    @Test func headArrivingByteByByte() throws {
        let bytes = Array("GET /a/b HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\n\r\nGET /next".utf8)
        var scanner = HeadScanner()
        var result: HeadScanner.Result = .incomplete
        var fed = 0
        while case .incomplete = result, fed < bytes.count {
            fed += 1
            result = bytes.withUnsafeBytes { scanner.scan(UnsafeRawBufferPointer(rebasing: $0[0..<fed]), limits: HTTPLimits()) }
        }
        #expect(result == .complete(start: 0, end: 48))
        #expect(fed == 48)
    }

    @Test func pipelinedHeadsAreFoundOneAfterAnother() throws {
        let bytes = Array("GET /a/b HTTP/1.1\r\nHost: x\r\n\r\nHEAD /c/d HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        try bytes.withUnsafeBytes { raw in
            var scanner = HeadScanner()
            guard case .complete(_, let end) = scanner.scan(raw, limits: HTTPLimits()) else {
                Issue.record("first head not found")
                return
            }
            scanner.reset()
            let rest = UnsafeRawBufferPointer(rebasing: raw[end...])
            guard case .complete(let start2, let end2) = scanner.scan(rest, limits: HTTPLimits()) else {
                Issue.record("second head not found")
                return
            }
            let second = try HTTPRequestParser.parse(UnsafeRawBufferPointer(rebasing: rest[start2..<end2])).get()
            #expect(second.method == .head)
        }
    }
}

@Suite("HTTP dates")
struct HTTPDateTests {
    /// Host must be an authority: a name or address and a port, nothing else.
    @Test(arguments: [
        ("shop.example.com", true), ("shop.example.com:8080", true), ("127.0.0.1", true), ("[::1]:80", true), ("xn--zo-pka.example", true),
        ("go example.com", false), ("go.example.com/evil", false), ("user@go.example.com", false), ("a?b", false), ("a#b", false),
        ("a\\b", false), ("\"quoted\"", false), ("", false),
    ])
    func hostValues(host: String, accepted: Bool) {
        let outcome = failure("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
        #expect(accepted ? outcome == nil : outcome == .badHost, "\(host)")
    }

    @Test(arguments: [
        (Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_795_305_599, "Sat, 21 Nov 2026 23:59:59 GMT"),
    ])
    func formats(seconds: Int64, expected: String) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: HTTPDate.length, alignment: 1)
        defer { buffer.deallocate() }
        HTTPDate.write(secondsSince1970: seconds, to: buffer)
        #expect(String(decoding: UnsafeRawBufferPointer(start: buffer, count: HTTPDate.length), as: UTF8.self) == expected)
    }
}
