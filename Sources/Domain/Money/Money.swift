/// An amount of money in a currency's minor units (cents for USD), never a
/// floating-point number: every sum, percent and payout stays exact.
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Minor units; negative for what is owed back.
    public var minorUnits: Int64
    public var currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// The largest amount accepted anywhere: 10^13 minor units (a hundred
    /// billion in a two-decimal currency), so that a percent of it cannot
    /// overflow 64 bits.
    public static let maxMinorUnits: Int64 = 10_000_000_000_000

    /// Parses a decimal string in the currency's major unit: `49.90`, `49.9`,
    /// `49`, `0.01`. No sign, no exponent, no thousands separators, and no
    /// more decimals than the currency has (`10.125` is refused for USD).
    public static func parse(_ text: String, currency: Currency) -> Money? {
        guard let minorUnits = DecimalText.parse(text, fractionDigits: currency.exponent, maxIntegerDigits: 14),
              minorUnits <= maxMinorUnits else { return nil }
        return Money(minorUnits: minorUnits, currency: currency)
    }

    /// `49.90 USD`-style decimal text of the amount, without the code: `49.90`, `-0.05`, `1200` (JPY).
    public var decimalString: String {
        let magnitude = minorUnits.magnitude
        let scale = UInt64(currency.scale)
        let sign = minorUnits < 0 ? "-" : ""
        guard currency.exponent > 0 else { return sign + String(magnitude) }
        var fraction = String(magnitude % scale)
        while fraction.count < currency.exponent { fraction = "0" + fraction }
        return sign + String(magnitude / scale) + "." + fraction
    }

    public var description: String { decimalString + " " + currency.code }

    public static func < (a: Money, b: Money) -> Bool { a.minorUnits < b.minorUnits }
}

/// An ISO 4217 currency code with its number of minor-unit digits.
public struct Currency: Sendable, Hashable, CustomStringConvertible {
    /// Three upper-case letters.
    public let code: String
    /// Digits after the decimal point: 2 for USD, 0 for JPY, 3 for KWD.
    public let exponent: Int

    /// A currency from its code, in any case; nil unless three ASCII letters.
    public init?(_ code: String) {
        let upper = code.uppercased()
        guard upper.utf8.count == 3, upper.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else { return nil }
        self.code = upper
        self.exponent = Self.exponents[upper] ?? 2
    }

    public static let usd = Currency("USD")!

    /// 10^exponent.
    public var scale: Int64 {
        var scale: Int64 = 1
        for _ in 0..<exponent { scale *= 10 }
        return scale
    }

    public var description: String { code }

    /// The currencies whose minor unit is not a hundredth (ISO 4217).
    private static let exponents: [String: Int] = [
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0,
        "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    ]
}

/// Exact arithmetic on minor units.
public enum MinorUnits {
    /// `amount × basisPoints / 10,000`, rounded half away from zero: the one
    /// rounding rule of every percent commission.
    public static func percent(_ amount: Int64, basisPoints: Int64) -> Int64 {
        let product = amount.multipliedFullWidth(by: basisPoints)
        let (quotient, remainder) = Int64(10_000).dividingFullWidth(product)
        // Half away from zero: a remainder of at least half the divisor rounds the magnitude up.
        if remainder.magnitude * 2 >= 10_000 { return quotient + (amount < 0 ? -1 : 1) * (basisPoints < 0 ? -1 : 1) }
        return quotient
    }
}

/// Unsigned decimal text, the one parser of amounts and percents: digits,
/// and at most one point with digits on both sides; no sign, no exponent, no
/// separators.
public enum DecimalText {
    /// `text` as an integer of `fractionDigits` decimals (`12.5` with 2 is
    /// 1,250); nil for anything else, for more decimals than that, or for
    /// more than `maxIntegerDigits` digits before the point.
    public static func parse(_ text: String, fractionDigits: Int, maxIntegerDigits: Int) -> Int64? {
        var whole: Int64 = 0, fraction: Int64 = 0
        var integerDigits = 0, decimals = 0
        var seenPoint = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint, integerDigits > 0 else { return nil }
                seenPoint = true
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            if seenPoint {
                decimals += 1
                guard decimals <= fractionDigits else { return nil }
                fraction = fraction * 10 + digit
            } else {
                integerDigits += 1
                guard integerDigits <= maxIntegerDigits else { return nil }
                whole = whole * 10 + digit
            }
        }
        guard integerDigits > 0, !(seenPoint && decimals == 0) else { return nil }
        var scale: Int64 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        for _ in decimals..<fractionDigits { fraction *= 10 }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow, scaled <= Int64.max - fraction else { return nil }
        return scaled + fraction
    }
}
