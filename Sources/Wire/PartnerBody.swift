import ClickModel
import Domain
import Foundation

/// A partner as the API shows it, and as `partner.created` carries it.
package struct PartnerBody: Encodable, Sendable {
    package var id: UInt32
    package var name: String
    var email: String?
    var code: String
    var parentID: UInt32?
    var status: String
    var createdAt: String
    /// Only in the answer to the partner's creation or a new token.
    var token: String?

    package init(_ partner: Partner, token: String? = nil) {
        id = partner.id
        name = partner.name
        email = partner.email
        code = partner.code.value
        parentID = partner.parentID
        status = partner.status.rawValue
        createdAt = Timestamp.format(partner.createdAt)
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case id, name, email, code, status, token
        case parentID = "parent_id"
        case createdAt = "created_at"
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(email, forKey: .email)
        try c.encode(code, forKey: .code)
        try c.encode(parentID, forKey: .parentID)
        try c.encode(status, forKey: .status)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(token, forKey: .token)
    }
}
