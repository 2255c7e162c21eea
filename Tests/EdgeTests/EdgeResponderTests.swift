import ClickModel
import ClickRing
import Edge
import Testing

@Suite("Answering a parsed request")
struct EdgeResponderTests {
    static let date = Array("Sat, 21 Nov 2026 23:59:59 GMT".utf8)

    static func table() throws -> LinkTable {
        let destination = try Destination(validating: "https://shop.example/p")
        return LinkTable(CatalogData(
            offers: [.init(id: 1)],
            links: [.init(id: 10, offerID: 1, code: Code("l")!, destination: destination)],
            partners: [.init(id: 100, code: Code("p")!)],
            memberships: [.init(offerID: 1, partnerID: 100)]))
    }

    /// Parses `request` and answers it; returns the answer's text and whether the connection stays open.
    static func answer(_ request: String, with responder: inout EdgeResponder) throws -> (String, Bool) {
        let head = Array(request.utf8)
        let output = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { output.deallocate() }
        var writer = ByteWriter(base: output, capacity: 64 * 1024)
        let keepAlive = try head.withUnsafeBytes { raw in
            let parsed = try HTTPRequestParser.parse(raw).get()
            return date.withUnsafeBytes { date in
                responder.answer(parsed, head: raw, client: IPAddress(words: (1, 0), length: 4), now: 1_800_000_000_000,
                                 date: date, closing: false, to: &writer)
            }
        }
        return (String(decoding: writer.written, as: UTF8.self), keepAlive)
    }

    @Test func aFullRingDropsTheClickButNotTheRedirect() throws {
        let table = try Self.table()
        let channel = ClickChannel(capacity: 2)
        var responder = EdgeResponder(view: table.view, channel: channel, nodeID: 0, workerID: 0, clientHashSalt: 1)
        for _ in 0..<5 {
            let (text, keepAlive) = try Self.answer("GET /l/p HTTP/1.1\r\nHost: x\r\n\r\n", with: &responder)
            #expect(text.hasPrefix("HTTP/1.1 302 Found\r\nLocation: https://shop.example/p?clk="))
            #expect(keepAlive)
        }
        #expect(channel.records.count == 2)
        #expect(responder.droppedClicks == 3)
    }

    @Test func theRecordCarriesTheClickIDOfTheLocation() throws {
        let table = try Self.table()
        let channel = ClickChannel(capacity: 4)
        var responder = EdgeResponder(view: table.view, channel: channel, nodeID: 5, workerID: 2, clientHashSalt: 1)
        let (text, _) = try Self.answer("GET /l/p?sub3=abc HTTP/1.1\r\nHost: x\r\nUser-Agent: Test\r\n\r\n", with: &responder)
        _ = try Self.answer("GET /l/p?other=1 HTTP/1.1\r\nHost: x\r\n\r\n", with: &responder)
        var records: [ClickRecord] = []
        var subIDs: [SubIDs?] = []
        _ = channel.drain { run in
            for index in 0..<run.count {
                records.append(run[index])
                subIDs.append(channel.withSubIDs(of: run.baseAddress! + index) { $0?.pointee })
            }
        }
        #expect(records.count == 2)
        let record = try #require(records.first)
        #expect(text.contains("clk=\(record.id)\r\n"))
        #expect(record.offerID == 1 && record.linkID == 10 && record.creditedPartnerID == 100)
        #expect(record.outcome == .billable)
        #expect(record.workerID == 2)
        #expect(record.flags.contains(.hasSubIDs))
        #expect(subIDs[0]?.value(2) == "abc")
        #expect(subIDs[0]?.value(0) == nil)
        #expect(!records[1].flags.contains(.hasSubIDs) && subIDs[1] == nil, "a query without sub ids carries none")
        #expect(record.milliseconds == 1_800_000_000_000)
        #expect(text.contains("Date: Sat, 21 Nov 2026 23:59:59 GMT\r\n"))
    }

    @Test func aClickWithSubIDsIsDroppedWholeWhenTheirRingIsFull() throws {
        let table = try Self.table()
        let channel = ClickChannel(capacity: 8, subIDsCapacity: 2)
        var responder = EdgeResponder(view: table.view, channel: channel, nodeID: 0, workerID: 0, clientHashSalt: 1)
        for _ in 0..<3 { _ = try Self.answer("GET /l/p?sub1=x HTTP/1.1\r\nHost: x\r\n\r\n", with: &responder) }
        _ = try Self.answer("GET /l/p HTTP/1.1\r\nHost: x\r\n\r\n", with: &responder)
        #expect(responder.droppedClicks == 1)
        #expect(channel.records.count == 3)
        #expect(channel.subIDs.count == 2)
    }

    @Test func http10KeepAliveIsAnsweredInKind() throws {
        let table = try Self.table()
        var responder = EdgeResponder(view: table.view, channel: ClickChannel(capacity: 4), nodeID: 0, workerID: 0, clientHashSalt: 1)
        let (text, keepAlive) = try Self.answer("GET /l/p HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", with: &responder)
        #expect(keepAlive)
        #expect(text.contains("Connection: keep-alive\r\n"))
        let (closing, stays) = try Self.answer("GET /l/p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", with: &responder)
        #expect(!stays)
        #expect(closing.contains("Connection: close\r\n"))
    }
}
