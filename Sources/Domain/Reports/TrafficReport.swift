import ClickModel

/// What the report by country or device groups by (SPEC section 12).
public enum TrafficDimension: String, Sendable, CaseIterable {
    case country, device
}

/// Clicks, billable clicks and conversions from one country, or of one device
/// class, over whole UTC days. A visitor belongs to several device classes at
/// once (an iPhone is `ios` and `mobile`), so the device rows overlap; `key`
/// is nil for clicks whose country or device is not known.
public struct TrafficRow: Sendable, Equatable {
    public var key: String?
    public var clicks: Int64
    public var billable: Int64
    public var conversions: Int64

    public init(key: String?, clicks: Int64 = 0, billable: Int64 = 0, conversions: Int64 = 0) {
        self.key = key
        self.clicks = clicks
        self.billable = billable
        self.conversions = conversions
    }
}

/// Sums stored per country and device-class set into the report's rows.
public struct TrafficSums: Sendable {
    public let dimension: TrafficDimension
    private var rows: [String?: TrafficRow] = [:]

    public init(by dimension: TrafficDimension) {
        self.dimension = dimension
    }

    /// Adds counts stored for one country (`CountryCode.rawValue`) and set of device classes.
    public mutating func add(country: UInt16, devices: UInt16, clicks: Int64 = 0, billable: Int64 = 0, conversions: Int64 = 0) {
        let keys: [String?]
        switch dimension {
        case .country:
            keys = [country == 0 ? nil : CountryCode(rawValue: country).description]
        case .device:
            let classes = DeviceClass.allCases.filter { devices & $0.bit != 0 }.map(\.rawValue)
            keys = classes.isEmpty ? [nil] : classes
        }
        for key in keys {
            var row = rows[key] ?? TrafficRow(key: key)
            row.clicks += clicks
            row.billable += billable
            row.conversions += conversions
            rows[key] = row
        }
    }

    /// Most clicks first; the unknown last.
    public var items: [TrafficRow] {
        rows.values.sorted { a, b in
            if (a.key == nil) != (b.key == nil) { return b.key == nil }
            return (a.clicks, b.key ?? "") > (b.clicks, a.key ?? "")
        }
    }
}
