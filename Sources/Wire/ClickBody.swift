import ClickModel
import Domain

/// A stored click as the API shows it (`GET /v1/clicks`), with its quality
/// flags (SPEC section 14).
package struct ClickBody: Encodable, Sendable {
    let click: StoredClick
    let flags: [QualityFlag]

    package init(_ click: StoredClick, flags: [QualityFlag]) {
        self.click = click
        self.flags = flags
    }

    enum CodingKeys: String, CodingKey {
        case id, clicked_at, offer_id, link_id, partner_id, generating_partner_id, ad_id, outcome, unique, country, devices
        case sub1, sub2, sub3, sub4, sub5, flags
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let record = click.record
        try c.encode(record.id.description, forKey: .id)
        try c.encode(Timestamp.format(Int64(record.milliseconds)), forKey: .clicked_at)
        try c.encode(record.offerID == 0 ? nil : record.offerID, forKey: .offer_id)
        try c.encode(record.linkID == 0 ? nil : record.linkID, forKey: .link_id)
        try c.encode(record.creditedPartnerID == 0 ? nil : record.creditedPartnerID, forKey: .partner_id)
        try c.encode(record.generatingPartnerID == 0 || record.generatingPartnerID == record.creditedPartnerID ? nil : record.generatingPartnerID,
                     forKey: .generating_partner_id)
        try c.encode(record.adID == 0 ? nil : record.adID, forKey: .ad_id)
        try c.encode(record.outcome.description, forKey: .outcome)
        try c.encode(record.flags.contains(.unique), forKey: .unique)
        try c.encode(record.country == .none ? nil : record.country.description, forKey: .country)
        try c.encode(DeviceClass.allCases.filter { record.devices & $0.bit != 0 }.map(\.rawValue), forKey: .devices)
        for (index, value) in click.subIDValues.enumerated() {
            try c.encode(value, forKey: [CodingKeys.sub1, .sub2, .sub3, .sub4, .sub5][index])
        }
        try c.encode(flags, forKey: .flags)
    }
}
