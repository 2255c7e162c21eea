import Domain
import Foundation
import Hummingbird
import Services
import Synchronization
import Wire

/// Keys as the store says, answered from memory once known: so that
/// `/metrics` and the live figures never wait on the store, and stay
/// readable through an outage of the database, which is when operators need
/// them most.
///
/// A key the store vouched for is answered from memory for `grace`; once its
/// last check is older than `recheckAfter`, a use of it also starts a check in
/// the background, so a revoked key stops working within about that long of
/// the store's answering again. A key never seen is looked up (that once,
/// the caller waits).
public final class RememberedKeys: KeyStore {
    private struct Remembered {
        var role: KeyRole
        var checkedAt: Int64
        var rechecking = false
    }

    private let store: any KeyStore
    private let grace: Int64
    private let recheckAfter: Int64
    private let known = Mutex<[[UInt8]: Remembered]>([:])

    /// - Parameters:
    ///   - grace: how long an answer counts without a newer one, in milliseconds. Default 10 minutes.
    ///   - recheckAfter: how old an answer may be before a use of the key checks it again. Default 10 seconds.
    public init(_ store: any KeyStore, grace: Int64 = 600_000, recheckAfter: Int64 = 10_000) {
        self.store = store
        self.grace = grace
        self.recheckAfter = recheckAfter
    }

    public func insertKey(role: KeyRole, hash: [UInt8]) async throws { try await store.insertKey(role: role, hash: hash) }

    public func role(forKeyHash hash: [UInt8]) async throws -> KeyRole? {
        let now = Timestamp.now()
        enum Answer { case remembered(KeyRole, recheck: Bool), ask }
        let answer = known.withLock { known -> Answer in
            guard var remembered = known[hash], now - remembered.checkedAt <= grace else { return .ask }
            let recheck = now - remembered.checkedAt >= recheckAfter && !remembered.rechecking
            if recheck {
                remembered.rechecking = true
                known[hash] = remembered
            }
            return .remembered(remembered.role, recheck: recheck)
        }
        switch answer {
        case .ask:
            return try await check(hash, now: now)
        case .remembered(let role, let recheck):
            if recheck { Task { _ = try? await self.check(hash, now: now) } }
            return role
        }
    }

    /// Asks the store and remembers its answer.
    private func check(_ hash: [UInt8], now: Int64) async throws -> KeyRole? {
        let role: KeyRole?
        do {
            role = try await store.role(forKeyHash: hash)
        } catch {
            known.withLock { $0[hash]?.rechecking = false }
            throw error
        }
        known.withLock { known in
            if let role {
                if known.count >= 1_000 { known.removeAll() }  // a handful of keys in practice; never unbounded
                known[hash] = Remembered(role: role, checkedAt: now)
            } else {
                known[hash] = nil
            }
        }
        return role
    }
}

/// The role a request's browser session reads as, if it has one: how the
/// live page's stream and `/metrics` open to a signed-in teammate.
public typealias SessionRoles = @Sendable (Request) async -> KeyRole?

/// Checks `Authorization: Bearer <key>` against the stored key hashes and
/// requires one of `roles`: 401 without a valid key, 403 with a key of
/// another role.
public struct RequireKey: RouterMiddleware {
    public typealias Context = ClicklineRequestContext

    let keys: any KeyStore
    let roles: Set<KeyRole>
    /// When set, a browser session opens reads (GET) as its role would.
    let sessions: SessionRoles?

    public init(_ roles: Set<KeyRole>, keys: any KeyStore, sessions: SessionRoles? = nil) {
        self.keys = keys
        self.roles = roles
        self.sessions = sessions
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let sessions, request.method == .get, Self.bearerToken(request) == nil, let role = await sessions(request) {
            guard roles.contains(role) else { throw APIError.forbidden("a \(role.rawValue) session cannot read this") }
            var context = context
            context.role = role
            return try await next(request, context)
        }
        guard let key = Self.bearerToken(request) else { throw APIError.unauthorized() }
        let role: KeyRole?
        do {
            role = try await keys.role(forKeyHash: Secrets.hash(key))
        } catch {
            throw APIError.unavailable("the key store cannot be read")
        }
        guard let role else { throw APIError.unauthorized("the key is unknown or revoked") }
        guard roles.contains(role) else {
            throw APIError.forbidden("a \(role.rawValue) key cannot do this; it needs a \(roles.map(\.rawValue).sorted().joined(separator: " or ")) key")
        }
        var context = context
        context.role = role
        return try await next(request, context)
    }

    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
