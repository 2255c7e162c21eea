import Domain
import Hummingbird

/// The request context of the admin, partner and ops API: Hummingbird's core
/// context plus who the caller turned out to be.
public struct ClicklineRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The role of the admin or ops key presented, once checked.
    public var role: KeyRole?
    /// The partner whose token was presented, once checked.
    public var partner: Partner?
    /// The peer's IP address, as the socket says (not a forwarded header).
    public var remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Request bodies over this size get 413.
    public var maxUploadSize: Int { 1 << 20 }
}
