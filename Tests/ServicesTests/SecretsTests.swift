import ClickModel
import Services
import Testing

@Suite("Secrets")
struct SecretsTests {
    @Test func secretsCarry256RandomBitsBehindTheirPrefix() {
        var seen = Set<String>()
        for kind in [Secrets.Kind.adminKey, .opsKey, .partnerToken, .dashboardToken, .postbackToken] {
            let secret = Secrets.make(kind)
            #expect(secret.hasPrefix(kind.rawValue))
            #expect(secret.count == kind.rawValue.count + 52, "32 bytes as base32")
            seen.insert(String(secret.dropFirst(4)))
        }
        #expect(seen.count == 5)
        #expect(Secrets.hash("a") != Secrets.hash("b"))
        #expect(Secrets.hash("a").count == 32)
        #expect(Secrets.constantTimeEquals([1, 2], [1, 2]))
        #expect(!Secrets.constantTimeEquals([1, 2], [1, 3]))
        #expect(!Secrets.constantTimeEquals([1, 2], [1]))
    }

    @Test func trackingURLsAreBuiltFromTheirParts() {
        let urls = PublicURLs(tracking: { "https://go.example.com" }, dashboard: { "https://p.example.com" })
        #expect(urls.tracking(link: Code("Spring")!, partner: Code("paula")!) == "https://go.example.com/spring/paula")
        #expect(urls.tracking(link: Code("spring")!, partner: Code("paula")!, child: Code("carl")!, ad: Code("nl")!)
                == "https://go.example.com/spring/paula.carl/nl")
        #expect(urls.dashboard(token: "cld_x") == "https://p.example.com/p/cld_x")
    }
}
