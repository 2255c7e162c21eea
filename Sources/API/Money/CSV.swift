import Foundation
import Hummingbird

/// A CSV document by RFC 4180: CRLF line ends, a header row, and fields
/// quoted when they hold a comma, a quote or a line break (quotes doubled).
/// A field starting with `=`, `+`, `-` or `@` is prefixed with a quote mark
/// so that spreadsheets do not run it as a formula.
package struct CSV {
    private(set) var text: String

    package init(header: [String]) {
        text = ""
        append(header)
    }

    package mutating func append(_ fields: [String]) {
        text += fields.map(Self.escape).joined(separator: ",") + "\r\n"
    }

    static func escape(_ field: String) -> String {
        var field = field
        if let first = field.first, "=+@".contains(first) || (first == "-" && Double(field) == nil) { field = "'" + field }
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    package func response(fileName: String) -> Response {
        Response(status: .ok, headers: [
            .contentType: "text/csv; charset=utf-8; header=present",
            .contentDisposition: "attachment; filename=\"\(fileName)\"",
            .cacheControl: "no-store",
        ], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
