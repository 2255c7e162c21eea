import Foundation
import Testing

extension EndToEnd {
    /// The brand console and the Partner Center in real Chromium: each workflow
    /// of the product documents is clicked through by `Python/workflows.py`
    /// (Selenium, from PyPI) against the real `clickline` binary, started with
    /// `serve --demo` on ephemeral loopback ports and an SMTP server of the
    /// script's own; each page is checked with axe-core (axe-selenium-python)
    /// and kept as a screenshot in `.build/test-artifacts/`. Each workflow ends
    /// by checking its result through the API or at the edge.
    @Suite("The console and the Partner Center in a browser")
    struct BrowserTests {
        static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/test-artifacts")

        /// Debian's chromium and chromium-driver, and selenium and axe-selenium-python for `python3`.
        static var browserInstalled: Bool {
            ["/usr/bin/chromium", "/usr/bin/chromedriver"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
                && PythonScript.canImport("selenium, axe_selenium_python")
        }

        /// scripts/test installs the browser and asks for these tests with
        /// CLICKLINE_REQUIRE_BROWSER=1, so there they fail rather than skip.
        static var runnable: Bool { browserInstalled || ProcessInfo.processInfo.environment["CLICKLINE_REQUIRE_BROWSER"] == "1" }

        @Test(.enabled(if: runnable, "needs chromium, chromium-driver, and selenium with axe-selenium-python (scripts/test installs them)"),
              .timeLimit(.minutes(3)),
              arguments: ["project-migration", "promo-code-offer", "dashboard", "conversions-and-payments", "partner-center", "team", "refusals",
                          "link-rules", "partner-postback", "webhooks"])
        func workflow(_ name: String) async throws {
            try #require(Self.browserInstalled, "chromium, chromium-driver, selenium or axe-selenium-python is missing")
            try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
            let summary = try PythonScript.run("workflows.py", [PythonScript.binary.path, Self.artifacts.path, name])
            let pages = try #require(summary["pages"] as? [String: String])
            #expect(!pages.isEmpty, "each workflow shows pages")
            for label in pages.keys {
                #expect(FileManager.default.fileExists(atPath: Self.artifacts.appendingPathComponent("\(name)-\(label).png").path))
            }
        }
    }
}
