/// Link rules as the link table holds them: flat entries in arrays of their
/// own, walked on the hot path without allocating or reference counting.
extension LinkTable.View {
    @usableFromInline
    struct RuleEntry: Sendable {
        @usableFromInline var conditionStart: UInt32
        @usableFromInline var conditionCount: UInt32
        @usableFromInline var variantStart: UInt32
        /// 1 for a rule with one destination.
        @usableFromInline var variantCount: UInt32
    }

    @usableFromInline
    enum ConditionKind: UInt8, Sendable {
        case device, browser, country, language, partner, ip, query, before, after
    }

    @usableFromInline
    struct ConditionEntry: Sendable {
        @usableFromInline var kind: ConditionKind
        /// Device or browser classes, as their bits.
        @usableFromInline var mask: UInt16 = 0
        /// Countries, languages or partner ids: `values[valueStart..<valueStart + valueCount]`;
        /// address ranges: `ranges[...]`.
        @usableFromInline var valueStart: UInt32 = 0
        @usableFromInline var valueCount: UInt32 = 0
        @usableFromInline var time: Int64 = 0
        @usableFromInline var parameter = BytesRef(offset: 0, count: 0)
        @usableFromInline var value = BytesRef(offset: 0, count: 0)
        @usableFromInline var hasValue = false
    }

    @usableFromInline
    struct VariantEntry: Sendable {
        @usableFromInline var url: URLRef
        /// The variant takes buckets below this (of 100), and at or above the previous variant's.
        @usableFromInline var upperBound: UInt8
    }

    /// What the rules ask about a click beyond its URL.
    public struct RuleInput {
        public var userAgent: UnsafeRawBufferPointer
        public var acceptLanguage: UnsafeRawBufferPointer
        /// The query of the tracking URL, without its `?`.
        public var query: UnsafeRawBufferPointer
        public var client: IPAddress
        public var country: CountryCode
        public var now: Int64
        /// Keys the split's hash, so that nobody outside can aim for a variant.
        public var splitKey: UInt64
        /// The user agent's device classes and browser bit, when the caller
        /// classified it already; nil: the rules classify it when they need to.
        public var traits: (devices: UInt16, browser: UInt16)?

        @inlinable
        public init(userAgent: UnsafeRawBufferPointer, acceptLanguage: UnsafeRawBufferPointer, query: UnsafeRawBufferPointer,
                    client: IPAddress, country: CountryCode, now: Int64, splitKey: UInt64,
                    devices: UInt16? = nil, browser: UInt16 = 0) {
            self.traits = devices.map { ($0, browser) }
            self.userAgent = userAgent
            self.acceptLanguage = acceptLanguage
            self.query = query
            self.client = client
            self.country = country
            self.now = now
            self.splitKey = splitKey
        }
    }

    /// Whether the click's link has rules at all: the edge skips them otherwise.
    @inlinable @inline(__always)
    public func hasRules(_ resolution: LinkTable.Resolution) -> Bool {
        links[Int(resolution.linkIndex)].ruleCount != 0
    }

    /// Applies the link's rules to a click that goes to the link's destination
    /// (not an inactive offer's or an expired link's fallback): the first rule
    /// whose conditions all hold sets `rule` (its index plus one) and
    /// `variant`, which `location(of:)` then follows.
    @inlinable
    public func applyRules(_ resolution: inout LinkTable.Resolution, _ input: RuleInput) {
        guard resolution.outcome != .inactive && resolution.outcome != .expired else { return }
        let link = links[Int(resolution.linkIndex)]
        guard link.ruleCount != 0 else { return }
        var devices: UInt16 = input.traits?.devices ?? 0, browser: UInt16 = input.traits?.browser ?? 0
        var classified = input.traits != nil
        var language: UInt32 = 0, languageRead = false
        for r in 0..<Int(link.ruleCount) {
            let rule = rules[Int(link.ruleStart) + r]
            var holds = true
            var c = Int(rule.conditionStart)
            let end = c + Int(rule.conditionCount)
            while holds && c < end {
                let condition = conditions[c]
                c += 1
                switch condition.kind {
                case .device, .browser:
                    if !classified {
                        let traits = VisitorTraits.classify(userAgent: input.userAgent)
                        devices = traits.devices
                        browser = traits.browser?.bit ?? 0
                        classified = true
                    }
                    holds = condition.mask & (condition.kind == .device ? devices : browser) != 0
                case .country:
                    holds = input.country != .none && contains(condition, UInt64(input.country.rawValue))
                case .language:
                    if !languageRead {
                        language = VisitorTraits.preferredLanguage(input.acceptLanguage)
                        languageRead = true
                    }
                    holds = language != 0 && contains(condition, UInt64(language))
                case .partner:
                    holds = resolution.creditedPartnerID != 0 && contains(condition, UInt64(resolution.creditedPartnerID))
                case .ip:
                    holds = false
                    for i in Int(condition.valueStart)..<Int(condition.valueStart + condition.valueCount)
                    where ranges[i].contains(input.client) {
                        holds = true
                        break
                    }
                case .query:
                    holds = queryHolds(condition, input.query)
                case .before:
                    holds = input.now < condition.time
                case .after:
                    holds = input.now >= condition.time
                }
            }
            guard holds else { continue }
            resolution.rule = UInt8(r + 1)
            resolution.variant = 0
            if rule.variantCount > 1 {
                let bucket = UInt8(truncatingIfNeeded: Self.splitHash(input, linkID: link.id) % 100)
                var v = 0
                while v < Int(rule.variantCount) - 1 && bucket >= variants[Int(rule.variantStart) + v].upperBound { v += 1 }
                resolution.variant = UInt8(v)
            }
            return
        }
    }

    /// The same visitor (network prefix, user agent) on the same link always
    /// lands in the same bucket, with no cookie: IPv4 by /24, IPv6 by /48.
    @inlinable
    static func splitHash(_ input: RuleInput, linkID: UInt32) -> UInt64 {
        var prefix = input.client
        let kept = prefix.length == 4 ? 3 : 6
        for i in kept..<Int(prefix.length) { prefix.setByte(i, 0) }
        let seed = FastHash.combine(FastHash.combine(input.splitKey, UInt64(linkID)),
                                    FastHash.combine(prefix.words.0 ^ UInt64(prefix.length), prefix.words.1))
        return FastHash.bytes(UnsafeRawBufferPointer(rebasing: input.userAgent.prefix(VisitorTraits.maxUserAgentScan)), seed: seed)
    }

    @inlinable @inline(__always)
    func contains(_ condition: ConditionEntry, _ value: UInt64) -> Bool {
        for i in Int(condition.valueStart)..<Int(condition.valueStart + condition.valueCount) where values[i] == value {
            return true
        }
        return false
    }

    /// A parameter of that name is in the query (and, when the condition has
    /// a value, one of them equals it), both compared after percent-decoding.
    @inlinable
    func queryHolds(_ condition: ConditionEntry, _ query: UnsafeRawBufferPointer) -> Bool {
        guard query.count > 0 else { return false }
        let name = bytes(condition.parameter), value = bytes(condition.value)
        var holds = false
        QueryString.forEachParameter(query) { parameter, parameterName in
            guard !holds, QueryString.decodedName(parameterName.bytes(in: query), equals: name) else { return }
            if !condition.hasValue {
                holds = true
                return
            }
            let valueStart = Int(parameterName.end) + 1, valueEnd = Int(parameter.end)
            let text = valueStart <= valueEnd
                ? UnsafeRawBufferPointer(rebasing: query[valueStart..<valueEnd]) : UnsafeRawBufferPointer(start: nil, count: 0)
            holds = QueryString.decodedName(text, equals: value)
        }
        return holds
    }
}
