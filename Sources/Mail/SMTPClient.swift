import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL

/// Where mail goes, and how it gets there:
///
/// - `smtp://host[:port]`: plain SMTP to a relay the operator runs or trusts
///   (port 25 when absent), no authentication;
/// - `smtp://user:password@host[:port]`: STARTTLS is required before the
///   credentials go (port 587 when absent): a server that offers no STARTTLS
///   fails the delivery, and nothing is sent in the clear;
/// - `smtps://user:password@host[:port]`: TLS from the first byte (port 465).
///
/// Certificates are verified against the system's trust store, plus
/// `extraTrustRoots` (a PEM file) when given. The user name and password are
/// percent-decoded; they never appear in a description, a log or an error.
public struct SMTPServer: Sendable, Equatable, CustomStringConvertible {
    public enum Security: String, Sendable {
        case none
        case startTLS
        case implicitTLS
    }

    public struct Credentials: Sendable, Equatable, CustomStringConvertible {
        public var username: String
        public var password: String

        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }

        public var description: String { "credentials of \(username.count) and \(password.count) characters" }
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var credentials: Credentials?
    public var extraTrustRoots: String?

    public init(host: String, port: Int, security: Security = .none, credentials: Credentials? = nil, extraTrustRoots: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.credentials = credentials
        self.extraTrustRoots = extraTrustRoots
    }

    /// Parses `smtp://` and `smtps://` URLs as above; nil for anything else.
    public init?(url: String) {
        let implicit = url.hasPrefix("smtps://")
        guard implicit || url.hasPrefix("smtp://") else { return nil }
        var rest = Substring(url.dropFirst(implicit ? "smtps://".count : "smtp://".count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        var credentials: Credentials?
        if let at = rest.lastIndex(of: "@") {
            let user = rest[..<at]
            guard let colon = user.firstIndex(of: ":"),
                  let username = String(user[..<colon]).removingPercentEncoding,
                  let password = String(user[user.index(after: colon)...]).removingPercentEncoding,
                  !username.isEmpty else { return nil }
            credentials = Credentials(username: username, password: password)
            rest = rest[rest.index(after: at)...]
        }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@") else { return nil }
        let security: Security = implicit ? .implicitTLS : (credentials == nil ? .none : .startTLS)
        let defaultPort = implicit ? 465 : (credentials == nil ? 25 : 587)
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let port = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(port) else { return nil }
            self.init(host: String(rest[..<colon]).trimmingCharacters(in: ["[", "]"]), port: port, security: security, credentials: credentials)
        } else {
            self.init(host: String(rest).trimmingCharacters(in: ["[", "]"]), port: defaultPort, security: security, credentials: credentials)
        }
        guard !host.isEmpty else { return nil }
    }

    /// `host:port` and how: never the credentials.
    public var description: String {
        "\(host):\(port) (\(security == .none ? "plain" : security == .startTLS ? "STARTTLS" : "TLS")\(credentials == nil ? "" : ", AUTH"))"
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
        let tls: NIOSSLContext?
        do {
            tls = server.security == .none ? nil : try Self.tlsContext(server)
        } catch {
            throw SMTPError(code: 0, message: "cannot set up TLS for \(server): \(error)")
        }
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(Int64(timeout.components.seconds)))
                .connect(host: server.host, port: server.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if server.security == .implicitTLS, let tls {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: server.tlsName))
                        }
                        try channel.pipeline.syncOperations.addHandlers([
                            IdleStateHandler(readTimeout: TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)),
                            CloseWhenIdle(),
                            ByteToMessageHandler(LineBasedFrameDecoder()),
                        ])
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPError(code: 0, message: "cannot connect to \(server): \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            var conversation = Conversation(outbound: outbound)
            _ = try await conversation.expect(220, from: &lines)
            var hello = try await conversation.command("EHLO \(heloName)", from: &lines)
            if hello.code != 250 {
                guard server.security == .none else {
                    throw SMTPError(code: 0, message: "\(server.host) does not speak ESMTP, so it offers no STARTTLS or AUTH; nothing was sent")
                }
                try await conversation.command("HELO \(heloName)", expect: 250, from: &lines)
            }
            if server.security == .startTLS, let tls {
                guard hello.lines.contains(where: { $0.uppercased() == "STARTTLS" }) else {
                    throw SMTPError(code: 0, message: "\(server.host) offers no STARTTLS; TLS is required, so nothing was sent in the clear")
                }
                try await conversation.command("STARTTLS", expect: 220, from: &lines)
                // Made and added on the channel's own event loop: a TLS handler is not Sendable.
                let connection = channel.channel, name = server.tlsName
                try await connection.eventLoop.submit {
                    try connection.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: name), position: .first)
                }.get()
                // RFC 3207: what was learnt before TLS is forgotten; ask again.
                hello = try await conversation.command("EHLO \(heloName)", expect: 250, from: &lines)
            }
            if let credentials = server.credentials {
                try await conversation.authenticate(credentials, offered: hello.lines, server: server.host, from: &lines)
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

    struct Reply {
        var code: Int
        var text: String
        var lines: [String]
    }

    /// The client's TLS: the system's trust store, and the operator's extra roots.
    static func tlsContext(_ server: SMTPServer) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let path = server.extraTrustRoots { configuration.additionalTrustRoots = [.file(path)] }
        return try NIOSSLContext(configuration: configuration)
    }

    /// Commands out, replies in.
    struct Conversation {
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

        /// Sends a command (CRLF added) and reads its reply.
        @discardableResult
        mutating func command(_ line: String, expect codes: Int..., from lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator)
            async throws -> Reply {
            try await outbound.write(ByteBuffer(string: line + "\r\n"))
            let reply = try await self.reply(from: &lines)
            if !codes.isEmpty && !codes.contains(reply.code) {
                throw SMTPError(code: reply.code, message: "\(line.split(separator: " ").first ?? "") refused: \(reply.text)")
            }
            return reply
        }

        /// AUTH PLAIN, or LOGIN when that is all the server offers. A refusal
        /// names the mechanism, never what was sent.
        mutating func authenticate(_ credentials: SMTPServer.Credentials, offered: [String], server: String,
                                   from lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws {
            let mechanisms = offered.compactMap { line -> [String]? in
                let words = line.uppercased().split(separator: " ").map(String.init)
                return words.first == "AUTH" ? Array(words.dropFirst()) : nil
            }.flatMap { $0 }
            func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
            if mechanisms.contains("PLAIN") {
                let reply = try await command("AUTH PLAIN " + base64("\u{0}\(credentials.username)\u{0}\(credentials.password)"), from: &lines)
                guard reply.code == 235 else { throw Self.refused("AUTH PLAIN", reply) }
            } else if mechanisms.contains("LOGIN") {
                try await command("AUTH LOGIN", expect: 334, from: &lines)
                let user = try await command(base64(credentials.username), from: &lines)
                guard user.code == 334 else { throw Self.refused("AUTH LOGIN", user) }
                let reply = try await command(base64(credentials.password), from: &lines)
                guard reply.code == 235 else { throw Self.refused("AUTH LOGIN", reply) }
            } else {
                throw SMTPError(code: 0, message: "\(server) offers neither AUTH PLAIN nor AUTH LOGIN (offered: \(mechanisms.joined(separator: " ")))")
            }
        }

        /// A refused sign-in fails the session, not the messages: it is the
        /// operator's to fix (code 0, so they wait and are tried again).
        static func refused(_ mechanism: String, _ reply: Reply) -> SMTPError {
            SMTPError(code: 0, message: "\(mechanism) refused (\(reply.code)): \(reply.text)")
        }

        mutating func expect(_ code: Int, from lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> String {
            let reply = try await self.reply(from: &lines)
            guard reply.code == code else { throw SMTPError(code: reply.code, message: reply.text) }
            return reply.text
        }

        /// One reply, possibly of several lines (`250-...` then `250 ...`): its
        /// code, its lines' text joined, and each line's text.
        mutating func reply(from lines: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> Reply {
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
                if line.utf8.count == 3 || line.dropFirst(3).first == " " { return Reply(code: code, text: text.joined(separator: " "), lines: text) }
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

extension SMTPServer {
    /// The name the certificate must carry; none for an address, whose certificate is checked for that address.
    var tlsName: String? { host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host }
}
