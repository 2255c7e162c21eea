import Domain

/// The member report's columns.
package enum MemberColumn: String, CaseIterable, Sendable {
    case clicks, conversions
    case totalSales = "total_sales"
    case commissionsEarned = "commissions_earned"
    case paid
    case paymentsDue = "payments_due"

    package var isMoney: Bool { self != .clicks && self != .conversions }

    package func value(_ member: MemberKPIs) -> Int64 {
        switch self {
        case .clicks: return member.clicks
        case .conversions: return member.conversions
        case .totalSales: return member.totalSales
        case .commissionsEarned: return member.commissionsEarned
        case .paid: return member.paid
        case .paymentsDue: return member.paymentsDue
        }
    }
}
