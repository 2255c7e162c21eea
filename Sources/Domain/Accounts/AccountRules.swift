/// The values people sign in with.
public enum AccountRules {
    /// An email address as it is stored and compared: trimmed, lower case,
    /// one `@` with a dot after it, visible ASCII only (it goes into mail
    /// headers and SMTP commands as it is), at most 254 bytes.
    public static func email(_ text: String, field: String = "email") throws(DomainError) -> String {
        let email = text.trimmingSpaces().lowercased()
        guard !email.isEmpty else { throw .invalid(field, "Enter an email address.") }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
              !parts[1].hasSuffix("."), email.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") })
        else { throw .invalid(field, "Enter an email address like name@example.com.") }
        return email
    }

    /// The shortest password accepted.
    public static let minimumPasswordLength = 10
    /// bcrypt reads 72 bytes and ignores the rest, so longer is refused rather than cut.
    public static let maximumPasswordBytes = 72

    public static func password(_ password: String, field: String = "password") throws(DomainError) -> String {
        guard password.count >= minimumPasswordLength else {
            throw .invalid(field, "Use at least \(minimumPasswordLength) characters.")
        }
        guard password.utf8.count <= maximumPasswordBytes else {
            throw .invalid(field, "Use at most \(maximumPasswordBytes) bytes (bcrypt ignores the rest).")
        }
        return password
    }
}

extension StringProtocol {
    public func trimmingSpaces() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
