#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A deliberately plain HTTP/1.1 client over a socket, so tests can send
/// exactly the bytes they mean (malformed ones included) and see exactly what
/// comes back, including whether the server closed the connection.
final class RawConnection {
    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var isClosedByPeer = false

    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let timeout: Double
    private var timedOut = false

    init(port: Int, timeout: Double = 10) throws {
        self.timeout = timeout
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "cannot connect to 127.0.0.1:\(port)")
        }
    }

    private var isClosed = false

    deinit { closeNow() }

    /// Closes the connection from this side.
    func closeNow() {
        guard !isClosed else { return }
        isClosed = true
        close(fd)
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed") }
            offset += sent
        }
    }

    /// Reads one response. `head` says whether it answers a HEAD (no body).
    func receive(head: Bool = false) throws -> Response {
        while true {
            if let response = try parse(head: head) { return response }
            guard try fill() else {
                throw Failure(description: timedOut ? "no whole response within \(timeout) s" : "connection closed before a whole response")
            }
        }
    }

    /// The bytes that arrive next (a streamed body's next part); empty at EOF or timeout.
    func receiveAvailable() throws -> [UInt8] {
        if buffer.isEmpty { _ = try fill() }
        defer { buffer.removeAll() }
        return buffer
    }

    /// Whether the server closes the connection (reads until EOF or timeout).
    func serverCloses() throws -> Bool {
        while try fill() {}
        return isClosedByPeer
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if received > 0 {
            buffer += chunk[0..<received]
            return true
        }
        if received == 0 || errno == ECONNRESET {
            isClosedByPeer = true
            return false
        }
        timedOut = true
        return false
    }

    private func parse(head: Bool) throws -> Response? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard buffer.count >= 4, let end = (0...(buffer.count - 4)).first(where: { Array(buffer[$0..<($0 + 4)]) == terminator }) else {
            return nil
        }
        let lines = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        let headers = lines.dropFirst().map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = head ? 0 : Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
        guard buffer.count >= end + 4 + length else { return nil }
        let body = Array(buffer[(end + 4)..<(end + 4 + length)])
        buffer.removeFirst(end + 4 + length)
        return Response(status: status, headers: headers, body: body)
    }
}

enum HTTP {
    /// One request on a new connection that closes after it.
    static func get(port: Int, _ path: String, headers: [String: String] = [:], method: String = "GET") throws -> RawConnection.Response {
        let connection = try RawConnection(port: port)
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try connection.send(request + "\r\n")
        return try connection.receive(head: method == "HEAD")
    }

    /// A request with a JSON body (or none) on a new connection; the answer's
    /// body parsed as JSON when it is some.
    static func json(port: Int, _ method: String, _ path: String, token: String?, body: Any? = nil) throws -> (status: Int, json: [String: Any]) {
        let connection = try RawConnection(port: port)
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(payload.count)\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        if body != nil { request += "Content-Type: application/json\r\n" }
        try connection.send(Array((request + "\r\n").utf8) + Array(payload))
        let response = try connection.receive()
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, object)
    }

    /// Sends raw bytes; returns the response and whether the server then closed.
    static func exchange(port: Int, _ bytes: [UInt8]) throws -> (RawConnection.Response, closed: Bool) {
        let connection = try RawConnection(port: port, timeout: 3)
        try connection.send(bytes)
        let response = try connection.receive()
        return (response, try connection.serverCloses())
    }

    static func exchange(port: Int, _ text: String) throws -> (RawConnection.Response, closed: Bool) {
        try exchange(port: port, Array(text.utf8))
    }
}
