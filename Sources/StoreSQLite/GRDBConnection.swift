import Foundation
import GRDB
import Store

/// The shared store logic's connection (`SQLConnection`) on a GRDB database,
/// inside the read or write transaction that handed it out.
struct GRDBConnection: SQLConnection {
    let db: Database

    init(_ db: Database) { self.db = db }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try Row.fetchAll(db, sql: sql, arguments: Self.arguments(arguments)).map(Self.row)
    }

    func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (SQLRow) throws -> Void) throws {
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: Self.arguments(arguments))
        while let row = try cursor.next() { try body(Self.row(row)) }
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
