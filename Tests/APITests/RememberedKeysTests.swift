import API
import Domain
import Synchronization
import Testing

@Suite("Keys answered from memory, through an outage of the store")
struct RememberedKeysTests {
    /// A key store that can be taken down, whose keys can be revoked, and that counts the questions it is asked.
    final class FlakyKeys: KeyStore {
        let state = Mutex<(down: Bool, keys: [[UInt8]: KeyRole], asked: Int)>((false, [:], 0))
        func insertKey(role: KeyRole, hash: [UInt8]) async throws { state.withLock { $0.keys[hash] = role } }
        func role(forKeyHash hash: [UInt8]) async throws -> KeyRole? {
            try state.withLock { state in
                state.asked += 1
                if state.down { throw StoreError(.unavailable, "down") }
                return state.keys[hash]
            }
        }
        var asked: Int { state.withLock { $0.asked } }
    }

    @Test func aKnownKeyIsAnsweredWithoutAskingTheStore() async throws {
        let store = FlakyKeys()
        let keys = RememberedKeys(store)
        try await store.insertKey(role: .ops, hash: [1])
        #expect(try await keys.role(forKeyHash: [1]) == .ops)
        for _ in 0..<5 { #expect(try await keys.role(forKeyHash: [1]) == .ops) }
        #expect(store.asked == 1, "asked once, then answered from memory")
    }

    @Test func aKeyTheStoreKnewKeepsItsRoleWhileTheStoreIsDown() async throws {
        let store = FlakyKeys()
        let keys = RememberedKeys(store, recheckAfter: 0)
        try await store.insertKey(role: .ops, hash: [1])
        #expect(try await keys.role(forKeyHash: [1]) == .ops)
        store.state.withLock { $0.down = true }
        #expect(try await keys.role(forKeyHash: [1]) == .ops, "remembered")
        await #expect(throws: StoreError.self) { _ = try await keys.role(forKeyHash: [2]) }  // never seen: the outage shows
    }

    @Test func aRevokedKeyStopsOnceCheckedAgain() async throws {
        let store = FlakyKeys()
        let keys = RememberedKeys(store, recheckAfter: 0)
        try await store.insertKey(role: .admin, hash: [1])
        #expect(try await keys.role(forKeyHash: [1]) == .admin)
        store.state.withLock { $0.keys[[1]] = nil }
        // The use after the revocation is answered from memory and checks again in the background.
        #expect(try await keys.role(forKeyHash: [1]) == .admin)
        for _ in 0..<200 where store.asked < 2 { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(20))
        #expect(try await keys.role(forKeyHash: [1]) == nil, "the store's newer answer wins")
        store.state.withLock { $0.down = true }
        await #expect(throws: StoreError.self) { _ = try await keys.role(forKeyHash: [1]) }
    }

    @Test func anAnswerPastTheGraceDoesNotCount() async throws {
        let store = FlakyKeys()
        let keys = RememberedKeys(store, grace: -1)
        try await store.insertKey(role: .ops, hash: [1])
        #expect(try await keys.role(forKeyHash: [1]) == .ops)
        store.state.withLock { $0.down = true }
        await #expect(throws: StoreError.self) { _ = try await keys.role(forKeyHash: [1]) }
    }
}
