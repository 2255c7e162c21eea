import ClickModel

/// The business rules of a conversion: who is credited (SPEC section 4,
/// `Attribution`) and what they earn (`Commissions`), from the evidence the
/// store gathered inside its transaction.
public enum ConversionRules {
    public static func plan(_ evidence: ConversionEvidence) -> ConversionPlan {
        let offer = evidence.offer
        let decision = Attribution.decide(evidence.candidates, policy: offer.creditPolicy, windowDays: offer.attributionWindowDays,
                                          now: evidence.now)
        guard let partnerID = decision.partnerID else { return ConversionPlan(decision: decision, lines: []) }
        let terms = evidence.terms[partnerID]
        let lines = Commissions.lines(
            amount: evidence.amount.minorUnits, partnerID: partnerID, parentID: terms?.parentID, payout: offer.payout,
            override: terms?.payoutOverride, parentOverride: offer.parentOverride)
        return ConversionPlan(decision: decision, lines: lines)
    }
}
