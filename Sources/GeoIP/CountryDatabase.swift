import CMaxMindDB
import ClickModel
import Glibc

/// A country database: a `.mmdb` file (MaxMind GeoIP2 or GeoLite2 Country or
/// City, DB-IP Country Lite...) the user supplies, mapped into memory.
/// `lookup` is what the edge workers use; the database must outlive it.
public final class CountryDatabase: @unchecked Sendable {
    public let path: String
    /// The file as it was when opened, to notice a new one.
    public let file: FileIdentity
    /// The database's own type and build date, for the start banner and the log.
    public let summary: String
    private let handle: UnsafeMutablePointer<MMDB_s>

    /// Opens and checks the file, or says plainly why it cannot be used.
    ///
    /// The file is copied into memory first, so that whatever later happens
    /// to it (written over in place, cut short, removed) cannot reach the
    /// lookups; a new file is taken by opening it again (`CountryDatabaseWatcher`).
    public init(path: String) throws(CountryDatabaseError) {
        guard let file = FileIdentity(path: path) else {
            throw CountryDatabaseError(path: path, reason: "cannot be read: \(String(cString: strerror(errno)))")
        }
        let copy = try Self.copyIntoMemory(path)
        defer { Glibc.close(copy) }
        let handle = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
        let status = MMDB_open("/proc/self/fd/\(copy)", UInt32(MMDB_MODE_MMAP), handle)
        guard status == MMDB_SUCCESS else {
            handle.deallocate()
            let reason = String(cString: MMDB_strerror(status))
            throw CountryDatabaseError(path: path, reason: "is not a MaxMind DB file (\(reason))")
        }
        let metadata = handle.pointee.metadata
        let type = metadata.database_type.map { String(cString: $0) } ?? "unknown"
        self.path = path
        self.file = file
        self.handle = handle
        self.summary = "\(type), built \(Self.date(metadata.build_epoch)), IPv\(metadata.ip_version)"
        // A file cut short can still have its metadata; a lookup then finds a broken tree.
        let probe = clickline_probe(handle)
        guard probe == MMDB_SUCCESS else {
            MMDB_close(handle)
            handle.deallocate()
            throw CountryDatabaseError(path: path, reason: "is damaged (\(String(cString: MMDB_strerror(probe))))")
        }
    }

    /// An in-memory file holding the file's bytes, its offset back at 0.
    private static func copyIntoMemory(_ path: String) throws(CountryDatabaseError) -> Int32 {
        func failure(_ doing: String) -> CountryDatabaseError {
            CountryDatabaseError(path: path, reason: "cannot be \(doing): \(String(cString: strerror(errno)))")
        }
        let source = open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw failure("read") }
        defer { Glibc.close(source) }
        let copy = clickline_memory_file("clickline-countries")
        guard copy >= 0 else { throw failure("copied into memory") }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(source, buffer, chunk)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                Glibc.close(copy)
                throw failure("read")
            }
            if count == 0 { break }
            var written = 0
            while written < count {
                let n = write(copy, buffer + written, count - written)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    Glibc.close(copy)
                    throw failure("copied into memory")
                }
                written += n
            }
        }
        return copy
    }

    deinit {
        MMDB_close(handle)
        handle.deallocate()
    }

    /// Lookups into this database; valid while it lives.
    public var lookup: CountryLookup { CountryLookup(handle: UnsafePointer(handle)) }

    private static func date(_ epoch: UInt64) -> String {
        var time = time_t(epoch)
        var parts = tm()
        gmtime_r(&time, &parts)
        return "\(parts.tm_year + 1900)-\(parts.tm_mon + 1 < 10 ? "0" : "")\(parts.tm_mon + 1)-\(parts.tm_mday < 10 ? "0" : "")\(parts.tm_mday)"
    }
}

/// The edge's handle on a country database: a trivial value, no reference
/// counting, nothing allocated per lookup. Without a database every address
/// is of no known country.
public struct CountryLookup: @unchecked Sendable, BitwiseCopyable {
    private let handle: UnsafePointer<MMDB_s>?

    init(handle: UnsafePointer<MMDB_s>?) {
        self.handle = handle
    }

    /// No database: every country is unknown.
    public static let none = CountryLookup(handle: nil)

    public var isAvailable: Bool { handle != nil }

    /// The country of `address`, or `.none` when unknown.
    public func country(of address: IPAddress) -> CountryCode {
        guard let handle, address.length != 0 else { return .none }
        return withUnsafeBytes(of: address.words) { raw in
            CountryCode(rawValue: clickline_country(handle, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(address.length)))
        }
    }
}

public struct CountryDatabaseError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "the country database \(path) \(reason)" }
}

/// Which file a path names, and its size and time: a different value means
/// a new file to load (replaced by a rename, or written over).
public struct FileIdentity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modified: Int64

    public init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        modified = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
    }
}
