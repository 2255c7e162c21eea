import ClickModel
import Testing

@Suite("Bots, previewers and prefetches")
struct BotDetectorTests {
    @Test(arguments: [
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "WhatsApp/2.23.20.0 A",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
        "Mozilla/5.0 (compatible; YandexBot/3.0)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
    ])
    func knownBotsAndPreviewers(userAgent: String) {
        let reason = withBytes(userAgent) { BotDetector.classify(isHead: false, isPrefetch: false, userAgent: $0) }
        #expect(reason.isBot, "\(userAgent)")
        #expect(reason.description.hasPrefix("user_agent:"))
    }

    @Test(arguments: [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
        "",
    ])
    func peopleAreNotBots(userAgent: String) {
        #expect(withBytes(userAgent) { BotDetector.classify(isHead: false, isPrefetch: false, userAgent: $0) } == .none)
    }

    @Test func headAndPrefetchComeFirst() {
        let browser = "Mozilla/5.0 Firefox/125.0"
        #expect(withBytes(browser) { BotDetector.classify(isHead: true, isPrefetch: false, userAgent: $0) } == .head)
        #expect(withBytes(browser) { BotDetector.classify(isHead: false, isPrefetch: true, userAgent: $0) } == .prefetch)
    }

    @Test(arguments: ["prefetch", "Prefetch", "prefetch;prerender", "preview", "PREVIEW"])
    func purposeValues(value: String) {
        #expect(withBytes(value, BotDetector.isPrefetchPurpose))
    }

    @Test func ordinaryPurposeIsNotAPrefetch() {
        #expect(!withBytes("navigate", BotDetector.isPrefetchPurpose))
    }

    @Test func reasonsNameTheirPattern() {
        #expect(BotReason.userAgent(0).description == "user_agent:bot")
        #expect(BotReason.head.description == "head")
    }
}
