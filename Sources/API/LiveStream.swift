import Foundation
import Hummingbird
import Ops
import ServiceLifecycle

/// `/v1/ops/live` every second as Server-Sent Events (`event: live`): what
/// the live page draws. A stream ends after ten minutes (the browser
/// reconnects) or when the service shuts down, so it never holds a shutdown up.
struct LiveStream: Sendable {
    let sources: OpsSources

    @Sendable func respond(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let sources = self.sources
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
        headers.set("X-Accel-Buffering", "no")
        return Response(
            status: .ok,
            headers: headers,
            body: .init { writer in
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                let deadline = ContinuousClock.now + .seconds(600)
                while !Task.isCancelled, !Task.isShuttingDownGracefully, ContinuousClock.now < deadline {
                    let report = LiveReport(live: sources.live(), workers: sources.workers())
                    let json = String(decoding: try encoder.encode(report), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: "event: live\ndata: \(json)\n\n"))
                    try? await Task.sleep(for: .seconds(1))
                }
                try await writer.finish(nil)
            })
    }
}
