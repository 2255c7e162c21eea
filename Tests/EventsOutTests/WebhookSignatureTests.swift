import Domain
import EventsOut
import Testing

@Suite("Webhook signatures")
struct WebhookSignatureTests {
    /// The example of the Standard Webhooks specification, also in its
    /// libraries' tests: the same secret, id, time and body give its signature.
    @Test func theSpecificationsExample() throws {
        let secret = try #require(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = WebhookSignature.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                              body: Array(#"{"test": 2432232314}"#.utf8), secret: secret)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func aRotatedSecretSignsBesideTheNewOneFor24Hours() {
        let endpoint = WebhookEndpoint(id: 1, url: "https://example.com/hook", events: [.conversionCreated], status: .active,
                                       secret: WebhookSecret.generate(), previousSecret: WebhookSecret.generate(),
                                       previousSecretUntil: 1_000 + WebhookEndpoint.rotationOverlap, createdAt: 0)
        let during = WebhookSignature.header(id: "evt_1", timestamp: 5, body: Array("{}".utf8), secrets: endpoint.signingSecrets(at: 1_000))
        let after = WebhookSignature.header(id: "evt_1", timestamp: 5, body: Array("{}".utf8),
                                            secrets: endpoint.signingSecrets(at: 1_000 + WebhookEndpoint.rotationOverlap))
        #expect(during.split(separator: " ").count == 2)
        #expect(after.split(separator: " ").count == 1)
        #expect(during.hasPrefix(after + " "), "the new secret's signature comes first, and is the one left")
    }

    @Test func secretsAreWhsecAndBase64OfRandomBytes() throws {
        let one = WebhookSecret.generate(), two = WebhookSecret.generate()
        #expect(one.hasPrefix("whsec_") && one != two)
        #expect(try #require(WebhookSecret(one)).key.count == 32)
        #expect(WebhookSecret("whsec_not base64") == nil)
        #expect(WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil, "the prefix is required")
    }
}
