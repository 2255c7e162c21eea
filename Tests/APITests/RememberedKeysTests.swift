import API
import Store
import Synchronization
import Testing

@Suite("Keys through an outage of the store")
struct RememberedKeysTests {
    /// A key store that can be taken down and whose keys can be revoked.
    final class FlakyKeys: KeyStore {
        let state = Mutex<(down: Bool, keys: [[UInt8]: KeyRole])>((false, [:]))
        func insertKey(role: KeyRole, hash: [UInt8]) throws { state.withLock { $0.keys[hash] = role } }
        func role(forKeyHash hash: [UInt8]) throws -> KeyRole? {
            try state.withLock { state in
                if state.down { throw StoreError(.unavailable, "down") }
                return state.keys[hash]
            }
        }
    }

    @Test func aKeyTheStoreKnewKeepsItsRoleWhileTheStoreIsDown() throws {
        let store = FlakyKeys()
        let keys = RememberedKeys(store)
        try store.insertKey(role: .ops, hash: [1])
        #expect(try keys.role(forKeyHash: [1]) == .ops)
        store.state.withLock { $0.down = true }
        #expect(try keys.role(forKeyHash: [1]) == .ops, "remembered")
        #expect(throws: StoreError.self) { _ = try keys.role(forKeyHash: [2]) }  // never seen: the outage shows
    }

    @Test func aRevokedKeyStopsAtOnceAndIsNotRememberedAfter() throws {
        let store = FlakyKeys()
        let keys = RememberedKeys(store)
        try store.insertKey(role: .admin, hash: [1])
        #expect(try keys.role(forKeyHash: [1]) == .admin)
        store.state.withLock { $0.keys[[1]] = nil }
        #expect(try keys.role(forKeyHash: [1]) == nil, "the store's answer wins while it answers")
        store.state.withLock { $0.down = true }
        #expect(throws: StoreError.self) { _ = try keys.role(forKeyHash: [1]) }
    }

    @Test func anAnswerPastTheGraceDoesNotCount() throws {
        let store = FlakyKeys()
        let keys = RememberedKeys(store, grace: -1)
        try store.insertKey(role: .ops, hash: [1])
        #expect(try keys.role(forKeyHash: [1]) == .ops)
        store.state.withLock { $0.down = true }
        #expect(throws: StoreError.self) { _ = try keys.role(forKeyHash: [1]) }
    }
}
