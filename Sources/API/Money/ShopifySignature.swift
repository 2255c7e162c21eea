import Crypto
import Foundation
import Services

/// Shopify signs each webhook with HMAC-SHA256 of the raw body under the
/// shop's secret, base64 in `X-Shopify-Hmac-Sha256`.
public enum ShopifySignature {
    /// Whether `header` is the signature of `body`; compared in constant time.
    public static func isValid(body: [UInt8], secret: String, header: String?) -> Bool {
        guard let header, let sent = Data(base64Encoded: header.trimmingCharacters(in: .whitespaces)) else { return false }
        let expected = Array(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8))))
        return Secrets.constantTimeEquals(expected, Array(sent))
    }

    /// The signature of `body`, as Shopify would send it (for tests and tools).
    public static func sign(body: [UInt8], secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))).base64EncodedString()
    }
}
