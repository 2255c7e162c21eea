/// Coupon, deal and cashback sites (SPEC section 14, `--coupon-sites`). A
/// creator's code that shows up on one of them is earning on sales the
/// creator did not drive: an order whose referrer is such a site is evidence
/// that the code has leaked.
public struct CouponSites: Sendable, Equatable {
    /// Registrable domains, lower case; a site's subdomains count as the site.
    public private(set) var domains: Set<String>

    public init(domains: some Sequence<String>) {
        self.domains = Set(domains.map { $0.lowercased() })
    }

    /// Well-known coupon, deal and cashback sites and browser-extension
    /// shopping assistants, in English- and German-speaking markets.
    public static let builtIn = CouponSites(domains: [
        "retailmenot.com", "coupons.com", "groupon.com", "slickdeals.net", "dealnews.com", "offers.com", "savings.com",
        "couponfollow.com", "couponcabin.com", "couponbirds.com", "knoji.com", "wethrift.com", "dealspotr.com",
        "dealcatcher.com", "hotdeals.com", "promocodes.com", "coupert.com", "joinhoney.com", "rakuten.com",
        "topcashback.com", "befrugal.com", "capitaloneshopping.com", "swagbucks.com", "givingassistant.org",
        "vouchercodes.co.uk", "myvouchercodes.co.uk", "vouchercloud.com", "hotukdeals.com", "topcashback.co.uk",
        "quidco.com", "mydealz.de", "gutscheine.de", "sparwelt.de", "ozbargain.com.au",
    ])

    /// One domain a line (`retailmenot.com`); blank lines and lines starting
    /// with `#` are skipped. A line that is not a domain is refused with its
    /// number, so a start with a bad file fails and says where.
    public init(parsing text: String) throws(DomainError) {
        var domains: [String] = []
        // "\r\n" is one Character in Swift: a file with Windows line ends is split by it too.
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = raw.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let domain = Self.domain(line) else {
                throw .invalid("coupon-sites", "line \(index + 1): \"\(line.prefix(80))\" is not a domain such as retailmenot.com")
            }
            domains.append(domain)
        }
        self.init(domains: domains)
    }

    /// The listed site that `referrer`, a URL (`https://www.retailmenot.com/view/shop`)
    /// or a bare host, belongs to; nil for any other or for no referrer.
    public func site(of referrer: String?) -> String? {
        guard let referrer, var host = Self.host(of: referrer) else { return nil }
        while true {
            if domains.contains(host) { return host }
            guard let dot = host.firstIndex(of: ".") else { return nil }
            host = String(host[host.index(after: dot)...])
        }
    }

    /// A URL's host, lower case, without port or user info; a bare host as it is.
    static func host(of text: String) -> String? {
        var rest = Substring(text.trimmingSpaces())
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://"),
           rest[..<colon].allSatisfy({ $0.isLetter || $0 == "+" || $0 == "-" || $0 == "." }) {
            rest = rest[rest.index(colon, offsetBy: 3)...]
        } else if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        let host = hostAndPort.prefix { $0 != ":" }.lowercased()
        return host.isEmpty ? nil : host
    }

    /// A lower-case domain of two labels or more, each of letters, digits and inner hyphens.
    static func domain(_ text: String) -> String? {
        let lower = text.lowercased()
        let labels = lower.split(separator: ".", omittingEmptySubsequences: false)
        guard lower.utf8.count <= 253, labels.count >= 2 else { return nil }
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else { return nil }
        }
        return lower
    }
}
