import Aggregator
import ClickModel
import Edge
import Foundation

/// The body of `GET /v1/ops/live` (SPEC section 7).
public struct LiveReport: Codable, Sendable, Equatable {
    public struct Rates: Codable, Sendable, Equatable {
        public var oneSecond: Double
        public var tenSeconds: Double
        public var sixtySeconds: Double
        enum CodingKeys: String, CodingKey {
            case oneSecond = "1s", tenSeconds = "10s", sixtySeconds = "60s"
        }
    }

    public struct Totals: Codable, Sendable, Equatable {
        public var clicks: Int64
        public var billable: Int64
        public var unique: Int64
        public var bot: Int64
        public var unattributed: Int64
        public var inactive: Int64
        public var capped: Int64
        public var expired: Int64
        /// Not billable for their quality: address caps, hosting networks.
        public var invalid: Int64
        /// Clicks dropped by full rings since this process started.
        public var dropped: Int64
    }

    public struct TopOffer: Codable, Sendable, Equatable {
        public var offerID: UInt32
        public var clicks: Int64
        enum CodingKeys: String, CodingKey { case offerID = "offer_id", clicks }
    }

    public struct TopPartner: Codable, Sendable, Equatable {
        public var partnerID: UInt32
        public var clicks: Int64
        enum CodingKeys: String, CodingKey { case partnerID = "partner_id", clicks }
    }

    public struct Worker: Codable, Sendable, Equatable {
        public var id: Int
        public var ringFill: Double
        public var dropped: Int
        public var p50Microseconds: Double
        public var p99Microseconds: Double
        public var requests: Int
        public var connections: Int
        /// The catalogue version of the link table the worker answers from.
        public var catalogueVersion: Int
        enum CodingKeys: String, CodingKey {
            case id, ringFill = "ring_fill", dropped, p50Microseconds = "p50_us", p99Microseconds = "p99_us", requests, connections
            case catalogueVersion = "catalogue_version"
        }
    }

    public var generatedAt: String
    public var clicksPerSecond: Rates
    public var totals: Totals
    public var topOffers: [TopOffer]
    public var topPartners: [TopPartner]
    public var workers: [Worker]
    /// Clicks per minute over the last hour, oldest first.
    public var lastHour: [Int64]

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at", clicksPerSecond = "clicks_per_second", totals
        case topOffers = "top_offers", topPartners = "top_partners", workers, lastHour = "last_hour"
    }

    public init(live: LiveSnapshot, workers: [WorkerStatsSnapshot]) {
        generatedAt = Date(timeIntervalSince1970: Double(live.generatedAt) / 1000).formatted(.iso8601)
        clicksPerSecond = Rates(oneSecond: live.clicksPerSecond1s, tenSeconds: live.clicksPerSecond10s, sixtySeconds: live.clicksPerSecond60s)
        totals = Totals(
            clicks: live.totals.clicks, billable: live.totals.billable, unique: live.totals.unique, bot: live.totals.bot,
            unattributed: live.totals.unattributed, inactive: live.totals.inactive,
            capped: live.totals.capped, expired: live.totals.expired, invalid: live.totals.invalid,
            dropped: Int64(workers.reduce(0) { $0 + $1.dropped }))
        topOffers = live.topOffers.map { TopOffer(offerID: $0.id, clicks: $0.clicks) }
        topPartners = live.topPartners.map { TopPartner(partnerID: $0.id, clicks: $0.clicks) }
        self.workers = workers.map {
            Worker(id: $0.workerID, ringFill: $0.ringFill, dropped: $0.dropped,
                   p50Microseconds: Double($0.latencyP50Nanoseconds) / 1000, p99Microseconds: Double($0.latencyP99Nanoseconds) / 1000,
                   requests: $0.requests, connections: $0.connectionsOpen, catalogueVersion: $0.catalogueVersion)
        }
        lastHour = live.lastHour
    }
}
