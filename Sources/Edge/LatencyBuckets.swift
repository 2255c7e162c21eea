/// The buckets of the edge's latency histogram as Prometheus exposes it:
/// the time from reading requests to writing their answers, counted by each
/// worker without locks or allocation and published on its tick.
///
/// The bounds are fixed so that histograms from every worker and every node
/// can be summed; they span the edge's own microseconds to the seconds of a
/// stalled machine.
public enum LatencyBuckets {
    /// Upper bounds in nanoseconds, ascending; a last bucket above them is `+Inf`.
    public static let upperBoundsNanoseconds: [Int] = [
        2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 100_000_000, 1_000_000_000,
    ]

    /// Number of buckets including `+Inf` (the size of `WorkerCounters.latencyBuckets`).
    public static var count: Int { upperBoundsNanoseconds.count + 1 }

    /// The bucket of a duration: the first whose bound is at least it.
    @inline(__always)
    static func index(of nanoseconds: Int) -> Int {
        var index = 0
        while index < count - 1 && nanoseconds > upperBoundsNanoseconds[index] { index += 1 }
        return index
    }
}
