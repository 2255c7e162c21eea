/// The new-customer signal of a leaked code (SPEC section 14): a code
/// suddenly redeemed mostly by customers never seen before who came without a
/// click of the code's owner has reached people its creator never spoke to.
///
/// It fires when, in the last day, at least `minimumOrders` orders used the
/// code and at least `sharePercent` % of them were such customers, while in
/// the six days before (with at least `minimumOrders` orders to judge by) the
/// share was under half of that: a code always used that way, as podcast and
/// video codes are, never fires, and neither does a code without a history.
/// Off by default
/// (`--leak-new-customer-share` 0): only orders that name their customer
/// count, and many codes are meant to be used without a click.
public struct NewCustomerSignal: Sendable, Equatable {
    /// 0 turns the signal off.
    public var sharePercent: Int
    public var minimumOrders: Int
    /// The hours of the recent window; the history is the rest of the week
    /// before it (`RedemptionSpike.trailingHours` in all).
    public static let recentHours = 24

    public init(sharePercent: Int = 0, minimumOrders: Int = 20) {
        self.sharePercent = sharePercent
        self.minimumOrders = minimumOrders
    }

    /// Orders of a stretch of hours, and of those how many were new customers with no click of the owner.
    public struct Counts: Sendable, Equatable {
        public var orders: Int
        public var newWithoutClick: Int

        public init(orders: Int, newWithoutClick: Int) {
            self.orders = orders
            self.newWithoutClick = newWithoutClick
        }
    }

    public func fires(recent: Counts, before: Counts) -> Bool {
        guard sharePercent > 0, recent.orders >= minimumOrders, before.orders >= minimumOrders else { return false }
        guard recent.newWithoutClick * 100 >= sharePercent * recent.orders else { return false }
        // Usual for the code: the history's share was already half the threshold or more.
        return before.newWithoutClick * 200 < sharePercent * before.orders
    }
}
