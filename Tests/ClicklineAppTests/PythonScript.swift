import Foundation
import Testing

/// The end-to-end scripts in `Python/`, run with `python3` against the real
/// binary: whether their PyPI packages are there, and a run's JSON summary.
enum PythonScript {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python")
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("clickline")

    /// Whether `python3 -c "import <modules>"` works.
    static func canImport(_ modules: String) -> Bool {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import \(modules)"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }

    /// scripts/test installs every package the scripts need and sets
    /// CLICKLINE_REQUIRE_BROWSER=1: there a missing one fails rather than skips.
    static func runnable(needing modules: String) -> Bool {
        canImport(modules) || ProcessInfo.processInfo.environment["CLICKLINE_REQUIRE_BROWSER"] == "1"
    }

    /// Runs `Python/<name>` with the arguments and answers the JSON object it
    /// printed; fails the test with its error output when it exits with failure.
    static func run(_ name: String, _ arguments: [String]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", directory.appendingPathComponent(name).path] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(name) failed:\n\(errorText.suffix(4000))")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(errorText)")
    }
}
