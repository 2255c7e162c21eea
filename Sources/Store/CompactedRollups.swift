/// Rollups summed again per finished period and keyed for the readers that
/// seek them (see `ClickStore.compactRollups`): the member report reads
/// `member_click_daily` by offer and member, partners' statistics read
/// `partner_hourly` by partner. The SQL that makes one period's rows from the
/// per-minute rollups is the same for SQLite and PostgreSQL; `$1` is the period.
public enum CompactedRollups: String, CaseIterable, Sendable {
    case memberDays = "member_click_daily"
    case partnerHours = "partner_hourly"

    /// Minutes in one period.
    public var minutes: Int64 { self == .memberDays ? 1440 : 60 }

    /// Sums period `$1` from the per-minute rollups; run again, it gives the same rows.
    public var sql: String {
        switch self {
        case .memberDays:
            """
            INSERT INTO member_click_daily (offer_id, partner_id, day, billable)
            SELECT offer_id, credited_partner_id, $1, SUM(billable) FROM click_rollups
            WHERE minute >= $1 * 1440 AND minute < ($1 + 1) * 1440 AND credited_partner_id != 0 AND billable != 0
            GROUP BY offer_id, credited_partner_id
            ON CONFLICT (offer_id, partner_id, day) DO UPDATE SET billable = excluded.billable
            """
        case .partnerHours:
            """
            INSERT INTO partner_hourly (partner_id, hour, link_id, credited_partner_id, ad_id,
                                        clicks, billable, unique_clicks, bot, unattributed, inactive, capped, expired, invalid)
            SELECT partner, $1, link_id, credited_partner_id, ad_id,
                   SUM(clicks), SUM(billable), SUM(unique_clicks), SUM(bot), SUM(unattributed), SUM(inactive),
                   SUM(capped), SUM(expired), SUM(invalid)
            FROM (
                SELECT generating_partner_id AS partner, link_id, credited_partner_id, ad_id,
                       clicks, billable, unique_clicks, bot, unattributed, inactive, capped, expired, invalid
                FROM click_rollups WHERE minute >= $1 * 60 AND minute < ($1 + 1) * 60 AND generating_partner_id != 0
                UNION ALL
                SELECT credited_partner_id, link_id, credited_partner_id, ad_id,
                       clicks, billable, unique_clicks, bot, unattributed, inactive, capped, expired, invalid
                FROM click_rollups WHERE minute >= $1 * 60 AND minute < ($1 + 1) * 60
                    AND credited_partner_id != 0 AND credited_partner_id != generating_partner_id
            ) AS owned
            GROUP BY partner, link_id, credited_partner_id, ad_id
            ON CONFLICT (partner_id, hour, link_id, credited_partner_id, ad_id) DO UPDATE SET
                clicks = excluded.clicks, billable = excluded.billable, unique_clicks = excluded.unique_clicks,
                bot = excluded.bot, unattributed = excluded.unattributed, inactive = excluded.inactive,
                capped = excluded.capped, expired = excluded.expired, invalid = excluded.invalid
            """
        }
    }
}
