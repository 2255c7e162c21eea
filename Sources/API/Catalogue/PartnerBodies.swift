import ClickModel
import Domain
import Foundation
import Wire

/// The fields of `POST /v1/partners` and `PATCH /v1/partners/{id}`, as sent.
struct PartnerInput: Decodable, Sendable {
    var name: Sent<String>
    var email: Sent<String>
    var code: Sent<String>
    var parentID: Sent<UInt32>
    var status: Sent<String>

    enum CodingKeys: String, CodingKey {
        case name, email, code, status
        case parentID = "parent_id"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.sent(String.self, forKey: .name)
        email = try c.sent(String.self, forKey: .email)
        code = try c.sent(String.self, forKey: .code)
        parentID = try c.sent(UInt32.self, forKey: .parentID)
        status = try c.sent(String.self, forKey: .status)
    }

    /// A new partner; `name` and `code` are required.
    func newPartner() throws(APIError) -> Partner {
        guard case .value(let name) = name else { throw .invalid("name", "is required") }
        guard case .value(let code) = code else { throw .invalid("code", "is required: 1 to 32 characters of A-Z a-z 0-9 - _") }
        var partner = Partner(name: try Validate.text(name, "name"), code: try Validate.code(code, "code"))
        try apply(to: &partner)
        return partner
    }

    func apply(to partner: inout Partner) throws(APIError) {
        switch name {
        case .value(let value): partner.name = try Validate.text(value, "name")
        case .null: throw .invalid("name", "must not be null")
        case .absent: break
        }
        switch email {
        case .value(let value): partner.email = try Validate.email(value, "email")
        case .null: partner.email = nil
        case .absent: break
        }
        switch code {
        case .value(let value): partner.code = try Validate.code(value, "code")
        case .null: throw .invalid("code", "must not be null")
        case .absent: break
        }
        switch parentID {
        case .value(let value):
            guard value != partner.id else { throw .invalid("parent_id", "a partner cannot be its own parent") }
            partner.parentID = value
        case .null: partner.parentID = nil
        case .absent: break
        }
        if let value = status.value { partner.status = try Validate.choice(value, "status", as: ActivityStatus.self) }
    }
}

/// `POST /v1/offers/{id}/members`.
package struct AddMembersInput: Decodable {
    var partnerIDs: [UInt32]
    var payoutOverride: PayoutBody?
    var startsAt: String?
    var endsAt: String?

    enum CodingKeys: String, CodingKey {
        case partnerIDs = "partner_ids"
        case payoutOverride = "payout_override"
        case startsAt = "starts_at"
        case endsAt = "ends_at"
    }

    package func terms() throws(APIError) -> MemberTerms {
        guard !partnerIDs.isEmpty else { throw .invalid("partner_ids", "must name at least one partner") }
        guard partnerIDs.count <= 10_000 else { throw .invalid("partner_ids", "at most 10000 partners at once") }
        var terms = MemberTerms()
        terms.payoutOverride = try payoutOverride?.payout("payout_override")
        terms.startsAt = try startsAt.map { value throws(APIError) in try Validate.time(value, "starts_at") }
        terms.endsAt = try endsAt.map { value throws(APIError) in try Validate.time(value, "ends_at") }
        try Validate.dates(startsAt: terms.startsAt, endsAt: terms.endsAt)
        return terms
    }
}

/// `PATCH /v1/offers/{id}/members/{partner_id}`.
package struct MemberInput: Decodable, Sendable {
    var status: Sent<String>
    var payoutOverride: Sent<PayoutBody>
    var refreshCode: Sent<Bool>
    var startsAt: Sent<String>
    var endsAt: Sent<String>

    enum CodingKeys: String, CodingKey {
        case status
        case payoutOverride = "payout_override"
        case refreshCode = "refresh_code"
        case startsAt = "starts_at"
        case endsAt = "ends_at"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        status = try c.sent(String.self, forKey: .status)
        payoutOverride = try c.sent(PayoutBody.self, forKey: .payoutOverride)
        refreshCode = try c.sent(Bool.self, forKey: .refreshCode)
        startsAt = try c.sent(String.self, forKey: .startsAt)
        endsAt = try c.sent(String.self, forKey: .endsAt)
    }

    package func apply(to member: inout Member) throws(APIError) {
        if let value = status.value { member.status = try Validate.choice(value, "status", as: ActivityStatus.self) }
        switch payoutOverride {
        case .value(let value): member.payoutOverride = try value.payout("payout_override")
        case .null: member.payoutOverride = nil
        case .absent: break
        }
        switch startsAt {
        case .value(let value): member.startsAt = try Validate.time(value, "starts_at")
        case .null: member.startsAt = nil
        case .absent: break
        }
        switch endsAt {
        case .value(let value): member.endsAt = try Validate.time(value, "ends_at")
        case .null: member.endsAt = nil
        case .absent: break
        }
        try Validate.dates(startsAt: member.startsAt, endsAt: member.endsAt)
    }
}

package struct AdInput: Decodable {
    var name: String
    var description: String?
    var mediaType: String?
    var startsAt: String?
    var code: String?

    enum CodingKeys: String, CodingKey {
        case name, description, code
        case mediaType = "media_type"
        case startsAt = "starts_at"
    }
}

struct AdBody: Encodable {
    var id: UInt32
    var partnerID: UInt32
    var code: String
    var name: String
    var description: String
    var mediaType: String?
    var startsAt: String?
    var createdAt: String

    init(_ ad: Ad) {
        id = ad.id
        partnerID = ad.partnerID
        code = ad.code.value
        name = ad.name
        description = ad.description
        mediaType = ad.mediaType
        startsAt = Timestamp.format(ad.startsAt)
        createdAt = Timestamp.format(ad.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, code, name, description
        case partnerID = "partner_id"
        case mediaType = "media_type"
        case startsAt = "starts_at"
        case createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(partnerID, forKey: .partnerID)
        try c.encode(code, forKey: .code)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(mediaType, forKey: .mediaType)  // null rather than absent, like every other field
        try c.encode(startsAt, forKey: .startsAt)
        try c.encode(createdAt, forKey: .createdAt)
    }
}
