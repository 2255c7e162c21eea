import ClickModel
import Domain
import Foundation
import Store
import Testing
@testable import StorePostgres

/// What the stores whose logic is shared (keys, the workspace, the outbox)
/// must do on either database: each test takes a fresh store and is run by
/// one suite per database.
enum SharedStoreContract {
    /// A key is found by its hash with its role; another hash finds nothing; a hash is one key.
    static func keysAreFoundByHashWithTheirRole(_ store: SQLStore) async throws {
        try await store.insertKey(role: .ops, hash: Array(repeating: 7, count: 32))
        try await store.insertKey(role: .admin, hash: Array(repeating: 9, count: 32))
        #expect(try await store.role(forKeyHash: Array(repeating: 7, count: 32)) == .ops)
        #expect(try await store.role(forKeyHash: Array(repeating: 9, count: 32)) == .admin)
        #expect(try await store.role(forKeyHash: Array(repeating: 8, count: 32)) == nil)
        await #expect { try await store.insertKey(role: .admin, hash: Array(repeating: 7, count: 32)) } throws: {
            ($0 as? StoreError)?.code == .conflict
        }
    }

    /// A new store's currency is USD and its salt stays what it is.
    static func theWorkspaceHasItsCurrencyAndSalt(_ store: SQLStore) async throws {
        #expect(try await store.currency() == .usd)
        #expect(try await store.clientHashSalt() == store.clientHashSalt())
    }

    /// Messages are queued with ids in order, listed by status and partner a
    /// page at a time, handed out when due, and marked sent or failed.
    static func outboxMessagesGoFromQueuedToSentOrFailed(_ store: SQLStore, partners: (UInt32, UInt32)) async throws {
        let (jane, zoe) = partners
        let queued = try await store.enqueue([
            OutboxMessage(offerID: nil, partnerID: jane, to: "jane@example.com", subject: "Hello", body: "Hi Jane"),
            OutboxMessage(offerID: nil, stageID: 4, partnerID: zoe, to: "zoe@example.com", subject: "Zoë", body: "Hi Zoë\n"),
            OutboxMessage(offerID: nil, partnerID: jane, to: "jane@example.com", subject: "Again", body: "Hi again"),
        ])
        #expect(queued.map(\.status) == [.queued, .queued, .queued])
        #expect(queued[0].id > 0 && queued[0].id < queued[1].id && queued[1].id < queued[2].id)
        let now = queued[0].createdAt
        #expect(queued.allSatisfy { $0.nextAttemptAt == now && $0.attempts == 0 })

        #expect(try await store.outbox(OutboxQuery(partnerID: jane)).map(\.id) == [queued[0].id, queued[2].id])
        let page = try await store.outbox(OutboxQuery(limit: 2))
        #expect(page.map(\.id) == [queued[0].id, queued[1].id])
        #expect(try await store.outbox(OutboxQuery(afterID: page[1].id)).map(\.id) == [queued[2].id])
        let zoes = try #require(try await store.outbox(OutboxQuery(partnerID: zoe)).first)
        #expect(zoes.subject == "Zoë" && zoes.body == "Hi Zoë\n" && zoes.stageID == 4 && zoes.offerID == nil)
        #expect(try await store.messagesDue(now: now - 1, limit: 10).isEmpty)
        #expect(try await store.messagesDue(now: now, limit: 2).map(\.id) == [queued[0].id, queued[1].id])

        try await store.markSent(messageID: queued[0].id, at: now + 5)
        try await store.markFailed(messageID: queued[1].id, error: "421 try later", retryAt: now + 30_000)
        try await store.markFailed(messageID: queued[2].id, error: "550 no such mailbox", retryAt: nil)
        let sent = try #require(try await store.outbox(OutboxQuery(status: .sent)).first)
        #expect(sent.id == queued[0].id && sent.sentAt == now + 5 && sent.attempts == 1 && sent.lastError == nil)
        let retried = try #require(try await store.outbox(OutboxQuery(status: .queued)).first)
        #expect(retried.id == queued[1].id && retried.attempts == 1 && retried.nextAttemptAt == now + 30_000)
        #expect(retried.lastError == "421 try later")
        let failed = try #require(try await store.outbox(OutboxQuery(status: .failed)).first)
        #expect(failed.id == queued[2].id && failed.lastError == "550 no such mailbox" && failed.sentAt == nil)
        #expect(try await store.messagesDue(now: now + 29_999, limit: 10).isEmpty)
        #expect(try await store.messagesDue(now: now + 30_000, limit: 10).map(\.id) == [queued[1].id])
    }
}

/// The PostgreSQL connection's translation of the shared SQL (no server needed).
@Suite("PostgreSQL placeholders")
struct PostgresPlaceholderTests {
    @Test func questionMarksOutsideQuotesAreNumbered() {
        let numbered = PostgresSQLConnection.numberPlaceholders(
            #"SELECT a FROM t WHERE b = ? AND c = '?' AND "d?" = ? AND e = 'it''s ?' AND f IN (?, ?)"#)
        #expect(numbered.sql == #"SELECT a FROM t WHERE b = $1 AND c = '?' AND "d?" = $2 AND e = 'it''s ?' AND f IN ($3, $4)"#)
        #expect(numbered.count == 4)
        let explicit = PostgresSQLConnection.numberPlaceholders("SELECT ?1 WHERE a = ?2 OR b = ?1 AND c < ?12")
        #expect(explicit.sql == "SELECT $1 WHERE a = $2 OR b = $1 AND c < $12" && explicit.count == 12)
    }
}
