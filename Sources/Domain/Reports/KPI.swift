/// The KPIs of SPEC section 6, in order, with their exact definitions.
public enum KPI: String, CaseIterable, Sendable {
    case members
    case membersWithConversions = "members_with_conversions"
    case conversions
    case clicks
    case totalSales = "total_sales"
    case salesPerMember = "sales_per_member"
    case commissionsEarned = "commissions_earned"
    case avgCommissionPerMember = "avg_commission_per_member"
    case paymentsDue = "payments_due"
    case membersWithPaymentsDue = "members_with_payments_due"

    public var definition: String {
        switch self {
        case .members: return "members across the offers; a member of several offers counts once per offer"
        case .membersWithConversions: return "members with at least one accepted conversion in the range"
        case .conversions: return "accepted (not reversed) conversions in the range"
        case .clicks: return "billable link clicks in the range"
        case .totalSales: return "sum of the sale amounts of those conversions, in minor units"
        case .salesPerMember: return "total_sales / members_with_conversions, rounded half away from zero; 0 without such members"
        case .commissionsEarned: return "sum of the commissions of those conversions, reversed lines left out, in minor units"
        case .avgCommissionPerMember: return "commissions_earned / members_with_conversions, rounded half away from zero"
        case .paymentsDue: return "commissions earned in the range and not yet paid, in minor units"
        case .membersWithPaymentsDue: return "members with something earned in the range and not yet paid"
        }
    }

    /// Whether the value is money (minor units).
    public var isMoney: Bool { [.totalSales, .salesPerMember, .commissionsEarned, .avgCommissionPerMember, .paymentsDue].contains(self) }

    public func value(_ sums: KPISums) -> Int64 {
        switch self {
        case .members: return sums.members
        case .membersWithConversions: return sums.membersWithConversions
        case .conversions: return sums.conversions
        case .clicks: return sums.clicks
        case .totalSales: return sums.totalSales
        case .salesPerMember: return sums.salesPerMember
        case .commissionsEarned: return sums.commissionsEarned
        case .avgCommissionPerMember: return sums.averageCommissionPerMember
        case .paymentsDue: return sums.paymentsDue
        case .membersWithPaymentsDue: return sums.membersWithPaymentsDue
        }
    }
}
