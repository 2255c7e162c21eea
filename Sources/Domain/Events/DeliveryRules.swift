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
/// each attempt (`AddressRules`).
public enum EventTargetRules {
    public static let maxLength = 2048

    /// The URL's host and port, or a refusal that names what is wrong.
    public static func check(_ url: String, allowHTTP: Bool) throws(DomainError) -> (scheme: String, host: String, port: Int) {
        guard url.utf8.count <= maxLength else { throw .invalid("url", "must be at most \(maxLength) bytes") }
        guard !url.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || $0.value > 0x7E }) else {
            throw .invalid("url", "must hold no spaces, control characters (CR, LF) or characters outside ASCII; percent-encode them")
        }
        let lower = url.lowercased()
        let scheme: String
        if lower.hasPrefix("https://") {
            scheme = "https"
        } else if lower.hasPrefix("http://") {
            guard allowHTTP else { throw .invalid("url", "must be https (plain http is allowed only with --allow-http-event-targets)") }
            scheme = "http"
        } else {
            throw .invalid("url", "must be an http(s) URL")
        }
        let rest = url.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { throw .invalid("url", "must hold no user name or password") }
        guard !rest.contains("#") else { throw .invalid("url", "must hold no fragment") }
        var host = Substring(authority)
        var port = scheme == "https" ? 443 : 80
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .invalid("url", "has an unclosed IPv6 address") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()), (1...65535).contains(number) else {
                    throw .invalid("url", "has a bad port")
                }
                port = number
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65535).contains(number) else { throw .invalid("url", "has a bad port") }
            port = number
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw .invalid("url", "names no host") }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "_" }) else {
            throw .invalid("url", "has a host with characters a host name cannot hold")
        }
        return (scheme, host.lowercased(), port)
    }
}
