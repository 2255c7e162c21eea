import Domain
import Foundation
import Hummingbird
import Services
import ServiceLifecycle

/// hummingbird-auth's session storage, kept in the store's `web_sessions`:
/// so a session survives a restart, works on every node, and can be listed
/// and ended from the "active sessions" list. Only the SHA-256 of a
/// session's key is stored, so the table holds nothing a browser could
/// present. Holds `WebSession` values only.
struct StoredSessions: PersistDriver {
    let store: any SessionStore

    static func keyHash(_ key: String) -> [UInt8] { Secrets.hash(key) }

    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        guard let session = value as? WebSession else { throw PersistError.invalidConversion }
        let now = Self.now()
        let record = SessionRecord(keyHash: Self.keyHash(key), owner: session.owner, createdAt: now,
                                   expiresAt: now + Self.milliseconds(expires ?? .seconds(12 * 3600)), userAgent: session.userAgent,
                                   address: session.address)
        // Sign-ins are rare: each one clears out the sessions that expired.
        _ = try? await store.deleteExpiredSessions(now: now)
        do {
            try await store.createSession(record, data: try JSONEncoder().encode(session).map { $0 })
        } catch let error as StoreError where error.code == .conflict {
            throw PersistError.duplicate
        }
    }

    func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        guard let session = value as? WebSession else { throw PersistError.invalidConversion }
        let data = Array(try JSONEncoder().encode(session))
        let expiresAt = expires.map { Self.now() + Self.milliseconds($0) }
        if try await !store.updateSession(keyHash: Self.keyHash(key), data: data, expiresAt: expiresAt) {
            try await create(key: key, value: value, expires: expires)
        }
    }

    func get<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> Object? {
        try await getWithTTL(key: key, as: Object.self)?.object
    }

    func getWithTTL<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        let now = Self.now()
        guard let (record, data) = try await store.session(keyHash: Self.keyHash(key), now: now) else { return nil }
        guard let object = try? JSONDecoder().decode(Object.self, from: Data(data)) else { throw PersistError.invalidConversion }
        return (object, .milliseconds(record.expiresAt - now))
    }

    func remove(key: String) async throws {
        try await store.removeSession(keyHash: Self.keyHash(key))
    }

    func shutdown() async throws {}

    /// Nothing runs in the background: `create` clears expired sessions.
    func run() async throws {
        try? await gracefulShutdown()
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
