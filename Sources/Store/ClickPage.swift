import ClickModel
import Domain

/// Clicks as the stores keep them: up to a few hundred clicks of one batch,
/// sorted by id, packed into one value of fixed-size entries followed by the
/// sub ids of those that have any. One row per page instead of one per click
/// makes storing a click a copy rather than a B-tree insert, and keeps the
/// stored clicks about half the size; a click is found by its id with an
/// indexed seek to its page and a binary search within it.
///
/// Format (version 4), integers little-endian:
///
///     u8  version (4)
///     u16 count
///     count × 63-byte entries, sorted by id:
///         16 id (big-endian, so bytes sort as ids), 8 client hash,
///         4 offer, 4 link, 4 credited partner, 4 generating partner, 4 ad,
///         1 outcome, 1 flags, 1 bot reason, 1 worker,
///         1 link rule (plus one), 1 variant, 2 country (its two letters, or 0),
///         2 device classes (`DeviceClass` bits),
///         8 client network (`ClientNetwork`), 1 quality reasons (`ClickQuality`)
///     for each entry flagged `hasSubIDs`, in entry order:
///         u16 entry index, 5 × (u8 length, bytes)
///
/// Version 1, written before link rules, has 48-byte entries without the last
/// five fields; it is read as rule 0, variant 0, no country, no device.
/// Version 2 has 52-byte entries without the device classes; version 3,
/// 54-byte ones without the network and quality (read as none).
public struct ClickPage: Sendable, Equatable {
    public static let version: UInt8 = 4
    public static let entrySize = 63

    /// The size of an entry in a page of this version, or nil for a version this code cannot read.
    static func entrySize(ofVersion version: UInt8) -> Int? {
        switch version {
        case 1: 48
        case 2: 52
        case 3: 54
        case 4: 63
        default: nil
        }
    }

    /// This page's entry size.
    var entrySize: Int { bytes.isEmpty ? Self.entrySize : Self.entrySize(ofVersion: bytes[0]) ?? Self.entrySize }
    /// Clicks per page at most.
    public static let capacity = 256

    /// The encoded page.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// How many clicks the page holds.
    public var count: Int {
        bytes.count >= 3 ? Int(bytes[1]) | Int(bytes[2]) << 8 : 0
    }

    /// The id of entry `index`.
    public func id(at index: Int) -> ClickID {
        bytes.withUnsafeBytes { raw in Self.readID(raw, at: 3 + index * entrySize) }
    }

    public var firstID: ClickID { id(at: 0) }
    public var lastID: ClickID { id(at: count - 1) }

    // MARK: encoding

    /// Cuts a batch into pages: its clicks sorted by id, `capacity` to a page.
    public static func pages(of batch: ClickBatch) -> [ClickPage] {
        let order = batch.clicks.indices.sorted { batch.clicks[$0].id < batch.clicks[$1].id }
        var pages: [ClickPage] = []
        pages.reserveCapacity((order.count + capacity - 1) / capacity)
        var start = 0
        while start < order.count {
            let end = min(start + capacity, order.count)
            pages.append(encode(order[start..<end], of: batch))
            start = end
        }
        return pages
    }

    private static func encode(_ indices: ArraySlice<Int>, of batch: ClickBatch) -> ClickPage {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(3 + indices.count * entrySize)
        bytes.append(version)
        append(UInt16(indices.count), to: &bytes)
        for index in indices {
            let click = batch.clicks[index]
            append(click.id, to: &bytes)
            append(click.clientHash, to: &bytes)
            append(click.offerID, to: &bytes)
            append(click.linkID, to: &bytes)
            append(click.creditedPartnerID, to: &bytes)
            append(click.generatingPartnerID, to: &bytes)
            append(click.adID, to: &bytes)
            bytes.append(click.outcome.rawValue)
            bytes.append(click.flags.rawValue)
            bytes.append(click.botReason.rawValue)
            bytes.append(click.workerID)
            bytes.append(click.rule)
            bytes.append(click.variant)
            append(click.country.rawValue, to: &bytes)
            append(click.devices, to: &bytes)
            append(click.network.rawValue, to: &bytes)
            bytes.append(click.quality.rawValue)
        }
        for (position, index) in indices.enumerated() {
            guard batch.clicks[index].flags.contains(.hasSubIDs), let subIDs = batch.subIDs(ofClickAt: index) else { continue }
            append(UInt16(position), to: &bytes)
            for sub in 0..<SubIDs.count {
                subIDs.withBytes(of: sub) { value in
                    bytes.append(UInt8(value.count))
                    bytes.append(contentsOf: value)
                }
            }
        }
        return ClickPage(bytes: bytes)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func append(_ id: ClickID, to bytes: inout [UInt8]) {
        id.withBigEndianBytes { bytes.append(contentsOf: $0) }
    }

    // MARK: decoding

    /// The stored click with this id, if the page holds it.
    public func click(id: ClickID) -> StoredClick? {
        guard let index = index(of: id) else { return nil }
        return click(at: index)
    }

    /// Every click of the page, in id order.
    public func clicks() -> [StoredClick] {
        var clicks: [StoredClick] = []
        clicks.reserveCapacity(count)
        forEachClick(where: { _ in true }) { _, click in
            clicks.append(click)
            return true
        }
        return clicks
    }

    /// An entry's fields that rebuilding today's unique clicks and address
    /// counts needs, and recomputing invalid clicks.
    public struct Entry {
        public var id: ClickID
        public var linkID: UInt32
        public var creditedPartnerID: UInt32
        public var clientHash: UInt64
        public var outcome: ClickOutcome
        public var flags: ClickFlags
        public var network: ClientNetwork
        public var quality: ClickQuality
    }

    /// Calls `body` with each entry, in id order, without decoding sub ids.
    public func forEachEntry(_ body: (Entry) -> Void) {
        let entrySize = self.entrySize
        bytes.withUnsafeBytes { raw in
            for index in 0..<count {
                let at = 3 + index * entrySize
                body(Entry(id: Self.readID(raw, at: at), linkID: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 28, as: UInt32.self)),
                           creditedPartnerID: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 32, as: UInt32.self)),
                           clientHash: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 16, as: UInt64.self)),
                           outcome: ClickOutcome(rawValue: raw[at + 44]) ?? .unattributed, flags: ClickFlags(rawValue: raw[at + 45]),
                           network: entrySize > 54 ? ClientNetwork(rawValue: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 54, as: UInt64.self))) : .none,
                           quality: entrySize > 54 ? ClickQuality(rawValue: raw[at + 62]) : []))
            }
        }
    }

    /// Whether the bytes are a page this code can read.
    public var isValid: Bool {
        guard bytes.count >= 3, let size = Self.entrySize(ofVersion: bytes[0]) else { return false }
        return bytes.count >= 3 + count * size
    }

    private func index(of id: ClickID) -> Int? {
        var low = 0, high = count - 1
        while low <= high {
            let middle = (low + high) / 2
            let found = self.id(at: middle)
            if found == id { return middle }
            if found < id { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }

    /// Entry `index` (0..<count) as the record it was written from, with its sub ids.
    public func click(at index: Int) -> StoredClick {
        bytes.withUnsafeBytes { raw in
            let record = record(at: index, raw)
            var section = 3 + count * entrySize
            return StoredClick(record: record, subIDs: record.flags.contains(.hasSubIDs) ? subIDs(of: index, raw, from: &section) : nil)
        }
    }

    /// Calls `body` with each entry from `first` on that `include` takes,
    /// with its sub ids, in id order, until `body` answers false. An entry
    /// `include` leaves out costs no sub-id reading, and the sub ids are read
    /// in one pass, as they are stored in entry order.
    public func forEachClick(from first: Int = 0, where include: (ClickRecord) -> Bool,
                             _ body: (_ index: Int, _ click: StoredClick) -> Bool) {
        guard first < count else { return }
        bytes.withUnsafeBytes { raw in
            var section = 3 + count * entrySize
            for index in max(0, first)..<count {
                let record = record(at: index, raw)
                guard include(record) else { continue }
                let subIDs = record.flags.contains(.hasSubIDs) ? subIDs(of: index, raw, from: &section) : nil
                guard body(index, StoredClick(record: record, subIDs: subIDs)) else { return }
            }
        }
    }

    /// Calls `body` with each entry as the record it was written from, in id order, without its sub ids.
    public func forEachRecord(_ body: (ClickRecord) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { raw in
            for index in 0..<count { try body(record(at: index, raw)) }
        }
    }

    private func record(at index: Int, _ raw: UnsafeRawBufferPointer) -> ClickRecord {
        let entrySize = self.entrySize
        let at = 3 + index * entrySize
        func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + offset, as: UInt32.self)) }
        let flags = ClickFlags(rawValue: raw[at + 45])
        return ClickRecord(
            id: Self.readID(raw, at: at), clientHash: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 16, as: UInt64.self)),
            offerID: u32(24), linkID: u32(28), creditedPartnerID: u32(32), generatingPartnerID: u32(36), adID: u32(40),
            outcome: ClickOutcome(rawValue: raw[at + 44]) ?? .unattributed, flags: flags, botReason: BotReason(rawValue: raw[at + 46]),
            workerID: raw[at + 47],
            rule: entrySize > 48 ? raw[at + 48] : 0, variant: entrySize > 48 ? raw[at + 49] : 0,
            country: entrySize > 48 ? CountryCode(rawValue: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at + 50, as: UInt16.self))) : .none,
            devices: entrySize > 52 ? UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at + 52, as: UInt16.self)) : 0,
            network: entrySize > 54 ? ClientNetwork(rawValue: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 54, as: UInt64.self))) : .none,
            quality: entrySize > 54 ? ClickQuality(rawValue: raw[at + 62]) : [])
    }

    /// Entry `entry`'s sub ids, looked for from `offset` in the sub-id section
    /// (entries are stored in ascending order) and moved past them; nil, with
    /// `offset` left at the next entry's, when the entry has none.
    private func subIDs(of entry: Int, _ raw: UnsafeRawBufferPointer, from offset: inout Int) -> SubIDs? {
        while offset + 2 <= raw.count {
            let index = Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            if index > entry { return nil }
            offset += 2
            var values = SubIDs()
            for sub in 0..<SubIDs.count {
                guard offset < raw.count else { break }
                let length = Int(raw[offset])
                offset += 1
                let end = min(offset + length, raw.count)
                if index == entry {
                    for byte in raw[offset..<end] { values.append(byte, to: sub) }
                }
                offset = end
            }
            if index == entry { return values }
        }
        return nil
    }

    private static func readID(_ raw: UnsafeRawBufferPointer, at offset: Int) -> ClickID {
        let high = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        let low = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        return ClickID(rawValue: UInt128(high) << 64 | UInt128(low))
    }
}
