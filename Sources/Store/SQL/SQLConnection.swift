import Domain

/// One database connection inside a transaction, as the store logic both
/// databases share sees it: SQL with `?` placeholders (or `?1`, `?2`... to
/// use a value more than once), values of five kinds.
///
/// The SQL written against it is the dialect SQLite and PostgreSQL have in
/// common: `INSERT ... RETURNING`, `ON CONFLICT ... DO UPDATE`, `COALESCE`,
/// `CAST(... AS BIGINT)` around sums. Booleans are stored as integers in
/// both. Each backend hands out connections inside its transactions
/// (`SQLDatabase`) and keeps its own schema; what is tuned to one database
/// (writing clicks, loading the catalogue) stays in its backend.
///
/// A statement that fails throws a `StoreError`: a taken key `.conflict`, a
/// reference to nothing `.notFound`, another broken constraint `.invalid`,
/// anything else `.unavailable`.
public protocol SQLConnection {
    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int
    /// Runs a query and returns every row.
    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
    /// Runs a query and hands over its rows one at a time, for large results.
    func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (SQLRow) throws -> Void) throws
    /// Runs a query whose every column is an integer (NULL reads as 0) and
    /// hands over each row's columns without making a row value: for the
    /// reports, which sum hundreds of thousands of rows.
    func forEachIntegerRow(_ sql: String, _ arguments: [SQLValue], _ body: (UnsafeBufferPointer<Int64>) throws -> Void) throws
}

extension SQLConnection {
    public func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (SQLRow) throws -> Void) throws {
        for row in try rows(sql, arguments) { try body(row) }
    }

    public func forEachIntegerRow(_ sql: String, _ arguments: [SQLValue], _ body: (UnsafeBufferPointer<Int64>) throws -> Void) throws {
        try forEachIntegerRowOfRows(sql, arguments, body)
    }

    /// `forEachIntegerRow` through `forEachRow`: the default, and a connection's fallback.
    public func forEachIntegerRowOfRows(_ sql: String, _ arguments: [SQLValue],
                                        _ body: (UnsafeBufferPointer<Int64>) throws -> Void) throws {
        var columns: [Int64] = []
        try forEachRow(sql, arguments) { row in
            columns.removeAll(keepingCapacity: true)
            for (index, value) in row.values.enumerated() {
                switch value {
                case .null: columns.append(0)
                case .integer(let integer): columns.append(integer)
                default: throw StoreError(.unavailable, "column \(index) holds \(value), not an integer")
                }
            }
            try columns.withUnsafeBufferPointer { try body($0) }
        }
    }
}

extension SQLConnection {
    /// The first row of a query, if any.
    public func row(_ sql: String, _ arguments: [SQLValue] = []) throws -> SQLRow? {
        try rows(sql, arguments).first
    }
}

/// A value bound to a placeholder or read from a column.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(nilLiteral: ()) { self = .null }

    public init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: UInt32?) { self = value.map { .integer(Int64($0)) } ?? .null }
    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    public init(_ value: [UInt8]) { self = .blob(value) }
}

/// A row read back; columns by position, in the order the query names them.
/// Reading a column as the wrong kind is a store error, not a crash.
public struct SQLRow: Sendable {
    public var values: [SQLValue]

    public init(_ values: [SQLValue]) { self.values = values }

    public func int64(_ index: Int) throws -> Int64 {
        guard case .integer(let value) = values[index] else { throw Self.mismatch(index, "an integer", values[index]) }
        return value
    }

    public func optionalInt64(_ index: Int) throws -> Int64? {
        if case .null = values[index] { return nil }
        return try int64(index)
    }

    public func int(_ index: Int) throws -> Int { Int(try int64(index)) }

    public func id(_ index: Int) throws -> UInt32 {
        let value = try int64(index)
        guard let id = UInt32(exactly: value) else { throw StoreError(.unavailable, "column \(index): \(value) is not an id") }
        return id
    }

    public func optionalID(_ index: Int) throws -> UInt32? {
        if case .null = values[index] { return nil }
        return try id(index)
    }

    public func text(_ index: Int) throws -> String {
        guard case .text(let value) = values[index] else { throw Self.mismatch(index, "text", values[index]) }
        return value
    }

    public func optionalText(_ index: Int) throws -> String? {
        if case .null = values[index] { return nil }
        return try text(index)
    }

    private static func mismatch(_ index: Int, _ expected: String, _ found: SQLValue) -> StoreError {
        StoreError(.unavailable, "column \(index) holds \(found), not \(expected)")
    }
}

extension SQLConnection {
    /// Every row of a query without arguments.
    public func rows(_ sql: String) throws -> [SQLRow] { try rows(sql, []) }
}
