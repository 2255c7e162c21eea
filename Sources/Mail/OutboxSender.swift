import Domain
import Foundation
import Logging

/// Delivers the outbox: takes the messages that are due, sends them over one
/// SMTP session, and records each one's outcome. A refused message (5xx) is
/// failed at once; anything else is tried again later, with growing pauses,
/// up to `maxAttempts`.
public struct OutboxSender: Sendable {
    public let store: any OutboxStore
    public let server: SMTPServer
    public let from: String
    public let logger: Logger
    public var pollInterval: Duration = .milliseconds(500)
    public var batchSize = 50
    public var maxAttempts = 8

    public init(store: any OutboxStore, server: SMTPServer, from: String, logger: Logger) {
        self.store = store
        self.server = server
        self.from = from
        self.logger = logger
    }

    /// Delivers until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            let delivered = await deliverDue()
            if delivered == 0 { try? await Task.sleep(for: pollInterval) }
        }
    }

    /// One round: every message due now, in batches of `batchSize`. Returns how many were sent.
    @discardableResult
    public func deliverDue(now: Date = Date()) async -> Int {
        let milliseconds = Int64(now.timeIntervalSince1970 * 1000)
        let due: [OutboxMessage]
        do {
            due = try await store.messagesDue(now: milliseconds, limit: batchSize)
        } catch {
            logger.error("cannot read the outbox", metadata: ["error": "\(error)"])
            return 0
        }
        guard !due.isEmpty else { return 0 }
        var sent = 0
        var pending = due[...]
        do {
            try await SMTPClient.withSession(server: server, heloName: Self.domain(of: from)) { send in
                while let message = pending.first {
                    let mail = MailMessage(from: from, to: message.to, subject: message.subject, body: message.body,
                                           messageID: "outbox-\(message.id).\(message.createdAt)@\(Self.domain(of: from))", date: now)
                    do {
                        try await send(from, message.to, mail.rendered)
                        try await store.markSent(messageID: message.id, at: milliseconds)
                        sent += 1
                    } catch let error as SMTPError where error.code != 0 {
                        await record(message, error, at: milliseconds)
                    }
                    pending = pending.dropFirst()
                }
            }
        } catch {
            // The session broke (connection refused, closed, no reply): what was not sent waits for the next try.
            logger.warning("cannot reach the mail server", metadata: ["server": "\(server.host):\(server.port)", "error": "\(error)"])
            for message in pending { await record(message, error, at: milliseconds) }
        }
        return sent
    }

    private func record(_ message: OutboxMessage, _ error: any Error, at now: Int64) async {
        let permanent = (error as? SMTPError)?.isPermanent ?? false
        let attempts = message.attempts + 1
        // 30 s, 1 min, 2 min... at most an hour apart.
        let retryAt = permanent || attempts >= maxAttempts ? nil : now + min(30_000 << (attempts - 1), 3_600_000)
        do {
            try await store.markFailed(messageID: message.id, error: "\(error)", retryAt: retryAt)
        } catch {
            logger.error("cannot record a delivery attempt", metadata: ["message": "\(message.id)", "error": "\(error)"])
        }
        if retryAt == nil {
            logger.warning("gave up on a message", metadata: ["message": "\(message.id)", "to": "\(message.to)", "error": "\(error)"])
        }
    }

    static func domain(of address: String) -> String {
        address.split(separator: "@").last.map(String.init) ?? "localhost"
    }
}
