import Foundation
import GRDB
import Store

/// The shared store logic's connection (`SQLConnection`) on a GRDB database,
/// inside the read or write transaction that handed it out.
///
/// Statements are prepared once per connection and kept (GRDB's statement
/// cache): the shared logic's SQL is a fixed set of strings, and preparing
/// them again cost more than running them. SQLite's errors come out as
/// `StoreError`s at the statement that failed, so that the shared logic can
/// tell a taken key from a lost database inside its transaction.
struct GRDBConnection: SQLConnection {
    let db: Database

    init(_ db: Database) { self.db = db }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try translatingErrors {
            try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
            return db.changesCount
        }
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try translatingErrors { try Row.fetchAll(db.cachedStatement(sql: sql), arguments: Self.arguments(arguments)).map(Self.row) }
    }

    func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (SQLRow) throws -> Void) throws {
        let cursor = try translatingErrors { try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: Self.arguments(arguments)) }
        while let row = try translatingErrors({ try cursor.next() }) { try body(Self.row(row)) }
    }

    private func translatingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw SQLiteStore.translate(error)
        }
    }

    /// Through SQLite's C API, columns read in place into one buffer: no
    /// GRDB row and no value per cell (integer arguments only; others take
    /// the general path).
    func forEachIntegerRow(_ sql: String, _ arguments: [SQLValue], _ body: (UnsafeBufferPointer<Int64>) throws -> Void) throws {
        var integers: [Int64] = []
        for argument in arguments {
            guard case .integer(let value) = argument else { return try forEachIntegerRowOfRows(sql, arguments, body) }
            integers.append(value)
        }
        let statement = try RawStatement(sql, in: db)
        for (index, value) in integers.enumerated() { statement.bind(Int32(index + 1), value) }
        let count = Int(statement.columnCount)
        let columns = UnsafeMutableBufferPointer<Int64>.allocate(capacity: max(count, 1))
        defer { columns.deallocate() }
        try statement.forEachRow { row in
            for column in 0..<count { columns[column] = row.int64(Int32(column)) }
            try body(UnsafeBufferPointer(rebasing: columns[0..<count]))
        }
    }

    private static func row(_ row: Row) -> SQLRow {
        SQLRow(row.databaseValues.map { value in
            switch value.storage {
            case .null: .null
            case .int64(let integer): .integer(integer)
            case .double(let real): .real(real)
            case .string(let text): .text(text)
            case .blob(let data): .blob([UInt8](data))
            }
        })
    }

    private static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> DatabaseValue in
            switch value {
            case .null: .null
            case .integer(let integer): integer.databaseValue
            case .real(let real): real.databaseValue
            case .text(let text): text.databaseValue
            case .blob(let bytes): Data(bytes).databaseValue
            }
        })
    }
}
