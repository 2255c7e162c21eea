import Domain
import Foundation
import Hummingbird
import Services
import Synchronization

/// Browser sessions of `/dashboard` and `/ops`: made once from an admin or
/// ops key on `/login`, kept in memory (a restart asks again), carried in an
/// HttpOnly, SameSite=Strict cookie. A session opens only what its key's role
/// opens, and only for reading: every write still needs the key itself.
public final class Sessions: Sendable {
    public static let cookieName = "clickline_session"
    /// How long a session lasts without use.
    static let lifetimeMilliseconds: Int64 = 12 * 3_600_000

    private struct Entry {
        var role: KeyRole
        var expiresAt: Int64
    }

    /// By the SHA-256 of the cookie's value, so a memory dump shows no cookie.
    private let entries = Mutex<[[UInt8]: Entry]>([:])

    public init() {}

    /// A new session for `role`; its cookie value.
    func open(role: KeyRole, now: Int64) -> String {
        let token = Secrets.make(.sessionToken)
        entries.withLock { entries in
            entries = entries.filter { $0.value.expiresAt > now }
            entries[Secrets.hash(token)] = Entry(role: role, expiresAt: now + Self.lifetimeMilliseconds)
        }
        return token
    }

    func close(_ token: String) {
        _ = entries.withLock { $0.removeValue(forKey: Secrets.hash(token)) }
    }

    /// The role of the request's session cookie, if it holds a live one.
    func role(of request: Request, now: Int64) -> KeyRole? {
        guard let token = Self.cookie(request) else { return nil }
        let key = Secrets.hash(token)
        return entries.withLock { entries in
            guard var entry = entries[key], entry.expiresAt > now else { return nil }
            entry.expiresAt = now + Self.lifetimeMilliseconds
            entries[key] = entry
            return entry.role
        }
    }

    static func cookie(_ request: Request) -> String? {
        for header in request.headers where header.name.canonicalName == "cookie" {
            for part in header.value.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == cookieName { return String(pair[1]) }
            }
        }
        return nil
    }

    static func setCookie(_ token: String) -> String {
        "\(cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(lifetimeMilliseconds / 1000)"
    }

    static let clearCookie = "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
}
