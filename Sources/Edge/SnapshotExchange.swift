import Atomics
import ClickModel
import GeoIP
import Synchronization

/// Where a publisher leaves a new snapshot for the edge workers: the link
/// table (from the catalogue publisher), the country database (from its
/// watcher).
///
/// Thread contract: one publisher thread calls `publish`; every worker polls
/// `generation` on its own thread (a relaxed load, nothing else, in the common
/// case) and, when it changed, takes `current` under the lock and swaps its own
/// reference. A worker holds the snapshot it uses, so a snapshot is freed only
/// once the last worker has let go of it: no reader sees a half-built or freed one.
public final class SnapshotExchange<Snapshot: Sendable>: Sendable {
    private let snapshot: Mutex<Snapshot>
    private let counter = ManagedAtomic<Int>(0)

    public init(_ initial: Snapshot) {
        self.snapshot = Mutex(initial)
    }

    /// Replaces the current snapshot. Workers pick it up at their next tick.
    public func publish(_ newSnapshot: Snapshot) {
        snapshot.withLock { $0 = newSnapshot }
        // Releasing: a worker that sees the new generation finds the new snapshot.
        counter.wrappingIncrement(ordering: .releasing)
    }

    /// Bumped by every `publish`.
    public var generation: Int { counter.load(ordering: .acquiring) }

    /// The latest snapshot.
    public var current: Snapshot { snapshot.withLock { $0 } }
}

/// The catalogue publisher's link tables.
public typealias LinkTableExchange = SnapshotExchange<LinkTable>

extension SnapshotExchange where Snapshot == LinkTable {
    /// Starts with an empty table: every link is unknown.
    public convenience init() { self.init(LinkTable()) }
}

/// The country database in use; nil without one.
public typealias CountryDatabaseExchange = SnapshotExchange<CountryDatabase?>
