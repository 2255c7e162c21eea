import API
import ClickModel
import ClicklineApp
import Foundation
import OfferCore
import Store
import Testing

extension EndToEnd {
    @Suite("Restarts and shutdown")
    struct RestartTests {
        /// Clicks made right before a graceful stop are all stored, and after a
        /// restart the live counters equal what is stored.
        @Test func countersAfterARestartEqualTheStoredRows() async throws {
            let directory = TestServer.newDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }

            let first = try await TestServer(directory: directory, prepare: prepareOutcomeFixtures)
            var ids: [ClickID] = []
            for path in ["/haircare/abc123", "/haircare/abc123", "/haircare/abc123.ben7/website2", "/haircare/nobody",
                         "/winter/abc123", "/haircare/dora", "/shampoo/abc123/insta?sub2=x"] {
                let response = try HTTP.get(port: first.edgePort, path)
                #expect(response.status == 302)
                if let id = response.clickID { ids.append(id) }
            }
            _ = try HTTP.get(port: first.edgePort, "/haircare/abc123", headers: ["User-Agent": "Twitterbot/1.0"])
            // Stop at once: the edge stops, the aggregator drains every ring, the writer stores everything.
            try await first.stop()

            let second = try await TestServer(directory: directory, prepare: { _ in })
            defer { second.removeFiles() }
            let stored = try second.store.storedClickCount()
            #expect(stored == 8)
            for id in ids { #expect(try second.store.click(id: id) != nil) }

            var byOutcome: [ClickOutcome: Int64] = [:]
            var unique: Int64 = 0
            for id in ids { if let row = try second.store.click(id: id) {
                byOutcome[row.outcome, default: 0] += 1
                if row.flags.contains(.unique) { unique += 1 }
            } }
            let live = try second.live()
            #expect(live.totals.clicks == Int64(stored))
            #expect(live.totals.billable == byOutcome[.billable])
            #expect(live.totals.unattributed == byOutcome[.unattributed])
            #expect(live.totals.inactive == 2, "the paused offer and the inactive member (no click id in their Location)")
            #expect(live.totals.bot == 1)
            #expect(live.totals.unique == unique)
            #expect(byOutcome[.billable] == 4 && unique == 3, "the same client twice on one link and partner is one unique click")

            // A click after the restart: the same client is not unique again today.
            _ = try HTTP.get(port: second.edgePort, "/haircare/abc123")
            try #require(try await second.waitUntil(seconds: 2) { try second.live().totals.clicks == Int64(stored) + 1 } != nil)
            #expect(try second.live().totals.unique == unique)
            try await second.stop()
        }

        /// The real binary: started as a process on ephemeral ports, it prints its
        /// ports, redirects, and on SIGTERM stores the click and exits cleanly.
        @Test func theBinaryStopsCleanlyOnSIGTERM() async throws {
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("clickline")
            try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no clickline binary next to the tests")
            let directory = TestServer.newDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = "sqlite:" + directory.appendingPathComponent("clickline.sqlite").path

            let process = Process()
            process.executableURL = binary
            process.arguments = ["serve", "--demo", "--store", store, "--edge-port", "0", "--admin-port", "0", "--bind", "127.0.0.1",
                                 "--workers", "2", "--log-level", "warning"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()

            var text = ""
            let reader = output.fileHandleForReading
            let deadline = ContinuousClock.now + .seconds(20)
            while !text.contains("partner token") && ContinuousClock.now < deadline {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            func port(after marker: String) -> Int? {
                guard let range = text.range(of: marker) else { return nil }
                return Int(text[range.upperBound...].prefix { $0.isNumber })
            }
            let edgePort = try #require(port(after: "edge listening on 127.0.0.1:"), "output: \(text)")
            #expect(port(after: "admin API listening on 127.0.0.1:") != nil)
            #expect(text.contains("/haircare/abc123/website2"))

            let response = try HTTP.get(port: edgePort, "/haircare/abc123/website2")
            #expect(response.status == 302)
            let id = try #require(response.clickID)

            process.terminate()  // SIGTERM
            process.waitUntilExit()
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0)

            let reopened = try ClicklineApplication.openStore(store)
            let row = try #require(try reopened.click(id: id), "the click was lost at shutdown")
            #expect(row.outcome == .billable)
        }
    }
}
