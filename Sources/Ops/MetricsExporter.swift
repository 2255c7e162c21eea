import Aggregator
import ClickModel
import Edge
import Prometheus
import Synchronization

/// Renders `/metrics`: the figures the edge, the aggregator and the writer
/// keep in their own atomics are copied into Prometheus metrics when scraped
/// (counters advance by what changed since the last scrape), then the whole
/// registry is written out, with whatever else was registered there (the HTTP
/// API's own request metrics).
///
/// Metrics are created once with fixed labels; nothing is created per request.
public final class MetricsExporter: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let sources: OpsSources
    private let exported = Mutex<[String: Int64]>([:])

    public init(registry: PrometheusCollectorRegistry, sources: OpsSources) {
        self.registry = registry
        self.sources = sources
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> [UInt8] {
        let workers = sources.workers()
        for worker in workers {
            let w = [("worker", "\(worker.workerID)")]
            count("clickline_edge_requests_total", w, worker.requests, help: "Requests the edge answered.")
            count("clickline_edge_redirects_total", w, worker.redirects, help: "Redirects the edge sent.")
            count("clickline_edge_not_found_total", w, worker.notFound, help: "Requests for unknown links (404).")
            count("clickline_edge_method_not_allowed_total", w, worker.methodNotAllowed, help: "Requests with a method other than GET or HEAD (405).")
            count("clickline_clicks_dropped_total", w, worker.dropped, help: "Clicks dropped because the worker's ring was full; their redirects went out.")
            count("clickline_edge_connections_accepted_total", w, worker.connectionsAccepted, help: "Connections accepted.")
            count("clickline_edge_connections_timed_out_total", w, worker.connectionsTimedOut, help: "Connections closed for a slow head, an unread answer or idleness.")
            count("clickline_edge_accept_pauses_total", w, worker.acceptPauses, help: "Times accepting paused after an accept error such as EMFILE.")
            for (outcome, clicks) in worker.outcomes {
                count("clickline_edge_clicks_total", w + [("outcome", outcome.description)], clicks, help: "Clicks recorded by the edge, by outcome.")
            }
            for (failure, requests) in worker.failures {
                count("clickline_edge_bad_requests_total", w + [("reason", failure.description), ("status", "\(failure.status)")], requests,
                      help: "Requests refused by the edge's HTTP parser or with a malformed path, by reason.")
            }
            for (reason, requests) in worker.malformedPaths {
                count("clickline_edge_bad_requests_total", w + [("reason", "path_" + Self.label(reason)), ("status", "400")], requests,
                      help: "Requests refused by the edge's HTTP parser or with a malformed path, by reason.")
            }
            gauge("clickline_edge_connections", w, Double(worker.connectionsOpen), help: "Open connections.")
            gauge("clickline_ring_fill_ratio", w, worker.ringFill, help: "How full the worker's click ring is, 0 to 1.")
        }
        let writer = sources.writer()
        count("clickline_aggregator_clicks_total", [], sources.aggregatedClicks(), help: "Clicks the aggregator drained from the rings.")
        count("clickline_writer_batches_total", [], writer.batchesWritten, help: "Click batches committed to the store.")
        count("clickline_writer_clicks_total", [], writer.clicksWritten, help: "Clicks committed to the store.")
        count("clickline_writer_failures_total", [], writer.writeFailures, help: "Failed attempts to commit a batch (retried).")
        count("clickline_writer_clicks_lost_total", [], writer.clicksLost, help: "Clicks given up at shutdown because the store kept failing.")
        gauge("clickline_writer_queue_batches", [], Double(writer.queuedBatches), help: "Batches waiting to be written.")
        gauge("clickline_writer_last_commit_seconds", [], Double(writer.lastCommitNanoseconds) / 1e9,
              help: "Duration of the last batch commit.")
        gauge("clickline_catalogue_version", [], Double(sources.catalogueVersion()), help: "Catalogue version of the published link table.")

        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        Self.emitLatencyHistogram(workers, into: &buffer)
        return buffer
    }

    /// The edge's latency as a Prometheus histogram per worker.
    ///
    /// The workers count into fixed buckets on their own threads (the
    /// registry's histograms take a lock per observation, which the edge's
    /// hot path must not), so the exposition of these counts is written here.
    static func emitLatencyHistogram(_ workers: [WorkerStatsSnapshot], into buffer: inout [UInt8]) {
        let name = "clickline_edge_request_duration_seconds"
        var text = "# HELP \(name) Time from reading requests to writing their answers, inside the edge.\n# TYPE \(name) histogram\n"
        let bounds = LatencyBuckets.upperBoundsNanoseconds.map { "\(Double($0) / 1e9)" } + ["+Inf"]
        for worker in workers {
            var cumulative = 0
            for (bound, count) in zip(bounds, worker.latencyBuckets) {
                cumulative += count
                text += "\(name)_bucket{worker=\"\(worker.workerID)\",le=\"\(bound)\"} \(cumulative)\n"
            }
            text += "\(name)_sum{worker=\"\(worker.workerID)\"} \(Double(worker.latencySumNanoseconds) / 1e9)\n"
            text += "\(name)_count{worker=\"\(worker.workerID)\"} \(cumulative)\n"
        }
        buffer.append(contentsOf: text.utf8)
    }

    private static func label(_ reason: MalformedPath) -> String {
        switch reason {
        case .notOriginForm: "not_origin_form"
        case .badCharacter: "bad_character"
        case .percentEncoded: "percent_encoded"
        case .codeTooLong: "code_too_long"
        case .emptySegment: "empty_segment"
        case .dotSegment: "dot_segment"
        case .tooManySegments: "too_many_segments"
        case .fragment: "fragment"
        }
    }

    /// Advances a counter to `value` (a running total kept elsewhere).
    private func count(_ name: String, _ labels: [(String, String)], _ value: Int, help: String) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let delta = exported.withLock { exported -> Int64 in
            let previous = exported[key] ?? 0
            exported[key] = Int64(value)
            return Int64(value) - previous
        }
        let counter = registry.makeCounter(name: name, labels: labels, help: help)
        if delta > 0 { counter.increment(by: delta) }
    }

    private func gauge(_ name: String, _ labels: [(String, String)], _ value: Double, help: String) {
        registry.makeGauge(name: name, labels: labels, help: help).set(value)
    }
}

/// Where the ops endpoints read from: closures over the running service's parts.
public struct OpsSources: Sendable {
    public var live: @Sendable () -> LiveSnapshot
    public var workers: @Sendable () -> [WorkerStatsSnapshot]
    public var writer: @Sendable () -> WriterStatsSnapshot
    public var aggregatedClicks: @Sendable () -> Int
    public var catalogueVersion: @Sendable () -> Int64
    /// Whether the service answers redirects and its store is reachable.
    public var isReady: @Sendable () -> Bool

    public init(live: @escaping @Sendable () -> LiveSnapshot, workers: @escaping @Sendable () -> [WorkerStatsSnapshot],
                writer: @escaping @Sendable () -> WriterStatsSnapshot, aggregatedClicks: @escaping @Sendable () -> Int,
                catalogueVersion: @escaping @Sendable () -> Int64, isReady: @escaping @Sendable () -> Bool) {
        self.live = live
        self.workers = workers
        self.writer = writer
        self.aggregatedClicks = aggregatedClicks
        self.catalogueVersion = catalogueVersion
        self.isReady = isReady
    }
}
