import Foundation
import Testing

/// A Prometheus text exposition, parsed strictly enough that a scraper would
/// accept what passes: every sample well formed, one TYPE per family,
/// histogram buckets cumulative and ending in `+Inf` equal to `_count`.
struct PrometheusText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var types: [String: String] = [:]
    var samples: [Sample] = []

    init(_ text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                try #require(parts.count == 4, "bad TYPE line: \(line)")
                let family = String(parts[2])
                #expect(types[family] == nil, "\(family) has two TYPE lines")
                types[family] = String(parts[3])
            } else if line.hasPrefix("#") {
                continue
            } else {
                samples.append(try Self.sample(line))
            }
        }
    }

    static func sample(_ line: Substring) throws -> Sample {
        let name = line.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
        try #require(!name.isEmpty && !name.first!.isNumber, "bad metric name in: \(line)")
        var rest = line.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            let close = try #require(rest.firstIndex(of: "}"), "unclosed labels in: \(line)")
            for pair in rest[rest.index(after: rest.startIndex)..<close].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                try #require(parts.count == 2 && parts[1].hasPrefix("\"") && parts[1].hasSuffix("\""), "bad label in: \(line)")
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            rest = rest[rest.index(after: close)...]
        }
        try #require(rest.first == " ", "no value in: \(line)")
        let value = try #require(Double(rest.dropFirst()), "bad value in: \(line)")
        return Sample(name: String(name), labels: labels, value: value)
    }

    /// The sum of a sample over every label set.
    func total(_ name: String) -> Double {
        samples.filter { $0.name == name }.map(\.value).reduce(0, +)
    }

    /// Checks every histogram: buckets never decrease and `+Inf` equals `_count`.
    func checkHistograms() throws {
        for (family, type) in types where type == "histogram" {
            var series: [[String: String]: [(Double, Double)]] = [:]
            for sample in samples where sample.name == family + "_bucket" {
                var key = sample.labels
                let bound = try #require(key.removeValue(forKey: "le").flatMap { Double($0) }, "\(family) bucket without le")
                series[key, default: []].append((bound, sample.value))
            }
            #expect(!series.isEmpty, "\(family) has no buckets")
            for (labels, buckets) in series {
                let sorted = buckets.sorted { $0.0 < $1.0 }
                #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.1 <= $1.1 }, "\(family)\(labels) buckets decrease")
                #expect(sorted.last?.0 == .infinity, "\(family)\(labels) has no +Inf bucket")
                let count = samples.first { $0.name == family + "_count" && $0.labels == labels }?.value
                #expect(count == sorted.last?.1, "\(family)\(labels): +Inf bucket \(sorted.last?.1 ?? -1), count \(count ?? -1)")
            }
        }
    }
}

extension EndToEnd {
    @Suite("Metrics")
    struct MetricsTests {
        /// The real binary's `/metrics`: valid exposition, the edge's latency,
        /// the writer's commits and the HTTP API's requests as histograms that
        /// count what was done.
        @Test func metricsCountWhatHappenedInHistograms() async throws {
            let server = try BinaryServer()
            let paths = ["/haircare/abc123", "/haircare/abc123/website2", "/haircare/abc123.ben7", "/nothing/here", "/haircare/abc123?sub1=x"]
            for path in paths { _ = try HTTP.get(port: server.edgePort, path) }
            _ = try HTTP.get(port: server.adminPort, "/healthz")

            let key = server.adminKey
            func scrape() throws -> PrometheusText {
                let response = try HTTP.get(port: server.adminPort, "/metrics", headers: ["Authorization": "Bearer \(key)"])
                #expect(response.status == 200)
                return try PrometheusText(response.text)
            }
            // Workers publish every 100 ms and the writer commits within 250 ms.
            let deadline = ContinuousClock.now + .seconds(3)
            var metrics = try scrape()
            while ContinuousClock.now < deadline
                && (metrics.total("clickline_edge_request_duration_seconds_count") < Double(paths.count)
                    || metrics.total("clickline_writer_commit_duration_seconds_count") < 1) {
                try await Task.sleep(for: .milliseconds(100))
                metrics = try scrape()
            }
            try metrics.checkHistograms()

            #expect(metrics.types["clickline_edge_request_duration_seconds"] == "histogram")
            #expect(metrics.total("clickline_edge_request_duration_seconds_count") == Double(paths.count))
            #expect(metrics.total("clickline_edge_request_duration_seconds_sum") > 0)
            #expect(metrics.total("clickline_edge_requests_total") == Double(paths.count))
            #expect(metrics.total("clickline_edge_redirects_total") == Double(paths.count - 1))
            #expect(metrics.total("clickline_edge_not_found_total") == 1)

            #expect(metrics.types["clickline_writer_commit_duration_seconds"] == "histogram")
            #expect(metrics.total("clickline_writer_commit_duration_seconds_count") >= 1)
            #expect(metrics.total("clickline_writer_clicks_total") == Double(paths.count - 1))

            #expect(metrics.types["http_server_request_duration"] == "histogram")
            let healthz = metrics.samples.first { $0.name == "http_server_request_duration_count" && $0.labels["http_route"] == "/healthz" }
            #expect(healthz?.value == 1, "the API's own request histogram did not count /healthz once")
        }
    }
}
