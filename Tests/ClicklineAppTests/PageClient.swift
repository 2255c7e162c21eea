import Foundation

/// A browser without a screen, for the pages over plain HTTP: it keeps the
/// cookies it is given, reads the form token of the last page, and sends
/// forms as a browser would (`application/x-www-form-urlencoded`).
final class PageClient {
    let port: Int
    private(set) var cookies: [String: String] = [:]
    /// The last page's body.
    private(set) var page = ""
    /// Set-Cookie headers of the last answer.
    private(set) var setCookies: [String] = []

    init(port: Int) {
        self.port = port
    }

    var cookieHeader: String { cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

    /// The CSRF token of the last page's first form.
    var csrf: String? { Self.capture(#"name="csrf" value="([^"]*)""#, in: page) }

    @discardableResult
    func get(_ path: String) throws -> RawConnection.Response {
        try send("GET", path, body: nil)
    }

    /// POSTs `fields`, with the last page's CSRF token unless `csrf` is given (or `nil` to send none).
    @discardableResult
    func post(_ path: String, _ fields: [(String, String)], csrf: String?? = .none) throws -> RawConnection.Response {
        var all = fields
        switch csrf {
        case .none: if let token = self.csrf { all.append(("csrf", token)) }
        case .some(.some(let token)): all.append(("csrf", token))
        case .some(.none): break
        }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let body = all.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
        return try send("POST", path, body: body)
    }

    private func send(_ method: String, _ path: String, body: String?) throws -> RawConnection.Response {
        let connection = try RawConnection(port: port)
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nUser-Agent: PageClient\r\n"
        if !cookies.isEmpty { request += "Cookie: \(cookieHeader)\r\n" }
        if let body {
            request += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        } else {
            request += "\r\n"
        }
        try connection.send(request)
        let response = try connection.receive()
        setCookies = response.headers.filter { $0.0.lowercased() == "set-cookie" }.map(\.1)
        for line in setCookies {
            guard let pair = line.split(separator: ";").first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals]).trimmingCharacters(in: .whitespaces), value = String(pair[pair.index(after: equals)...])
            if value.isEmpty || line.contains("Max-Age=0") || line.contains("1970") { cookies[name] = nil } else { cookies[name] = value }
        }
        if response.header("Content-Type")?.hasPrefix("text/html") == true { page = response.text }
        return response
    }

    static func capture(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), match.numberOfRanges > 1,
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }
}
