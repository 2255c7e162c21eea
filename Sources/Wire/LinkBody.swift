import ClickModel
import Domain
import Foundation

/// A tracking link as the API shows it, and as `link.created` and `link.updated` carry it.
package struct LinkBody: Encodable {
    var id: UInt32
    var offerID: UInt32
    var code: String
    var destinationURL: String
    var expiresAt: String?
    var expiredURL: String?
    var rules: [LinkRuleInput]
    var caps: [LinkCapInput]
    var createdAt: String

    package init(_ link: TrackingLink) {
        id = link.id
        offerID = link.offerID
        code = link.code.value
        destinationURL = link.destination.url
        expiresAt = Timestamp.format(link.expiresAt)
        expiredURL = link.expiredDestination?.url
        rules = link.rules.map { LinkRuleInput($0, formatTime: Timestamp.format) }
        caps = link.caps.map(LinkCapInput.init)
        createdAt = Timestamp.format(link.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, code, rules, caps
        case offerID = "offer_id"
        case destinationURL = "destination_url"
        case expiresAt = "expires_at"
        case expiredURL = "expired_url"
        case createdAt = "created_at"
    }

    // The expiry fields are null, not left out, when unset: a reader sees every field.
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(offerID, forKey: .offerID)
        try c.encode(code, forKey: .code)
        try c.encode(destinationURL, forKey: .destinationURL)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(expiredURL, forKey: .expiredURL)
        try c.encode(rules, forKey: .rules)
        try c.encode(caps, forKey: .caps)
        try c.encode(createdAt, forKey: .createdAt)
    }
}
