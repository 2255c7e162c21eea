/// A use case refused: what was wrong and, for a value, which field. The
/// HTTP side answers 422 (`invalid`), 404 (`notFound`), 409 (`conflict`) or
/// 403 (`forbidden`) with the message, which never holds a secret.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalid, notFound, conflict, forbidden
    }

    public var code: Code
    public var message: String
    /// The field of the request the message is about, when it is about one.
    public var field: String?
    /// A more precise name for what went wrong than `code`, which clients can
    /// act on (`custom_stage`, `no_link`); the HTTP side's error code when set.
    public var reason: String?

    public init(_ code: Code, _ message: String, field: String? = nil, reason: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.reason = reason
    }

    public static func invalid(_ field: String, _ message: String) -> DomainError { DomainError(.invalid, message, field: field) }
    public static func notFound(_ message: String) -> DomainError { DomainError(.notFound, message) }
    public static func conflict(_ field: String?, _ message: String) -> DomainError { DomainError(.conflict, message, field: field) }
    public static func forbidden(_ message: String) -> DomainError { DomainError(.forbidden, message) }

    public var description: String { "\(code.rawValue)\(field.map { " (\($0))" } ?? ""): \(message)" }
}
