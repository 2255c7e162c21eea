import Benchmark
import BenchmarkSupport
import Domain
import Foundation
import GRDB
import Store

/// The report benchmark's brand with what the leaked-code check reads: every
/// membership holds a code, its 1 million conversions are rows of their own
/// with a customer each (700,000 customers), and each code has its
/// redemptions per hour. The code the benchmark orders on has a busy week
/// behind it, five orders every hour, so each check reads a full week.
enum LeakedCodes {
    static let customers = 700_000
    /// Offer 1's member whose code the benchmark's orders carry.
    static let offerID: UInt32 = 1
    static let partnerID: UInt32 = 1_000
    static var done: String { LargeBrand.directory.appendingPathComponent("codes-complete").path }

    /// Hex SHA-256-sized text standing for customer `number`'s email hash.
    static func customerHash(_ number: Int) -> String {
        var random = SplitMix64(seed: UInt64(number))
        return (0..<4).map { _ in
            let hex = String(random.next(), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    static let store: SQLStore = {
        let store = LargeBrand.store
        do {
            if !FileManager.default.fileExists(atPath: done) { try fill() }
        } catch {
            fatalError("cannot add the codes to the benchmark brand: \(error)")
        }
        return store
    }()

    private static func fill() throws {
        let queue = try DatabaseQueue(path: LargeBrand.path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = OFF")
            try db.inTransaction {
                try db.execute(sql: "UPDATE memberships SET promo_code = 'P' || partner_id || 'O' || offer_id")
                try db.execute(sql: "DELETE FROM code_redemption_hours")
                try db.execute(sql: "DELETE FROM conversions")
                let conversion = try db.makeStatement(sql: """
                    INSERT INTO conversions (offer_id, order_id, partner_id, amount, currency, source, candidates, decision, minute,
                                             created_at, code_partner_id, customer_hash)
                    VALUES (?, ?, ?, ?, 'USD', 'shopify', '{}', '{}', ?, ?, ?, ?)
                    """)
                let hour = try db.makeStatement(sql: """
                    INSERT INTO code_redemption_hours (offer_id, partner_id, hour, orders, new_unclicked) VALUES (?, ?, ?, 1, 0)
                    ON CONFLICT (offer_id, partner_id, hour) DO UPDATE SET orders = orders + 1
                    """)
                var random = SplitMix64(seed: 11)
                for number in 0..<LargeBrand.conversions {
                    let partner = Int64.random(in: 1...Int64(LargeBrand.partners), using: &random)
                    let offer = partner % Int64(LargeBrand.offers) + 1
                    let at = LargeBrand.start + Int64.random(in: 0..<(LargeBrand.days * 86_400_000), using: &random)
                    let customer = customerHash(Int.random(in: 0..<customers, using: &random))
                    try conversion.execute(arguments: [offer, "o\(number)", partner, Int64.random(in: 500...50_000, using: &random),
                                                       at / 60_000, at, partner, customer])
                    try hour.execute(arguments: [offer, partner, at / 3_600_000])
                }
                let now = LargeBrand.end / 3_600_000
                for past in 1...RedemptionSpike.trailingHours {
                    try db.execute(sql: """
                        INSERT INTO code_redemption_hours (offer_id, partner_id, hour, orders, new_unclicked) VALUES (?, ?, ?, 5, 1)
                        ON CONFLICT (offer_id, partner_id, hour) DO UPDATE SET orders = 5, new_unclicked = 1
                        """, arguments: [offerID, partnerID, now - Int64(past)])
                }
                return .commit
            }
        }
        try queue.close()
        FileManager.default.createFile(atPath: done, contents: Data())
    }
}

/// Thrown to roll an iteration's writes back, so that every run finds the same store.
private struct RollBack: Error {}

let leakedCodeBenchmarks: @Sendable () -> Void = {
    // The check every order on a member's code goes through (SPEC section 14):
    // its referrer against the coupon sites, whether its customer is new, and
    // its redemption counted into the code's hour and weighed against the
    // week before (spike and new-customer signals both on, so every order
    // past the hour's twentieth reads the whole week). A thousand orders an
    // iteration in one transaction, rolled back; the figure is per order.
    Benchmark(
        "LeakedCodeCheckPerOrder",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxDuration: .seconds(30), maxIterations: 30)
    ) { (benchmark: Benchmark) async throws in
        let store = LeakedCodes.store
        let member = try await store.member(offerID: LeakedCodes.offerID, partnerID: LeakedCodes.partnerID)!
        precondition(member.promoCode != nil)
        let count = benchmark.scaledIterations.count
        let referrers = ["https://www.retailmenot.com/view/example-store.com", "https://www.instagram.com/", nil,
                         "https://www.google.com/search?q=example"]
        let orders: [(request: ConversionRequest, referrer: String?)] = (0..<count).map { number in
            var request = ConversionRequest(offerID: nil, orderID: "leak-\(number)", amount: Money(minorUnits: 5_000, currency: .usd),
                                            source: .shopify, codes: [member.promoCode!], now: LargeBrand.end + 1_800_000)
            // Every other customer is one the store has seen; the others are new.
            let customer = number % 2 == 0 ? number * 7 % LeakedCodes.customers : LeakedCodes.customers + number
            request.customer = Customer(email: "", hash: LeakedCodes.customerHash(customer))
            request.newCustomers = NewCustomerSignal(sharePercent: 80)
            return (request, referrers[number % referrers.count])
        }
        let sites = CouponSites.builtIn
        benchmark.startMeasurement()
        do {
            try await store.backend.write(WriteOptions()) { db in
                var flagged = 0
                for (request, referrer) in orders {
                    var order = request
                    order.couponSite = sites.site(of: referrer)
                    if try !QualitySQL.leakSignals(db, of: order, on: member, clickPartnerID: nil).isEmpty { flagged += 1 }
                }
                // A coupon site's order is flagged, and so is every order past the hour's spike.
                precondition(flagged >= count / 4, "\(flagged) of \(count) flagged")
                throw RollBack()
            }
        } catch is RollBack {}
        benchmark.stopMeasurement()
    }
}
