import ClickModel
import Domain

/// Stored clicks read back, the same on SQLite and PostgreSQL: both keep the
/// pages the click writers make (`ClickPage`) in `click_pages`, keyed by
/// their first and last click ids as big-endian bytes.
public enum ClickPagesSQL {
    /// The stored click with this id, if any.
    ///
    /// Pages of consecutive batches may overlap by the few milliseconds a
    /// click waits in a ring, so the page holding `id` is among the last few
    /// that start at or before it. They are read newest first, and the first
    /// one read nearly always holds it.
    public static func click(_ db: some SQLConnection, id: ClickID) throws -> StoredClick? {
        let key = id.bigEndianBytes
        var found: StoredClick?
        try db.forEachRow("SELECT last_id, data FROM click_pages WHERE first_id <= ? ORDER BY first_id DESC LIMIT 8", [.blob(key)]) { row in
            guard found == nil, case .blob(let lastID) = row.values[0], !lastID.lexicographicallyPrecedes(key),
                  case .blob(let bytes) = row.values[1] else { return }
            let page = ClickPage(bytes: bytes)
            if page.isValid { found = page.click(id: id) }
        }
        return found
    }
}

extension ClickPagesSQL {
    /// Write batches one listing reads at most: a listing of rare clicks
    /// (flagged ones, one link's) ends early with a cursor rather than
    /// reading every stored click in one request.
    static let pagesPerListing = 64

    /// The stored clicks that match `query`, page by page in the order they
    /// were written (`ClickReader.clicks`).
    public static func clicks(_ db: some SQLConnection, _ query: ClickQuery) throws -> ClickListing {
        let lowID = ClickID.lowerBound(milliseconds: UInt64(max(0, query.from)))
        let highID = ClickID.lowerBound(milliseconds: UInt64(max(0, query.to)))
        let start = query.after ?? ClickCursor(page: 0, index: 0)
        var clicks: [StoredClick] = []
        var next: ClickCursor?
        var pagesRead = 0
        try db.forEachRow("""
            SELECT id, data FROM click_pages WHERE id >= ? AND last_id >= ? AND first_id < ? ORDER BY id LIMIT \(pagesPerListing)
            """, [.integer(start.page), .blob(lowID.bigEndianBytes), .blob(highID.bigEndianBytes)]) { row in
            pagesRead += 1
            guard clicks.count < query.limit, case .integer(let pageID) = row.values[0], case .blob(let bytes) = row.values[1] else { return }
            next = ClickCursor(page: pageID + 1, index: 0)
            let page = ClickPage(bytes: bytes)
            let first = pageID == start.page ? start.index : 0
            guard page.isValid, first < page.count else { return }
            page.forEachClick(from: first, where: { $0.id >= lowID && $0.id < highID && query.matches($0) }) { index, click in
                clicks.append(click)
                guard clicks.count < query.limit else {
                    next = ClickCursor(page: pageID, index: index + 1)
                    return false
                }
                return true
            }
        }
        let more = clicks.count == query.limit || pagesRead == pagesPerListing
        return ClickListing(clicks: clicks, next: more ? next : nil)
    }
}
