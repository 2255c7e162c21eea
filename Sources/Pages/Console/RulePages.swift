import API
import ClickModel
import Domain
import Foundation
import Hummingbird
import Services
import Store
import Wire

/// The rules editor (SPEC section 12): a link's rules, caps and expiry, or
/// an offer's defaults for its links, as one form. A rule's conditions are
/// written one a line (`device ios android`, `query utm_medium=email`), its
/// destination as one URL or a split as lines of `URL weight`. The form is
/// sent on as the API's body, so it is validated as the API validates, and a
/// refusal is shown at the rule, cap or field it names.
extension ConsolePages {
    func registerRules(on pages: RouterGroup<PageContext>) {
        pages.get("/offers/{id}/rules", use: offerRules)
        pages.post("/offers/{id}/rules", use: saveOfferRules)
        pages.get("/offers/{id}/links/{link_id}/rules", use: linkRules)
        pages.post("/offers/{id}/links/{link_id}/rules", use: saveLinkRules)
    }

    @Sendable func offerRules(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let defaults = offer.linkDefaults
        return rulesPage(RulesForm(rules: defaults.rules, caps: defaults.caps, expiresAt: defaults.expiresAt,
                                   expiredURL: defaults.expiredDestination?.url),
                         offer: offer, link: nil, context)
    }

    @Sendable func saveOfferRules(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        var form = RulesForm(context.form)
        do {
            let input = try FormInput.decode(OfferInput.self, try form.body())
            _ = try await catalogue.update(offer: offer.id) { offer throws(APIError) in try input.apply(to: &offer) }
            return Renderer.redirect("/offers/\(offer.id)?saved=1#links")
        } catch {
            guard let errors = FormInput.errors(error, fallback: "form") else { throw error }
            form.show(errors)
            return rulesPage(form, offer: offer, link: nil, context, status: .unprocessableContent)
        }
    }

    @Sendable func linkRules(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let (offer, link) = try await offerLink(context)
        return rulesPage(RulesForm(rules: link.rules, caps: link.caps, expiresAt: link.expiresAt, expiredURL: link.expiredDestination?.url),
                         offer: offer, link: link, context)
    }

    @Sendable func saveLinkRules(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let (offer, link) = try await offerLink(context)
        var form = RulesForm(context.form)
        do {
            let input = try FormInput.decode(LinkUpdate.self, try form.body())
            _ = try await catalogue.update(link: link.id) { link throws(APIError) in try input.apply(to: &link) }
            return Renderer.redirect("/offers/\(offer.id)?saved=1#links")
        } catch {
            guard let errors = FormInput.errors(error, fallback: "form") else { throw error }
            form.show(errors)
            return rulesPage(form, offer: offer, link: link, context, status: .unprocessableContent)
        }
    }

    func offerLink(_ context: PageContext) async throws -> (Offer, TrackingLink) {
        let offer = try await offer(context)
        guard let text = context.parameters.get("link_id"), let id = UInt32(text), let link = try await store.link(id: id),
              link.offerID == offer.id else {
            throw PageError.notFound("This offer has no such link.")
        }
        return (offer, link)
    }

    func rulesPage(_ form: RulesForm, offer: Offer, link: TrackingLink?, _ context: PageContext,
                   status: HTTPResponse.Status = .ok) -> Response {
        var values = form.context
        values["section"] = "dashboard"
        values["offer_id"] = offer.id
        if let link {
            values["title"] = "Rules of the link \(link.code.value)"
            values["intro"] = "Where the link \(link.code.value) of \(offer.name) sends each visitor. With no rules, caps or expiry "
                + "here, the link takes the offer's."
            values["action"] = "/offers/\(offer.id)/links/\(link.id)/rules"
        } else {
            values["title"] = "Rules for the links of \(offer.name)"
            values["intro"] = "Defaults for the offer's links: a link with rules, caps or an expiry of its own uses its own instead. "
                + "A cap here counts each link's clicks apart."
            values["action"] = "/offers/\(offer.id)/rules"
        }
        return page("rules", values, context, status: status)
    }

    /// A one-line account of what a link does beyond its destination, for the offer page.
    static func rulesSummary(rules: [LinkRule], caps: [LinkCap], expiresAt: Int64?) -> String {
        var parts: [String] = []
        if !rules.isEmpty { parts.append(rules.count == 1 ? "1 rule" : "\(rules.count) rules") }
        if !caps.isEmpty { parts.append(caps.count == 1 ? "1 cap" : "\(caps.count) caps") }
        if let expiresAt { parts.append("expires \(Timestamp.format(expiresAt))") }
        return parts.joined(separator: ", ")
    }
}

/// The rules editor's fields: rule rows (`rule_N_name`, `rule_N_if`,
/// `rule_N_to`), cap rows (`cap_N_scope`, `_period`, `_max`, `_fallback`),
/// `expires_at` and `expired_url`. Empty rows are left out of the body, so
/// the API's `rules[i]` is mapped back to the row it came from.
struct RulesForm {
    struct Rule {
        var name = "", conditions = "", target = ""
        var isEmpty: Bool { [name, conditions, target].allSatisfy { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } }
    }

    struct Cap {
        var scope = "", period = "day", max = "", fallback = ""
    }

    static let spareRules = 2

    var rules: [Rule]
    var caps: [Cap]
    var expiresAt: String
    var expiredURL: String
    var errors: [String: String] = [:]

    /// Rows of the rules and caps kept; `body` fills them, `show` maps the API's fields back through them.
    private var ruleRows: [Int] = [], capRows: [Int] = []

    init(rules: [LinkRule], caps: [LinkCap], expiresAt: Int64?, expiredURL: String?) {
        self.rules = rules.map { rule in
            let input = LinkRuleInput(rule, formatTime: Timestamp.format)
            let conditions = (input.conditions ?? []).map(Self.line(of:)).joined(separator: "\n")
            let target = input.destinationURL ?? (input.split ?? []).map { "\($0.destinationURL) \($0.weight)" }.joined(separator: "\n")
            return Rule(name: input.name ?? "", conditions: conditions, target: target)
        }
        self.caps = caps.map { cap in
            Cap(scope: cap.scope.rawValue, period: cap.period.rawValue, max: String(cap.maxClicks), fallback: cap.fallback?.url ?? "")
        }
        self.expiresAt = expiresAt.map { Timestamp.format($0) } ?? ""
        self.expiredURL = expiredURL ?? ""
    }

    init(_ form: FormFields) {
        var rules: [Rule] = []
        for index in 0..<LinkRule.maxRules + Self.spareRules {
            guard let conditions = form["rule_\(index)_if"] else { break }
            rules.append(Rule(name: form["rule_\(index)_name"] ?? "", conditions: conditions, target: form["rule_\(index)_to"] ?? ""))
        }
        self.rules = rules
        caps = (0..<LinkCap.maxCaps).map { index in
            Cap(scope: form["cap_\(index)_scope"] ?? "", period: form["cap_\(index)_period"] ?? "day",
                max: form["cap_\(index)_max"] ?? "", fallback: form["cap_\(index)_fallback"] ?? "")
        }
        expiresAt = form["expires_at"] ?? ""
        expiredURL = form["expired_url"] ?? ""
    }

    /// A stored condition as the form writes it.
    static func line(of condition: LinkRuleInput.ConditionInput) -> String {
        if let values = condition.values { return ([condition.type] + values).joined(separator: " ") }
        if let parameter = condition.parameter { return "query \(parameter)" + (condition.equals.map { "=\($0)" } ?? "") }
        return "\(condition.type) \(condition.at ?? "")"
    }

    /// The API's body for what was typed; a line that is not a condition is refused at its rule.
    mutating func body() throws -> [String: Any] {
        var rulesJSON: [[String: Any]] = []
        ruleRows = []
        for (row, rule) in rules.enumerated() where !rule.isEmpty {
            var json: [String: Any] = [:]
            let name = rule.name.trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { json["name"] = name }
            json["if"] = try rule.conditions.split(whereSeparator: \.isNewline).compactMap { line -> [String: Any]? in
                let words = line.split { $0 == " " || $0 == "," || $0 == "\t" }.map(String.init)
                guard let type = words.first?.lowercased() else { return nil }
                let rest = Array(words.dropFirst())
                switch type {
                case "query":
                    guard rest.count == 1, let parameter = rest[0].split(separator: "=", maxSplits: 1).first, !parameter.isEmpty else {
                        throw APIError.invalid("rule_\(row)_if", "write a query condition as: query utm_medium, or query utm_medium=email")
                    }
                    let parts = rest[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    return ["type": type, "param": String(parameter)].merging(parts.count == 2 ? ["equals": String(parts[1])] : [:]) { $1 }
                case "before", "after":
                    guard rest.count == 1 else {
                        throw APIError.invalid("rule_\(row)_if", "write a time condition as: \(type) 2027-01-31T23:59:59Z")
                    }
                    return ["type": type, "at": rest[0]]
                default:
                    return ["type": type, "in": rest]
                }
            }
            let lines = rule.target.split(whereSeparator: \.isNewline).map { $0.split(separator: " ", omittingEmptySubsequences: true) }
                .filter { !$0.isEmpty }
            if lines.count == 1 && lines[0].count == 1 {
                json["destination_url"] = String(lines[0][0])
            } else if !lines.isEmpty {
                json["split"] = try lines.map { words -> [String: Any] in
                    guard words.count == 2, let weight = Int(words[1]) else {
                        throw APIError.invalid("rule_\(row)_to", "write one URL, or a split as lines of: URL weight")
                    }
                    return ["destination_url": String(words[0]), "weight": weight]
                }
            }
            rulesJSON.append(json)
            ruleRows.append(row)
        }
        var capsJSON: [[String: Any]] = []
        capRows = []
        for (row, cap) in caps.enumerated() where !cap.scope.isEmpty {
            guard let max = try FormInput.integer(cap.max, field: "cap_\(row)_max") else {
                throw APIError.invalid("cap_\(row)_max", "Enter the most clicks the cap lets through.")
            }
            var json: [String: Any] = ["scope": cap.scope, "period": cap.period, "max_clicks": max]
            let fallback = cap.fallback.trimmingCharacters(in: .whitespaces)
            if !fallback.isEmpty { json["fallback_url"] = fallback }
            capsJSON.append(json)
            capRows.append(row)
        }
        let expiry = expiresAt.trimmingCharacters(in: .whitespaces), expired = expiredURL.trimmingCharacters(in: .whitespaces)
        return ["rules": rulesJSON, "caps": capsJSON, "expires_at": expiry.isEmpty ? NSNull() : expiry,
                "expired_url": expired.isEmpty ? NSNull() : expired]
    }

    /// Takes the refusal's message to the field of the form it is about:
    /// `rules[2].if[0].in[1]` to the conditions of the third rule kept, and so on.
    mutating func show(_ refusal: [String: String]) {
        for (field, message) in refusal {
            // "rules[2].if[1]...": the second line of the conditions.
            let line = field.range(of: "if[").flatMap { Int(field[$0.upperBound...].prefix { $0.isNumber }) }
            errors[formField(field)] = line.map { "Line \($0 + 1): \(message)" } ?? message
        }
    }

    private func formField(_ field: String) -> String {
        func index(after prefix: String) -> Int? {
            guard field.hasPrefix(prefix + "[") else { return nil }
            return Int(field.dropFirst(prefix.count + 1).prefix { $0.isNumber })
        }
        if let i = index(after: "rules") {
            let row = i < ruleRows.count ? ruleRows[i] : 0
            // FormInput.errors has turned the API's dots into underscores.
            if field.contains("if[") { return "rule_\(row)_if" }
            if field.hasSuffix("name") { return "rule_\(row)_name" }
            return "rule_\(row)_to"
        }
        if let i = index(after: "caps") {
            let row = i < capRows.count ? capRows[i] : 0
            for (api, form) in [("scope", "scope"), ("period", "period"), ("max_clicks", "max"), ("fallback_url", "fallback")]
            where field.hasSuffix(api) {
                return "cap_\(row)_\(form)"
            }
            return "cap_\(row)_scope"
        }
        switch field {
        case "rules": return "rule_0_if"
        case "caps": return "cap_0_scope"
        default: return field
        }
    }

    /// For Mustache: the rule rows (those kept and two spare, at most 32), the four cap rows, the expiry, the messages.
    var context: [String: Any] {
        let shown = rules.count < LinkRule.maxRules ? rules + Array(repeating: Rule(), count: min(Self.spareRules, LinkRule.maxRules - rules.count))
            : rules
        let capRows = caps + Array(repeating: Cap(), count: max(0, LinkCap.maxCaps - caps.count))
        func error(_ name: String) -> Any { errors[name].map { $0 as Any } ?? false }
        return [
            "rules": shown.enumerated().map { index, rule -> [String: Any] in
                ["index": index, "number": index + 1, "name": rule.name, "conditions": rule.conditions, "target": rule.target,
                 "name_error": error("rule_\(index)_name"), "if_error": error("rule_\(index)_if"), "to_error": error("rule_\(index)_to")]
            },
            "caps": capRows.enumerated().map { index, cap -> [String: Any] in
                ["index": index, "number": index + 1, "max": cap.max, "fallback": cap.fallback,
                 "scope_none": cap.scope.isEmpty, "scope_link": cap.scope == "link", "scope_partner": cap.scope == "partner",
                 "period_day": cap.period == "day", "period_total": cap.period == "total",
                 "scope_error": error("cap_\(index)_scope"), "period_error": error("cap_\(index)_period"),
                 "max_error": error("cap_\(index)_max"), "fallback_error": error("cap_\(index)_fallback")]
            },
            "expires_at": expiresAt, "expired_url": expiredURL,
            "expires_at_error": error("expires_at"), "expired_url_error": error("expired_url"),
            "form_error": error("form"), "has_errors": !errors.isEmpty,
        ]
    }
}
