import Crypto

/// Keys, tokens and their hashes (SPEC section 9): at least 128 random bits,
/// shown once, and for admin and ops keys and partner tokens stored only as
/// SHA-256 hashes.
public enum Secrets {
    /// What a secret opens; its prefix tells a reader which kind it is.
    public enum Kind: String, Sendable {
        case adminKey = "cla_"
        case opsKey = "clo_"
        case partnerToken = "clp_"
        case dashboardToken = "cld_"
        case postbackToken = "clb_"
        /// A browser session of /dashboard and /ops, held in a cookie.
        case sessionToken = "cls_"
        /// A one-time link's secret: signing in, an invite, a password reset.
        case signInLink = "cll_"
    }

    /// A new secret: the kind's prefix and 32 random bytes (256 bits) as 52
    /// lower-case base32 characters.
    public static func make(_ kind: Kind) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return kind.rawValue + base32(bytes)
    }

    /// The SHA-256 of a secret, as stored.
    public static func hash(_ secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(secret.utf8)))
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    private static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }
}
