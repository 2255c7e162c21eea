/// How long a commission waits before it is due: the offer's `hold_days`
/// from the sale (SPEC section 4). A commission with no hold is due at once;
/// one with a hold is `pending` until it ends and then counts as `approved`.
public enum HoldPolicy {
    /// The status a new commission line of `offer` starts in, and when it becomes due.
    /// - Parameter now: the sale's time, milliseconds since the Unix epoch.
    public static func newLine(of offer: Offer, at now: Int64) -> (status: Commission.Status, availableAt: Int64) {
        (offer.holdDays == 0 ? .approved : .pending, now + Int64(offer.holdDays) * 86_400_000)
    }
}
