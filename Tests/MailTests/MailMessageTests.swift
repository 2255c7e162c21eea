import Foundation
@testable import Mail
import Testing

@Suite("Mail messages")
struct MailMessageTests {
    static let date = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func asciiGoesAsItIsWithCRLF() throws {
        let message = MailMessage(from: "brand@shop.example", to: "jane@example.org", subject: "Your code", body: "Hi Jane,\nyour code is JANE20.\n",
                                  messageID: "m1@shop.example", date: Self.date)
        let text = message.rendered
        #expect(text.hasPrefix("From: brand@shop.example\r\nTo: jane@example.org\r\nSubject: Your code\r\nDate: "))
        #expect(text.contains("Date: Mon, 21 Sep 2026 14:13:20 +0000\r\n"))
        #expect(text.contains("Message-ID: <m1@shop.example>\r\n"))
        #expect(text.contains("Content-Transfer-Encoding: 7bit\r\n\r\nHi Jane,\r\nyour code is JANE20.\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "a bare LF")
    }

    @Test func anythingElseIsBase64AndHeadersAreEncodedWords() throws {
        let message = MailMessage(from: "brand@shop.example", to: "zoe@example.org", subject: "Zoë, votre code\r\nBcc: evil@example.org",
                                  body: "Bonjour Zoë,\nvotre code est ZOE20.", messageID: "m2@shop.example", date: Self.date)
        let text = message.rendered
        #expect(text.contains("Content-Transfer-Encoding: base64\r\n"))
        #expect(!text.contains("\r\nBcc:"), "a CR LF in the subject must not start a header")
        let subject = try #require(text.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") })
        #expect(subject.hasPrefix("Subject: =?UTF-8?B?"))
        let encoded = try #require(text.components(separatedBy: "\r\n\r\n").last)
        let body = try #require(Data(base64Encoded: encoded.replacingOccurrences(of: "\r\n", with: "")))
        #expect(String(decoding: body, as: UTF8.self) == "Bonjour Zoë,\r\nvotre code est ZOE20.")
    }

    @Test func dotsAtTheStartOfLinesAreDoubled() {
        #expect(SMTPClient.dotStuffed(".a\r\nb\r\n.\r\n..c") == "..a\r\nb\r\n..\r\n...c\r\n")
    }

    @Test(arguments: [
        ("jane@example.org", true), ("a@b", true), ("jane@example.org>\r\nRCPT TO:<evil@example.org", false),
        ("jane @example.org", false), ("@example.org", false), ("jane@", false), ("jane", false), ("a@b@c", false), ("<a@b>", false),
    ])
    func onlyPlainAddressesAreDeliverable(address: String, deliverable: Bool) {
        #expect(MailMessage.isDeliverable(address) == deliverable)
    }

    @Test func serverURLs() {
        #expect(SMTPServer(url: "smtp://127.0.0.1:2525") == SMTPServer(host: "127.0.0.1", port: 2525))
        #expect(SMTPServer(url: "smtp://mail.example.org") == SMTPServer(host: "mail.example.org", port: 25))
        #expect(SMTPServer(url: "smtp://[::1]:25/") == SMTPServer(host: "::1", port: 25))
        #expect(SMTPServer(url: "smtp://user:secret@mail.example.org")
                == SMTPServer(host: "mail.example.org", port: 587, security: .startTLS, credentials: .init(username: "user", password: "secret")),
                "credentials never go in the clear: STARTTLS first")
        #expect(SMTPServer(url: "smtps://mail.example.org") == SMTPServer(host: "mail.example.org", port: 465, security: .implicitTLS))
        #expect(SMTPServer(url: "smtp://:secret@mail.example.org") == nil)
        #expect(SMTPServer(url: "https://mail.example.org") == nil)
        #expect(SMTPServer(url: "smtp://mail.example.org:0") == nil)
    }
}
