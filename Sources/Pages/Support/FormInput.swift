import API
import Domain
import Foundation
import HTTPTypes
import Wire

/// Turns form fields into the JSON API's inputs, so that a form is checked
/// by exactly the rules of the API (`OfferInput`, `AddMembersInput`...), and
/// their refusals into messages at the form's fields.
enum FormInput {
    /// Decodes one of the API's inputs from the JSON object `fields`.
    static func decode<T: Decodable>(_ type: T.Type, _ fields: [String: Any]) throws -> T {
        let data = try JSONSerialization.data(withJSONObject: fields)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.invalid("form", "the form could not be read: \(error)")
        }
    }

    /// An amount typed in the currency's units (`2.50`) as minor units.
    static func money(_ text: String?, currency: Currency, field: String) throws(APIError) -> Int64? {
        guard let text = text?.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ""), !text.isEmpty else { return nil }
        guard let money = Money.parse(text, currency: currency), money.minorUnits >= 0 else {
            throw .invalid(field, "Enter an amount like 12.50, with at most \(currency.scale == 1 ? 0 : String(currency.scale).count - 1) decimals.")
        }
        return money.minorUnits
    }

    /// A number typed as text (`12.5`).
    static func number(_ text: String?, field: String) throws(APIError) -> Double? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let value = Double(text), value.isFinite else { throw .invalid(field, "Enter a number like 12.5.") }
        return value
    }

    static func integer(_ text: String?, field: String) throws(APIError) -> Int? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let value = Int(text) else { throw .invalid(field, "Enter a whole number.") }
        return value
    }

    /// A date input's `2026-07-01` as the start of that day in UTC (RFC 3339),
    /// or, with `endOfDay`, the start of the next day.
    static func date(_ text: String?, field: String, endOfDay: Bool = false) throws(APIError) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard text.utf8.count == 10, let start = Timestamp.parse(text + "T00:00:00Z") else {
            throw .invalid(field, "Enter a date like 2026-07-01.")
        }
        let instant: Int64 = start + (endOfDay ? 86_400_000 : 0)
        return Timestamp.format(instant)
    }

    /// A stored time as a date input shows it: the UTC day, or for an end,
    /// the day before the instant (an end is the start of the next day).
    static func dateField(_ milliseconds: Int64?, isEnd: Bool = false) -> String {
        guard let milliseconds else { return "" }
        return String(Timestamp.format(milliseconds - (isEnd ? 1 : 0)).prefix(10))
    }

    /// A message per form field from a refusal of the API's rules; the
    /// API's field names (`payout.value`, `promo.discount`) are mapped to the
    /// form's by `names`, and a field the form lacks is shown at `fallback`.
    static func errors(_ error: any Error, names: [String: String] = [:], fallback: String = "form") -> [String: String]? {
        let field: String?, message: String
        switch error {
        case let error as APIError where error.status.code == 422 || error.status.code == 409 || error.status.code == 400:
            (field, message) = (error.field, error.message)
        case let error as DomainError where error.code == .invalid || error.code == .conflict:
            (field, message) = (error.field, error.message)
        case let error as StoreError where error.code == .conflict || error.code == .invalid:
            (field, message) = (nil, error.message)
        default:
            return nil
        }
        guard let field else { return [fallback: capitalized(message)] }
        // The API names the field in its message ("name: must not be empty"); at the field, that is said already.
        let shown = message.hasPrefix(field + ": ") ? String(message.dropFirst(field.count + 2)) : message
        let name = names[field] ?? names.first { field.hasPrefix($0.key + ".") }?.value ?? field.replacingOccurrences(of: ".", with: "_")
        return [name: capitalized(shown)]
    }

    static func capitalized(_ message: String) -> String {
        guard let first = message.first else { return message }
        return first.uppercased() + message.dropFirst() + (message.hasSuffix(".") ? "" : ".")
    }
}

/// What a form shows again after a refusal: each field's value as typed,
/// and its message.
struct FormState {
    var values: [String: String]
    var errors: [String: String]

    init(values: [String: String] = [:], errors: [String: String] = [:]) {
        self.values = values
        self.errors = errors
    }

    /// For Mustache: `value.name`, `error.name`, `invalid.name` (true when it has a message) and `checked.name_value`.
    var context: [String: Any] {
        var checked: [String: Bool] = [:]
        for (name, value) in values { checked[name + "_" + value] = true }
        return ["value": values, "error": errors, "invalid": errors.mapValues { _ in true }, "checked": checked,
                "has_errors": !errors.isEmpty, "form_error": errors["form"] ?? ""]
    }
}
