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
        static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python")
        static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/test-artifacts")
        static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("clickline")

        /// Debian's chromium and chromium-driver, and selenium and axe-selenium-python for `python3`.
        static var browserInstalled: Bool {
            guard ["/usr/bin/chromium", "/usr/bin/chromedriver"].allSatisfy({ FileManager.default.isExecutableFile(atPath: $0) }) else { return false }
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            probe.arguments = ["python3", "-c", "import selenium, axe_selenium_python"]
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { return false }
            probe.waitUntilExit()
            return probe.terminationStatus == 0
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
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", Self.directory.appendingPathComponent("workflows.py").path, Self.binary.path, Self.artifacts.path, name]
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "the \(name) workflow failed:\n\(errorText.suffix(4000))")
            let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(errorText)")
            let pages = try #require(summary["pages"] as? [String: String])
            #expect(!pages.isEmpty, "each workflow shows pages")
            for label in pages.keys {
                #expect(FileManager.default.fileExists(atPath: Self.artifacts.appendingPathComponent("\(name)-\(label).png").path))
            }
        }
    }
}
