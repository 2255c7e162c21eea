import ClickModel

/// The URLs Clickline hands out: tracking URLs on the edge and partners'
/// dashboard pages on the admin port. The bases are read when a URL is made,
/// because a port of 0 is only known once the server listens.
public struct PublicURLs: Sendable {
    private let trackingBase: @Sendable () -> String
    private let dashboardBase: @Sendable () -> String

    /// - Parameters:
    ///   - tracking: the base of tracking URLs (`--public-url`), without a trailing slash.
    ///   - dashboard: the base of dashboard pages (`--dashboard-url`), without a trailing slash.
    public init(tracking: @escaping @Sendable () -> String, dashboard: @escaping @Sendable () -> String) {
        self.trackingBase = tracking
        self.dashboardBase = dashboard
    }

    /// `/{link}/{partner}[.{child}][/{ad}]` on the edge.
    public func tracking(link: Code, partner: Code, child: Code? = nil, ad: Code? = nil) -> String {
        var url = trackingBase() + "/" + link.value + "/" + partner.value
        if let child { url += "." + child.value }
        if let ad { url += "/" + ad.value }
        return url
    }

    /// A member's dashboard page.
    public func dashboard(token: String) -> String {
        dashboardBase() + "/p/" + token
    }

    /// A page of the admin port (`/signin/...`, `/partner`...), by its path.
    public func page(_ path: String) -> String {
        dashboardBase() + path
    }

    /// Whether the pages are served over https, so their cookies are `Secure`.
    public var pagesAreSecure: Bool { dashboardBase().hasPrefix("https://") }
}
