import ClickModel

/// Reports read from the rollups only, so they take the same time at any
/// number of clicks and conversions (SPEC section 6).
public protocol ReportStore: Sendable {
    /// The KPIs of each offer in the range, offers filtered by status and type.
    func offerReport(_ query: ReportQuery) async throws -> [OfferKPIs]
    /// The KPIs of each member of one offer in the range.
    func memberReport(offerID: UInt32, _ query: ReportQuery, text: String?) async throws -> [MemberKPIs]
    /// Billable clicks and sales per UTC day of the range, for charts.
    func dailySeries(_ query: ReportQuery) async throws -> [DailyPoint]
    /// Clicks and sales per rule and variant of one link, over all time; nil when there is no such link.
    func variantReport(linkID: UInt32) async throws -> VariantReport?
    /// Clicks and conversions by country or by device class over the range's
    /// whole UTC days (a partial day at either end counts whole).
    func trafficReport(by dimension: TrafficDimension, _ query: ReportQuery) async throws -> [TrafficRow]
    /// Per partner over the range (of the query's offers, when it names some):
    /// what the partner quality report shows (`QualityRow`), partners with
    /// nothing to show left out, by partner id.
    func qualityReport(_ query: ReportQuery) async throws -> [QualityRow]
}

public struct ReportQuery: Sendable {
    /// Milliseconds since the Unix epoch, `[from, to)`; rollups are per minute.
    public var from: Int64
    public var to: Int64
    public var status: EffectiveOfferStatus?
    public var type: OfferType?
    /// Only these offers, when set.
    public var offerIDs: Set<UInt32>?
    /// Decides which offers are expired.
    public var now: Int64

    public init(from: Int64, to: Int64, status: EffectiveOfferStatus? = nil, type: OfferType? = nil, offerIDs: Set<UInt32>? = nil, now: Int64) {
        self.from = from
        self.to = to
        self.status = status
        self.type = type
        self.offerIDs = offerIDs
        self.now = now
    }
}

/// The sums every KPI of SPEC section 6 is made from. Money in minor units.
public struct KPISums: Sendable, Equatable {
    /// Memberships (a member of several offers counts once per offer).
    public var members: Int64 = 0
    /// Memberships with at least one accepted conversion in the range.
    public var membersWithConversions: Int64 = 0
    /// Accepted (not reversed) conversions.
    public var conversions: Int64 = 0
    /// Billable link clicks.
    public var clicks: Int64 = 0
    /// Sale amounts of the accepted conversions.
    public var totalSales: Int64 = 0
    /// Commission lines not reversed (a paid line taken back counts negative).
    public var commissionsEarned: Int64 = 0
    public var paid: Int64 = 0
    /// Memberships whose earned and unpaid commissions are above zero.
    public var membersWithPaymentsDue: Int64 = 0

    public init() {}

    /// Commissions earned and not yet paid.
    public var paymentsDue: Int64 { commissionsEarned - paid }
    /// total_sales / members_with_conversions, rounded half away from zero; 0 without members.
    public var salesPerMember: Int64 { Self.divide(totalSales, membersWithConversions) }
    /// commissions_earned / members_with_conversions, rounded likewise.
    public var averageCommissionPerMember: Int64 { Self.divide(commissionsEarned, membersWithConversions) }

    static func divide(_ a: Int64, _ b: Int64) -> Int64 {
        guard b != 0 else { return 0 }
        let (quotient, remainder) = a.quotientAndRemainder(dividingBy: b)
        return remainder.magnitude * 2 >= b.magnitude ? quotient + (a < 0 ? -1 : 1) : quotient
    }

    public static func + (a: KPISums, b: KPISums) -> KPISums {
        var sum = KPISums()
        sum.members = a.members + b.members
        sum.membersWithConversions = a.membersWithConversions + b.membersWithConversions
        sum.conversions = a.conversions + b.conversions
        sum.clicks = a.clicks + b.clicks
        sum.totalSales = a.totalSales + b.totalSales
        sum.commissionsEarned = a.commissionsEarned + b.commissionsEarned
        sum.paid = a.paid + b.paid
        sum.membersWithPaymentsDue = a.membersWithPaymentsDue + b.membersWithPaymentsDue
        return sum
    }
}

public struct OfferKPIs: Sendable, Equatable {
    public var offer: Offer
    public var sums: KPISums

    public init(offer: Offer, sums: KPISums) {
        self.offer = offer
        self.sums = sums
    }
}

/// One member's figures in one offer.
public struct MemberKPIs: Sendable, Equatable {
    public var member: Member
    public var clicks: Int64
    public var conversions: Int64
    public var totalSales: Int64
    public var commissionsEarned: Int64
    public var paid: Int64

    public init(member: Member, clicks: Int64 = 0, conversions: Int64 = 0, totalSales: Int64 = 0, commissionsEarned: Int64 = 0, paid: Int64 = 0) {
        self.member = member
        self.clicks = clicks
        self.conversions = conversions
        self.totalSales = totalSales
        self.commissionsEarned = commissionsEarned
        self.paid = paid
    }

    public var paymentsDue: Int64 { commissionsEarned - paid }
}

public struct DailyPoint: Sendable, Equatable {
    /// Days since the Unix epoch (UTC).
    public var day: Int64
    public var clicks: Int64
    public var sales: Int64

    public init(day: Int64, clicks: Int64, sales: Int64) {
        self.day = day
        self.clicks = clicks
        self.sales = sales
    }
}
