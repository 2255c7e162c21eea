import ClickModel
import Domain
import Foundation
import Wire

/// Checks of single values, each throwing a 422 that names the field.
package enum Validate {
    /// Visible text of 1 to `max` bytes without control characters, trimmed.
    package static func text(_ value: String, _ field: String, max: Int = 200, allowEmpty: Bool = false) throws(APIError) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty && !allowEmpty { throw .invalid(field, "must not be empty") }
        if trimmed.utf8.count > max { throw .invalid(field, "must be at most \(max) bytes") }
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" || $0 == "\u{7F}" }) {
            throw .invalid(field, "must not hold control characters")
        }
        return trimmed
    }

    package static func code(_ value: String, _ field: String) throws(APIError) -> Code {
        guard let code = Code(value) else { throw .invalid(field, "a code is 1 to 32 characters of A-Z a-z 0-9 - _") }
        return code
    }

    package static func destination(_ value: String, _ field: String) throws(APIError) -> Destination {
        do {
            return try Destination(validating: value)
        } catch {
            throw .invalid(field, "must be an absolute http or https URL of visible ASCII (\(error))")
        }
    }

    package static func time(_ value: String, _ field: String) throws(APIError) -> Int64 {
        guard let milliseconds = Timestamp.parse(value) else { throw .invalid(field, "must be an RFC 3339 time like 2026-07-01T00:00:00Z") }
        return milliseconds
    }

    static func range<T: Comparable>(_ value: T, _ field: String, _ range: ClosedRange<T>) throws(APIError) -> T {
        guard range.contains(value) else { throw .invalid(field, "must be from \(range.lowerBound) to \(range.upperBound)") }
        return value
    }

    package static func choice<E: RawRepresentable & CaseIterable>(_ value: String, _ field: String, as type: E.Type) throws(APIError) -> E
    where E.RawValue == String {
        guard let choice = E(rawValue: value) else {
            throw .invalid(field, "must be one of \(E.allCases.map { $0.rawValue }.joined(separator: ", "))")
        }
        return choice
    }

    package static func email(_ value: String, _ field: String) throws(APIError) -> String {
        let email = try text(value, field, max: 254)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        // Visible ASCII only: an address goes into mail headers and SMTP commands as it is.
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              email.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }) else {
            throw .invalid(field, "must be an email address")
        }
        return email
    }

    package static func dates(startsAt: Int64?, endsAt: Int64?, field: String = "ends_at") throws(APIError) {
        if let startsAt, let endsAt, endsAt <= startsAt { throw .invalid(field, "must be after starts_at") }
    }
}

/// A payout as JSON: `{"type": "flat", "value": 250}` (minor units) or
/// `{"type": "percent", "value": 12.5}`.
package struct PayoutBody: Codable, Sendable {
    var type: String
    var value: Double

    init(_ payout: Payout) {
        switch payout {
        case .flat(let minorUnits):
            type = "flat"
            value = Double(minorUnits)
        case .percent(let percent):
            type = "percent"
            value = Double(percent.basisPoints) / 100
        }
    }

    package func payout(_ field: String) throws(APIError) -> Payout {
        switch type {
        case "flat":
            guard value == value.rounded(), value >= 0, value <= Double(Payout.maxFlatMinorUnits) else {
                throw .invalid(field + ".value", "a flat payout is a whole number of minor units from 0 to \(Payout.maxFlatMinorUnits)")
            }
            return .flat(minorUnits: Int64(value))
        case "percent":
            return .percent(try Self.percent(value, field + ".value"))
        default:
            throw .invalid(field + ".type", "must be flat or percent")
        }
    }

    /// A JSON number as a percent with at most two decimals, 0 to 100.
    static func percent(_ value: Double, _ field: String) throws(APIError) -> Percent {
        let hundredths = value * 100
        // The range first: converting a number past Int64's to an integer would trap.
        guard value >= 0, value <= 100, abs(hundredths - hundredths.rounded()) < 1e-6,
              let percent = Percent(basisPoints: Int64(hundredths.rounded())) else {
            throw .invalid(field, "a percent is from 0 to 100 with at most two decimals")
        }
        return percent
    }
}

/// A page of a list: `{"items": [...], "next_cursor": "..."}`.
struct Page<Item: Encodable>: Encodable {
    var items: [Item]
    var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)  // null on the last page, never absent
    }
}

/// `limit` and `cursor` of list endpoints.
struct Paging {
    var limit: Int
    var after: UInt32

    init(_ query: [String: String]) throws(APIError) {
        if let text = query["limit"] {
            guard let limit = Int(text), (1...1000).contains(limit) else { throw .invalid("limit", "must be from 1 to 1000") }
            self.limit = limit
        } else {
            limit = 100
        }
        if let text = query["cursor"], !text.isEmpty {
            guard let after = UInt32(text) else { throw .invalid("cursor", "must be a cursor from next_cursor") }
            self.after = after
        } else {
            after = 0
        }
    }

    /// The cursor of the page after `items` when it is full.
    func next<T>(_ items: [T], id: (T) -> UInt32) -> String? {
        guard items.count == limit, let last = items.last else { return nil }
        return String(id(last))
    }
}
