import Foundation
import Hummingbird
import OfferCore
import Store
import Synchronization

/// Keys as the store says, and while the store cannot answer, as it said
/// last: so that `/metrics` and the live figures stay readable through an
/// outage of the database, which is when operators need them. A key the
/// store answered for within `grace` keeps its role during an outage; a
/// revoked key stops working as soon as the store answers again.
public final class RememberedKeys: KeyStore {
    private let store: any KeyStore
    private let grace: Int64
    private let known = Mutex<[[UInt8]: (role: KeyRole, checkedAt: Int64)]>([:])

    /// - Parameter grace: how long an answer counts during an outage, in milliseconds. Default 10 minutes.
    public init(_ store: any KeyStore, grace: Int64 = 600_000) {
        self.store = store
        self.grace = grace
    }

    public func insertKey(role: KeyRole, hash: [UInt8]) throws { try store.insertKey(role: role, hash: hash) }

    public func role(forKeyHash hash: [UInt8]) throws -> KeyRole? {
        let now = Timestamp.now()
        do {
            let role = try store.role(forKeyHash: hash)
            known.withLock { known in
                if let role {
                    if known.count >= 1_000 { known.removeAll() }  // a handful of keys in practice; never unbounded
                    known[hash] = (role, now)
                } else {
                    known[hash] = nil
                }
            }
            return role
        } catch {
            guard let remembered = known.withLock({ $0[hash] }), now - remembered.checkedAt <= grace else { throw error }
            return remembered.role
        }
    }
}

/// Checks `Authorization: Bearer <key>` against the stored key hashes and
/// requires one of `roles`: 401 without a valid key, 403 with a key of
/// another role.
public struct RequireKey: RouterMiddleware {
    public typealias Context = ClicklineRequestContext

    let keys: any KeyStore
    let roles: Set<KeyRole>
    /// When set, a browser session opens reads (GET) as its key's role would.
    let sessions: Sessions?

    public init(_ roles: Set<KeyRole>, keys: any KeyStore, sessions: Sessions? = nil) {
        self.keys = keys
        self.roles = roles
        self.sessions = sessions
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let sessions, request.method == .get, Self.bearerToken(request) == nil,
           let role = sessions.role(of: request, now: Timestamp.now()) {
            guard roles.contains(role) else { throw APIError.forbidden("a \(role.rawValue) session cannot read this") }
            var context = context
            context.role = role
            return try await next(request, context)
        }
        guard let key = Self.bearerToken(request) else { throw APIError.unauthorized() }
        let role: KeyRole?
        do {
            role = try keys.role(forKeyHash: Secrets.hash(key))
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
