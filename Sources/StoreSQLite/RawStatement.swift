import GRDB
import GRDBSQLite
import Store

/// A prepared statement driven through SQLite's C API, for the hot paths:
/// the click writer's inserts (click pages, rollups), where binding columns
/// one by one costs a fraction of building GRDB arguments for every row;
/// reading the catalogue's million-row tables, where reading columns in place
/// costs a fraction of a GRDB `Row` each; and every statement of the shared
/// store logic (`GRDBConnection`). Lives within one `Database` access.
///
/// Either its own, prepared here and finalised with it, or borrowed from
/// GRDB's statement cache (`cached`), which prepares each distinct SQL text
/// once per connection and keeps it; a borrowed one is reset and its
/// bindings cleared before use.
struct RawStatement: ~Copyable {
    private let statement: OpaquePointer
    private let db: Database
    private let owned: Bool

    /// SQLITE_TRANSIENT: SQLite copies bound bytes before the bind call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ sql: String, in db: Database) throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(db.sqliteConnection, sql, -1, 0, &statement, nil) == SQLITE_OK, let statement else {
            throw DatabaseError(resultCode: db.lastErrorCode, message: db.lastErrorMessage, sql: sql)
        }
        self.statement = statement
        self.db = db
        owned = true
    }

    private init(borrowing statement: OpaquePointer, in db: Database) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        self.statement = statement
        self.db = db
        owned = false
    }

    /// The statement of this SQL from the connection's cache, prepared on its first use.
    static func cached(_ sql: String, in db: Database) throws -> RawStatement {
        RawStatement(borrowing: try db.cachedStatement(sql: sql).sqliteStatement, in: db)
    }

    deinit {
        if owned { sqlite3_finalize(statement) } else { sqlite3_reset(statement) }
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(statement, index, value) }

    func bindBlob(_ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count), Self.transient)
    }

    func bind(_ index: Int32, _ value: SQLValue) {
        switch value {
        case .null: sqlite3_bind_null(statement, index)
        case .integer(let integer): sqlite3_bind_int64(statement, index, integer)
        case .real(let real): sqlite3_bind_double(statement, index, real)
        case .text(let text): sqlite3_bind_text(statement, index, text, -1, Self.transient)
        case .blob(let bytes): bytes.withUnsafeBytes { bindBlob(index, $0) }
        }
    }

    /// The column as the shared logic's value, of the type SQLite holds.
    func value(_ column: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .text(text(column))
        }
    }

    /// Rows changed by the last statement run on the connection.
    var changes: Int { Int(sqlite3_changes(db.sqliteConnection)) }

    /// Inserts `count` rows of `columns` values, `rowsPerStatement` rows to a
    /// statement (one statement for the remainder), so that SQLite runs a
    /// statement per 32 rows instead of per row. `bind` binds row `row`'s
    /// values from parameter `first` on.
    static func insertRows(
        _ count: Int, columns: Int, rowsPerStatement: Int = 32, into insert: String, then suffix: String = "", db: Database,
        bind: (borrowing RawStatement, _ row: Int, _ first: Int32) -> Void
    ) throws {
        func sql(rows: Int) -> String {
            let tuple = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
            return insert + " VALUES " + Array(repeating: tuple, count: rows).joined(separator: ", ") + " " + suffix
        }
        var row = 0
        if count >= rowsPerStatement {
            let statement = try RawStatement(sql(rows: rowsPerStatement), in: db)
            while count - row >= rowsPerStatement {
                for offset in 0..<rowsPerStatement { bind(statement, row + offset, Int32(offset * columns + 1)) }
                try statement.step()
                row += rowsPerStatement
            }
        }
        if row < count {
            let statement = try RawStatement(sql(rows: 1), in: db)
            while row < count {
                bind(statement, row, 1)
                try statement.step()
                row += 1
            }
        }
    }

    /// Steps through every row of a query, calling `body` on each; `body`
    /// reads the current row's columns (0-based) with the accessors below.
    func forEachRow(_ body: (borrowing RawStatement) throws -> Void) throws {
        defer { sqlite3_reset(statement) }
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW: try body(self)
            case SQLITE_DONE: return
            default:
                throw DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)), message: db.lastErrorMessage)
            }
        }
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    var columnCount: Int32 { sqlite3_column_count(statement) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    /// The column as text (short text needs no allocation: Swift keeps up to
    /// 15 bytes inline).
    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Runs the statement once and resets it for the next row.
    func step() throws {
        let result = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard result == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)), message: db.lastErrorMessage)
        }
    }
}
