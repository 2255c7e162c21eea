/// The customer an order names (SPEC section 14): its email as compared,
/// never stored, and a hash of it, stored with the conversion so that the
/// same customer is found again.
public struct Customer: Sendable, Equatable {
    /// Lower case, without surrounding spaces.
    public var email: String
    /// Hex SHA-256 of `email`.
    public var hash: String

    public init(email: String, hash: String) {
        self.email = email
        self.hash = hash
    }

    /// An email as compared: trimmed and lower case; nil for anything that
    /// is not one address (no `@`, spaces inside, longer than 254 bytes).
    public static func normalized(_ text: String?) -> String? {
        guard let text else { return nil }
        let email = text.trimmingSpaces().lowercased()
        guard email.utf8.count <= 254, let at = email.firstIndex(of: "@"), at != email.startIndex, email.index(after: at) != email.endIndex,
              !email.contains(where: { $0.isWhitespace }) else { return nil }
        return email
    }
}

/// A partner converting on its own order: the customer's email is the
/// credited partner's own. Flagged `self_referral`.
public enum SelfReferral {
    public static let code = "self_referral"

    public static func flag(customer: Customer?, partnerEmail: String?) -> QualityFlag? {
        guard let customer, let partnerEmail = Customer.normalized(partnerEmail), partnerEmail == customer.email else { return nil }
        return QualityFlag(code: code, detail: "the customer's email is the credited partner's own")
    }
}

/// One customer converting through several partners in a short while: a
/// partner ring passing one buyer around, or a cashback loop. Flagged
/// `shared_customer` when the customer's conversions of the last
/// `windowDays` were credited to at least `minimumPartners` partners, this
/// one included. A shopper who buys twice through two creators is ordinary;
/// hence three by default.
public struct SharedCustomer: Sendable, Equatable {
    public static let code = "shared_customer"
    /// 0 turns the check off (`--shared-customer-partners`).
    public var minimumPartners: Int
    public var windowDays: Int

    public init(minimumPartners: Int = 3, windowDays: Int = 30) {
        self.minimumPartners = minimumPartners
        self.windowDays = windowDays
    }

    /// The flag for a conversion whose customer converted through `partners`
    /// partners in the window (this conversion's included), if it is one.
    public func flag(partners: Int) -> QualityFlag? {
        guard minimumPartners > 0, partners >= minimumPartners else { return nil }
        return QualityFlag(code: Self.code, detail: "the customer converted through \(partners) partners in \(windowDays) days, "
                           + "\(minimumPartners) or more is suspect")
    }
}
