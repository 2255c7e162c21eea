import Domain
import Synchronization

/// Failed sign-ins counted per account and per address over a sliding
/// window; past the limit, further attempts are refused until the oldest
/// failure leaves the window. Kept in memory: a node forgets on restart,
/// and each node of several counts its own.
public final class SignInLimits: Sendable {
    public struct Limits: Sendable {
        /// Failures of one account within the window.
        public var perAccount: Int
        /// Failures from one address within the window.
        public var perAddress: Int
        /// Milliseconds.
        public var window: Int64

        public init(perAccount: Int = 5, perAddress: Int = 20, window: Int64 = 15 * 60_000) {
            self.perAccount = perAccount
            self.perAddress = perAddress
            self.window = window
        }
    }

    public let limits: Limits
    private let failures = Mutex<[String: [Int64]]>([:])

    public init(_ limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Throws when the account or the address has failed too often lately.
    public func check(account: String, address: String, now: Int64) throws(DomainError) {
        let (accountWait, addressWait) = failures.withLock { failures in
            (wait(&failures, "account:" + account, limit: limits.perAccount, now: now),
             wait(&failures, "address:" + address, limit: limits.perAddress, now: now))
        }
        if let wait = accountWait ?? addressWait {
            let minutes = max(1, (wait + 59_999) / 60_000)
            let whose = accountWait != nil ? "this account" : "your address"
            throw DomainError(.forbidden, "Too many failed sign-ins for \(whose). Try again in \(minutes) minute\(minutes == 1 ? "" : "s").",
                              field: "email", reason: "rate_limited")
        }
    }

    public func recordFailure(account: String, address: String, now: Int64) {
        failures.withLock { failures in
            failures["account:" + account, default: []].append(now)
            failures["address:" + address, default: []].append(now)
            if failures.count > 100_000 {  // a flood of addresses: forget the quiet ones
                failures = failures.filter { $0.value.last.map { now - $0 < limits.window } ?? false }
            }
        }
    }

    /// A success clears the account's failures (not the address's).
    public func recordSuccess(account: String) {
        _ = failures.withLock { $0.removeValue(forKey: "account:" + account) }
    }

    /// Milliseconds until the key may try again, or nil when it may now.
    private func wait(_ failures: inout [String: [Int64]], _ key: String, limit: Int, now: Int64) -> Int64? {
        guard var times = failures[key] else { return nil }
        times.removeAll { now - $0 >= limits.window }
        failures[key] = times.isEmpty ? nil : times
        guard times.count >= limit else { return nil }
        return times[times.count - limit] + limits.window - now
    }
}
