import Crypto
import Foundation

/// A webhook secret as the Standard Webhooks specification writes it:
/// `whsec_` and the key's bytes in base 64.
public struct WebhookSecret: Sendable, Equatable {
    public let key: [UInt8]

    public init?(_ text: String) {
        guard text.hasPrefix(Self.prefix), let key = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))), (24...64).contains(key.count)
        else { return nil }
        self.key = Array(key)
    }

    /// A new secret of 32 random bytes from the system's secure generator.
    public static func generate() -> String {
        var random = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        return prefix + Data(key).base64EncodedString()
    }

    static let prefix = "whsec_"
}

/// The signature of a delivery, by the Standard Webhooks specification:
/// `v1,` and the base 64 of HMAC-SHA256 over `id.timestamp.body`, one per
/// secret, separated by spaces (two while a rotated secret still signs).
public enum WebhookSignature {
    public static func sign(id: String, timestamp: Int64, body: some Collection<UInt8>, secret: WebhookSecret) -> String {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: secret.key))
        mac.update(data: Array("\(id).\(timestamp).".utf8))
        mac.update(data: Array(body))
        return "v1," + Data(mac.finalize()).base64EncodedString()
    }

    /// The `webhook-signature` header's value for these secrets; secrets that
    /// cannot be read are left out (a stored secret always can).
    public static func header(id: String, timestamp: Int64, body: some Collection<UInt8>, secrets: [String]) -> String {
        secrets.compactMap(WebhookSecret.init).map { sign(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }
}
