import Edge
import Foundation
import Testing

/// llhttp's own request-parser cases (Conformance/llhttp, verbatim): every
/// strict case that llhttp rejects is fed to the edge's scanner and parser as
/// the edge reads a connection, request after request. The requests llhttp
/// completes before its error may be answered; the one holding the error (in
/// its head or its body), and any after it, must not be: the edge must refuse
/// it (400 and the like, or 405 for a method other than GET and HEAD, after
/// which it closes the connection) or keep waiting for bytes.
@Suite("llhttp's strict request cases")
struct LLHTTPConformanceTests {
    /// One case: where it is, its bytes, the offset of llhttp's error (nil
    /// when it accepts) and how many requests it completes before it.
    struct Case: CustomStringConvertible {
        var file: String
        var title: String
        var bytes: [UInt8]
        var errorOffset: Int?
        var completedBeforeError: Int
        var description: String { "\(file): \(title)" }
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Conformance/llhttp")

    /// The strict cases of every file, as llhttp's harness reads them.
    static let cases: [Case] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".md") && $0 != "SOURCE.md" }.sorted().flatMap { file -> [Case] in
            guard let text = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8) else { return [] }
            return parseCases(text, file: file)
        }
    }()

    static func parseCases(_ text: String, file: String) -> [Case] {
        var cases: [Case] = []
        var title = "", meta = "", block: String?, input: [String]?, log: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let kind = block {
                if line == "```" {
                    block = nil
                    if kind == "log", let http = input, meta.contains(#""type": "request""#), let log {
                        if let bytes = replayBytes(http.joined(separator: "\n") + "\n") {
                            let (offset, completed) = error(in: log)
                            cases.append(Case(file: file, title: title, bytes: bytes, errorOffset: offset, completedBeforeError: completed))
                        }
                        input = nil
                    }
                } else if kind == "http" {
                    input?.append(line)
                } else {
                    log?.append(line)
                }
            } else if line.hasPrefix("### ") || line.hasPrefix("## ") {
                title = String(line.drop { $0 == "#" || $0 == " " })
                meta = ""
                input = nil
            } else if line.hasPrefix("<!-- meta=") {
                meta = line
            } else if line == "```http" {
                block = "http"
                input = []
            } else if line == "```log" {
                block = "log"
                log = []
            }
        }
        return cases
    }

    /// The harness's rules: the block's last newline dropped, backslash line
    /// ends joined, every newline made CRLF, then `\r \n \t \f \xHH \NNN`
    /// expanded. A case built with `${...}` (JavaScript) is left out.
    static func replayBytes(_ block: String) -> [UInt8]? {
        guard !block.contains("${") else { return nil }
        var text = block
        if text.hasSuffix("\n") { text.removeLast() }
        text = text.replacingOccurrences(of: "\\\n", with: "")
        text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .replacingOccurrences(of: "\n", with: "\r\n")
        let source = Array(text.utf8)
        var bytes: [UInt8] = []
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        while index < source.count {
            let byte = source[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < source.count else {
                bytes.append(byte)
                index += 1
                continue
            }
            let next = source[index + 1]
            switch next {
            case UInt8(ascii: "r"): bytes.append(0x0D); index += 2
            case UInt8(ascii: "n"): bytes.append(0x0A); index += 2
            case UInt8(ascii: "t"): bytes.append(0x09); index += 2
            case UInt8(ascii: "f"): bytes.append(0x0C); index += 2
            case UInt8(ascii: "x"):
                guard index + 3 < source.count, let high = hex(source[index + 2]), let low = hex(source[index + 3]) else { return nil }
                bytes.append(high << 4 | low)
                index += 4
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = 0, digits = 0
                while digits < 3, index + 1 + digits < source.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(source[index + 1 + digits]) {
                    value = value * 8 + Int(source[index + 1 + digits] - UInt8(ascii: "0"))
                    digits += 1
                }
                bytes.append(UInt8(truncatingIfNeeded: value))
                index += 1 + digits
            default:
                bytes.append(byte)
                index += 1
            }
        }
        return bytes
    }

    /// The offset of the log's error line, if it has one, and the messages completed before it.
    static func error(in log: [String]) -> (offset: Int?, completed: Int) {
        var completed = 0
        for line in log {
            if line.hasSuffix(" message complete") { completed += 1 }
            guard line.contains(" error code=") else { continue }
            guard line.hasPrefix("off="), let end = line.firstIndex(of: " ") else { return (nil, completed) }
            return (Int(line.dropFirst(4)[..<end]), completed)
        }
        return (nil, completed)
    }

    /// The requests the edge would answer, as the ranges of their heads, in
    /// order, until it refuses (a malformed head; a method it does not take,
    /// answered 405 before the connection closes) or waits for more bytes.
    static func answered(_ bytes: [UInt8]) -> [Range<Int>] {
        var answered: [Range<Int>] = []
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                var scanner = HeadScanner()
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                guard case .complete(let start, let end) = scanner.scan(rest, limits: HTTPLimits()),
                      case .success(let head) = HTTPRequestParser.parse(UnsafeRawBufferPointer(rebasing: rest[start..<end])),
                      head.method != .other else { return }
                answered.append((offset + start)..<(offset + end))
                offset += end
            }
        }
        return answered
    }

    @Test func theCasesAreRead() {
        #expect(Self.cases.count >= 100, "the strict cases of llhttp's files")
        #expect(Self.cases.filter { $0.errorOffset != nil }.count >= 40, "the ones llhttp rejects")
    }

    @Test(arguments: cases.filter { $0.errorOffset != nil })
    func noRequestLLHTTPRejectsIsAnswered(_ item: Case) {
        let answered = Self.answered(item.bytes)
        #expect(answered.count <= item.completedBeforeError,
                """
                the edge would answer \(answered.count) requests (heads at \(answered)); llhttp completes \(item.completedBeforeError) \
                and refuses at byte \(item.errorOffset!): \(String(decoding: item.bytes, as: UTF8.self).debugDescription)
                """)
    }
}
