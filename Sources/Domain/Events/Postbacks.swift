/// How a partner's tracker wants to hear of its conversions (SPEC section 13).
public enum PostbackMethod: String, Sendable, CaseIterable {
    /// The rendered URL, fetched.
    case get = "GET"
    /// The rendered URL without its query, posted; the query is the
    /// `application/x-www-form-urlencoded` body.
    case postForm = "POST_FORM"
    /// The rendered URL without its query, posted; the query's parameters are
    /// a JSON object of strings.
    case postJSON = "POST_JSON"
}

/// A postback URL template: a URL with macros (`{click_id}`, `{sub1}`...)
/// in its path and query, each replaced by its value percent-encoded, so
/// that no value (a sub id holding `&`, `#`, CR LF or any Unicode) can add
/// a parameter or change the URL's shape.
public struct PostbackTemplate: Sendable, Equatable {
    public static let macros = ["click_id", "sub1", "sub2", "sub3", "sub4", "sub5", "order_id", "amount", "currency", "commission",
                                "status", "offer_id", "partner_code", "event", "timestamp"]

    public let text: String

    /// Checks the macros: each one known, none in the scheme or host.
    public init(_ text: String) throws(DomainError) {
        var rest = Substring(text)
        while let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            guard rest[open] == "{" else { throw .invalid("url_template", "has a } that closes no macro") }
            guard let close = rest[open...].firstIndex(of: "}") else { throw .invalid("url_template", "has a { that is not closed") }
            let name = String(rest[rest.index(after: open)..<close])
            guard Self.macros.contains(name) else {
                throw .invalid("url_template", "{\(name)} is not a macro; the macros are "
                               + Self.macros.map { "{\($0)}" }.joined(separator: " "))
            }
            rest = rest[rest.index(after: close)...]
        }
        let schemeEnd = text.firstIndex(of: ":").map { text.index(after: $0) } ?? text.startIndex
        let authority = text[schemeEnd...].drop { $0 == "/" }.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("{") else { throw .invalid("url_template", "macros go in the path or the query, not in the host") }
        self.text = text
    }

    /// The template with every macro removed: what `EventTargetRules` and the
    /// address check judge when it is saved.
    public var withoutMacros: String { render([:]) }

    /// The URL with each macro's value percent-encoded (a missing value is empty).
    public func render(_ values: [String: String]) -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            result += Self.percentEncoded(values[String(rest[rest.index(after: open)..<close])] ?? "")
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// Every byte of UTF-8 but the unreserved characters of RFC 3986 as `%XX`.
    public static func percentEncoded(_ value: String) -> String {
        var result = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return result
    }

    /// The request a rendered URL makes with `method`.
    public static func request(url: String, method: PostbackMethod) -> PostbackRequest {
        guard method != .get, let question = url.firstIndex(of: "?") else { return PostbackRequest(method: method, url: url, body: nil) }
        let base = String(url[..<question])
        let query = String(url[url.index(after: question)...])
        switch method {
        case .get:
            return PostbackRequest(method: method, url: url, body: nil)
        case .postForm:
            return PostbackRequest(method: method, url: base, body: query)
        case .postJSON:
            var object = "{"
            for (index, pair) in query.split(separator: "&", omittingEmptySubsequences: true).enumerated() {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = percentDecoded(String(parts[0])), value = parts.count > 1 ? percentDecoded(String(parts[1])) : ""
                object += (index == 0 ? "" : ",") + jsonString(name) + ":" + jsonString(value)
            }
            return PostbackRequest(method: method, url: base, body: object + "}")
        }
    }

    static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// A postback's request as rendered when its event happened.
public struct PostbackRequest: Sendable, Equatable {
    public var method: PostbackMethod
    public var url: String
    /// The form or JSON body of a POST; nil for GET.
    public var body: String?

    public init(method: PostbackMethod, url: String, body: String?) {
        self.method = method
        self.url = url
        self.body = body
    }
}

/// A partner's postback as its partner and the brand see it.
public struct Postback: Sendable, Equatable {
    public var endpointID: Int64
    public var partnerID: UInt32
    public var template: String
    public var method: PostbackMethod
    public var status: EndpointStatus
    public var disabledReason: String?

    public init(endpointID: Int64, partnerID: UInt32, template: String, method: PostbackMethod, status: EndpointStatus,
                disabledReason: String?) {
        self.endpointID = endpointID
        self.partnerID = partnerID
        self.template = template
        self.method = method
        self.status = status
        self.disabledReason = disabledReason
    }

    /// Why the brand disabled it: a partner's own change does not enable it again.
    public static let disabledByBrand = "disabled by the brand"
}
