import ClickModel
import Foundation
import GeoIP
import Logging
import Synchronization
import Testing

/// Country databases written by libmaxmind-db-writer-perl, the MaxMind DB
/// format's own writer (`scripts/test-country-db`), looked up through libmaxminddb.
@Suite("Country lookups in a .mmdb file")
struct CountryDatabaseTests {
    static let writer = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/test-country-db").path

    /// Writes a database of these `NETWORK=CC` entries at `path`.
    static func write(_ path: String, _ entries: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: writer)
        process.arguments = [path] + entries
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "scripts/test-country-db failed")
    }

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("clickline-countries-\(UUID().uuidString).mmdb").path
    }

    @Test func addressesFindTheirCountry() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.write(path, ["127.0.0.0/8=CA", "2001:db8::/32=FR", "198.51.100.0/24=registered:DE"])
        let database = try CountryDatabase(path: path)
        #expect(database.summary.hasPrefix("Clickline-Test-Country, built "))
        let lookup = database.lookup
        func country(_ text: String) -> String { lookup.country(of: IPAddress.parse(text)!).description }
        #expect(country("127.0.0.1") == "CA")
        #expect(country("::ffff:127.0.0.9") == "CA")
        #expect(country("2001:db8::42") == "FR")
        #expect(country("198.51.100.7") == "DE", "an entry with only a registered country")
        #expect(country("203.0.113.1") == "")
        #expect(country("2001:db9::1") == "")
        #expect(CountryLookup.none.country(of: IPAddress.parse("127.0.0.1")!) == .none)
    }

    @Test func aFileThatIsNoDatabaseIsRefusedWithItsReason() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect { try CountryDatabase(path: path) } throws: { "\($0)".contains("cannot be read") }
        try Data("this is not a MaxMind DB file".utf8).write(to: URL(fileURLWithPath: path))
        #expect { try CountryDatabase(path: path) } throws: { "\($0)" .contains("\(path) is not a MaxMind DB file") }
        // A real database cut short: its metadata (at the end) is gone.
        try Self.write(path, ["127.0.0.0/8=CA"])
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(throws: CountryDatabaseError.self) { try CountryDatabase(path: path) }
    }

    @Test func theWatcherTakesANewFileAndKeepsTheOldOneWhenTheNewOneIsBroken() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.write(path, ["127.0.0.0/8=CA"])
        let published = Mutex<[CountryDatabase]>([])
        let watcher = CountryDatabaseWatcher(current: try CountryDatabase(path: path), logger: Logger(label: "test")) { database in
            published.withLock { $0.append(database) }
        }
        #expect(!watcher.check(), "nothing changed")
        // Replaced by a rename, as a download tool does.
        try Self.write(path, ["127.0.0.0/8=US"])
        #expect(watcher.check())
        let newest = try #require(published.withLock { $0.last })
        #expect(newest.lookup.country(of: IPAddress.parse("127.0.0.1")!).description == "US")
        // Written over with something broken: logged, and nothing published.
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect(!watcher.check())
        #expect(published.withLock { $0.count } == 1)
        #expect(!watcher.check(), "the same broken file is tried once")
    }
}
