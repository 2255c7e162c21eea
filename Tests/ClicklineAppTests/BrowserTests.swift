import ClickModel
import Domain
import Foundation
import Store
import Testing

extension EndToEnd {
    /// The pages in a real browser: Debian's headless Chromium, driven through
    /// WebDriver (chromium-driver and python3-selenium), loads `/dashboard`,
    /// `/ops` and `/p/{token}` from the running server; the test reads the
    /// numbers the pages show after their scripts ran. Screenshots are kept in
    /// `.build/test-artifacts/`.
    @Suite("Pages in a browser")
    struct BrowserTests {
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/pages.py")
        static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/test-artifacts")

        static var browserInstalled: Bool {
            ["/usr/bin/chromium", "/usr/bin/chromedriver"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
                && FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/selenium")
        }

        /// scripts/test installs the browser and asks for this test with
        /// CLICKLINE_REQUIRE_BROWSER=1, so there it fails rather than skips.
        static var runnable: Bool { browserInstalled || ProcessInfo.processInfo.environment["CLICKLINE_REQUIRE_BROWSER"] == "1" }

        @Test(.enabled(if: runnable, "needs Debian's chromium, chromium-driver and python3-selenium (scripts/test installs them)"),
              .timeLimit(.minutes(2)))
        func theDashboardTheOpsPageAndAPartnersPageShowTheirNumbers() async throws {
            try #require(Self.browserInstalled, "chromium, chromium-driver or python3-selenium is missing")
            try await withServer { server in
                // Three billable clicks of Alice's, one of which converts for 100.00.
                var ids: [ClickID] = []
                for _ in 0..<3 {
                    ids.append(try #require(try HTTP.get(port: server.edgePort, "/haircare/abc123/website2").clickID))
                }
                let stored = try await server.waitUntil(seconds: 3) { try server.store.backend.storedClickCount() == 3 }
                try #require(stored != nil)
                let token = try #require(try await server.store.offer(id: 1)?.postbackToken)
                let (status, _) = try HTTP.json(port: server.adminPort, "GET",
                                                "/v1/postback?token=\(token)&clk=\(ids[0])&order_id=B-1&amount=100.00", token: nil)
                #expect(status == 201)
                let alice = try #require(try await server.store.partner(code: Code("abc123")!))
                let member = try #require(try await server.store.member(offerID: 1, partnerID: alice.id))

                try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
                process.arguments = [Self.script.path, "http://127.0.0.1:\(server.adminPort)", server.adminKey, "/p/\(member.dashboardToken)",
                                     Self.artifacts.path]
                let output = Pipe(), errors = Pipe()
                process.standardOutput = output
                process.standardError = errors
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                try #require(process.terminationStatus == 0, "the browser script failed: \(errorText)")
                let pages = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]], "\(errorText)")

                let dashboard = try #require(pages["dashboard"])
                #expect((dashboard["login_url"] as? String)?.contains("/login?next=/dashboard") == true, "asked to sign in first")
                #expect((dashboard["url"] as? String)?.hasSuffix("/dashboard") == true)
                let kpis = dashboard["kpis"] as? [String: String] ?? [:]
                #expect(kpis["clicks"] == "3")
                #expect(kpis["conversions"] == "1")
                #expect(kpis["total_sales"] == "100.00 USD")
                #expect(kpis["commissions_earned"] == "10.00 USD")
                #expect(kpis["members"] == "6")
                #expect(dashboard["total_clicks"] as? String == "3", "the script sums the offers' clicks")
                #expect(dashboard["total_conversions"] as? String == "1")
                #expect((dashboard["chart_points"] as? Int ?? 0) >= 1)

                let ops = try #require(pages["ops"])
                #expect(ops["total_clicks"] as? String == "3", "filled in from the event stream")
                #expect(ops["workers"] as? Int == 2)
                #expect(ops["catalogue"] as? [String] == ["\(try server.store.backend.catalogueVersion())", "\(try server.store.backend.catalogueVersion())"],
                        "each worker answers from the current catalogue")
                #expect((ops["status"] as? String)?.hasPrefix("live") == true)

                let partner = try #require(pages["partner"])
                #expect(partner["share"] as? String == "http://localhost:\(server.edgePort)/haircare/abc123")
                #expect(partner["conversions"] as? String == "1")
                #expect(partner["expected"] as? String == "10.00")
                #expect(partner["paid"] as? String == "0.00")
                for name in ["dashboard", "ops", "partner"] {
                    #expect(FileManager.default.fileExists(atPath: Self.artifacts.appendingPathComponent("\(name).png").path))
                }
            }
        }
    }
}
