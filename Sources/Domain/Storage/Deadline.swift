/// When the work of the current task must be done: the HTTP side sets it for
/// each request (`--postback-deadline-ms` for postbacks and webhooks), and
/// every store call made in the request's task honours it.
public enum Deadline {
    @TaskLocal public static var current: ContinuousClock.Instant?

    /// Milliseconds left until `deadline`, at least 1; nil without one.
    public static func millisecondsLeft(until deadline: ContinuousClock.Instant?, now: ContinuousClock.Instant = .now) -> Int? {
        guard let deadline else { return nil }
        let left = now.duration(to: deadline).components
        return max(1, Int(left.seconds) * 1000 + Int(left.attoseconds / 1_000_000_000_000_000))
    }
}
