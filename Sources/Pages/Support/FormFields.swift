import Foundation

/// The fields of an `application/x-www-form-urlencoded` body, in order; a
/// name may come more than once (checkboxes).
struct FormFields: Sendable {
    private(set) var pairs: [(name: String, value: String)] = []

    init() {}

    init(_ body: String) {
        pairs = body.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? { text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else { return nil }
            return (name, value)
        }
    }

    /// The last value of the field, if it was sent.
    subscript(_ name: String) -> String? {
        pairs.last { $0.name == name }?.value
    }

    /// The value, trimmed; nil when absent or empty.
    func text(_ name: String) -> String? {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// Every value of the field, in order.
    func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    /// Every value of the field that is an id.
    func ids(_ name: String) -> [UInt32] {
        all(name).compactMap { UInt32($0) }
    }

    /// The fields as the form shows them again after a refusal.
    var values: [String: String] {
        Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
    }
}

/// Random tokens for forms: the session's CSRF token, the cookie of forms
/// shown before signing in, and the keys that make a form's second
/// submission do nothing.
enum FormToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Compares in time that depends only on the lengths.
    static func matches(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b, !a.isEmpty else { return false }
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
