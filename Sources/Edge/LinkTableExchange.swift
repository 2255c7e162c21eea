import Atomics
import ClickModel
import Synchronization

/// Where the catalogue publisher leaves a new `LinkTable` for the edge workers.
///
/// Thread contract: one publisher thread calls `publish`; every worker polls
/// `generation` on its own thread (a relaxed load, nothing else, in the common
/// case) and, when it changed, takes `current` under the lock and swaps its own
/// reference. A worker holds the table it uses, so a table is freed only once
/// the last worker has let go of it: no reader sees a half-built or freed table.
public final class LinkTableExchange: Sendable {
    private let table: Mutex<LinkTable>
    private let counter = ManagedAtomic<Int>(0)

    public init(_ initial: LinkTable = LinkTable()) {
        self.table = Mutex(initial)
    }

    /// Replaces the current table. Workers pick it up at their next tick.
    public func publish(_ newTable: LinkTable) {
        table.withLock { $0 = newTable }
        // Releasing: a worker that sees the new generation finds the new table.
        counter.wrappingIncrement(ordering: .releasing)
    }

    /// Bumped by every `publish`.
    public var generation: Int { counter.load(ordering: .acquiring) }

    /// The latest table.
    public var current: LinkTable { table.withLock { $0 } }
}
