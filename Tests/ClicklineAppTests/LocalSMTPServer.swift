#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A small SMTP server on an ephemeral loopback port, for tests: it speaks
/// enough of RFC 5321 for a client to deliver (EHLO/HELO, MAIL, RCPT, DATA,
/// RSET, NOOP, QUIT), keeps every message it accepted, and refuses any
/// recipient whose address starts with `refuse` with a 550.
final class LocalSMTPServer: Sendable {
    struct Received: Sendable {
        var from: String
        var to: [String]
        /// The message as sent, dots un-stuffed, CRLF line ends.
        var data: String

        /// The headers, by lower-cased name.
        var headers: [String: String] {
            let head = data.components(separatedBy: "\r\n\r\n").first ?? ""
            var headers: [String: String] = [:]
            for line in head.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return headers
        }

        /// The body, decoded when it came in base64.
        var body: String {
            let text = data.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            if headers["content-transfer-encoding"] == "base64" {
                return String(decoding: Data(base64Encoded: text.replacingOccurrences(of: "\r\n", with: "")) ?? Data(), as: UTF8.self)
            }
            return text
        }
    }

    let port: Int
    private let listener: Int32
    private let messages = Mutex<[Received]>([])
    private let stopped = Atomic<Bool>(false)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw RawConnection.Failure(description: "the test SMTP server cannot listen")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let listener = fd
        Thread.detachNewThread { [self] in
            while !stopped.load(ordering: .relaxed) {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { break }
                Thread.detachNewThread { [self] in converse(client) }
            }
        }
    }

    var received: [Received] { messages.withLock { $0 } }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { if !stopped.load(ordering: .relaxed) { stop() } }

    private func converse(_ fd: Int32) {
        defer { close(fd) }
        var pending: [UInt8] = []
        func send(_ line: String) { _ = Array((line + "\r\n").utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
        func readLine() -> String? {
            while true {
                if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(pending[..<end])
                    pending.removeSubrange(...end)
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    return String(decoding: line, as: UTF8.self)
                }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = read(fd, &chunk, chunk.count)
                guard count > 0 else { return nil }
                pending += chunk[..<count]
            }
        }
        send("220 test.local ESMTP")
        var from = "", to: [String] = []
        while let line = readLine() {
            let verb = line.prefix(4).uppercased()
            let argument = line.split(separator: ":", maxSplits: 1).dropFirst().first.map { $0.trimmingCharacters(in: ["<", ">", " "]) } ?? ""
            switch verb {
            case "EHLO": send("250-test.local\r\n250 8BITMIME")
            case "HELO", "NOOP": send("250 ok")
            case "MAIL": from = argument; to = []; send("250 ok")
            case "RCPT":
                if argument.hasPrefix("refuse") { send("550 no such mailbox") } else { to.append(argument); send("250 ok") }
            case "DATA":
                send("354 go ahead")
                var lines: [String] = []
                while let data = readLine(), data != "." { lines.append(data.hasPrefix("..") ? String(data.dropFirst()) : data) }
                let message = Received(from: from, to: to, data: lines.joined(separator: "\r\n"))
                messages.withLock { $0.append(message) }
                send("250 queued")
            case "RSET": from = ""; to = []; send("250 ok")
            case "QUIT": send("221 bye"); return
            default: send("500 unknown command")
            }
        }
    }
}
