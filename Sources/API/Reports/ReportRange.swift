import Foundation
import Wire

/// The date range of a report: a preset (`last_6_months` by default,
/// `month_to_date`, `last_30_days`) or `from`/`to`, each a date
/// (`2026-06-01`, the whole day, UTC) or an RFC 3339 time.
package struct ReportRange: Encodable, Sendable {
    package var preset: String?
    package var from: Int64
    package var to: Int64

    static let presets = ["last_6_months", "month_to_date", "last_30_days"]

    init(_ query: [String: String], now: Int64) throws(APIError) {
        if query["from"] != nil || query["to"] != nil {
            if let preset = query["range"], preset != "custom" {
                throw .invalid("range", "give either range=\(preset) or from and to, not both")
            }
            preset = nil
            to = try query["to"].map { text throws(APIError) in try Self.instant(text, "to", endOfDay: true) } ?? now
            from = try query["from"].map { text throws(APIError) in try Self.instant(text, "from", endOfDay: false) } ?? to - 30 * 86_400_000
            guard from < to else { throw .invalid("from", "must be before to") }
            guard to - from <= 3_660 * 86_400_000 else { throw .invalid("from", "a range is at most ten years") }
            return
        }
        let name = query["range"] ?? "last_6_months"
        let calendar = Self.utc
        let date = Date(timeIntervalSince1970: Double(now) / 1000)
        to = now
        switch name {
        case "last_6_months":
            let start = calendar.date(byAdding: .month, value: -6, to: calendar.startOfDay(for: date))!
            from = Int64(start.timeIntervalSince1970 * 1000)
        case "month_to_date":
            let start = calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
            from = Int64(start.timeIntervalSince1970 * 1000)
        case "last_30_days":
            from = now - 30 * 86_400_000
        default:
            throw .invalid("range", "must be one of \(Self.presets.joined(separator: ", ")), or give from and to")
        }
        preset = name
    }

    static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    /// A date (its start, or with `endOfDay` the start of the next day) or an RFC 3339 time.
    static func instant(_ text: String, _ field: String, endOfDay: Bool) throws(APIError) -> Int64 {
        if text.utf8.count == 10 {
            let formatter = DateFormatter()
            formatter.calendar = utc
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "yyyy-MM-dd"
            guard let date = formatter.date(from: text) else { throw .invalid(field, "must be a date like 2026-06-01 or an RFC 3339 time") }
            return Int64(date.timeIntervalSince1970 * 1000) + (endOfDay ? 86_400_000 : 0)
        }
        return try Validate.time(text, field)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(preset, forKey: .preset)
        try c.encode(Timestamp.format(from), forKey: .from)
        try c.encode(Timestamp.format(to), forKey: .to)
    }

    enum CodingKeys: String, CodingKey { case preset, from, to }

    /// `2026-05-22_to_2026-11-22`, for file names.
    var fileLabel: String {
        "\(Timestamp.format(from).prefix(10))_to_\(Timestamp.format(to - 1).prefix(10))"
    }
}
