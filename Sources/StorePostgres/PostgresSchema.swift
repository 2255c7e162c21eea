import Foundation
import Logging
import PostgresNIO
import Store

/// The PostgreSQL schema, in versions applied in order, each in one
/// transaction, under an advisory lock so that nodes starting together
/// migrate once. The tables and their meaning are SQLite's (see its
/// migrations); the types are PostgreSQL's.
enum PostgresSchema {
    static let migrations: [(version: String, sql: String)] = [
        ("1: workspace, clicks, rollups and compacted rollups", """
            CREATE TABLE workspace (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                catalogue_version BIGINT NOT NULL DEFAULT 0,
                client_hash_salt BIGINT NOT NULL,
                currency TEXT NOT NULL DEFAULT 'USD',
                created_at BIGINT NOT NULL
            );
            INSERT INTO workspace (id, client_hash_salt, created_at)
                VALUES (1, (random() * 9.2e18)::BIGINT, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT);
            -- Clicks in pages of up to 256 (ClickPage): a row per page, found by its first and last ids.
            CREATE TABLE click_pages (
                id BIGSERIAL PRIMARY KEY,
                first_id BYTEA NOT NULL UNIQUE,
                last_id BYTEA NOT NULL,
                node_id INTEGER NOT NULL,
                count INTEGER NOT NULL,
                data BYTEA NOT NULL
            );
            CREATE TABLE click_rollups (
                minute BIGINT NOT NULL,
                node_id INTEGER NOT NULL,
                offer_id BIGINT NOT NULL,
                link_id BIGINT NOT NULL,
                generating_partner_id BIGINT NOT NULL,
                credited_partner_id BIGINT NOT NULL,
                ad_id BIGINT NOT NULL,
                clicks BIGINT NOT NULL,
                billable BIGINT NOT NULL,
                unique_clicks BIGINT NOT NULL,
                bot BIGINT NOT NULL,
                unattributed BIGINT NOT NULL,
                inactive BIGINT NOT NULL,
                PRIMARY KEY (minute, node_id, offer_id, link_id, generating_partner_id, credited_partner_id, ad_id)
            );
            CREATE TABLE offer_daily (
                day BIGINT NOT NULL,
                offer_id BIGINT NOT NULL,
                billable BIGINT NOT NULL DEFAULT 0,
                conversions BIGINT NOT NULL DEFAULT 0,
                sales BIGINT NOT NULL DEFAULT 0,
                commissions BIGINT NOT NULL DEFAULT 0,
                paid BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (day, offer_id)
            );
            CREATE TABLE member_click_daily (
                offer_id BIGINT NOT NULL,
                partner_id BIGINT NOT NULL,
                day BIGINT NOT NULL,
                billable BIGINT NOT NULL,
                PRIMARY KEY (offer_id, partner_id, day)
            );
            CREATE TABLE partner_hourly (
                partner_id BIGINT NOT NULL,
                hour BIGINT NOT NULL,
                link_id BIGINT NOT NULL,
                credited_partner_id BIGINT NOT NULL,
                ad_id BIGINT NOT NULL,
                clicks BIGINT NOT NULL,
                billable BIGINT NOT NULL,
                unique_clicks BIGINT NOT NULL,
                bot BIGINT NOT NULL,
                unattributed BIGINT NOT NULL,
                inactive BIGINT NOT NULL,
                PRIMARY KEY (partner_id, hour, link_id, credited_partner_id, ad_id)
            );
            CREATE TABLE compaction (
                name TEXT PRIMARY KEY,
                through BIGINT NOT NULL
            );
            INSERT INTO compaction (name, through) VALUES ('member_click_daily', -1), ('partner_hourly', -1);
            """),
        // An upsert into a key of seven columns costs 30-40 ms for a batch's 7,000 rollups where appending
        // them costs 9-12 ms: rows are appended per batch and merged into one per key once their minute is
        // over (`PostgresStore.mergeFinishedMinutes`). Every reader sums, so unmerged rows read the same.
        ("2: rollups appended per batch, merged once their minute is over", """
            ALTER TABLE click_rollups DROP CONSTRAINT click_rollups_pkey;
            CREATE INDEX click_rollups_by_minute ON click_rollups (minute);
            INSERT INTO compaction (name, through) VALUES ('click_rollups', -1)
            """),
    ]

    /// Applies what is missing, one node at a time (a session lock held
    /// throughout); the others wait, then find every version applied.
    static func migrate(_ connection: PostgresConnection, logger: Logger) throws {
        _ = try connection.query("SELECT pg_advisory_lock(7283001)", logger: logger).wait()
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(7283001)", logger: logger).wait() }
        _ = try connection.query("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                                 logger: logger).wait()
        for migration in migrations {
            let applied = try connection.query("SELECT 1 FROM schema_migrations WHERE version = \(migration.version)", logger: logger).wait()
            guard applied.rows.isEmpty else { continue }
            _ = try connection.query("BEGIN", logger: logger).wait()
            do {
                // Statement by statement: the extended protocol takes one at a time.
                for statement in migration.sql.components(separatedBy: ";\n") where !statement.allSatisfy(\.isWhitespace) {
                    _ = try connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).wait()
                }
                _ = try connection.query("INSERT INTO schema_migrations (version) VALUES (\(migration.version))", logger: logger).wait()
                _ = try connection.query("COMMIT", logger: logger).wait()
            } catch {
                _ = try? connection.query("ROLLBACK", logger: logger).wait()
                throw error
            }
        }
    }
}
