import Foundation
import Testing

extension EndToEnd {
    /// Webhooks from the real binary to a receiver on loopback that checks
    /// each delivery with the `standardwebhooks` package from PyPI: run by
    /// `Python/webhooks.py` (conversions, rotation, a retry and its log, a
    /// replay, 410 Gone, an answer too big to read, a partner's postback with
    /// hostile sub ids, the service killed mid-delivery and started again).
    @Suite("Webhooks to a receiver that verifies them")
    struct WebhookEndToEndTests {
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/webhooks.py")
        static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("clickline")

        static var verifierInstalled: Bool {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            probe.arguments = ["python3", "-c", "import standardwebhooks"]
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { return false }
            probe.waitUntilExit()
            return probe.terminationStatus == 0
        }

        /// scripts/test installs standardwebhooks and sets CLICKLINE_REQUIRE_BROWSER=1, so there this fails rather than skips.
        static var runnable: Bool { verifierInstalled || ProcessInfo.processInfo.environment["CLICKLINE_REQUIRE_BROWSER"] == "1" }

        @Test(.enabled(if: runnable, "needs standardwebhooks from PyPI (scripts/test installs it)"), .timeLimit(.minutes(2)))
        func deliveriesVerifyWithAStandardWebhooksLibrary() throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", Self.script.path, Self.binary.path]
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "webhooks.py failed:\n\(errorText.suffix(4000))")
            let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(errorText)")
            #expect(summary["signatures_after_rotation"] as? Int == 2)
            #expect(summary["duplicates_after_replay"] as? Int == 1)
            #expect(summary["postback_parameters"] as? Int == 10)
            #expect(summary["resent_after_restart_seconds"] != nil)
        }
    }
}
