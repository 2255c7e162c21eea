import ClickModel

/// Why the edge refused a request head. Each is counted, never logged per request.
public enum HTTPFailure: UInt8, Error, Sendable, CaseIterable, CustomStringConvertible {
    /// A line ending in LF without CR, or CR without LF.
    case bareLineFeed
    /// The request line is not `method SP target SP version`.
    case malformedRequestLine
    /// A byte in the target outside visible ASCII.
    case badTargetByte
    /// A version that is not `HTTP/<digit>.<digit>`.
    case malformedVersion
    /// A well-formed version other than HTTP/1.0 and HTTP/1.1 (505).
    case versionNotSupported
    /// A header line that is not `name: value`, with whitespace before the colon, or folded.
    case malformedHeader
    /// A NUL or another control character in a header value.
    case controlCharacter
    /// Two Host headers, or none in HTTP/1.1.
    case badHost
    /// Content-Length that is not a number, or two that differ.
    case badContentLength
    /// A body (Content-Length above 0, or Transfer-Encoding): the edge takes none.
    case bodyNotAccepted
    /// A request line over the limit (414).
    case requestLineTooLong
    /// A header block over the size or count limit (431).
    case headersTooLarge
    /// Too many empty lines before the request line.
    case leadingEmptyLines

    /// The status the edge answers with.
    public var status: Int {
        switch self {
        case .versionNotSupported: 505
        case .requestLineTooLong: 414
        case .headersTooLarge: 431
        default: 400
        }
    }

    public var description: String {
        switch self {
        case .bareLineFeed: "bare_line_feed"
        case .malformedRequestLine: "malformed_request_line"
        case .badTargetByte: "bad_target_byte"
        case .malformedVersion: "malformed_version"
        case .versionNotSupported: "version_not_supported"
        case .malformedHeader: "malformed_header"
        case .controlCharacter: "control_character"
        case .badHost: "bad_host"
        case .badContentLength: "bad_content_length"
        case .bodyNotAccepted: "body_not_accepted"
        case .requestLineTooLong: "request_line_too_long"
        case .headersTooLarge: "headers_too_large"
        case .leadingEmptyLines: "leading_empty_lines"
        }
    }
}

/// The method of a request, as far as the edge cares.
public enum HTTPMethod: UInt8, Sendable, BitwiseCopyable {
    case get, head, other
}

/// A parsed request head. Ranges index the buffer the head was parsed from.
public struct RequestHead: Sendable, BitwiseCopyable, Equatable {
    public var method: HTTPMethod = .other
    public var target = ByteRange(0, 0)
    public var isHTTP11 = true
    /// Whether the connection stays open after the answer (before the edge's own reasons to close).
    public var keepAlive = true
    /// The User-Agent value; empty when absent.
    public var userAgent = ByteRange(0, 0)
    /// A purpose header asked for a prefetch or a preview.
    public var isPrefetch = false
    /// The last `X-Forwarded-For` value; honoured only from trusted proxies.
    public var forwardedFor = ByteRange(0, 0)
    /// The last `Accept-Language` value: link rules read the preferred language from it.
    public var acceptLanguage = ByteRange(0, 0)

    public init() {}
}

/// Finds where a request head ends, across reads, checking line endings and
/// limits on the way; each byte is looked at once however the head arrives.
/// One per connection; `reset()` for each new request.
public struct HeadScanner: Sendable {
    /// Empty lines tolerated before a request line (RFC 9112, 2.2).
    public static let maxLeadingEmptyLines = 2

    public enum Result: Equatable {
        /// The head is `start..<end` of the buffer, its final CRLF CRLF included.
        case complete(start: Int, end: Int)
        case incomplete
        case failure(HTTPFailure)
    }

    var requestStart = 0
    var lineStart = 0
    var searchFrom = 0
    var lines = 0
    var headersStart = 0

    public init() {}

    public mutating func reset() { self = HeadScanner() }

    /// Scans `buffer` (which holds every byte of the request so far, from
    /// offset 0) from where the last call stopped.
    public mutating func scan(_ buffer: UnsafeRawBufferPointer, limits: HTTPLimits) -> Result {
        let count = buffer.count
        while true {
            guard let lf = Self.findLineFeed(buffer, from: searchFrom) else {
                searchFrom = count
                if lines == 0 {
                    // A CR may only end a line; if the last byte is CR its LF may still come.
                    if count - lineStart > limits.requestLine + 1 { return .failure(.requestLineTooLong) }
                } else if count - headersStart > limits.headerBlock + 2 {
                    return .failure(.headersTooLarge)
                }
                return .incomplete
            }
            guard lf > lineStart, buffer[lf - 1] == UInt8(ascii: "\r") else { return .failure(.bareLineFeed) }
            let lineLength = lf - 1 - lineStart
            if lines == 0 {
                if lineLength == 0 {
                    // An empty line before the request line.
                    guard (lf + 1 - requestStart) / 2 <= Self.maxLeadingEmptyLines else { return .failure(.leadingEmptyLines) }
                    lineStart = lf + 1
                    searchFrom = lineStart
                    continue
                }
                if lineLength > limits.requestLine { return .failure(.requestLineTooLong) }
                requestStart = lineStart
                headersStart = lf + 1
            } else if lineLength == 0 {
                return .complete(start: requestStart, end: lf + 1)
            } else {
                if lines > limits.headerCount { return .failure(.headersTooLarge) }
                if lf + 1 - headersStart > limits.headerBlock + 2 { return .failure(.headersTooLarge) }
            }
            lines += 1
            lineStart = lf + 1
            searchFrom = lineStart
        }
    }

    @inline(__always)
    static func findLineFeed(_ buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var i = start
        let count = buffer.count
        while i < count {
            if buffer[i] == UInt8(ascii: "\n") { return i }
            i += 1
        }
        return nil
    }
}

/// The edge's strict HTTP/1.1 request-head parser (RFC 9112, stricter where
/// the RFC allows leniency): GET and HEAD without bodies, origin-form targets,
/// no obsolete line folding, no control characters, one Host, consistent
/// Content-Length. Works on bytes and allocates nothing.
public enum HTTPRequestParser {
    /// Parses a complete head (as `HeadScanner` delimits it: every line ends in
    /// CRLF, the last line is empty).
    public static func parse(_ head: UnsafeRawBufferPointer) -> Result<RequestHead, HTTPFailure> {
        var result = RequestHead()
        let end = head.count
        var i = 0

        // method SP
        let methodStart = i
        while i < end && isTokenByte(head[i]) { i += 1 }
        let methodLength = i - methodStart
        guard methodLength > 0, i < end, head[i] == UInt8(ascii: " ") else { return .failure(.malformedRequestLine) }
        if methodLength == 3 && head[0] == UInt8(ascii: "G") && head[1] == UInt8(ascii: "E") && head[2] == UInt8(ascii: "T") {
            result.method = .get
        } else if methodLength == 4 && head[0] == UInt8(ascii: "H") && head[1] == UInt8(ascii: "E")
                    && head[2] == UInt8(ascii: "A") && head[3] == UInt8(ascii: "D") {
            result.method = .head
        }
        i += 1

        // request-target SP
        let targetStart = i
        while i < end {
            let byte = head[i]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\r") { break }
            guard byte > 0x20 && byte < 0x7F else { return .failure(.badTargetByte) }
            i += 1
        }
        guard i > targetStart, i < end, head[i] == UInt8(ascii: " ") else { return .failure(.malformedRequestLine) }
        result.target = ByteRange(targetStart, i)
        i += 1

        // HTTP-version CRLF
        guard i + 10 <= end, head[i + 8] == UInt8(ascii: "\r"), head[i + 9] == UInt8(ascii: "\n"),
              head[i] == UInt8(ascii: "H"), head[i + 1] == UInt8(ascii: "T"), head[i + 2] == UInt8(ascii: "T"),
              head[i + 3] == UInt8(ascii: "P"), head[i + 4] == UInt8(ascii: "/"), head[i + 6] == UInt8(ascii: "."),
              isDigit(head[i + 5]), isDigit(head[i + 7])
        else { return .failure(.malformedVersion) }
        let major = head[i + 5], minor = head[i + 7]
        guard major == UInt8(ascii: "1"), minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1") else {
            return .failure(.versionNotSupported)
        }
        result.isHTTP11 = minor == UInt8(ascii: "1")
        i += 10

        // header-field CRLF ... CRLF
        var hostCount = 0
        var contentLength: Int = -1
        var sawClose = false
        var sawKeepAlive = false
        var sawTransferEncoding = false
        while i < end {
            if head[i] == UInt8(ascii: "\r") { break }  // the final empty line
            let nameStart = i
            while i < end && isTokenByte(head[i]) { i += 1 }
            let nameEnd = i
            guard nameEnd > nameStart, i < end, head[i] == UInt8(ascii: ":") else { return .failure(.malformedHeader) }
            i += 1
            while i < end && (head[i] == UInt8(ascii: " ") || head[i] == UInt8(ascii: "\t")) { i += 1 }
            let valueStart = i
            while i < end && head[i] != UInt8(ascii: "\r") {
                let byte = head[i]
                if (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F { return .failure(.controlCharacter) }
                i += 1
            }
            var valueEnd = i
            while valueEnd > valueStart && (head[valueEnd - 1] == UInt8(ascii: " ") || head[valueEnd - 1] == UInt8(ascii: "\t")) {
                valueEnd -= 1
            }
            guard i + 1 < end, head[i + 1] == UInt8(ascii: "\n") else { return .failure(.bareLineFeed) }
            i += 2

            let name = UnsafeRawBufferPointer(rebasing: head[nameStart..<nameEnd])
            let value = UnsafeRawBufferPointer(rebasing: head[valueStart..<valueEnd])
            switch name.count {
            case 4 where equalsLowercase(name, "host"):
                hostCount += 1
                if hostCount > 1 || !isAuthority(value) { return .failure(.badHost) }
            case 10 where equalsLowercase(name, "user-agent"):
                result.userAgent = ByteRange(valueStart, valueEnd)
            case 10 where equalsLowercase(name, "connection"):
                scanConnectionTokens(value, close: &sawClose, keepAlive: &sawKeepAlive)
            case 14 where equalsLowercase(name, "content-length"):
                guard let length = parseContentLength(value) else { return .failure(.badContentLength) }
                if contentLength >= 0 && contentLength != length { return .failure(.badContentLength) }
                contentLength = length
            case 15 where equalsLowercase(name, "x-forwarded-for"):
                result.forwardedFor = ByteRange(valueStart, valueEnd)
            case 15 where equalsLowercase(name, "accept-language"):
                result.acceptLanguage = ByteRange(valueStart, valueEnd)
            case 17 where equalsLowercase(name, "transfer-encoding"):
                sawTransferEncoding = true
            case 11 where equalsLowercase(name, "sec-purpose"),
                 7 where equalsLowercase(name, "purpose"),
                 9 where equalsLowercase(name, "x-purpose"),
                 5 where equalsLowercase(name, "x-moz"):
                if BotDetector.isPrefetchPurpose(value) { result.isPrefetch = true }
            default:
                break
            }
        }
        if result.isHTTP11 && hostCount == 0 { return .failure(.badHost) }
        // GET and HEAD take no body. Other methods get 405 and the connection
        // closes, so their body is never read either.
        if result.method != .other && (contentLength > 0 || sawTransferEncoding) { return .failure(.bodyNotAccepted) }
        result.keepAlive = result.isHTTP11 ? !sawClose : (sawKeepAlive && !sawClose)
        return .success(result)
    }

    /// RFC 9110 `tchar`.
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Whether a Host value is an authority (RFC 3986): a host name, IPv4
    /// address or bracketed IPv6 literal, then an optional port. Checked by
    /// bytes: what may appear there, nothing else (no space, slash, `@`...).
    @inline(__always)
    static func isAuthority(_ value: UnsafeRawBufferPointer) -> Bool {
        guard !value.isEmpty, value.count <= 255 else { return false }
        for byte in value {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"),
                 UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "%"):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// Whether `bytes`, folded to lower case, equal the lower-case `literal`.
    @inline(__always)
    static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let l = literal.utf8Start
        for i in 0..<bytes.count {
            var byte = bytes[i]
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte |= 0x20 }
            if byte != l[i] { return false }
        }
        return true
    }

    /// 1 to 18 digits, nothing else.
    static func parseContentLength(_ value: UnsafeRawBufferPointer) -> Int? {
        guard value.count >= 1, value.count <= 18 else { return nil }
        var length = 0
        for byte in value {
            guard isDigit(byte) else { return nil }
            length = length * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return length
    }

    /// Reads the comma-separated tokens of a Connection header.
    static func scanConnectionTokens(_ value: UnsafeRawBufferPointer, close: inout Bool, keepAlive: inout Bool) {
        var start = 0
        var i = 0
        while i <= value.count {
            if i == value.count || value[i] == UInt8(ascii: ",") {
                var s = start, e = i
                while s < e && (value[s] == UInt8(ascii: " ") || value[s] == UInt8(ascii: "\t")) { s += 1 }
                while e > s && (value[e - 1] == UInt8(ascii: " ") || value[e - 1] == UInt8(ascii: "\t")) { e -= 1 }
                let token = UnsafeRawBufferPointer(rebasing: value[s..<e])
                if equalsLowercase(token, "close") { close = true }
                if equalsLowercase(token, "keep-alive") { keepAlive = true }
                start = i + 1
            }
            i += 1
        }
    }
}
