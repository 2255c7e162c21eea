import ClickModel

/// Where clicks and their rollups go. Implementations: SQLite (default), PostgreSQL.
///
/// Contract every implementation meets (and `ClickStoreContract` tests):
/// - `write` stores a batch's clicks and adds its rollups in one transaction:
///   all of it or nothing, and it throws when nothing was stored.
/// - Writing a click id that is already stored fails the whole batch.
/// - `liveCounterSeed` reads back exactly the sums of what was written.
public protocol ClickStore: Sendable {
    /// Stores the clicks and adds their rollups, in one transaction.
    func write(_ batch: ClickBatch, nodeID: Int) throws

    /// What the aggregator starts from: the sums of all stored rollups, and the
    /// unique-click fingerprints of the current UTC day.
    /// - Parameter now: milliseconds since the Unix epoch.
    func liveCounterSeed(now: Int64) throws -> LiveCounterSeed

    /// Deletes clicks older than the retention; rollups are kept forever.
    /// Returns how many were deleted.
    func deleteClicks(before milliseconds: Int64, limit: Int) throws -> Int

    /// Sums the per-minute rollups of finished periods into the tables their
    /// readers seek by key: UTC days per member (the member report) and hours
    /// per partner (partners' statistics), oldest first, at most `limit`
    /// periods of each kind, one to a transaction. Clicks written later for a
    /// compacted period are added to it by `write`; periods not compacted yet
    /// are read by the minute.
    /// - Parameter now: milliseconds since the Unix epoch; the periods it falls in are not finished.
    func compactRollups(now: Int64, limit: Int) throws -> RollupCompaction

    /// How many clicks are stored.
    /// Calls `body` with every stored click of `[from, to)` (milliseconds),
    /// without its sub ids, in the order the clicks were written (page by
    /// page, each page in id order), a few hundred pages read at a time.
    func forEachClick(from: Int64, to: Int64, _ body: (ClickRecord) throws -> Void) throws

    func storedClickCount() throws -> Int
}

/// What one round of `compactRollups` did.
public struct RollupCompaction: Sendable, Equatable {
    public var days: Int
    public var hours: Int
    /// Whether every finished period is compacted now.
    public var isComplete: Bool

    public init(days: Int, hours: Int, isComplete: Bool) {
        self.days = days
        self.hours = hours
        self.isComplete = isComplete
    }
}

/// The sums the live counters are rebuilt from at start.
public struct LiveCounterSeed: Sendable {
    public var totals = OutcomeCounts()
    public var byOffer: [UInt32: OutcomeCounts] = [:]
    public var byCreditedPartner: [UInt32: OutcomeCounts] = [:]
    public var byLinkPartnerAd: [LinkPartnerAd: OutcomeCounts] = [:]
    /// Per-minute sums of the last 24 hours, by minute since the Unix epoch.
    public var byMinute: [Int64: OutcomeCounts] = [:]
    /// The UTC day (days since the Unix epoch) the fingerprints belong to.
    public var uniqueDay: Int64 = 0
    /// `UniqueFingerprint` of every unique click of `uniqueDay`.
    public var uniqueFingerprints: [UInt64] = []
    /// The clicks of `uniqueDay` that counted against their address group's
    /// cap (`--address-click-cap`), so that a restart does not open it again.
    public var addressClicks: [AddressClick] = []

    public init() {}

    public struct AddressClick: Sendable, Equatable {
        public var linkID: UInt32
        public var network: ClientNetwork

        public init(linkID: UInt32, network: ClientNetwork) {
            self.linkID = linkID
            self.network = network
        }
    }

    /// Adds what a stored click of `uniqueDay` brings to the seed.
    public mutating func add(todays entry: (linkID: UInt32, creditedPartnerID: UInt32, clientHash: UInt64, outcome: ClickOutcome,
                                            flags: ClickFlags, network: ClientNetwork, quality: ClickQuality)) {
        if entry.outcome == .billable, entry.flags.contains(.unique) {
            uniqueFingerprints.append(UniqueFingerprint.of(linkID: entry.linkID, creditedPartnerID: entry.creditedPartnerID,
                                                           clientHash: entry.clientHash))
        }
        // Billable, or invalid for the cap alone: what the address cap counted live.
        if entry.network != .none, entry.outcome == .billable || (entry.outcome == .invalid && !entry.quality.contains(.datacenter)) {
            addressClicks.append(AddressClick(linkID: entry.linkID, network: entry.network))
        }
    }
}

/// A live counter's key: a link, the credited partner and the ad.
public struct LinkPartnerAd: Hashable, Sendable, BitwiseCopyable {
    public var linkID: UInt32
    public var partnerID: UInt32
    public var adID: UInt32

    public init(linkID: UInt32, partnerID: UInt32, adID: UInt32) {
        self.linkID = linkID
        self.partnerID = partnerID
        self.adID = adID
    }
}

/// The fingerprint that decides a unique click: the link, the credited partner
/// and the client, within one UTC day.
public enum UniqueFingerprint {
    @inlinable
    public static func of(linkID: UInt32, creditedPartnerID: UInt32, clientHash: UInt64) -> UInt64 {
        let fingerprint = FastHash.combine(UInt64(linkID) << 32 | UInt64(creditedPartnerID), clientHash)
        return fingerprint == 0 ? 1 : fingerprint  // 0 marks an empty slot in the aggregator's set
    }
}

/// Where the edge's catalogue comes from.
public protocol CatalogueStore: Sendable {
    /// A number that changes whenever anything the edge reads changes.
    func catalogueVersion() throws -> Int64
    /// Everything the edge needs, and the version it was read at.
    func loadCatalogue() throws -> (data: CatalogData, version: Int64)
}

/// A store that can say when the catalogue changes, sooner than polling its
/// version would find out (PostgreSQL: LISTEN on the channel its triggers
/// notify). Polling stays the way changes are taken; this only wakes it.
public protocol CatalogueChangeSource: Sendable {
    /// Calls `changed` for every change until the task is cancelled; throws
    /// when the store stops telling (the caller listens again later).
    func listenForCatalogueChanges(_ changed: @escaping @Sendable () -> Void) async throws
}

/// What an admin or ops key may do. Ops reads `/v1/ops/*` and `/metrics`; admin does everything.
public enum KeyRole: String, Sendable, CaseIterable, Codable {
    case admin, ops
}

/// Keys of the admin and ops APIs, stored only as hashes.
public protocol KeyStore: Sendable {
    func insertKey(role: KeyRole, hash: [UInt8]) async throws
    /// The role of the key with this hash, unless unknown or revoked.
    func role(forKeyHash hash: [UInt8]) async throws -> KeyRole?
}

/// Facts about the store itself.
public protocol WorkspaceStore: Sendable {
    /// The salt of client fingerprints: random, made once when the store is
    /// created, so fingerprints survive restarts and differ between stores.
    func clientHashSalt() async throws -> UInt64
    /// The workspace's one currency (default USD); conversions in another are refused.
    func currency() async throws -> Currency
}

/// A store that could not do what was asked.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case unavailable, conflict, notFound, invalid
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
