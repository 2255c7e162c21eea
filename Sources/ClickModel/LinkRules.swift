/// A link's rules (SPEC section 12): an ordered list, the first whose
/// conditions all hold chooses where the click goes, either one destination or
/// a weighted split. Values here are validated; the API turns its JSON into
/// them, and the link table compiles them into flat entries the edge walks
/// without allocating.
public struct LinkRule: Sendable, Equatable {
    /// The most rules a link may have.
    public static let maxRules = 32
    /// The most values one condition may list.
    public static let maxValues = 64
    public static let variantCounts: ClosedRange<Int> = 2...10

    public var name: String?
    /// All must hold; none always holds.
    public var conditions: [RuleCondition]
    public var target: RuleTarget

    public init(name: String? = nil, conditions: [RuleCondition], target: RuleTarget) {
        self.name = name
        self.conditions = conditions
        self.target = target
    }
}

/// Where a matching rule sends the click.
public enum RuleTarget: Sendable, Equatable {
    case destination(Destination)
    /// 2 to 10 variants whose integer weights sum to 100.
    case split([SplitVariant])
}

public struct SplitVariant: Sendable, Equatable {
    public var destination: Destination
    public var weight: Int

    public init(destination: Destination, weight: Int) {
        self.destination = destination
        self.weight = weight
    }
}

/// One condition of a rule.
public enum RuleCondition: Sendable, Equatable {
    case device([DeviceClass])
    case browser([BrowserClass])
    /// ISO 3166-1 alpha-2 codes, upper case. Never holds without a country database.
    case country([CountryCode])
    /// BCP 47 primary tags, lower case: the shopper's preferred language is one of them.
    case language([String])
    /// The credited partner is one of these.
    case partner([Code])
    case ip([IPRange])
    /// A query parameter is present, or equals a value (compared as sent, after percent-decoding).
    case query(parameter: String, equals: String?)
    /// Milliseconds since the Unix epoch: the click is before, or at or after, this time.
    case before(Int64)
    case after(Int64)

    /// The names of the condition types, as the API writes them.
    public static let typeNames = ["device", "browser", "country", "language", "partner", "ip", "query", "before", "after"]
}

/// A visitor's device, from the user agent. A visitor can be several at once:
/// an iPhone is `ios` and `mobile`.
public enum DeviceClass: String, Sendable, Codable, CaseIterable {
    case ios, android, mobile, tablet, desktop, windows, macos, linux, chromeos

    /// The class's bit in `VisitorTraits.classify`'s set.
    @inlinable public var bit: UInt16 {
        switch self {
        case .ios: 1 << 0
        case .android: 1 << 1
        case .mobile: 1 << 2
        case .tablet: 1 << 3
        case .desktop: 1 << 4
        case .windows: 1 << 5
        case .macos: 1 << 6
        case .linux: 1 << 7
        case .chromeos: 1 << 8
        }
    }
}

/// A visitor's browser, from the user agent; in-app browsers by their app.
public enum BrowserClass: String, Sendable, Codable, CaseIterable {
    case chrome, safari, firefox, edge, samsung, instagram, facebook, tiktok

    @inlinable public var bit: UInt16 {
        switch self {
        case .chrome: 1 << 0
        case .safari: 1 << 1
        case .firefox: 1 << 2
        case .edge: 1 << 3
        case .samsung: 1 << 4
        case .instagram: 1 << 5
        case .facebook: 1 << 6
        case .tiktok: 1 << 7
        }
    }
}

/// An ISO 3166-1 alpha-2 country code in two bytes, as clicks store it.
public struct CountryCode: Sendable, Hashable, BitwiseCopyable, Codable, CustomStringConvertible {
    /// The two upper-case ASCII letters, the first in the high byte; 0 for none.
    public var rawValue: UInt16

    public static let none = CountryCode(rawValue: 0)

    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Two ASCII letters, in either case.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 2, bytes.allSatisfy({ ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }) else {
            return nil
        }
        rawValue = UInt16(bytes[0] & ~0x20) << 8 | UInt16(bytes[1] & ~0x20)
    }

    public var description: String {
        rawValue == 0 ? "" : String(decoding: [UInt8(rawValue >> 8), UInt8(rawValue & 0xFF)], as: UTF8.self)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let code = CountryCode(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a country code: \(text)"))
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Destination: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try Destination(validating: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(url)
    }
}

extension Code: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let code = Code(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a code: \(text)"))
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

extension IPRange: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let range = IPRange(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a CIDR range: \(text)"))
        }
        self = range
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

// MARK: - Stored form

// Rules are stored as JSON in SPEC section 12's shape, except that `before`
// and `after` keep their time as milliseconds since the Unix epoch (`at_ms`):
// the API shows it as RFC 3339.
extension LinkRule: Codable {
    enum CodingKeys: String, CodingKey {
        case name
        case conditions = "if"
        case destinationURL = "destination_url"
        case split
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        conditions = try c.decodeIfPresent([RuleCondition].self, forKey: .conditions) ?? []
        if let split = try c.decodeIfPresent([SplitVariant].self, forKey: .split) {
            target = .split(split)
        } else {
            target = .destination(try c.decode(Destination.self, forKey: .destinationURL))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encode(conditions, forKey: .conditions)
        switch target {
        case .destination(let destination): try c.encode(destination, forKey: .destinationURL)
        case .split(let variants): try c.encode(variants, forKey: .split)
        }
    }
}

extension SplitVariant: Codable {
    enum CodingKeys: String, CodingKey {
        case destination = "destination_url"
        case weight
    }
}

extension RuleCondition: Codable {
    enum CodingKeys: String, CodingKey {
        case type, values = "in", parameter = "param", equals, milliseconds = "at_ms"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "device": self = .device(try c.decode([DeviceClass].self, forKey: .values))
        case "browser": self = .browser(try c.decode([BrowserClass].self, forKey: .values))
        case "country": self = .country(try c.decode([CountryCode].self, forKey: .values))
        case "language": self = .language(try c.decode([String].self, forKey: .values))
        case "partner": self = .partner(try c.decode([Code].self, forKey: .values))
        case "ip": self = .ip(try c.decode([IPRange].self, forKey: .values))
        case "query": self = .query(parameter: try c.decode(String.self, forKey: .parameter),
                                    equals: try c.decodeIfPresent(String.self, forKey: .equals))
        case "before": self = .before(try c.decode(Int64.self, forKey: .milliseconds))
        case "after": self = .after(try c.decode(Int64.self, forKey: .milliseconds))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown condition type \(other)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(typeName, forKey: .type)
        switch self {
        case .device(let values): try c.encode(values, forKey: .values)
        case .browser(let values): try c.encode(values, forKey: .values)
        case .country(let values): try c.encode(values, forKey: .values)
        case .language(let values): try c.encode(values, forKey: .values)
        case .partner(let values): try c.encode(values, forKey: .values)
        case .ip(let values): try c.encode(values, forKey: .values)
        case .query(let parameter, let equals):
            try c.encode(parameter, forKey: .parameter)
            try c.encodeIfPresent(equals, forKey: .equals)
        case .before(let time), .after(let time): try c.encode(time, forKey: .milliseconds)
        }
    }

    /// The condition's `type` as the API writes it.
    public var typeName: String {
        switch self {
        case .device: "device"
        case .browser: "browser"
        case .country: "country"
        case .language: "language"
        case .partner: "partner"
        case .ip: "ip"
        case .query: "query"
        case .before: "before"
        case .after: "after"
        }
    }
}

// MARK: - Validation of single values

extension LinkRule {
    /// A BCP 47 primary language subtag (2 or 3 letters), lower-cased; nil otherwise.
    public static func languageTag(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard (2...3).contains(bytes.count),
              bytes.allSatisfy({ ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }) else { return nil }
        return String(decoding: bytes.map { $0 | 0x20 }, as: UTF8.self)
    }

    /// A query parameter name as a condition may name it: 1 to 64 bytes of
    /// visible ASCII other than `&`, `=`, `#` and `%`.
    public static func isParameterName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return (1...64).contains(bytes.count) && bytes.allSatisfy {
            $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "&") && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "#")
                && $0 != UInt8(ascii: "%")
        }
    }
}
