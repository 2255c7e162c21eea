import ClickModel

/// What an offer pays per conversion: a flat amount in the workspace currency's
/// minor units, or a percent of the sale amount.
public enum Payout: Sendable, Hashable {
    case flat(minorUnits: Int64)
    case percent(Percent)

    /// The largest flat payout accepted: 1,000,000,000 minor units (ten million
    /// in a two-decimal currency). Anything above is a typo, not a payout.
    public static let maxFlatMinorUnits: Int64 = 1_000_000_000
}

/// A percentage with two decimals, held exactly as basis points (hundredths
/// of a percent): 12.5 % is 1,250. Never a floating-point number, because
/// commissions computed from it must be exact to the cent.
public struct Percent: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Hundredths of a percent, 0 through 10,000.
    public let basisPoints: Int64

    public init?(basisPoints: Int64) {
        guard (0...10_000).contains(basisPoints) else { return nil }
        self.basisPoints = basisPoints
    }

    /// Parses `12`, `12.5` or `12.50`: 0 to 100 with at most two decimals.
    public init?(_ text: String) {
        guard let hundredths = Decimal2.parse(text), let percent = Percent(basisPoints: hundredths) else { return nil }
        self = percent
    }

    /// `12.5` for 1,250 basis points; `12` for 1,200.
    public var description: String { Decimal2.format(basisPoints) }

    public static func < (a: Percent, b: Percent) -> Bool { a.basisPoints < b.basisPoints }
}

/// Which evidence wins when an order carries both a promo code and a click.
public enum CreditPolicy: String, Sendable, Codable, CaseIterable {
    case codeFirst = "code_first"
    case clickFirst = "click_first"
}

/// How an offer of type `promo_code` makes and limits its members' codes.
public struct PromoSettings: Sendable, Hashable, Codable {
    public var groupName: String?
    public var naming: Naming
    public var discount: Discount?
    public var restrictions: Restrictions
    /// How many orders one code may be redeemed on; nil for no limit.
    public var usageLimitPerCode: Int?

    public init(groupName: String? = nil, naming: Naming = Naming(), discount: Discount? = nil,
                restrictions: Restrictions = Restrictions(), usageLimitPerCode: Int? = nil) {
        self.groupName = groupName
        self.naming = naming
        self.discount = discount
        self.restrictions = restrictions
        self.usageLimitPerCode = usageLimitPerCode
    }

    public struct Naming: Sendable, Hashable, Codable {
        public enum Strategy: String, Sendable, Codable, CaseIterable {
            /// The member's first name and the discount: `JANE20`.
            case nameDiscount = "name_discount"
            /// Random characters only.
            case random
            /// The offer's prefix and random characters: `SUMMER-7KQ2`.
            case custom
        }

        public var strategy: Strategy
        public var prefix: String?
        /// How many random characters `random` and `custom` codes carry (4 to 16, default 8).
        public var length: Int?

        public init(strategy: Strategy = .nameDiscount, prefix: String? = nil, length: Int? = nil) {
            self.strategy = strategy
            self.prefix = prefix
            self.length = length
        }
    }

    public struct Discount: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Codable, CaseIterable {
            case percent, amount
        }

        public var type: Kind
        /// Whole percent for `percent` (1 to 100), minor units for `amount`.
        public var value: Int64

        public init(type: Kind, value: Int64) {
            self.type = type
            self.value = value
        }
    }

    public struct Restrictions: Sendable, Hashable, Codable {
        /// The smallest order subtotal the code applies to, in minor units.
        public var minPurchase: Int64?
        public var oncePerCustomer: Bool
        public var newCustomersOnly: Bool

        public init(minPurchase: Int64? = nil, oncePerCustomer: Bool = false, newCustomersOnly: Bool = false) {
            self.minPurchase = minPurchase
            self.oncePerCustomer = oncePerCustomer
            self.newCustomersOnly = newCustomersOnly
        }

        enum CodingKeys: String, CodingKey {
            case minPurchase = "min_purchase"
            case oncePerCustomer = "once_per_customer"
            case newCustomersOnly = "new_customers_only"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            minPurchase = try container.decodeIfPresent(Int64.self, forKey: .minPurchase)
            oncePerCustomer = try container.decodeIfPresent(Bool.self, forKey: .oncePerCustomer) ?? false
            newCustomersOnly = try container.decodeIfPresent(Bool.self, forKey: .newCustomersOnly) ?? false
        }
    }

    enum CodingKeys: String, CodingKey {
        case groupName = "group_name"
        case naming, discount, restrictions
        case usageLimitPerCode = "usage_limit_per_code"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        groupName = try container.decodeIfPresent(String.self, forKey: .groupName)
        naming = try container.decodeIfPresent(Naming.self, forKey: .naming) ?? Naming()
        discount = try container.decodeIfPresent(Discount.self, forKey: .discount)
        restrictions = try container.decodeIfPresent(Restrictions.self, forKey: .restrictions) ?? Restrictions()
        usageLimitPerCode = try container.decodeIfPresent(Int.self, forKey: .usageLimitPerCode)
    }

    /// What is wrong with these settings, as (field, message), or nil.
    /// Field names are relative to the offer's `promo` object.
    public func problem() -> (field: String, message: String)? {
        if let prefix = naming.prefix, !prefix.isEmpty {
            guard prefix.utf8.count <= 16, Code(prefix) != nil else {
                return ("naming.prefix", "a prefix is 1 to 16 characters of A-Z a-z 0-9 - _")
            }
        } else if naming.strategy == .custom {
            return ("naming.prefix", "the custom strategy needs a prefix")
        }
        if let length = naming.length, !(4...16).contains(length) {
            return ("naming.length", "the length of the random part is 4 to 16")
        }
        if let discount {
            switch discount.type {
            case .percent where !(1...100).contains(discount.value):
                return ("discount.value", "a percent discount is a whole number from 1 to 100")
            case .amount where !(1...Payout.maxFlatMinorUnits).contains(discount.value):
                return ("discount.value", "an amount discount is 1 to \(Payout.maxFlatMinorUnits) minor units")
            default: break
            }
        }
        if let minPurchase = restrictions.minPurchase, !(0...Payout.maxFlatMinorUnits).contains(minPurchase) {
            return ("restrictions.min_purchase", "the minimum purchase is 0 to \(Payout.maxFlatMinorUnits) minor units")
        }
        if let limit = usageLimitPerCode, limit < 1 {
            return ("usage_limit_per_code", "the usage limit is at least 1, or absent for no limit")
        }
        if let groupName, groupName.utf8.count > 200 {
            return ("group_name", "the group name is at most 200 bytes")
        }
        return nil
    }
}

/// Fixed-point numbers with two decimals (percents), as integers of
/// hundredths: text like `12.5` becomes 1,250 (through `DecimalText`, which
/// reads amounts of money too) and back.
public enum Decimal2 {
    /// `12`, `12.5`, `12.50` (no sign, no exponent, at most two decimals and
    /// twelve integer digits) as hundredths; nil for anything else.
    public static func parse(_ text: String) -> Int64? {
        DecimalText.parse(text, fractionDigits: 2, maxIntegerDigits: 12)
    }

    /// 1,250 as `12.5`, 1,200 as `12`, 1,205 as `12.05`.
    public static func format(_ hundredths: Int64) -> String {
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = hundredths.magnitude
        let whole = magnitude / 100, fraction = magnitude % 100
        if fraction == 0 { return "\(sign)\(whole)" }
        if fraction % 10 == 0 { return "\(sign)\(whole).\(fraction / 10)" }
        return "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
