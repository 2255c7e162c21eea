/// Where a message stands.
public enum MessageStatus: String, Sendable, CaseIterable {
    /// Waiting to be delivered: new, waiting for a retry, or waiting for a
    /// mail server to be configured.
    case queued
    /// Accepted by the mail server.
    case sent
    /// Given up: the server refused it for good, or kept failing.
    case failed
}

/// An email, rendered and kept until it is delivered: to a member, or to
/// someone signing in (an invite, a sign-in or reset link), which belongs to
/// no partner and carries a secret.
public struct OutboxMessage: Sendable, Equatable {
    public var id: Int64
    public var offerID: UInt32?
    public var stageID: UInt32?
    /// The member it was sent to; nil for a sign-in message to the team.
    public var partnerID: UInt32?
    public var to: String
    public var subject: String
    public var body: String
    public var status: MessageStatus
    public var attempts: Int
    public var lastError: String?
    /// Earliest time of the next attempt, while queued.
    public var nextAttemptAt: Int64
    public var createdAt: Int64
    public var sentAt: Int64?

    public init(id: Int64 = 0, offerID: UInt32?, stageID: UInt32? = nil, partnerID: UInt32?, to: String, subject: String, body: String,
                status: MessageStatus = .queued, attempts: Int = 0, lastError: String? = nil, nextAttemptAt: Int64 = 0,
                createdAt: Int64 = 0, sentAt: Int64? = nil) {
        self.id = id
        self.offerID = offerID
        self.stageID = stageID
        self.partnerID = partnerID
        self.to = to
        self.subject = subject
        self.body = body
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.sentAt = sentAt
    }
}

public struct OutboxQuery: Sendable {
    public var status: MessageStatus?
    public var partnerID: UInt32?
    /// Whether sign-in messages to the team are listed too: they hold
    /// secrets, so the admin API never lists them.
    public var includeSignInMessages: Bool
    public var afterID: Int64
    public var limit: Int

    public init(status: MessageStatus? = nil, partnerID: UInt32? = nil, includeSignInMessages: Bool = false, afterID: Int64 = 0,
                limit: Int = 100) {
        self.status = status
        self.partnerID = partnerID
        self.includeSignInMessages = includeSignInMessages
        self.afterID = afterID
        self.limit = limit
    }
}

/// The outbox: messages are put in together, and a sender takes those due,
/// then records each one's outcome.
public protocol OutboxStore: Sendable {
    /// Stores the messages in one transaction, queued, and returns them with their ids.
    func enqueue(_ messages: [OutboxMessage]) async throws -> [OutboxMessage]
    /// Messages in id order, after `afterID`.
    func outbox(_ query: OutboxQuery) async throws -> [OutboxMessage]
    /// Queued messages whose next attempt is due at `now`, oldest first.
    func messagesDue(now: Int64, limit: Int) async throws -> [OutboxMessage]
    /// Records a delivery.
    func markSent(messageID: Int64, at now: Int64) async throws
    /// Records a failed attempt: queued again for `retryAt`, or failed for good when nil.
    func markFailed(messageID: Int64, error: String, retryAt: Int64?) async throws
}
