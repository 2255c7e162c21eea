import Foundation
import Testing

extension EndToEnd {
    /// Webhooks from the real binary to a receiver on loopback that checks
    /// each delivery with the `standardwebhooks` package from PyPI: run by
    /// `Python/webhooks.py` (conversions, rotation, a retry and its log, a
    /// replay, 410 Gone, an answer too big to read, a partner's postback with
    /// hostile sub ids, a slow endpoint beside a quick one, the service killed
    /// mid-delivery and started again).
    @Suite("Webhooks to a receiver that verifies them")
    struct WebhookEndToEndTests {
        @Test(.enabled(if: PythonScript.runnable(needing: "standardwebhooks"), "needs standardwebhooks from PyPI (scripts/test installs it)"),
              .timeLimit(.minutes(2)))
        func deliveriesVerifyWithAStandardWebhooksLibrary() throws {
            let summary = try PythonScript.run("webhooks.py", [PythonScript.binary.path])
            #expect(summary["signatures_after_rotation"] as? Int == 2)
            #expect(summary["duplicates_after_replay"] as? Int == 1)
            #expect(summary["postback_parameters"] as? Int == 10)
            #expect(summary["resent_after_restart_seconds"] != nil)
            #expect(summary["other_endpoint_while_slow_seconds"] != nil)
        }
    }
}
