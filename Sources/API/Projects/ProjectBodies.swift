import ClickModel
import Domain
import Foundation
import Wire

/// `POST /v1/projects`.
package struct ProjectInput: Decodable {
    var name: String
    var stages: [StageInput]?

    package func validated() throws(APIError) -> (Project, [Stage]) {
        let stages = stages ?? []
        guard stages.count <= 50 else { throw .invalid("stages", "at most 50 stages") }
        var result: [Stage] = []
        for (index, stage) in stages.enumerated() {
            result.append(try stage.stage(field: "stages.\(index)."))
        }
        return (Project(name: try Validate.text(name, "name")), result)
    }
}

/// A stage in `POST /v1/projects` and `POST /v1/projects/{id}/stages`.
package struct StageInput: Decodable {
    var name: String
    var kind: String
    var offerID: UInt32?
    package var position: Int?

    enum CodingKeys: String, CodingKey {
        case name, kind, position
        case offerID = "offer_id"
    }

    package func stage(field prefix: String = "") throws(APIError) -> Stage {
        let kind = try Validate.choice(kind, prefix + "kind", as: StageKind.self)
        if kind == .custom && offerID != nil {
            throw .invalid(prefix + "offer_id", "a custom stage has no offer; generate_links and generate_promo_codes stages do")
        }
        if let position, position < 0 { throw .invalid(prefix + "position", "must be 0 or more") }
        return Stage(name: try Validate.text(name, prefix + "name"), kind: kind, offerID: offerID)
    }
}

/// `PATCH /v1/projects/{id}/stages/{stage_id}`: rename, set up the offer
/// (null takes it away), or move to another position.
package struct StagePatch: Decodable, Sendable {
    var name: Sent<String>
    var offerID: Sent<UInt32>
    var position: Sent<Int>
    var kind: Sent<String>

    enum CodingKeys: String, CodingKey {
        case name, position, kind
        case offerID = "offer_id"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.sent(String.self, forKey: .name)
        offerID = try c.sent(UInt32.self, forKey: .offerID)
        position = try c.sent(Int.self, forKey: .position)
        kind = try c.sent(String.self, forKey: .kind)
    }

    package func apply(to stage: inout Stage) throws(APIError) {
        if case .absent = kind {} else { throw .invalid("kind", "a stage's kind cannot change; add a stage of the other kind instead") }
        switch name {
        case .value(let value): stage.name = try Validate.text(value, "name")
        case .null: throw .invalid("name", "must not be null")
        case .absent: break
        }
        switch offerID {
        case .value(let value):
            guard stage.kind != .custom else { throw .invalid("offer_id", "a custom stage has no offer") }
            stage.offerID = value
        case .null: stage.offerID = nil
        case .absent: break
        }
        switch position {
        case .value(let value):
            guard value >= 0 else { throw .invalid("position", "must be 0 or more") }
            stage.position = value
        case .null: throw .invalid("position", "must not be null")
        case .absent: break
        }
    }
}

/// `partner_ids` of entering, moving and generating.
struct PartnerIDsInput: Decodable {
    var partnerIDs: [UInt32]?
    var stageID: UInt32?
    var payoutOverride: PayoutBody?
    var startsAt: String?
    var endsAt: String?

    enum CodingKeys: String, CodingKey {
        case partnerIDs = "partner_ids"
        case stageID = "stage_id"
        case payoutOverride = "payout_override"
        case startsAt = "starts_at"
        case endsAt = "ends_at"
    }

    /// The ids, required and not empty.
    func required() throws(APIError) -> [UInt32] {
        guard let partnerIDs, !partnerIDs.isEmpty else { throw .invalid("partner_ids", "must name at least one partner") }
        return try Self.checked(partnerIDs)
    }

    /// The ids when sent (nil: everyone concerned).
    func optional() throws(APIError) -> [UInt32]? {
        try Self.optional(partnerIDs)
    }

    static func optional(_ partnerIDs: [UInt32]?) throws(APIError) -> [UInt32]? {
        guard let partnerIDs else { return nil }
        guard !partnerIDs.isEmpty else { throw .invalid("partner_ids", "must name at least one partner, or be left out for all") }
        return try checked(partnerIDs)
    }

    static func checked(_ ids: [UInt32]) throws(APIError) -> [UInt32] {
        guard ids.count <= 10_000 else { throw .invalid("partner_ids", "at most 10000 partners at once") }
        return ids
    }

    /// The membership terms of generating: the members' own dates and payout.
    func terms() throws(APIError) -> MemberTerms {
        var terms = MemberTerms()
        terms.payoutOverride = try payoutOverride?.payout("payout_override")
        terms.startsAt = try startsAt.map { value throws(APIError) in try Validate.time(value, "starts_at") }
        terms.endsAt = try endsAt.map { value throws(APIError) in try Validate.time(value, "ends_at") }
        try Validate.dates(startsAt: terms.startsAt, endsAt: terms.endsAt)
        return terms
    }
}

struct ProjectBody: Encodable {
    var id: UInt32
    var name: String
    var createdAt: String
    var stages: [StageBody]

    enum CodingKeys: String, CodingKey {
        case id, name, stages
        case createdAt = "created_at"
    }

    init(_ project: Project, stages: [Stage], members: [ProjectMember]?) {
        id = project.id
        name = project.name
        createdAt = Timestamp.format(project.createdAt)
        self.stages = stages.map { stage in
            StageBody(stage, members: members?.filter { $0.stageID == stage.id }, memberCount: members?.count { $0.stageID == stage.id })
        }
    }
}

struct StageBody: Encodable {
    var id: UInt32
    var name: String
    var kind: String
    var offerID: UInt32?
    var position: Int
    var memberCount: Int?
    var members: [ProjectMemberBody]?

    enum CodingKeys: String, CodingKey {
        case id, name, kind, position, members
        case offerID = "offer_id"
        case memberCount = "member_count"
    }

    init(_ stage: Stage, members: [ProjectMember]? = nil, memberCount: Int? = nil) {
        id = stage.id
        name = stage.name
        kind = stage.kind.rawValue
        offerID = stage.offerID
        position = stage.position
        self.memberCount = memberCount
        self.members = members?.map(ProjectMemberBody.init)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(offerID, forKey: .offerID)  // null until set up, never absent
        try c.encode(position, forKey: .position)
        try c.encodeIfPresent(memberCount, forKey: .memberCount)
        try c.encodeIfPresent(members, forKey: .members)
    }
}

struct ProjectMemberBody: Encodable {
    var partnerID: UInt32
    var name: String
    var email: String?
    var stageID: UInt32
    var enteredAt: String
    /// `entered` or `existing`, when the partner was just put into the project.
    var status: String?

    enum CodingKeys: String, CodingKey {
        case name, email, status
        case partnerID = "partner_id"
        case stageID = "stage_id"
        case enteredAt = "entered_at"
    }

    init(_ member: ProjectMember) {
        partnerID = member.partner.id
        name = member.partner.name
        email = member.partner.email
        stageID = member.stageID
        enteredAt = Timestamp.format(member.enteredAt)
    }
}

/// One member of a generating step.
struct GenerationBody: Encodable {
    var partnerID: UInt32
    var name: String
    /// `created`, or `existing` when the member already had its link or code.
    var status: String
    var message: String?
    var stageID: UInt32
    var trackingURL: String?
    var promoCode: String?
    var dashboardURL: String

    enum CodingKeys: String, CodingKey {
        case name, status, message
        case partnerID = "partner_id"
        case stageID = "stage_id"
        case trackingURL = "tracking_url"
        case promoCode = "promo_code"
        case dashboardURL = "dashboard_url"
    }
}
