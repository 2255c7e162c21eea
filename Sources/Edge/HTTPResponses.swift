import ClickModel

/// The edge's answers, assembled from constant bytes: a status line and fixed
/// headers, the Location or a short body, and the cached Date.
enum HTTPResponses {
    /// Room to keep free in the output buffer for one answer besides its Location.
    static let fixedPartMaxBytes = 512

    /// How the answer ends the connection, as a header line.
    enum ConnectionHeader {
        /// HTTP/1.1 keep-alive: no header.
        case none
        /// HTTP/1.0 keep-alive.
        case keepAlive
        case close

        @inline(__always)
        func write(to writer: inout ByteWriter) {
            switch self {
            case .none: break
            case .keepAlive: writer.append("Connection: keep-alive\r\n")
            case .close: writer.append("Connection: close\r\n")
            }
        }
    }

    /// Writes a 302 up to and including `Location: ` ; the caller appends the
    /// location, then calls `finishRedirect`.
    @inline(__always)
    static func startRedirect(to writer: inout ByteWriter) {
        writer.append("HTTP/1.1 302 Found\r\nLocation: ")
    }

    @inline(__always)
    static func finishRedirect(date: UnsafeRawBufferPointer, connection: ConnectionHeader, to writer: inout ByteWriter) {
        writer.append("\r\nCache-Control: no-store\r\nContent-Length: 0\r\nDate: ")
        writer.append(date)
        writer.append("\r\n")
        connection.write(to: &writer)
        writer.append("\r\n")
    }

    /// A short plain-text answer with a status other than 302.
    static func write(
        status: Int, date: UnsafeRawBufferPointer, connection: ConnectionHeader, includeBody: Bool, to writer: inout ByteWriter
    ) {
        let (line, body): (StaticString, StaticString)
        switch status {
        case 200: (line, body) = ("HTTP/1.1 200 OK\r\n", "ok\n")
        case 404: (line, body) = ("HTTP/1.1 404 Not Found\r\n", "not found\n")
        case 405: (line, body) = ("HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n", "method not allowed\n")
        case 414: (line, body) = ("HTTP/1.1 414 URI Too Long\r\n", "request line too long\n")
        case 431: (line, body) = ("HTTP/1.1 431 Request Header Fields Too Large\r\n", "request header fields too large\n")
        case 505: (line, body) = ("HTTP/1.1 505 HTTP Version Not Supported\r\n", "HTTP version not supported\n")
        default: (line, body) = ("HTTP/1.1 400 Bad Request\r\n", "bad request\n")
        }
        writer.append(line)
        writer.append("Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: ")
        writer.appendDecimal(body.utf8CodeUnitCount)
        writer.append("\r\nDate: ")
        writer.append(date)
        writer.append("\r\n")
        connection.write(to: &writer)
        writer.append("\r\n")
        if includeBody { writer.append(body) }
    }
}

/// The IMF-fixdate of RFC 9110 (`Sun, 06 Nov 1994 08:49:37 GMT`), formatted
/// without Foundation; each worker refreshes its copy once a second.
public enum HTTPDate {
    public static let length = 29

    /// Writes the date for `seconds` since the Unix epoch into 29 bytes.
    public static func write(secondsSince1970 seconds: Int64, to out: UnsafeMutableRawPointer) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civil(daysSince1970: days)
        let weekday = Int((days % 7 + 11) % 7)  // 1970-01-01 was a Thursday
        let weekdays: StaticString = "SunMonTueWedThuFriSat"
        let months: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
        var writer = ByteWriter(base: out, capacity: length)
        writer.append(UnsafeRawBufferPointer(start: weekdays.utf8Start + weekday * 3, count: 3))
        writer.append(", ")
        twoDigits(day, &writer)
        writer.append(" ")
        writer.append(UnsafeRawBufferPointer(start: months.utf8Start + (month - 1) * 3, count: 3))
        writer.append(" ")
        let y = Int(max(0, min(9999, year)))
        twoDigits(y / 100, &writer)
        twoDigits(y % 100, &writer)
        writer.append(" ")
        twoDigits(secondOfDay / 3600, &writer)
        writer.append(":")
        twoDigits(secondOfDay / 60 % 60, &writer)
        writer.append(":")
        twoDigits(secondOfDay % 60, &writer)
        writer.append(" GMT")
    }

    private static func twoDigits(_ value: Int, _ writer: inout ByteWriter) {
        writer.append(UInt8(ascii: "0") + UInt8(value / 10))
        writer.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// Year, month (1-12) and day (1-31) of a day count (H. Hinnant's civil_from_days).
    static func civil(daysSince1970: Int64) -> (Int64, Int, Int) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
