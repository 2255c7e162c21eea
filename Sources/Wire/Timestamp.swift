import Foundation

/// Converting between the API's RFC 3339 times and the store's milliseconds.
/// RFC 3339 times in UTC, through Foundation's `ISO8601FormatStyle`, whose
/// styles are values made once (the older `ISO8601DateFormatter`, made per
/// call, went through ICU and took a fifth of a postback's time).
package enum Timestamp {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let plain = Date.ISO8601FormatStyle()

    package static func parse(_ text: String) -> Int64? {
        guard let date = (try? withFraction.parse(text)) ?? (try? plain.parse(text)) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// `2026-12-04T16:06:11Z`, or `2026-12-04T16:06:11.250Z` within a second.
    /// The milliseconds are written from the integer: a `Date` holds them
    /// as a binary fraction, which the style would cut to one less.
    package static func format(_ milliseconds: Int64) -> String {
        let fraction = ((milliseconds % 1000) + 1000) % 1000
        let seconds = Date(timeIntervalSince1970: Double((milliseconds - fraction) / 1000))
        guard fraction != 0 else { return plain.format(seconds) }
        let digits = String(fraction)
        return plain.format(seconds).dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    package static func format(_ milliseconds: Int64?) -> String? { milliseconds.map { format($0) } }

    package static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
