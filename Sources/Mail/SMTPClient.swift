import Foundation
import NIOCore
import NIOExtras
import NIOPosix

/// Where mail goes: `smtp://host:port` (port 25 when absent). Plain SMTP to
/// a relay the operator runs or trusts; no TLS and no authentication.
public struct SMTPServer: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `smtp://host[:port]`; nil for anything else.
    public init?(url: String) {
        guard url.hasPrefix("smtp://") else { return nil }
        var rest = Substring(url.dropFirst("smtp://".count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("@"), !rest.contains("/") else { return nil }
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let port = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(port) else { return nil }
            self.init(host: String(rest[..<colon]).trimmingCharacters(in: ["[", "]"]), port: port)
        } else {
            self.init(host: String(rest).trimmingCharacters(in: ["[", "]"]), port: 25)
        }
        guard !host.isEmpty else { return nil }
    }
}

/// A failed SMTP exchange: the server's reply, or what went wrong before one came.
public struct SMTPError: Error, CustomStringConvertible, Sendable {
    /// The reply code, 0 when there was none (connection refused, closed, timed out).
    public var code: Int
    public var message: String

    /// A 5xx reply: trying again will not help.
    public var isPermanent: Bool { code >= 500 }
    public var description: String { code == 0 ? message : "\(code) \(message)" }
}

/// A client for SMTP (RFC 5321) over a NIO channel: greeting, EHLO (HELO if
/// refused), then any number of messages, each MAIL FROM, RCPT TO, DATA, and
/// QUIT at the end. A refused message is followed by RSET, and the session
/// goes on with the next.
public enum SMTPClient {
    /// Opens a session, runs `body` with a way to send messages, and quits.
    /// Every reply must come within `timeout`.
    public static func withSession<Result: Sendable>(
        server: SMTPServer, heloName: String, timeout: Duration = .seconds(30),
        _ body: (_ send: (_ from: String, _ to: String, _ message: String) async throws -> Void) async throws -> Result
    ) async throws -> Result {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(Int64(timeout.components.seconds)))
                .connect(host: server.host, port: server.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            IdleStateHandler(readTimeout: TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)),
                            CloseWhenIdle(),
                            ByteToMessageHandler(LineBasedFrameDecoder()),
                        ])
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPError(code: 0, message: "cannot connect to \(server.host):\(server.port): \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            var conversation = Conversation(outbound: outbound)
            _ = try await conversation.expect(220, from: &lines)
            if try await conversation.command("EHLO \(heloName)", from: &lines).code != 250 {
                try await conversation.command("HELO \(heloName)", expect: 250, from: &lines)
            }
            let result = try await body { from, to, message in
                guard MailMessage.isDeliverable(from), MailMessage.isDeliverable(to) else {
                    throw SMTPError(code: 553, message: "not a deliverable address: \(MailMessage.isDeliverable(from) ? to : from)")
                }
                do {
                    try await conversation.command("MAIL FROM:<\(from)>", expect: 250, from: &lines)
                    try await conversation.command("RCPT TO:<\(to)>", expect: 250, 251, from: &lines)
                    try await conversation.command("DATA", expect: 354, from: &lines)
                    try await conversation.command(Self.dotStuffed(message) + ".", expect: 250, from: &lines)
                } catch let error as SMTPError where error.code != 0 {
                    // The server refused this message; the session can carry the next one.
                    try await conversation.command("RSET", expect: 250, from: &lines)
                    throw error
                }
            }
            _ = try? await conversation.command("QUIT", from: &lines)
            return result
        }
    }

    /// The message with every line that starts with a dot given a second one
    /// (RFC 5321 4.5.2), ending in CRLF.
    static func dotStuffed(_ message: String) -> String {
        var text = message.hasSuffix("\r\n") ? message : message + "\r\n"
        if text.hasPrefix(".") { text = "." + text }
        return text.replacingOccurrences(of: "\r\n.", with: "\r\n..")
    }

    /// Commands out, replies in.
    struct Conversation {
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

        /// Sends a command (CRLF added) and reads its reply.
        @discardableResult
        mutating func command(_ line: String, expect codes: Int..., from lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator)
            async throws -> (code: Int, text: String) {
            try await outbound.write(ByteBuffer(string: line + "\r\n"))
            let reply = try await self.reply(from: &lines)
            if !codes.isEmpty && !codes.contains(reply.code) {
                throw SMTPError(code: reply.code, message: "\(line.split(separator: " ").first ?? "") refused: \(reply.text)")
            }
            return reply
        }

        mutating func expect(_ code: Int, from lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> String {
            let reply = try await self.reply(from: &lines)
            guard reply.code == code else { throw SMTPError(code: reply.code, message: reply.text) }
            return reply.text
        }

        /// One reply, possibly of several lines (`250-...` then `250 ...`).
        mutating func reply(from lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> (code: Int, text: String) {
            var text: [String] = []
            for _ in 0..<100 {
                guard let buffer = try await lines.next() else {
                    throw SMTPError(code: 0, message: "the server closed the connection or did not answer in time")
                }
                let line = String(buffer: buffer)
                guard line.utf8.count >= 3, let code = Int(line.prefix(3)) else {
                    throw SMTPError(code: 0, message: "not an SMTP reply: \(line.prefix(80))")
                }
                text.append(String(line.dropFirst(4)))
                if line.utf8.count == 3 || line.dropFirst(3).first == " " { return (code, text.joined(separator: " ")) }
            }
            throw SMTPError(code: 0, message: "a reply of more than 100 lines")
        }
    }
}

/// Closes the connection when the server has sent nothing for the read
/// timeout of the `IdleStateHandler` before it: the reply being awaited ends
/// as a closed connection instead of waiting for ever.
final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case IdleStateHandler.IdleStateEvent.read = event {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
