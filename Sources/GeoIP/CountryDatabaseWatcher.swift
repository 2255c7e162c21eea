import Logging
import Synchronization

/// Notices when the country database's file changes (written over, or
/// replaced by a rename) and opens the new one. A file that cannot be used is
/// logged, once per version of it, and the database in use is kept.
public final class CountryDatabaseWatcher: Sendable {
    public let path: String
    private let publish: @Sendable (CountryDatabase) -> Void
    private let logger: Logger
    private let seen: Mutex<FileIdentity?>

    /// - Parameter publish: hands a newly opened database to the edge.
    public init(current: CountryDatabase, logger: Logger, publish: @escaping @Sendable (CountryDatabase) -> Void) {
        self.path = current.path
        self.publish = publish
        self.logger = logger
        self.seen = Mutex(current.file)
    }

    /// Looks at the file once; opens and publishes it when it changed.
    /// Returns whether a new database was published.
    @discardableResult
    public func check() -> Bool {
        let file = FileIdentity(path: path)
        let changed = seen.withLock { seen in
            defer { seen = file }
            return file != nil && file != seen
        }
        guard changed else { return false }
        do {
            let database = try CountryDatabase(path: path)
            publish(database)
            logger.info("country database reloaded", metadata: ["path": "\(path)", "database": "\(database.summary)"])
            return true
        } catch {
            logger.error("the new country database cannot be used; the previous one stays", metadata: ["error": "\(error)"])
            return false
        }
    }
}
