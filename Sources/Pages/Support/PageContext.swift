import API
import Domain
import Hummingbird
import HummingbirdAuth

/// The request context of the pages: the API's context, the browser
/// session (hummingbird-auth's), who it belongs to once resolved, and the
/// fields of a submitted form once read and checked.
public struct PageContext: ChildRequestContext, SessionRequestContext {
    public typealias ParentContext = ClicklineRequestContext

    public var coreContext: CoreRequestContextStorage
    public let sessions: SessionContext<WebSession>
    /// The teammate signed in, if the session is a team member's.
    var teamMember: TeamMember?
    /// The partner signed in, if the session is a partner's.
    var partner: Partner?
    /// The SHA-256 of the session cookie's key, as the store keeps it: marks
    /// the current session in the list of active sessions.
    var sessionKeyHash: [UInt8]?
    /// A POSTed form's fields, read by `FormMiddleware` after its CSRF token was checked.
    var form = FormFields()
    /// The peer's IP address: sign-in attempts are counted by it.
    let remoteAddress: String

    public init(context: ClicklineRequestContext) throws {
        coreContext = context.coreContext
        sessions = SessionContext()
        remoteAddress = context.remoteAddress
    }

    /// Forms are small; a file upload is not one of them.
    public var maxUploadSize: Int { 1 << 20 }
}

/// What a browser session keeps: whose it is, and the token every form of
/// the session carries.
public struct WebSession: Codable, Sendable, Equatable {
    enum Kind: String, Codable { case team, partner }

    var kind: Kind
    var id: UInt32
    /// Forms carry it in a hidden field; a POST without it is refused (403).
    var csrf: String
    /// The browser and address it was opened from, for the list of sessions.
    var userAgent: String
    var address: String

    var owner: SessionOwner {
        switch kind {
        case .team: .team(id)
        case .partner: .partner(id)
        }
    }

    init(owner: SessionOwner, userAgent: String, address: String) {
        switch owner {
        case .team(let id): (kind, self.id) = (.team, id)
        case .partner(let id): (kind, self.id) = (.partner, id)
        }
        csrf = FormToken.make()
        self.userAgent = userAgent
        self.address = address
    }
}
