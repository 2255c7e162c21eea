import Foundation

/// A plain-text email as RFC 5322 puts it on the wire: headers, then the
/// body in 7-bit ASCII, or in base64 when it holds anything else or lines
/// longer than SMTP allows. Lines end in CRLF; SMTP's dot-stuffing is the
/// client's job, not this type's.
public struct MailMessage: Sendable, Equatable {
    public var from: String
    public var to: String
    public var subject: String
    public var body: String
    /// Unique per message, so that a resend after a lost reply can be recognised.
    public var messageID: String
    public var date: Date

    public init(from: String, to: String, subject: String, body: String, messageID: String, date: Date) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.messageID = messageID
        self.date = date
    }

    /// Whether an address can go into an SMTP command and a header as it is:
    /// one `local@domain` of visible ASCII, nothing that could end a line or a path.
    public static func isDeliverable(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && address.utf8.count <= 254
            && address.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
    }

    /// The message's bytes, CRLF line ends, without the final `.` line.
    public var rendered: String {
        let lines = body.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        let plain = body.utf8.allSatisfy { $0 < 0x80 && ($0 >= 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
            && lines.allSatisfy { $0.utf8.count <= 998 }
        var headers = [
            "From: \(from)",
            "To: \(to)",
            "Subject: \(Self.encodedHeader(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ]
        let text: String
        if plain {
            headers.append("Content-Transfer-Encoding: 7bit")
            text = lines.joined(separator: "\r\n")
        } else {
            headers.append("Content-Transfer-Encoding: base64")
            text = Data(lines.joined(separator: "\r\n").utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + text + "\r\n"
    }

    /// A header value as it is when it is short visible ASCII, else as RFC 2047
    /// encoded words (base64 UTF-8), which also keeps any CR or LF out of the header.
    static func encodedHeader(_ value: String) -> String {
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) && value.utf8.count <= 900 { return value }
        // Encoded words of at most 45 bytes of text each (60 base64 characters), split between characters.
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in value {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
