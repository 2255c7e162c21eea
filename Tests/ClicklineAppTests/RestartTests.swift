import API
import ClickModel
import ClicklineApp
import Domain
import Foundation
import Ops
import Services
import Store
import StoreTesting
import Testing

extension EndToEnd {
    @Suite("Restarts and shutdown")
    struct RestartTests {
        /// Clicks made right before a graceful stop are all stored, and after a
        /// restart the live counters equal what is stored.
        @Test func countersAfterARestartEqualTheStoredRows() async throws {
            let location = try TestStoreLocation.fresh()
            defer { location.remove() }

            let first = try await TestServer(location: location, prepare: prepareOutcomeFixtures)
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

            let second = try await TestServer(location: location, prepare: { _ in })
            let stored = try second.store.backend.storedClickCount()
            #expect(stored == 8)
            for id in ids { #expect(try await second.store.click(id: id) != nil) }

            var byOutcome: [ClickOutcome: Int64] = [:]
            var unique: Int64 = 0
            for id in ids { if let row = try await second.store.click(id: id) {
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
            let server = try BinaryServer()
            let response = try HTTP.get(port: server.edgePort, "/haircare/abc123/website2")
            #expect(response.status == 302)
            let id = try #require(response.clickID)

            server.terminate()  // SIGTERM
            #expect(server.process.terminationReason == .exit)
            #expect(server.process.terminationStatus == 0)

            let reopened = try await server.location.open()
            let row = try #require(try await reopened.click(id: id), "the click was lost at shutdown")
            #expect(row.outcome == .billable)
        }
    }
}
