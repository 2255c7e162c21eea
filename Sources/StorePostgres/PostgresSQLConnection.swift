import Domain
import Logging
import NIOCore
import PostgresNIO
import Store
import Synchronization

/// The shared store logic's connection (`SQLConnection`) on a PostgreSQL
/// connection: `?` placeholders become `$1`, `$2`..., values are bound in
/// PostgreSQL's binary format, and integer columns of any width, text, bytea,
/// float8 and booleans are read back. Each statement waits for its answer on
/// the calling thread, which is one of the store's own (`PostgresStore`),
/// never one of Swift's shared executor; the server's errors come out as
/// `StoreError`s at the statement that failed.
///
/// A statement is waited for until the transaction's deadline (and a
/// grace; see `PostgresStore.answer`). Once one went unanswered, or the
/// connection closed under it, every later statement fails at once: a
/// transaction of many statements on a connection that is gone takes one
/// wait, not one per statement.
struct PostgresSQLConnection: SQLConnection {
    let connection: PostgresConnection
    let logger: Logger
    /// The deadline of the transaction the statements belong to, if any.
    var deadline: ContinuousClock.Instant? = nil
    private let lost = LostConnection()

    init(connection: PostgresConnection, logger: Logger, deadline: ContinuousClock.Instant? = nil) {
        self.connection = connection
        self.logger = logger
        self.deadline = deadline
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try run(sql, arguments).rows.map { row in SQLRow(try row.map(Self.value(of:))) }
    }

    private func run(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .integer(let integer): binds.append(integer)
            case .real(let real): binds.append(real)
            case .text(let text): binds.append(text)
            case .blob(let bytes): binds.append(ByteBuffer(bytes: bytes))
            }
        }
        let numbered = Self.numberPlaceholders(sql)
        guard numbered.count == arguments.count else {
            throw StoreError(.invalid, "\(numbered.count) placeholders for \(arguments.count) values")
        }
        if let reason = lost.reason { throw StoreError(.unavailable, reason) }
        do {
            return try PostgresStore.answer(to: connection.query(PostgresQuery(unsafeSQL: numbered.sql, binds: binds), logger: logger),
                                            on: connection, deadline: deadline)
        } catch {
            let storeError = PostgresStore.storeError(error)
            if let unavailable = storeError as? StoreError, unavailable.code == .unavailable,
               error is StoreError || connection.isClosed {
                lost.reason = "the connection to PostgreSQL was lost earlier in this transaction (\(unavailable.message))"
            }
            throw storeError
        }
    }

    /// `?` outside quoted strings and identifiers becomes `$n`, the next
    /// number; `?n` becomes `$n`. The count is of the values the SQL takes.
    static func numberPlaceholders(_ sql: String) -> (sql: String, count: Int) {
        let characters = Array(sql)
        var result = ""
        result.reserveCapacity(characters.count + 16)
        var count = 0, next = 0, index = 0
        var quote: Character? = nil
        while index < characters.count {
            let character = characters[index]
            index += 1
            if let open = quote {
                if character == open { quote = nil }
                result.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                result.append(character)
            } else if character == "?" {
                var number = 0, digits = 0
                while index < characters.count, characters[index].isASCII, let digit = characters[index].wholeNumberValue {
                    number = number * 10 + digit
                    digits += 1
                    index += 1
                }
                if digits == 0 {
                    next += 1
                    number = next
                }
                count = max(count, number)
                result += "$\(number)"
            } else {
                result.append(character)
            }
        }
        return (result, count)
    }

    private static func value(of cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8: return .integer(try cell.decode(Int64.self))
        case .int4: return .integer(Int64(try cell.decode(Int32.self)))
        case .int2: return .integer(Int64(try cell.decode(Int16.self)))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .float8: return .real(try cell.decode(Double.self))
        case .float4: return .real(Double(try cell.decode(Float.self)))
        case .text, .varchar, .name, .bpchar: return .text(try cell.decode(String.self))
        case .bytea: return .blob(Array(buffer: try cell.decode(ByteBuffer.self)))
        default:
            throw StoreError(.unavailable, "column \(cell.columnName) has type \(cell.dataType), which the store does not read")
        }
    }
}

/// Set once a connection stopped answering; shared by the copies of one
/// `PostgresSQLConnection`.
private final class LostConnection: Sendable {
    private let state = Mutex<String?>(nil)

    var reason: String? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
