import Foundation
import Mustache

/// A brand's email to members: a subject and a body in Mustache, each
/// rendered per member as plain text (nothing is HTML-escaped).
///
/// Only the member's own fields may be used, as `{{name}}` or in sections
/// such as `{{#ends_at}}until {{ends_at}}{{/ends_at}}`; partials, pragmas,
/// delimiter changes and unknown names are refused, so that what a brand
/// previews is exactly what members get.
public struct MemberEmail: Sendable {
    /// The fields a template may use.
    public static let fields = ["name", "promo_code", "tracking_url", "starts_at", "ends_at", "dashboard_url"]

    /// A template that cannot be used, and why.
    public struct Problem: Error, Sendable {
        public var field: String
        public var message: String
    }

    private let subject: MustacheTemplate
    private let body: MustacheTemplate
    /// The fields the templates use.
    public let usedFields: Set<String>

    public init(subject: String, body: String) throws(Problem) {
        var used = Set<String>()
        self.subject = try Self.template(subject, field: "subject", used: &used)
        self.body = try Self.template(body, field: "body", used: &used)
        self.usedFields = used
    }

    /// A member's values; nil ones render as nothing (and make their sections false).
    public struct Values: Sendable {
        public var name: String
        public var promoCode: String?
        public var trackingURL: String?
        public var startsAt: String?
        public var endsAt: String?
        public var dashboardURL: String?

        public init(name: String, promoCode: String?, trackingURL: String?, startsAt: String?, endsAt: String?, dashboardURL: String?) {
            self.name = name
            self.promoCode = promoCode
            self.trackingURL = trackingURL
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.dashboardURL = dashboardURL
        }
    }

    public func render(_ values: Values) -> (subject: String, body: String) {
        var context: [String: String] = ["name": values.name]
        context["promo_code"] = values.promoCode
        context["tracking_url"] = values.trackingURL
        context["starts_at"] = values.startsAt
        context["ends_at"] = values.endsAt
        context["dashboard_url"] = values.dashboardURL
        // A subject is one line: whatever a value brought in that could end it is a space.
        let subject = String(subject.render(context).map { $0.isNewline ? " " : $0 })
        return (subject, body.render(context))
    }

    private static func template(_ text: String, field: String, used: inout Set<String>) throws(Problem) -> MustacheTemplate {
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw Problem(field: field, message: "a {{ is not closed")
            }
            var tag = rest[open.upperBound..<close.lowerBound]
            rest = rest[close.upperBound...]
            if tag.first == "{" {  // {{{name}}}: the same as {{name}} in plain text
                tag = tag.dropFirst()
                if rest.first == "}" { rest = rest.dropFirst() }
            }
            if tag.first == "!" { continue }  // a comment
            if let sigil = tag.first, "#^/&".contains(sigil) { tag = tag.dropFirst() }
            let name = tag.trimmingCharacters(in: .whitespaces)
            guard fields.contains(name) else {
                throw Problem(field: field, message: "{{\(name)}} is not a member field; use \(fields.map { "{{\($0)}}" }.joined(separator: ", "))")
            }
            used.insert(name)
        }
        do {
            return try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)
        } catch {
            throw Problem(field: field, message: "not a valid template: \(error)")
        }
    }
}
