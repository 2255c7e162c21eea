import ClickModel

/// Writes to the catalogue: offers, links, partners, memberships and ads.
/// Every write changes `catalogueVersion`, so the edge follows it.
public protocol CatalogueWriter: Sendable {
    func insertOffer(_ offer: NewOffer) throws -> UInt32
    func insertLink(offerID: UInt32, code: Code, destination: Destination) throws -> UInt32
    func insertPartner(_ partner: NewPartner) throws -> UInt32
    func upsertMembership(offerID: UInt32, partnerID: UInt32, status: ActivityStatus) throws
    func insertAd(partnerID: UInt32, code: Code, name: String) throws -> UInt32
    func setOfferStatus(offerID: UInt32, status: OfferStatus) throws
    func setPartnerTokenHash(partnerID: UInt32, hash: [UInt8]) throws
    /// The id of the partner with this code, if any.
    func partnerID(code: Code) throws -> UInt32?
    /// The id of the link with this code, if any.
    func linkID(code: Code) throws -> UInt32?
}

/// A new offer's fields that the edge and its tests need. The admin API adds the rest.
public struct NewOffer: Sendable {
    public var name: String
    public var type: OfferType
    public var status: OfferStatus
    public var startsAt: Int64?
    public var endsAt: Int64?
    public var destination: Destination?
    public var fallback: Destination?
    public var clickParameter: String

    public init(name: String, type: OfferType = .link, status: OfferStatus = .active, startsAt: Int64? = nil, endsAt: Int64? = nil,
                destination: Destination? = nil, fallback: Destination? = nil, clickParameter: String = "clk") {
        self.name = name
        self.type = type
        self.status = status
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.destination = destination
        self.fallback = fallback
        self.clickParameter = clickParameter
    }
}

public enum OfferType: String, Sendable, Codable, CaseIterable {
    case link
    case promoCode = "promo_code"
}

public struct NewPartner: Sendable {
    public var name: String
    public var email: String?
    public var code: Code
    public var parentID: UInt32?
    public var status: ActivityStatus

    public init(name: String, email: String? = nil, code: Code, parentID: UInt32? = nil, status: ActivityStatus = .active) {
        self.name = name
        self.email = email
        self.code = code
        self.parentID = parentID
        self.status = status
    }
}
