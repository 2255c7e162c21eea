import ClickModel

/// When a failed delivery is tried again, and when the sender gives up: pure
/// arithmetic on times in milliseconds, so a test controls the clock.
///
/// The pauses grow from 5 seconds to 12 hours; with the attempt at once,
/// fifteen attempts span about 75 hours. A delivery is given up when an
/// attempt fails 72 hours or more after its event was queued; an endpoint
/// whose deliveries have failed for 72 hours without one success is disabled.
public struct RetrySchedule: Sendable, Equatable {
    /// The pause after each failed attempt: after the first, the second...;
    /// the last repeats.
    public var pauses: [Int64]
    /// How long a delivery is tried before it is given up.
    public var giveUpAfter: Int64
    /// How long an endpoint may fail, with no success, before it is disabled.
    public var disableAfter: Int64
    /// Each pause is moved by up to this fraction, either way, so that
    /// deliveries failed together do not come back together.
    public var jitter: Double

    public static let standard = RetrySchedule(
        pauses: [5, 30, 120, 600, 1_800, 3_600, 7_200, 14_400, 28_800, 43_200].map { $0 * 1000 },
        giveUpAfter: 72 * 3_600_000, disableAfter: 72 * 3_600_000, jitter: 0.1)

    public init(pauses: [Int64], giveUpAfter: Int64, disableAfter: Int64, jitter: Double) {
        precondition(!pauses.isEmpty && (0..<1).contains(jitter))
        self.pauses = pauses
        self.giveUpAfter = giveUpAfter
        self.disableAfter = disableAfter
        self.jitter = jitter
    }

    /// The pause after the `attempt`th failed attempt (1-based), before jitter.
    public func pause(after attempt: Int) -> Int64 {
        pauses[min(max(attempt, 1), pauses.count) - 1]
    }

    /// What follows an attempt that ended at `now`.
    ///
    /// - Parameters:
    ///   - attempt: this attempt's number, 1 for the first.
    ///   - queuedAt: when the delivery was queued (its event, or its replay).
    ///   - failingSince: when the endpoint's current run of failures began,
    ///     this attempt's own time when it is the first.
    ///   - random: a number in 0..<1 that places the jitter.
    public func outcome(of attempt: DeliveryAttempt, now: Int64, queuedAt: Int64, failingSince: Int64, random: Double) -> AttemptOutcome {
        if attempt.succeeded { return .delivered }
        if attempt.statusCode == 410 { return .disableEndpoint(reason: "the endpoint answered 410 Gone") }
        if now - failingSince >= disableAfter {
            return .disableEndpoint(reason: "every delivery failed for \(disableAfter / 3_600_000) hours")
        }
        if now - queuedAt >= giveUpAfter { return .gaveUp }
        let pause = Double(pause(after: attempt.attempt))
        let moved = pause * (1 + jitter * (2 * random - 1))
        return .retry(at: now + Int64(moved.rounded()))
    }
}

/// What a webhook or postback URL may be (SPEC section 13), checked when it
/// is saved; where its host leads is checked by the sender, when saved and at
/// each attempt (`AddressRules`). Its form is a link destination's
/// (`Destination`), with no fragment, and https unless plain http is allowed.
public enum EventTargetRules {
    /// The URL's scheme, host and port, or a refusal that names what is wrong.
    public static func check(_ url: String, allowHTTP: Bool) throws(DomainError) -> (scheme: String, host: String, port: Int) {
        let destination: Destination
        do {
            destination = try Destination(validating: url)
        } catch {
            switch error {
            case .notHTTP:
                throw .invalid("url", "must be an http(s) URL")
            case .invalidByte(_, let byte) where byte < 0x21 || byte > 0x7E:
                throw .invalid("url", "must hold no spaces, control characters (CR, LF) or characters outside ASCII; percent-encode them")
            default:
                throw .invalid("url", error.description)
            }
        }
        let https = destination.url.hasPrefix("https://")
        guard https || allowHTTP else { throw .invalid("url", "must be https (plain http is allowed only with --allow-http-event-targets)") }
        guard destination.fragmentOffset == destination.url.utf8.count else { throw .invalid("url", "must hold no fragment") }
        // The authority, which `Destination` has checked: host, or [v6], and an optional port.
        var host = destination.url.dropFirst(https ? 8 : 7).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var port = https ? 443 : 80
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]"), let number = Int(host[host.index(after: colon)...]) {
            port = number
            host = host[..<colon]
        }
        if host.hasPrefix("[") { host = host.dropFirst().dropLast() }
        return (https ? "https" : "http", host.lowercased(), port)
    }
}
