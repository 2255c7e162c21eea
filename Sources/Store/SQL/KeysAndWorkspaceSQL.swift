import ClickModel
import Domain

/// Keys and the workspace row, the same on SQLite and PostgreSQL.
public enum KeysSQL {
    public static func insert(_ db: some SQLConnection, role: KeyRole, hash: [UInt8], now: Int64) throws {
        try db.execute("INSERT INTO api_keys (role, key_hash, created_at) VALUES (?, ?, ?)", [.text(role.rawValue), .blob(hash), .integer(now)])
    }

    public static func role(_ db: some SQLConnection, hash: [UInt8]) throws -> KeyRole? {
        try db.row("SELECT role FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", [.blob(hash)])
            .flatMap { KeyRole(rawValue: try $0.text(0)) }
    }
}

public enum WorkspaceSQL {
    public static func currency(_ db: some SQLConnection) throws -> Currency {
        try db.row("SELECT currency FROM workspace WHERE id = 1").flatMap { Currency(try $0.text(0)) } ?? .usd
    }

    public static func clientHashSalt(_ db: some SQLConnection) throws -> UInt64 {
        UInt64(bitPattern: try db.row("SELECT client_hash_salt FROM workspace WHERE id = 1")?.int64(0) ?? 0)
    }

    public static func catalogueVersion(_ db: some SQLConnection) throws -> Int64 {
        try db.row("SELECT catalogue_version FROM workspace WHERE id = 1")?.int64(0) ?? 0
    }
}
