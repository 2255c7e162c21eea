import Foundation
import GRDB
import Store

/// The shared store logic's connection (`SQLConnection`) on a GRDB database,
/// inside the read or write transaction that handed it out.
///
/// Statements run through SQLite's C API (`RawStatement`) on GRDB's
/// statement cache: the shared logic's SQL is a fixed set of strings,
/// prepared once per connection, and binding and reading columns in place
/// costs a fraction of GRDB's arguments and rows (together they took a
/// third of a postback's time). SQLite's errors come out as `StoreError`s
/// at the statement that failed, so that the shared logic can tell a taken
/// key from a lost database inside its transaction.
struct GRDBConnection: SQLConnection {
    let db: Database

    init(_ db: Database) { self.db = db }

    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try translatingErrors {
            let statement = try prepared(sql, arguments)
            try statement.forEachRow { _ in }  // a statement with RETURNING has rows to step through
            return statement.changes
        }
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        var rows: [SQLRow] = []
        try forEachRow(sql, arguments) { rows.append($0) }
        return rows
    }

    func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (SQLRow) throws -> Void) throws {
        try translatingErrors {
            let statement = try prepared(sql, arguments)
            let count = statement.columnCount
            try statement.forEachRow { row in
                try body(SQLRow((0..<count).map { row.value($0) }))
            }
        }
    }

    /// Columns read in place into one buffer: no row value per row.
    func forEachIntegerRow(_ sql: String, _ arguments: [SQLValue], _ body: (UnsafeBufferPointer<Int64>) throws -> Void) throws {
        try translatingErrors {
            let statement = try prepared(sql, arguments)
            let count = Int(statement.columnCount)
            let columns = UnsafeMutableBufferPointer<Int64>.allocate(capacity: max(count, 1))
            defer { columns.deallocate() }
            try statement.forEachRow { row in
                for column in 0..<count { columns[column] = row.isNull(Int32(column)) ? 0 : row.int64(Int32(column)) }
                try body(UnsafeBufferPointer(rebasing: columns[0..<count]))
            }
        }
    }

    private func prepared(_ sql: String, _ arguments: [SQLValue]) throws -> RawStatement {
        let statement = try RawStatement.cached(sql, in: db)
        for (index, argument) in arguments.enumerated() { statement.bind(Int32(index + 1), argument) }
        return statement
    }

    private func translatingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw SQLiteStore.translate(error)
        }
    }
}
