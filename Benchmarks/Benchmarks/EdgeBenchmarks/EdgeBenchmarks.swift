import Benchmark
import ClickModel
import ClickRing
import Edge
import Foundation
import GeoIP

/// A catalogue of a realistic size: 1,000 links over 50 offers, 20,000
/// partners each a member of one offer, half of them children, 20,000 ads.
/// `link777` has `rules` (none by default).
func makeTable(rules: [LinkRule] = []) throws -> LinkTable {
    var data = CatalogData()
    for offer in 1...50 { data.offers.append(.init(id: UInt32(offer))) }
    for link in 1...1_000 {
        let destination = try Destination(validating: "https://shop.example.com/collections/item-\(link)?utm_source=clickline")
        data.links.append(.init(id: UInt32(link), offerID: UInt32(link % 50 + 1), code: Code("link\(link)")!, destination: destination,
                                rules: link == 777 ? rules : []))
    }
    for partner in 1...20_000 {
        let parent: UInt32? = partner > 10_000 ? UInt32(partner - 10_000) : nil
        data.partners.append(.init(id: UInt32(partner), code: Code("partner\(partner)")!, parentID: parent))
        data.memberships.append(.init(offerID: UInt32(partner % 50 + 1), partnerID: UInt32(partner)))
        data.ads.append(.init(id: UInt32(partner), partnerID: UInt32(partner), code: Code("ad\(partner)")!))
    }
    return LinkTable(data)
}

/// `count` rules of the kinds brands write, for a visitor from Canada on an
/// iPhone: every rule but the last misses, after reading what it asks about
/// (country, device, browser, language, query, address, time, partner); the
/// last sends Canadians to a 50/50 split.
func makeRules(_ count: Int) throws -> [LinkRule] {
    let url = { (path: String) in try Destination(validating: "https://shop.example.com/\(path)") }
    let misses: [RuleCondition] = [
        .country([CountryCode("FR")!, CountryCode("DE")!]), .device([.android]), .browser([.firefox]),
        .language(["fr"]), .query(parameter: "utm_medium", equals: "email"),
        .ip([IPRange("203.0.113.0/24")!]), .before(1_500_000_000_000), .partner([Code("partner5")!]),
    ]
    var rules: [LinkRule] = []
    for index in 0..<(count - 1) {
        rules.append(LinkRule(conditions: [misses[index % misses.count]], target: .destination(try url("miss\(index)"))))
    }
    rules.append(LinkRule(conditions: [.country([CountryCode("CA")!])],
                          target: .split([SplitVariant(destination: try url("a"), weight: 50),
                                          SplitVariant(destination: try url("b"), weight: 50)])))
    return rules
}

/// The country database named by CLICKLINE_BENCH_MMDB (scripts/bench writes
/// one that puts 127.0.0.0/8 in Canada); nil without it.
func benchCountries() throws -> CountryDatabase? {
    guard let path = ProcessInfo.processInfo.environment["CLICKLINE_BENCH_MMDB"] else { return nil }
    return try CountryDatabase(path: path)
}

// link777 belongs to offer 28; partner 1777 (offer 28) made it for its child 11777, with its ad.
let hotPathRequest = Array("""
    GET /link777/partner1777.partner11777/ad1777?sub1=spring-sale&utm_campaign=x HTTP/1.1\r
    Host: t.example.com\r
    User-Agent: Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1\r
    Accept: text/html,application/xhtml+xml\r
    Accept-Language: en-GB,en;q=0.9\r
    \r

    """.utf8)
let hotPathDate = Array("Sat, 21 Nov 2026 23:59:59 GMT".utf8)

/// The whole per-request path of a worker on `table`: scan, parse, decode,
/// look up, apply caps and rules, answer, record; a new connection each time,
/// so the client's country (with `countries`) and device classes are found
/// for every request. Plays the aggregator now and then, as its thread would.
func runHotPath(_ benchmark: Benchmark, table: LinkTable, countries: CountryDatabase?) {
    let channel = ClickChannel(capacity: 65_536)
    var responder = EdgeResponder(view: table.view, channel: channel, nodeID: 0, workerID: 0, clientHashSalt: 42)
    responder.countries = countries?.lookup ?? .none
    let output = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    defer { output.deallocate() }
    let limits = HTTPLimits()
    var sum = 0
    hotPathRequest.withUnsafeBytes { raw in
        hotPathDate.withUnsafeBytes { date in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                var scanner = HeadScanner()
                guard case .complete(let start, let end) = scanner.scan(raw, limits: limits),
                      case .success(let head) = HTTPRequestParser.parse(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                else { fatalError("the benchmark request does not parse") }
                var writer = ByteWriter(base: output, capacity: 64 * 1024)
                let keepAlive = responder.answer(head, head: raw, client: IPAddress(words: (0x0100_007F, 0), length: 4),
                                                 now: 1_800_000_000_000, date: date, closing: false, to: &writer)
                sum &+= writer.count &+ (keepAlive ? 1 : 0)
                if channel.subIDs.count > 8_192 {
                    _ = channel.drain { run in
                        for index in 0..<run.count {
                            sum &+= channel.withSubIDs(of: run.baseAddress! + index) { Int($0?.pointee.isEmpty == false ? 1 : 0) }
                        }
                    }
                }
            }
            benchmark.stopMeasurement()
        }
    }
    precondition(responder.droppedClicks == 0)
    blackHole(sum)
    withExtendedLifetime(countries) {}
}

let benchmarks: @Sendable () -> Void = {
    // The whole per-request path of a worker: scan, parse, decode, look up, answer, record.
    Benchmark(
        "RedirectHotPath",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions],
            scalingFactor: .kilo,
            maxDuration: .seconds(5),
            thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p100: 0])]
        )
    ) { benchmark in
        runHotPath(benchmark, table: try makeTable(), countries: nil)
    }

    // The same with 10 rules on the link (the last one matching, by country)
    // and, when scripts/bench supplies a database, the country looked up.
    Benchmark(
        "RedirectHotPathTenRulesAndCountry",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions],
            scalingFactor: .kilo,
            maxDuration: .seconds(5),
            thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p100: 0])]
        )
    ) { benchmark in
        runHotPath(benchmark, table: try makeTable(rules: try makeRules(10)), countries: try benchCountries())
    }

    // Rule evaluation alone, on a resolved click: 1, 10 and 32 rules, the
    // last one matching. The visitor's device classes are known (the edge
    // finds them once per connection); its country is given.
    for count in [1, 10, 32] {
        Benchmark(
            "RuleEvaluation\(count)",
            configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(3),
                                 thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p100: 0])])
        ) { benchmark in
            let table = try makeTable(rules: try makeRules(count))
            let target = Array("/link777/partner1777.partner11777/ad1777?sub1=x".utf8)
            let agent = Array("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1".utf8)
            let language = Array("en-GB,en;q=0.9".utf8)
            var chosen = 0
            target.withUnsafeBytes { raw in
                agent.withUnsafeBytes { agent in
                    language.withUnsafeBytes { language in
                        guard case .tracking(let path) = TrackingTarget.parse(raw),
                              let resolved = table.view.resolve(path, in: raw, now: 1_800_000_000_000),
                              let query = path.query?.bytes(in: raw)
                        else { fatalError("not a tracking URL") }
                        let traits = VisitorTraits.classify(userAgent: agent)
                        var input = LinkTable.View.RuleInput(
                            userAgent: agent, acceptLanguage: language, query: query, client: IPAddress(words: (0x0100_007F, 0), length: 4),
                            country: CountryCode("CA")!, now: 1_800_000_000_000, splitKey: 42,
                            devices: traits.devices, browser: traits.browser?.bit ?? 0)
                        benchmark.startMeasurement()
                        for i in benchmark.scaledIterations {
                            var resolution = resolved
                            input.splitKey = UInt64(truncatingIfNeeded: i)  // a new visitor each time: both variants are taken
                            table.view.applyRules(&resolution, input)
                            chosen &+= Int(resolution.rule) &+ Int(resolution.variant)
                        }
                        benchmark.stopMeasurement()
                    }
                }
            }
            precondition(chosen > 0)
            blackHole(chosen)
        }
    }

    // Decoding a tracking path and resolving it in the link table.
    Benchmark(
        "DecodeAndLookup",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(3),
                             thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p100: 0])])
    ) { benchmark in
        let table = try makeTable()
        let target = Array("/link777/partner1777.partner11777/ad1777?sub1=x".utf8)
        var credited: UInt32 = 0
        target.withUnsafeBytes { raw in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                guard case .tracking(let path) = TrackingTarget.parse(raw) else { fatalError("not a tracking URL") }
                credited &+= table.view.resolve(path, in: raw, now: 1_800_000_000_000)?.creditedPartnerID ?? 0
            }
            benchmark.stopMeasurement()
        }
        precondition(credited > 0)
        blackHole(credited)
    }
}
