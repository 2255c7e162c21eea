import Domain

/// The member report's columns.
enum MemberColumn: String, CaseIterable {
    case clicks, conversions
    case totalSales = "total_sales"
    case commissionsEarned = "commissions_earned"
    case paid
    case paymentsDue = "payments_due"

    var isMoney: Bool { self != .clicks && self != .conversions }

    func value(_ member: MemberKPIs) -> Int64 {
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
