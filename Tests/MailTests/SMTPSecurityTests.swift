import Foundation
@testable import Mail
import Testing

/// The mail client against real SMTP servers with TLS and AUTH: aiosmtpd
/// (PyPI) started by `Servers/smtp_servers.py` on loopback, with a
/// certificate from a throw-away authority (trustme, PyPI).
@Suite("Mail over TLS with authentication", .serialized)
final class SMTPSecurityTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Servers/smtp_servers.py")
    static let user = "mailer@example.com", password = "p@ss:w0rd ü"

    static var serversInstalled: Bool {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import aiosmtpd, trustme"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }

    /// scripts/test installs aiosmtpd and trustme and sets CLICKLINE_REQUIRE_BROWSER=1: there these fail rather than skip.
    static var runnable: Bool { serversInstalled || ProcessInfo.processInfo.environment["CLICKLINE_REQUIRE_BROWSER"] == "1" }

    let directory: URL
    let process = Process()
    let input = Pipe()
    var ports: [String: Int] = [:]

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard Self.serversInstalled else { return }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path, directory.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        ports = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Int], "the servers did not start")
    }

    deinit {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.waitUntilExit() }
        try? FileManager.default.removeItem(at: directory)
    }

    func server(_ name: String, security: SMTPServer.Security, host: String = "localhost", trusted: Bool = true) -> SMTPServer {
        SMTPServer(host: host, port: ports[name] ?? 0, security: security,
                   credentials: .init(username: Self.user, password: Self.password),
                   extraTrustRoots: trusted ? directory.appendingPathComponent("ca.pem").path : nil)
    }

    func entries(_ file: String) -> [[String: Any]] {
        let text = (try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func send(_ server: SMTPServer) async throws {
        let message = MailMessage(from: "partners@shop.example", to: "jane@example.org", subject: "Your code", body: "JANE20",
                                  messageID: "m@shop.example", date: Date()).rendered
        try await SMTPClient.withSession(server: server, heloName: "shop.example") { send in
            try await send("partners@shop.example", "jane@example.org", message)
        }
    }

    @Test(.enabled(if: runnable, "needs aiosmtpd and trustme (scripts/test installs them)"))
    func startTLSThenAuthPlainDelivers() async throws {
        try await send(server("starttls", security: .startTLS))
        let received = entries("received.jsonl")
        #expect(received.count == 1)
        #expect(received.first?["tls"] as? Bool == true && received.first?["user"] as? String == Self.user)
        #expect((received.first?["content"] as? String)?.contains("JANE20") == true)
        #expect(entries("auth.jsonl").map { $0["mechanism"] as? String } == ["PLAIN"])
    }

    @Test(.enabled(if: runnable, "needs aiosmtpd and trustme (scripts/test installs them)"))
    func implicitTLSThenAuthLoginDelivers() async throws {
        try await send(server("implicit", security: .implicitTLS, host: "127.0.0.1"))
        #expect(entries("received.jsonl").first?["server"] as? String == "implicit")
        #expect(entries("auth.jsonl").map { $0["mechanism"] as? String } == ["LOGIN"])
    }

    /// A server that offers no STARTTLS where TLS is required: the delivery
    /// fails saying so, and neither the credentials nor the message went out.
    @Test(.enabled(if: runnable, "needs aiosmtpd and trustme (scripts/test installs them)"))
    func noStartTLSMeansNothingIsSentInTheClear() async throws {
        await #expect { try await self.send(self.server("plain", security: .startTLS)) } throws: { error in
            (error as? SMTPError)?.message.contains("offers no STARTTLS") == true
        }
        #expect(entries("auth.jsonl").isEmpty && entries("received.jsonl").isEmpty)
    }

    /// A certificate from an authority the system does not trust is refused.
    @Test(.enabled(if: runnable, "needs aiosmtpd and trustme (scripts/test installs them)"))
    func anUntrustedCertificateIsRefused() async throws {
        await #expect(throws: (any Error).self) { try await self.send(self.server("implicit", security: .implicitTLS, trusted: false)) }
        await #expect(throws: (any Error).self) { try await self.send(self.server("starttls", security: .startTLS, trusted: false)) }
        #expect(entries("auth.jsonl").isEmpty && entries("received.jsonl").isEmpty)
    }

    /// A wrong password is refused with the server's words, and the error names no secret.
    @Test(.enabled(if: runnable, "needs aiosmtpd and trustme (scripts/test installs them)"))
    func aWrongPasswordIsRefusedWithoutSayingIt() async throws {
        var wrong = server("starttls", security: .startTLS)
        wrong.credentials = .init(username: Self.user, password: "not-it")
        do {
            try await send(wrong)
            Issue.record("delivered with a wrong password")
        } catch {
            let text = "\(error)"
            #expect(text.contains("AUTH PLAIN refused (535)"), "\(text)")
            #expect((error as? SMTPError)?.isPermanent == false, "the messages wait for the operator's fix, they are not failed")
            #expect(!text.contains("not-it") && !text.contains(Data("not-it".utf8).base64EncodedString()))
            #expect(!"\(wrong)".contains("not-it") && !"\(wrong)".contains(Self.user))
        }
    }

    @Test(arguments: [
        ("smtp://relay.example", SMTPServer.Security.none, 25, nil as String?),
        ("smtp://mailer%40example.com:p%40ss@smtp.example.com", .startTLS, 587, "mailer@example.com"),
        ("smtps://user:secret@smtp.example.com", .implicitTLS, 465, "user"),
        ("smtps://user:secret@smtp.example.com:2465", .implicitTLS, 2465, "user"),
    ])
    func urlsSayHowMailGoes(_ url: String, _ security: SMTPServer.Security, _ port: Int, _ user: String?) throws {
        let server = try #require(SMTPServer(url: url))
        #expect(server.security == security && server.port == port && server.credentials?.username == user)
        #expect(!server.description.contains("secret") && !server.description.contains("p@ss"))
    }
}
