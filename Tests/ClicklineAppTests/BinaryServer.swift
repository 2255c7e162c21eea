import Foundation
import StoreTesting
import Testing

/// The real `clickline` binary, started as a process with `serve --demo` on
/// ephemeral loopback ports: the one way to test what only `main` sets up
/// (signal handling, the process-wide metrics backend).
final class BinaryServer {
    let process = Process()
    let location: TestStoreLocation
    private(set) var edgePort = 0
    private(set) var adminPort = 0
    private(set) var adminKey = ""

    init(workers: Int = 2) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("clickline")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no clickline binary next to the tests")
        location = try TestStoreLocation.fresh()
        process.executableURL = binary
        process.arguments = ["serve", "--demo", "--store", location.setting, "--edge-port", "0", "--admin-port", "0", "--bind", "127.0.0.1",
                             "--workers", "\(workers)", "--log-level", "warning"]
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
        func value(after marker: String) -> Substring? {
            text.range(of: marker).map { text[$0.upperBound...].drop { $0 == " " }.prefix { !$0.isWhitespace } }
        }
        edgePort = try #require(value(after: "edge listening on 127.0.0.1:").flatMap { Int($0) }, "output: \(text)")
        adminPort = try #require(value(after: "admin API listening on 127.0.0.1:").flatMap { Int($0) }, "output: \(text)")
        adminKey = try #require(value(after: "admin key:").map(String.init), "output: \(text)")
        #expect(text.contains("/haircare/abc123/website2"))
    }

    /// Sends SIGTERM and waits for the process to end.
    func terminate() {
        process.terminate()
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { terminate() }
        location.remove()
    }
}
