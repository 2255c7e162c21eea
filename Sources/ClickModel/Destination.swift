/// A URL registered by the brand as a link's destination or an offer's fallback:
/// the only thing a Location header is ever built from (plus percent-encoded
/// parameters), so the edge cannot be used as an open redirect.
///
/// Validation is strict on purpose: an absolute `http` or `https` URL with a
/// host, no user info, at most 2,048 bytes of visible ASCII, and `%` only as a
/// valid escape. Non-ASCII must be percent-encoded by whoever registers it.
public struct Destination: Hashable, Sendable, CustomStringConvertible {
    /// The longest destination, in bytes.
    public static let maxLength = 2048

    /// The URL with its scheme in lower case.
    public let url: String
    /// Byte offset of the fragment's `#` (or the length when there is none):
    /// where the edge inserts query parameters.
    public let fragmentOffset: Int
    /// Whether the URL has a query before its fragment, so that parameters are
    /// joined with `&` rather than `?`.
    public let hasQuery: Bool

    public var description: String { url }

    /// Validates a destination, or throws what is wrong with it.
    public init(validating text: String) throws(DestinationError) {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= Self.maxLength else { throw .tooLong(bytes.count) }
        if let index = bytes.firstIndex(where: { $0 < 0x21 || $0 > 0x7E }) {
            throw .invalidByte(offset: index, byte: bytes[index])
        }
        let schemeLength: Int
        if Self.hasPrefix(bytes, "https://") {
            schemeLength = 8
        } else if Self.hasPrefix(bytes, "http://") {
            schemeLength = 7
        } else {
            throw .notHTTP
        }
        for i in 0..<(schemeLength - 3) { bytes[i] |= 0x20 }

        // Authority: host[:port], no user info.
        var authorityEnd = schemeLength
        while authorityEnd < bytes.count, ![UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#")].contains(bytes[authorityEnd]) {
            authorityEnd += 1
        }
        let authority = bytes[schemeLength..<authorityEnd]
        guard !authority.isEmpty else { throw .missingHost }
        if authority.contains(UInt8(ascii: "@")) { throw .userInfo }
        try Self.validateAuthority(Array(authority))

        // Path, query and fragment.
        var fragmentOffset = bytes.count
        var hasQuery = false
        var i = authorityEnd
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "#"):
                if fragmentOffset == bytes.count {
                    fragmentOffset = i
                } else {
                    throw .invalidByte(offset: i, byte: byte)
                }
            case UInt8(ascii: "?"):
                if fragmentOffset == bytes.count { hasQuery = true }
            case UInt8(ascii: "%"):
                guard i + 2 < bytes.count, QueryString.hexValue(bytes[i + 1]) != nil,
                      QueryString.hexValue(bytes[i + 2]) != nil else { throw .badEscape(offset: i) }
            default:
                guard QueryString.isQuerySafe(byte) else { throw .invalidByte(offset: i, byte: byte) }
            }
            i += 1
        }
        self.url = String(decoding: bytes, as: UTF8.self)
        self.fragmentOffset = fragmentOffset
        self.hasQuery = hasQuery
    }

    /// Whether the query holds a parameter with this (decoded) name.
    public func hasQueryParameter(named name: String) -> Bool {
        let bytes = Array(url.utf8)
        guard hasQuery, let question = bytes.firstIndex(of: UInt8(ascii: "?")) else { return false }
        let query = Array(bytes[(question + 1)..<fragmentOffset])
        var found = false
        let literal = Array(name.utf8)
        query.withUnsafeBytes { raw in
            literal.withUnsafeBytes { literalRaw in
                QueryString.forEachParameter(raw) { _, nameRange in
                    if QueryString.decodedName(nameRange.bytes(in: raw), equals: literalRaw) { found = true }
                }
            }
        }
        return found
    }

    private static func hasPrefix(_ bytes: [UInt8], _ prefix: String) -> Bool {
        let p = Array(prefix.utf8)
        guard bytes.count >= p.count else { return false }
        for i in 0..<p.count where (bytes[i] | (i < p.count - 3 ? 0x20 : 0)) != p[i] { return false }
        return true
    }

    private static func validateAuthority(_ authority: [UInt8]) throws(DestinationError) {
        var host = authority[...]
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { throw .badHost }
            let inside = authority[1..<close]
            guard !inside.isEmpty, inside.allSatisfy({ QueryString.hexValue($0) != nil || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { throw .badHost }
            host = authority[...close]
            let rest = authority[(close + 1)...]
            if !rest.isEmpty { try validatePort(rest) }
            return
        }
        if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
            host = authority[..<colon]
            try validatePort(authority[colon...])
        }
        guard !host.isEmpty, host.allSatisfy({
            CodeAlphabet.fold($0) != 0 || $0 == UInt8(ascii: ".")
        }) else { throw .badHost }
    }

    private static func validatePort(_ text: ArraySlice<UInt8>) throws(DestinationError) {
        guard text.first == UInt8(ascii: ":") else { throw .badHost }
        let digits = text.dropFirst()
        guard !digits.isEmpty, digits.count <= 5,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let port = Int(String(decoding: digits, as: UTF8.self)), (1...65535).contains(port)
        else { throw .badPort }
    }
}

/// What is wrong with a destination URL. The message never repeats the URL.
public enum DestinationError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case tooLong(Int)
    case invalidByte(offset: Int, byte: UInt8)
    case notHTTP
    case missingHost
    case userInfo
    case badHost
    case badPort
    case badEscape(offset: Int)

    public var description: String {
        switch self {
        case .empty: "is empty"
        case .tooLong(let count): "is \(count) bytes long; the limit is \(Destination.maxLength)"
        case .invalidByte(let offset, let byte):
            "has a character that must be percent-encoded (byte 0x\(String(byte, radix: 16, uppercase: true)) at offset \(offset))"
        case .notHTTP: "must be an absolute http:// or https:// URL"
        case .missingHost: "has no host"
        case .userInfo: "must not carry a user name or password"
        case .badHost: "has an invalid host"
        case .badPort: "has an invalid port"
        case .badEscape(let offset): "has a % not followed by two hex digits at offset \(offset)"
        }
    }
}
