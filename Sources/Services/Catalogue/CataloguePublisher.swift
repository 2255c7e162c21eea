import Atomics
import Dispatch
import ClickModel
import Domain
import Logging
import Platform

/// Keeps the edge's link table in step with the store: polls the catalogue
/// version and, when it changed, builds a new `LinkTable` off the hot path
/// and hands it to `publish` (which gives it to every edge worker).
///
/// A change made through the API reaches the workers within one poll
/// interval plus the workers' tick (100 ms): well within 1 s by default; on a
/// store that tells of changes (`catalogueChanged()`), within the tick.
///
/// Thread contract: `start()` and `stop()` once each, from one owner. The
/// polling runs on its own thread because building a large table takes a
/// while and the store's calls block.
public final class CataloguePublisher: @unchecked Sendable {
    private let store: any CatalogueStore
    private let publish: @Sendable (LinkTable) -> Void
    private let pollMilliseconds: Int
    private let logger: Logger
    private let stopRequested = ManagedAtomic<Bool>(false)
    /// Signalled when the store says the catalogue changed: the next poll comes at once.
    private let wake = DispatchSemaphore(value: 0)
    private let publishedVersion = ManagedAtomic<Int64>(-1)
    private var thread: OwnedThread?

    /// - Parameter pollMilliseconds: how often the version is read. Default 100.
    public init(store: any CatalogueStore, pollMilliseconds: Int = 100, logger: Logger,
                publish: @escaping @Sendable (LinkTable) -> Void) {
        self.store = store
        self.publish = publish
        self.pollMilliseconds = pollMilliseconds
        self.logger = logger
    }

    /// The version of the last table published; -1 before the first.
    public var version: Int64 { publishedVersion.load(ordering: .relaxed) }

    /// Builds and publishes the current catalogue now, on the caller's thread.
    @discardableResult
    public func publishNow() throws -> LinkTable {
        let started = Clocks.monotonicNanoseconds()
        let (data, version) = try store.loadCatalogue()
        let table = LinkTable(data, version: version) { jobs in
            DispatchQueue.concurrentPerform(iterations: jobs.count) { jobs[$0]() }
        }
        publish(table)
        publishedVersion.store(version, ordering: .relaxed)
        logger.debug("published link table", metadata: [
            "version": "\(version)", "links": "\(table.linkCount)", "partners": "\(table.partnerCount)",
            "memberships": "\(table.membershipCount)", "ads": "\(table.adCount)",
            "milliseconds": "\((Clocks.monotonicNanoseconds() - started) / 1_000_000)",
        ])
        return table
    }

    public func start() {
        thread = OwnedThread(name: "catalogue") { [self] in run() }
    }

    /// Polls now instead of at the end of the interval (the store said the catalogue changed). Any thread.
    public func catalogueChanged() {
        wake.signal()
    }

    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
        wake.signal()
        thread?.join()
        thread = nil
    }

    private func run() {
        var failing = false
        while !stopRequested.load(ordering: .relaxed) {
            do {
                if try store.catalogueVersion() != version { try publishNow() }
                if failing { logger.notice("catalogue store is back") }
                failing = false
            } catch {
                // The edge keeps serving from its last table.
                if !failing { logger.error("cannot read the catalogue; the edge keeps its last table", metadata: ["error": "\(error)"]) }
                failing = true
            }
            _ = wake.wait(timeout: .now() + .milliseconds(pollMilliseconds))
        }
    }
}
