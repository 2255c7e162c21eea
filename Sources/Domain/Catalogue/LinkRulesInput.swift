import ClickModel

/// Link rules as a client writes them (SPEC section 12), before validation:
/// every field as sent, so that a mistake is refused with its place named
/// (`rules[2].if[0].in[1]`) rather than as a shape error.
public struct LinkRuleInput: Codable, Sendable, Equatable {
    public var name: String?
    public var conditions: [ConditionInput]?
    public var destinationURL: String?
    public var split: [VariantInput]?

    public init(name: String? = nil, conditions: [ConditionInput]?, destinationURL: String?, split: [VariantInput]? = nil) {
        self.name = name
        self.conditions = conditions
        self.destinationURL = destinationURL
        self.split = split
    }

    enum CodingKeys: String, CodingKey {
        case name
        case conditions = "if"
        case destinationURL = "destination_url"
        case split
    }

    public struct ConditionInput: Codable, Sendable, Equatable {
        public var type: String
        public var values: [String]?
        public var parameter: String?
        public var equals: String?
        public var at: String?

        public init(type: String, values: [String]? = nil, parameter: String? = nil, equals: String? = nil, at: String? = nil) {
            self.type = type
            self.values = values
            self.parameter = parameter
            self.equals = equals
            self.at = at
        }

        enum CodingKeys: String, CodingKey {
            case type, values = "in", parameter = "param", equals, at
        }
    }

    public struct VariantInput: Codable, Sendable, Equatable {
        public var destinationURL: String
        public var weight: Int

        public init(destinationURL: String, weight: Int) {
            self.destinationURL = destinationURL
            self.weight = weight
        }

        enum CodingKeys: String, CodingKey {
            case destinationURL = "destination_url"
            case weight
        }
    }

    // Absent fields are left out, as a client writes them.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encode(conditions ?? [], forKey: .conditions)
        try c.encodeIfPresent(destinationURL, forKey: .destinationURL)
        try c.encodeIfPresent(split, forKey: .split)
    }
}

extension LinkRuleInput {
    /// Validates a link's rules, or throws a 422-worthy error naming the field.
    ///
    /// - Parameters:
    ///   - field: where the list sits in the request (`rules`).
    ///   - parseTime: reads an RFC 3339 time as milliseconds since the Unix epoch.
    public static func validate(_ inputs: [LinkRuleInput], field: String = "rules",
                                parseTime: (String) -> Int64?) throws(DomainError) -> [LinkRule] {
        guard inputs.count <= LinkRule.maxRules else {
            throw .invalid(field, "at most \(LinkRule.maxRules) rules, not \(inputs.count)")
        }
        var rules: [LinkRule] = []
        for (index, input) in inputs.enumerated() {
            rules.append(try input.validated(field: "\(field)[\(index)]", parseTime: parseTime))
        }
        return rules
    }

    func validated(field: String, parseTime: (String) -> Int64?) throws(DomainError) -> LinkRule {
        if let name, name.utf8.count > 200 { throw .invalid("\(field).name", "at most 200 bytes") }
        var conditions: [RuleCondition] = []
        for (index, input) in (self.conditions ?? []).enumerated() {
            conditions.append(try input.validated(field: "\(field).if[\(index)]", parseTime: parseTime))
        }
        let target: RuleTarget
        switch (destinationURL, split) {
        case (let url?, nil):
            target = .destination(try Self.destination(url, "\(field).destination_url"))
        case (nil, let split?):
            guard LinkRule.variantCounts.contains(split.count) else {
                throw .invalid("\(field).split", "a split has 2 to 10 variants, not \(split.count)")
            }
            var variants: [SplitVariant] = []
            for (index, variant) in split.enumerated() {
                guard (1...100).contains(variant.weight) else {
                    throw .invalid("\(field).split[\(index)].weight", "must be from 1 to 100")
                }
                variants.append(SplitVariant(destination: try Self.destination(variant.destinationURL, "\(field).split[\(index)].destination_url"),
                                             weight: variant.weight))
            }
            let total = variants.reduce(0) { $0 + $1.weight }
            guard total == 100 else { throw .invalid("\(field).split", "the weights sum to \(total), not 100") }
            target = .split(variants)
        case (nil, nil):
            throw .invalid("\(field).destination_url", "a rule needs destination_url or split")
        case (.some, .some):
            throw .invalid("\(field).split", "a rule has destination_url or split, not both")
        }
        return LinkRule(name: name, conditions: conditions, target: target)
    }

    static func destination(_ text: String, _ field: String) throws(DomainError) -> Destination {
        do {
            return try Destination(validating: text)
        } catch {
            throw .invalid(field, "\(error)")
        }
    }

    /// The input that gives back `rule` (times written by `formatTime`).
    public init(_ rule: LinkRule, formatTime: (Int64) -> String) {
        name = rule.name
        conditions = rule.conditions.map { ConditionInput($0, formatTime: formatTime) }
        switch rule.target {
        case .destination(let destination):
            destinationURL = destination.url
        case .split(let variants):
            split = variants.map { VariantInput(destinationURL: $0.destination.url, weight: $0.weight) }
        }
    }
}

extension LinkRuleInput.ConditionInput {
    func validated(field: String, parseTime: (String) -> Int64?) throws(DomainError) -> RuleCondition {
        func list() throws(DomainError) -> [String] {
            guard parameter == nil, equals == nil, at == nil else {
                throw .invalid(field, "a \(type) condition takes only \"in\"")
            }
            guard let values, !values.isEmpty else { throw .invalid("\(field).in", "must list at least one value") }
            guard values.count <= LinkRule.maxValues else {
                throw .invalid("\(field).in", "at most \(LinkRule.maxValues) values, not \(values.count)")
            }
            return values
        }
        func each<T>(_ parse: (String) -> T?, _ what: String) throws(DomainError) -> [T] {
            var parsed: [T] = []
            for (index, value) in try list().enumerated() {
                guard let item = parse(value) else { throw .invalid("\(field).in[\(index)]", "\"\(value)\" is not \(what)") }
                parsed.append(item)
            }
            return parsed
        }
        switch type {
        case "device":
            return .device(try each({ DeviceClass(rawValue: $0) }, "a device (\(DeviceClass.allCases.map(\.rawValue).joined(separator: ", ")))"))
        case "browser":
            return .browser(try each({ BrowserClass(rawValue: $0) }, "a browser (\(BrowserClass.allCases.map(\.rawValue).joined(separator: ", ")))"))
        case "country":
            return .country(try each({ CountryCode($0) }, "an ISO 3166-1 alpha-2 country code (CA, FR)"))
        case "language":
            return .language(try each({ LinkRule.languageTag($0) }, "a primary language tag (en, fr)"))
        case "partner":
            return .partner(try each({ Code($0) }, "a partner code"))
        case "ip":
            return .ip(try each({ IPRange($0) }, "an address or CIDR range (203.0.113.0/24, 2001:db8::/32)"))
        case "query":
            guard values == nil, at == nil else { throw .invalid(field, "a query condition takes \"param\" and \"equals\"") }
            guard let parameter, LinkRule.isParameterName(parameter) else {
                throw .invalid("\(field).param", "must be a parameter name of 1 to 64 visible characters other than & = # %")
            }
            if let equals, equals.utf8.count > 256 { throw .invalid("\(field).equals", "at most 256 bytes") }
            return .query(parameter: parameter, equals: equals)
        case "before", "after":
            guard values == nil, parameter == nil, equals == nil else {
                throw .invalid(field, "a \(type) condition takes only \"at\"")
            }
            guard let at, let time = parseTime(at) else {
                throw .invalid("\(field).at", "must be an RFC 3339 time like 2027-01-31T23:59:59Z")
            }
            return type == "before" ? .before(time) : .after(time)
        default:
            throw .invalid("\(field).type", "\"\(type)\" is not a condition type (\(RuleCondition.typeNames.joined(separator: ", ")))")
        }
    }

    init(_ condition: RuleCondition, formatTime: (Int64) -> String) {
        type = condition.typeName
        switch condition {
        case .device(let values): self.values = values.map(\.rawValue)
        case .browser(let values): self.values = values.map(\.rawValue)
        case .country(let values): self.values = values.map(\.description)
        case .language(let values): self.values = values
        case .partner(let values): self.values = values.map(\.value)
        case .ip(let values): self.values = values.map(\.description)
        case .query(let parameter, let equals):
            self.parameter = parameter
            self.equals = equals
        case .before(let time), .after(let time):
            at = formatTime(time)
        }
    }
}
