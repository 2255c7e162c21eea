/// The review queue (SPEC section 14): a conversion the offer's policy holds
/// waits, with its commission lines, until the brand approves or rejects it.
/// Every decision is logged (who, when, why) and can be reversed by the other.
extension Conversion {
    public enum Review: String, Sendable, Codable, CaseIterable {
        /// Waiting: its lines are `held`, never due, never paid.
        case held
        /// Its lines earn as any other: pending through the offer's hold days, then due.
        case approved
        /// Its lines are `rejected`: they earn nothing.
        case rejected
    }
}

/// One entry of a conversion's review log.
public struct ReviewEntry: Sendable, Equatable {
    public enum Decision: String, Sendable, Codable, CaseIterable {
        /// Held at recording, by the offer's policy (`by` is "clickline").
        case held
        case approved
        case rejected
    }

    public var decision: Decision
    public var reason: String
    /// Who decided: a teammate's email, or the API key's role.
    public var by: String
    /// Milliseconds since the Unix epoch.
    public var at: Int64

    public init(decision: Decision, reason: String, by: String, at: Int64) {
        self.decision = decision
        self.reason = reason
        self.by = by
        self.at = at
    }
}

/// A brand's decision on a conversion.
public struct ReviewDecision: Sendable {
    public enum Verdict: String, Sendable {
        case approve, reject
    }

    public var conversionID: Int64
    public var verdict: Verdict
    public var reason: String
    public var by: String
    public var at: Int64

    public init(conversionID: Int64, verdict: Verdict, reason: String, by: String, at: Int64) {
        self.conversionID = conversionID
        self.verdict = verdict
        self.reason = reason
        self.by = by
        self.at = at
    }

    /// The longest reason kept.
    public static let maximumReasonLength = 500
}

public enum ReviewRules {
    /// The name the log gives the service when the policy holds a conversion.
    public static let service = "clickline"

    /// Whether a recorded conversion waits for review: under the `hold`
    /// policy, every flagged one does. A flag alone never changes money.
    public static func holds(flags: [QualityFlag], policy: LeakedCodePolicy) -> Bool {
        policy == .hold && !flags.isEmpty
    }

    /// A decision's reason, trimmed: said, and short enough to keep.
    public static func reason(_ text: String?) throws(DomainError) -> String {
        let reason = text?.trimmingSpaces() ?? ""
        guard !reason.isEmpty else { throw .invalid("reason", "say why: the reason is kept in the conversion's review log") }
        guard reason.count <= ReviewDecision.maximumReasonLength else {
            throw .invalid("reason", "must be at most \(ReviewDecision.maximumReasonLength) characters")
        }
        return reason
    }

    /// Why `verdict` cannot be given on `conversion` now, or nil when it can.
    ///
    /// - Approving releases a held or rejected conversion's lines.
    /// - Rejecting a conversion (held, approved, or never held) takes its
    ///   unpaid lines away; a paid line is money already sent, which only a
    ///   reversal (a refund) takes back, so rejection is refused then.
    /// - A reversed conversion earns nothing either way.
    public static func refusal(of verdict: ReviewDecision.Verdict, on conversion: Conversion) -> String? {
        if conversion.status == .reversed { return "conversion \(conversion.id) is reversed: it earns nothing either way" }
        switch verdict {
        case .approve:
            guard conversion.review == .held || conversion.review == .rejected else {
                return "conversion \(conversion.id) is not held or rejected: there is nothing to approve"
            }
        case .reject:
            if conversion.review == .rejected { return "conversion \(conversion.id) is already rejected" }
            if conversion.commissions.contains(where: { $0.status == .paid }) {
                return "conversion \(conversion.id) has a paid commission line; reverse the conversion to take paid money back"
            }
        }
        return nil
    }
}
