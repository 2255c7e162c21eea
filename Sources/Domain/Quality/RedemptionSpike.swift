/// The redemption-spike signal of a leaked code (SPEC section 14): a code
/// redeemed in one hour at least `factor` times its own trailing median
/// hour, and at least `minimumOrders` times, has spread beyond its
/// creator's audience. A code with a steady following never trips it, and a
/// quiet code needs a real burst.
public struct RedemptionSpike: Sendable, Equatable {
    /// The hour's orders against the trailing median (`--leak-spike-factor`).
    public var factor: Int
    /// The fewest orders in the hour that can be a spike (`--leak-spike-min-orders`).
    public var minimumOrders: Int
    /// The hours the median is taken over.
    public static let trailingHours = 168
    /// The least history a code needs before it is judged: a day.
    public static let minimumHistoryHours = 24

    public init(factor: Int = 10, minimumOrders: Int = 20) {
        self.factor = factor
        self.minimumOrders = minimumOrders
    }

    /// Whether `orders` in the current hour is a spike against `trailing`,
    /// the code's orders in each hour before it (oldest first, hours without
    /// orders as zeros, no further back than the code's first hour).
    public func isSpike(orders: Int, trailing: [Int]) -> Bool {
        guard orders >= minimumOrders, trailing.count >= Self.minimumHistoryHours else { return false }
        return Double(orders) >= Double(factor) * Self.median(trailing)
    }

    static func median(_ counts: [Int]) -> Double {
        let sorted = counts.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[middle]) : Double(sorted[middle - 1] + sorted[middle]) / 2
    }
}
