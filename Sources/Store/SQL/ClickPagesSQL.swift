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
