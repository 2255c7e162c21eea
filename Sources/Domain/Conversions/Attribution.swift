/// Who a conversion credits, decided from its evidence: a promo code that a
/// live member holds, and a click found by its id. Pure: the store gathers
/// the candidates, this decides, and the decision is stored with the
/// conversion so that a dispute is answered from data.
public struct AttributionDecision: Sendable, Equatable, Codable {
    /// What the winning evidence was.
    public enum Winner: String, Sendable, Codable {
        case code, click, none
    }

    public var winner: Winner
    /// The credited partner; nil when nobody is credited.
    public var partnerID: UInt32?
    public var policy: CreditPolicy
    /// Why, in words a brand or partner can read.
    public var reason: String

    public init(winner: Winner, partnerID: UInt32?, policy: CreditPolicy, reason: String) {
        self.winner = winner
        self.partnerID = partnerID
        self.policy = policy
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case winner
        case partnerID = "partner_id"
        case policy, reason
    }
}

/// The evidence of one conversion.
public struct AttributionCandidates: Sendable, Equatable, Codable {
    /// A promo code on the order, and what redeeming it came to.
    public var code: CodeCandidate?
    /// A click id on the order, and the click it named, if stored.
    public var click: ClickCandidate?

    public init(code: CodeCandidate? = nil, click: ClickCandidate? = nil) {
        self.code = code
        self.click = click
    }

    public struct CodeCandidate: Sendable, Equatable, Codable {
        public var code: String
        /// The member holding the code; nil when the code credits nobody.
        public var partnerID: UInt32?
        /// Why the code credits nobody, when it does not.
        public var refusal: String?

        public init(code: String, partnerID: UInt32?, refusal: String? = nil) {
            self.code = code
            self.partnerID = partnerID
            self.refusal = refusal
        }

        enum CodingKeys: String, CodingKey {
            case code
            case partnerID = "partner_id"
            case refusal
        }
    }

    public struct ClickCandidate: Sendable, Equatable, Codable {
        /// The click id as sent.
        public var clickID: String
        /// Whether a stored click of this offer has that id.
        public var found: Bool
        /// The partner the click credited (0 when it credited nobody).
        public var partnerID: UInt32
        /// The click's time, milliseconds since the Unix epoch.
        public var clickedAt: Int64
        /// Whether the click was billable (bots and unattributed clicks credit nobody).
        public var billable: Bool

        public init(clickID: String, found: Bool, partnerID: UInt32 = 0, clickedAt: Int64 = 0, billable: Bool = false) {
            self.clickID = clickID
            self.found = found
            self.partnerID = partnerID
            self.clickedAt = clickedAt
            self.billable = billable
        }

        enum CodingKeys: String, CodingKey {
            case clickID = "click_id"
            case found
            case partnerID = "partner_id"
            case clickedAt = "clicked_at"
            case billable
        }
    }
}

public enum Attribution {
    /// Decides the credit of a conversion at `now` (milliseconds):
    /// - a code credits its member when it was redeemed;
    /// - a click credits its partner when it was found, billable and no older
    ///   than the window (`windowDays`);
    /// - with both, the policy decides: `code_first` (the default) gives the
    ///   code the credit, `click_first` the click.
    public static func decide(_ candidates: AttributionCandidates, policy: CreditPolicy, windowDays: Int, now: Int64) -> AttributionDecision {
        var codeCredit: UInt32?
        var reasons: [String] = []
        if let code = candidates.code {
            if let partner = code.partnerID {
                codeCredit = partner
            } else {
                reasons.append("code \(code.code) credits nobody (\(code.refusal ?? "unknown"))")
            }
        }
        var clickCredit: UInt32?
        if let click = candidates.click {
            let window = Int64(windowDays) * 86_400_000
            if !click.found {
                reasons.append("click \(click.clickID) was not found for this offer")
            } else if !click.billable || click.partnerID == 0 {
                reasons.append("click \(click.clickID) was not billable")
            } else if now - click.clickedAt > window {
                reasons.append("click \(click.clickID) is older than the \(windowDays)-day window")
            } else {
                clickCredit = click.partnerID
            }
        }
        switch (codeCredit, clickCredit) {
        case let (code?, click?):
            if policy == .clickFirst {
                return AttributionDecision(winner: .click, partnerID: click, policy: policy,
                                           reason: "both a code and a click; click_first gives the click the credit")
            }
            return AttributionDecision(winner: .code, partnerID: code, policy: policy,
                                       reason: "both a code and a click; code_first gives the code the credit")
        case let (code?, nil):
            return AttributionDecision(winner: .code, partnerID: code, policy: policy,
                                       reason: (["promo code redeemed"] + reasons).joined(separator: "; "))
        case let (nil, click?):
            return AttributionDecision(winner: .click, partnerID: click, policy: policy,
                                       reason: (["click within the window"] + reasons).joined(separator: "; "))
        case (nil, nil):
            return AttributionDecision(winner: .none, partnerID: nil, policy: policy,
                                       reason: reasons.isEmpty ? "no code and no click" : reasons.joined(separator: "; "))
        }
    }
}

/// One line of commission a conversion earns.
public struct CommissionLine: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case direct
        case parentOverride = "parent_override"
    }

    public var partnerID: UInt32
    public var minorUnits: Int64
    public var kind: Kind

    public init(partnerID: UInt32, minorUnits: Int64, kind: Kind) {
        self.partnerID = partnerID
        self.minorUnits = minorUnits
        self.kind = kind
    }
}

public enum Commissions {
    /// The lines a sale of `amount` minor units earns for `partnerID`: the
    /// member's payout override or else the offer's payout (flat, or a percent
    /// of the amount, half away from zero), and, when the offer sets a parent
    /// override and the partner has a parent, the parent's percent of that
    /// commission as a line of its own. Zero lines are left out.
    public static func lines(amount: Int64, partnerID: UInt32, parentID: UInt32?, payout: Payout, override: Payout?,
                             parentOverride: Percent?) -> [CommissionLine] {
        let direct: Int64
        switch override ?? payout {
        case .flat(let minorUnits): direct = minorUnits
        case .percent(let percent): direct = MinorUnits.percent(amount, basisPoints: percent.basisPoints)
        }
        var lines: [CommissionLine] = []
        if direct != 0 { lines.append(CommissionLine(partnerID: partnerID, minorUnits: direct, kind: .direct)) }
        if let parentID, let parentOverride {
            let share = MinorUnits.percent(direct, basisPoints: parentOverride.basisPoints)
            if share != 0 { lines.append(CommissionLine(partnerID: parentID, minorUnits: share, kind: .parentOverride)) }
        }
        return lines
    }
}
